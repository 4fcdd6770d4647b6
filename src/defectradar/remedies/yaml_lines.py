"""YAML that remembers where each key came from, so a schema error names the file and line.

PyYAML's safe loader builds plain dicts and loses the marks; this loader builds
:class:`LinedDict` / :class:`LinedList`, which carry the line of every key and item.  Dates stay
text (no timestamp resolver), so ``2021-13-01`` reaches the schema check and is reported with
its line instead of surfacing as a bare ``ValueError`` from PyYAML.
"""

from __future__ import annotations

import yaml

from defectradar.errors import InputError
from defectradar.user_files import load_user_yaml, shown


class LinedDict(dict):
    """A mapping with ``line`` (where it starts) and ``lines`` (key -> line of the key)."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict = {}

    def line_of(self, key) -> int:
        return self.lines.get(key, self.line)


class LinedList(list):
    """A sequence with ``line`` (where it starts) and ``lines`` (item index -> line)."""

    line = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


class _LinedLoader(yaml.SafeLoader):
    pass


_LinedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _LinedLoader, node: yaml.MappingNode) -> LinedDict:
    loader.flatten_mapping(node)
    result = LinedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise InputError(f"{loader.origin}:{line}: a key must be plain text")
        if key in result:
            raise InputError(f"{loader.origin}:{line}: key {shown(key)} appears twice (first on line {result.lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _sequence(loader: _LinedLoader, node: yaml.SequenceNode) -> LinedList:
    result = LinedList(loader.construct_object(item, deep=True) for item in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [item.start_mark.line + 1 for item in node.value]
    return result


_LinedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LinedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_lined_yaml(text: str, origin: str):
    """Parse YAML text into lined mappings and lists; a syntax error names ``origin`` and the line.

    The caps on every user file (nesting, aliases, long numbers) apply: see :mod:`defectradar.user_files`.
    """
    try:
        return load_user_yaml(text, origin, _LinedLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{origin}{line}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{origin}: not valid YAML: {exc}") from None
