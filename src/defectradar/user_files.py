"""Reading the files users hand to defectradar (catalogs, taxonomies, rule sets, cases, configs).

One place for what a missing, unreadable, non-UTF-8 or hostile file gives: one line naming the
file and what it was for, never a traceback, and never unbounded time or memory.  Every user
file is read through :func:`read_user_text` (size cap) and parsed with :func:`load_user_json`
or :func:`load_user_yaml` (nesting, number and alias caps).

The limits are constants, not settings: they are far above anything a real file needs (the
numbers say why) and only stop files built to exhaust the machine, such as a YAML "billion
laughs" (a few hundred bytes of anchors that expand to billions of nodes) or a JSON list nested
thousands deep (which overflows the parser's stack).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from defectradar.errors import InputError

#: Largest user file read, in bytes.  The built-in catalog (346 phones) is 83 KB and a case of
#: 10,000 events about 1.5 MB; 16 MiB holds a catalog of some 60,000 models and parses in seconds.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Deepest nesting of lists and mappings.  Rule sets, the deepest real files, need 7 levels and
#: cases 3; parsers recurse per level (Python's stack holds about 1,000 frames), so a few dozen
#: is plenty and safe.
MAX_DEPTH = 32
#: Longest whole number, in digits.  Files hold days, months and counts; Python refuses to read
#: integers over 4,300 digits (a guard against quadratic conversion) with a bare ValueError.
MAX_NUMBER_DIGITS = 100
#: Most YAML aliases (``*name``) in one file.  The shipped files use none; a hand-written file
#: might reuse a list of remedies or modes a few times.
MAX_YAML_ALIASES = 200
#: Most nodes aliases may add when expanded (each use of ``*name`` counts the whole subtree it
#: names).  A billion-laughs file adds 10^9 from 9 anchors; honest reuse adds a few hundred.
MAX_YAML_ALIAS_NODES = 10_000


def read_user_text(path: str | Path, what: str, max_bytes: int | None = None) -> str:
    """The UTF-8 text of ``path``; ``what`` names the file in errors ("catalog", "rule set").

    Reads at most ``max_bytes`` (default :data:`MAX_FILE_BYTES`; a larger file is refused,
    named, with the limit), so a mistaken path to a huge file or a device never fills memory.
    """
    path = Path(path)
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{what} {path} is larger than {_size(max_bytes)}, the most defectradar reads; is it the "
                         "right file?") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} {path} is not UTF-8 text; save it as UTF-8") from None


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


# -- values in error messages -----------------------------------------------------------------
#: What an identifier found in a value is called in an error message instead of the value.
_IDENTIFIER_WORDS = {"imei": "an IMEI", "card": "a bank card number", "person_id": "an ID number",
                     "phone": "a phone number", "email": "an e-mail address", "qq": "a QQ number",
                     "wechat": "a WeChat id", "mention": "a user handle"}
_SHOWN_CHARS = 60


def shown(value: Any) -> str:
    """``value`` as an error message may quote it: its ``repr``, cut short, unless it holds a
    personal identifier (phone number, e-mail, IMEI, ID number ...), which is named, not shown.

    >>> shown("2021-13-01")
    "'2021-13-01'"
    >>> shown("call 13812345678")
    'a value holding a phone number (not shown)'
    """
    text = repr(value)
    kinds = identifier_kinds(text)
    if kinds:
        return f"a value holding {' and '.join(kinds)} (not shown)"
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 3] + "..."


def identifier_kinds(text: str) -> list[str]:
    """What personal identifiers the start of ``text`` holds ("a phone number", ...), as :func:`shown` quotes it."""
    from defectradar.core.identifiers import find_identifiers  # phonenumbers loads slowly: on error only

    # Look a little past what is shown, so an identifier cut in half is not half shown.
    return sorted({_IDENTIFIER_WORDS.get(found.kind, "a personal identifier")
                   for found in find_identifiers(text[:_SHOWN_CHARS + 40])})


# -- JSON -----------------------------------------------------------------------------------
def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _TooLong(len(text.lstrip("-")))
    return int(text)


class _TooLong(ValueError):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _depth_beyond(value: Any, limit: int) -> bool:
    """True when ``value`` nests lists and mappings more than ``limit`` deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def load_user_json(text: str, origin: str) -> Any:
    """Parse a user's JSON ``text``; errors name ``origin`` (and the line and column of bad syntax)."""
    try:
        value = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise InputError(f"{origin}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except _TooLong as exc:
        raise InputError(f"{origin}: holds a number of {exc.digits} digits; numbers may have at most "
                         f"{MAX_NUMBER_DIGITS}") from None
    except RecursionError:
        value = None
        deep = True
    else:
        deep = _depth_beyond(value, MAX_DEPTH)
    if deep:
        raise InputError(f"{origin}: nests lists and objects more than {MAX_DEPTH} deep, the most allowed; "
                         "is it the right file?")
    return value


# -- YAML -----------------------------------------------------------------------------------
_INT_TAG = "tag:yaml.org,2002:int"


class _Caps:
    """Mixed into a PyYAML loader: refuse deep nesting, long numbers and alias bombs while composing.

    Composing builds the node graph, where an alias is one more reference to a node already
    built; the Python objects (and a merge key's copies) come after, in the constructor.  So
    the caps are checked on the graph, before anything is expanded.
    """

    def compose_node(self, parent, index):
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                self._refuse(f"nests lists and mappings more than {MAX_DEPTH} deep, the most allowed")
            if self.check_event(yaml.AliasEvent):
                self._aliases = getattr(self, "_aliases", 0) + 1
                if self._aliases > MAX_YAML_ALIASES:
                    self._refuse(f"uses more than {MAX_YAML_ALIASES} aliases (*name), the most allowed")
            node = super().compose_node(parent, index)
            if (isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG
                    and len(node.value.lstrip("+-").replace("_", "")) > MAX_NUMBER_DIGITS):
                self._refuse(f"holds a number of {len(node.value)} digits; numbers may have at most "
                             f"{MAX_NUMBER_DIGITS}", node)
            return node
        finally:
            self._depth -= 1

    def _refuse(self, problem: str, node=None):
        mark = node.start_mark if node is not None else self.peek_event().start_mark
        raise InputError(f"{self.origin}:{mark.line + 1}: {problem}")


def _alias_nodes(root) -> int | None:
    """How many nodes aliases add when expanded: expanded size of the graph minus its distinct nodes.

    Sizes are memoised per node, so a graph of shared nodes is walked once, whatever it expands to.
    None when a node contains itself (``&a [*a]``), which expands without end.
    """
    size: dict[int, int] = {}
    busy: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            busy.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            continue
        if key in size:
            continue
        if key in busy:
            return None
        busy.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    distinct = len(size)
    return size[id(root)] - distinct


def _children(node):
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return ()


_capped_loaders: dict[type, type] = {}


def load_user_yaml(text: str, origin: str, loader: type = yaml.SafeLoader) -> Any:
    """Parse a user's YAML ``text`` with ``loader`` (a ``yaml.SafeLoader`` subclass) under the caps.

    A broken cap raises :class:`~defectradar.errors.InputError` naming ``origin``, the line and
    the limit.  Syntax errors are left to the caller as ``yaml.YAMLError`` (each file kind words
    them its own way).  The loader instance gets ``origin`` as an attribute.
    """
    capped = _capped_loaders.get(loader)
    if capped is None:
        capped = _capped_loaders[loader] = type(f"Capped{loader.__name__}", (_Caps, loader), {})
    instance = capped(text)
    instance.origin = origin
    try:
        try:
            node = instance.get_single_node()
        except RecursionError:      # a deep mapping key, which the depth count does not see
            raise InputError(f"{origin}: nests lists and mappings more than {MAX_DEPTH} deep, the most "
                             "allowed") from None
        if node is None:
            return None
        added = _alias_nodes(node)
        if added is None:
            raise InputError(f"{origin}: an alias (*name) is used inside the list or mapping it names, "
                             "which never ends; write the values out instead")
        if added > MAX_YAML_ALIAS_NODES:
            raise InputError(f"{origin}: its aliases (*name) expand to more than {MAX_YAML_ALIAS_NODES:,} "
                             "nodes, the most allowed; write the values out instead")
        return instance.construct_document(node)
    finally:
        instance.dispose()
