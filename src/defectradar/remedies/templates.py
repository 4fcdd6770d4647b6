"""A rule's sentence: ``{name}`` placeholders filled from the numbers its logic returns.

Rule sets are users' files, so their templates are data, not Python: ``str.format`` would let
``{x.__class__}`` or ``{x[0]}`` reach into objects and a width of ``{x:999999999}`` allocate a
gigabyte.  Only plain names are allowed, with an optional simple format spec (``{day:>3}``,
``{share:.1%}``): :func:`template_problem` checks a template when its rule set is loaded and
:func:`fill` renders one without ever accessing an attribute or an index, leaving a name it has
no value for as written.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Any, Mapping

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")     # no leading _: nothing like __class__
#: Python's format mini-language without nested fields, widths and precisions of at most 3 digits.
_SPEC = re.compile(r"(?:[^{}]?[<>=^])?[+\- ]?z?#?0?\d{0,3}[,_]?(?:\.\d{1,3})?[bcdeEfFgGnosxX%]?")
_PARSER = Formatter()


def _written(name: str, spec: str, conversion: str | None) -> str:
    return "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"


def template_problem(template: str) -> str | None:
    """Why ``template`` is not allowed, or None: only ``{name}`` and ``{name:spec}`` placeholders."""
    try:
        pieces = list(_PARSER.parse(template))
    except ValueError as exc:
        return f"{exc} (write a literal brace as {{{{ or }}}})"
    for _, name, spec, conversion in pieces:
        if name is None:
            continue
        written = _written(name, spec, conversion)
        if not _NAME.fullmatch(name):
            return (f"placeholder {written} is not allowed; use a plain name such as {{remedies}} "
                    "(letters, digits and _, starting with a letter; no dots or brackets)")
        if conversion:
            return f"placeholder {written} is not allowed; drop the !{conversion}"
        if spec and not _SPEC.fullmatch(spec):
            return (f"placeholder {written} has a format spec that is not allowed; use a simple one such as "
                    f"{{{name}:>3}} or {{{name}:.1f}} (no nested {{}}, widths of at most 3 digits)")
    return None


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]``; never fails.

    An unknown name, or a placeholder :func:`template_problem` would refuse, stays as written;
    a value its format spec does not fit (``{day:.1f}`` given text) is written plainly.
    """
    try:
        pieces = list(_PARSER.parse(template))
    except ValueError:
        return template
    out = []
    for literal, name, spec, conversion in pieces:
        out.append(literal)
        if name is None:
            continue
        if (conversion or not _NAME.fullmatch(name) or name not in values
                or (spec and not _SPEC.fullmatch(spec))):
            out.append(_written(name, spec, conversion))
            continue
        value = values[name]
        try:
            out.append(format(value, spec))
        except (ValueError, TypeError):
            out.append(str(value))
    return "".join(out)
