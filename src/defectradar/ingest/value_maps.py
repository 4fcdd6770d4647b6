"""Value maps: a file's own words for the values of our fields.

``--value-map action:Fixed=repair,Repairable=repair,"End of life"=refused`` (repeatable) or
``--value-map-file FILE.yaml`` (``{field: {value: target}}``) rewrite a field's values before
they are read.  For fields whose values come from a closed vocabulary the target must be one
of its words, checked when the map is given, not row by row:

* ``action``: inspect, repair, replace, refund, refused (or a synonym such as 维修);
* ``data_wiped``: yes or no (true/false, 1/0, 是/否);
* ``severity`` and the NHTSA-style flags ``crash``, ``fire``, ``injuries``, ``deaths``:
  ``safety`` or ``none``.

Any other field takes plain renames (``product:"IPHONE 11"="iPhone 11"``).  Matching ignores
case and surrounding white space.  Rows whose value is still unknown are quarantined with the
value named and the flag that would map it (:func:`fix_flag`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from defectradar.errors import InputError

# Words of the closed vocabularies (lower case); shared with the readers of those fields.
TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "有", "已清除", "清除")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "无", "未清除")
SAFETY_WORDS = ("safety", "unsafe", "dangerous", "danger", "hazard", "安全", "安全隐患", "危险")
NO_SEVERITY_WORDS = ("none", "normal", "minor", "一般", "普通")
SEVERITY_FIELDS = ("severity", "crash", "fire", "injuries", "deaths")


def _action(target: str) -> str | None:
    from defectradar.domain.records import ServiceAction

    action = ServiceAction.parse(target)
    return action.value if action else None


def _boolean(target: str) -> str | None:
    word = target.strip().lower()
    return "true" if word in TRUE_WORDS else "false" if word in FALSE_WORDS else None


def _severity(target: str) -> str | None:
    word = target.strip().lower()
    if word in SAFETY_WORDS or word in TRUE_WORDS:
        return "safety"
    if word in NO_SEVERITY_WORDS or word in FALSE_WORDS:
        return "none"
    return None


# field -> (checks a target, returns it in our words or None; what the targets may be)
CLOSED_FIELDS = {
    "action": (_action, "inspect, repair, replace, refund or refused"),
    "data_wiped": (_boolean, "yes or no"),
    **{name: (_severity, "safety or none") for name in SEVERITY_FIELDS},
}


def known_fields() -> set[str]:
    from defectradar.ingest.fields import REPORT_FIELDS, SALES_FIELDS, SERVICE_FIELDS

    return {f.name for f in (*REPORT_FIELDS, *SERVICE_FIELDS, *SALES_FIELDS)} | set(CLOSED_FIELDS)


def _fold(value: str) -> str:
    return " ".join(value.split()).lower()


@dataclass(frozen=True)
class ValueMaps:
    """``{field: {source value: our value}}``; source values are matched case-folded."""

    maps: dict[str, dict[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.maps)

    def to_options(self) -> dict[str, dict[str, str]]:
        """The maps as the run record keeps them (sorted, so reruns compare equal)."""
        return {name: dict(sorted(values.items())) for name, values in sorted(self.maps.items())}

    def check_fields(self, columns: list[str], where: str) -> None:
        """Refuse a map for a field the file does not have (a typo, or a missing --map)."""
        for name in self.maps:
            if name not in columns:
                raise InputError(f"--value-map {name}:...: {where} has no {name} field (name its column with "
                                 f"--map {name}=COLUMN)")

    def apply(self, table: pa.Table) -> pa.Table:
        """``table`` with each mapped field's values replaced (vectorised; unmapped values kept)."""
        for name, values in self.maps.items():
            if name not in table.column_names:
                continue
            keys = pa.array([_fold(k) for k in values], pa.string())
            targets = pa.array(list(values.values()), pa.string())
            column = table.column(name).combine_chunks()
            if pa.types.is_list(column.type):
                mapped_values = _map(column.values, keys, targets)
                column = pa.ListArray.from_arrays(column.offsets, mapped_values, mask=column.is_null())
            elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                column = _map(column, keys, targets)
            table = table.set_column(table.column_names.index(name), name, column)
        return table


def _map(column: pa.Array, keys: pa.Array, targets: pa.Array) -> pa.Array:
    folded = pc.utf8_lower(pc.utf8_trim_whitespace(column))
    folded = pc.replace_substring_regex(folded, r"\s+", " ")
    mapped = pc.take(targets, pc.index_in(folded, value_set=keys))
    return pc.coalesce(mapped, column.cast(pa.string()))


def parse_value_maps(specs: list[str] | None = None, files: list[str | Path] | None = None) -> ValueMaps:
    """Value maps from ``--value-map`` specs and ``--value-map-file`` YAML files (later wins)."""
    maps: dict[str, dict[str, str]] = {}
    for path in files or []:
        for name, values in _load_file(Path(path)).items():
            _add(maps, name, values, f"--value-map-file {path}")
    for spec in specs or []:
        name, values = parse_spec(spec)
        _add(maps, name, values, f"--value-map {spec}")
    return ValueMaps(maps)


def _add(maps: dict[str, dict[str, str]], name: str, values: dict[str, str], where: str) -> None:
    known = known_fields()
    if name not in known:
        raise InputError(f"{where}: {name!r} is not a field; fields are {', '.join(sorted(known))}")
    check = CLOSED_FIELDS.get(name)
    current = maps.setdefault(name, {})
    folded = {_fold(k): k for k in current}
    for value, target in values.items():
        if not value.strip():
            raise InputError(f"{where}: an empty value cannot be mapped (blank cells are simply empty)")
        if check is not None:
            ours = check[0](target)
            if ours is None:
                raise InputError(f"{where}: {name} values can only map to {check[1]}, not {target!r}")
            target = ours
        earlier = folded.get(_fold(value))
        if earlier is not None:
            del current[earlier]
        current[value] = target
        folded[_fold(value)] = value


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``field:value=target,value=target`` with ``"..."`` quoting (``""`` is a quote inside)."""
    name, colon, rest = spec.partition(":")
    name = name.strip()
    example = "--value-map action:Fixed=repair,\"End of life\"=refused"
    if not colon or not name or not rest.strip():
        raise InputError(f"--value-map {spec!r}: write it as field:value=target[,value=target...], e.g. {example}")
    values: dict[str, str] = {}
    for pair in _split(rest, ",", spec):
        parts = _split(pair, "=", spec)
        if len(parts) != 2:
            raise InputError(f"--value-map {spec!r}: each mapping is value=target (quote a value holding , or = "
                             f"in double quotes), e.g. {example}")
        value, target = (_unquote(p) for p in parts)
        if not target:
            raise InputError(f"--value-map {spec!r}: {value!r} maps to nothing; give a target after =")
        values[value] = target
    return name, values


def _split(text: str, separator: str, spec: str) -> list[str]:
    """``text`` cut at ``separator`` outside double quotes (the quotes are kept)."""
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise InputError(f"--value-map {spec!r}: a double quote is never closed")
    parts.append("".join(current))
    return parts


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def _load_file(path: Path) -> dict[str, dict[str, str]]:
    from defectradar.user_files import load_user_yaml, read_user_text

    origin = f"--value-map-file {path}"
    try:
        # BaseLoader keeps every scalar a string: `Yes: repair` stays "Yes", `1: refund` stays "1".
        data = load_user_yaml(read_user_text(path, "value map file"), origin, loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark is not None else origin
        raise InputError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc}); write "
                         "field: {value: target, ...}") from None
    if not isinstance(data, dict):
        raise InputError(f"{origin}: write a mapping of fields to value maps, e.g. action: {{Fixed: repair}}")
    result = {}
    for name, values in data.items():
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise InputError(f"{origin}: {name}: write its values as a mapping value: target, e.g. {name}: "
                             "{Fixed: repair}")
        result[str(name)] = {str(k): v for k, v in values.items()}
    return result


def fix_flag(name: str, value: str, target: str) -> str:
    """The ``--value-map`` flag mapping ``value`` of ``name`` to ``target``, quoted for a shell."""
    needs_quotes = any(c in value for c in ',="') or value != value.strip()
    shown_value = '"' + value.replace('"', '""') + '"' if needs_quotes else value
    return "--value-map " + shlex.quote(f"{name}:{shown_value}={target}")
