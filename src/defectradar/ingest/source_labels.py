"""What a source itself says about a report: its components and its severity.

**Components** (``components``, ``component``, ``compdesc``, ``部件`` ...) are the source's own
labels of what failed.  A cell may list several, separated by ``,`` ``;`` ``|`` (or ``，``
``；`` ``、``).  One exception keeps NHTSA's own names whole: a comma followed by a space and
an upper-case word stays inside the name (``SERVICE BRAKES, HYDRAULIC``), so the NHTSA API's
comma-joined lists (``POWER TRAIN,SERVICE BRAKES, HYDRAULIC``) split right.

**Severity** comes from a ``severity`` column (``--map severity=COLUMN``) or from NHTSA-style
flag columns ``crash``, ``fire``, ``injuries``, ``deaths``.  The rule, the same for each:

* yes-like words (yes, y, true, t, 1, 是, 有), a whole number above 0 (injuries: 2) or a
  severity word (safety, unsafe, dangerous, hazard, 安全隐患, 危险) mean ``safety``;
* no-like words (no, n, false, f, 否, 无), 0 and blanks, or none, normal, minor, 一般
  mean no severity from the source;
* anything else is quarantined, naming the value and the ``--value-map`` flag that maps it.

A report is ``safety`` when any of its columns says so; the classifier may add ``safety``
from the text, never remove it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from defectradar.core.masking import shown
from defectradar.ingest.fields import blank_to_null, field_column
from defectradar.ingest.value_maps import (
    FALSE_WORDS,
    NO_SEVERITY_WORDS,
    SAFETY_WORDS,
    SEVERITY_FIELDS,
    TRUE_WORDS,
    fix_flag,
)

_COMPONENT_SEPARATORS = r"\s*[,;|，；、]\s*"
# ", " before an upper-case word is part of an NHTSA name: hidden from the split (RE2 has no
# look-ahead), then put back.
_NAME_COMMA = r",(\s+\p{Lu}{2})"
_HIDDEN_COMMA = "\ue000"
_SAFETY = pa.array(sorted(set(SAFETY_WORDS) | set(TRUE_WORDS)), pa.string())
_NO_SEVERITY = pa.array(sorted(set(NO_SEVERITY_WORDS) | set(FALSE_WORDS)), pa.string())


def components_column(column: pa.Array | None, rows: int) -> pa.Array:
    """``list<string>`` components: a list column trimmed, a text column split (see above)."""
    if column is None:
        return pa.nulls(rows, pa.list_(pa.string()))
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_list(column.type):
        lists = column
    else:
        text = pc.replace_substring_regex(blank_to_null(column), _NAME_COMMA, _HIDDEN_COMMA + "\\1")
        lists = pc.split_pattern_regex(text, _COMPONENT_SEPARATORS)
    return _drop_blank_items(lists)


def _drop_blank_items(lists: pa.ListArray) -> pa.Array:
    """Items trimmed, empty ones dropped, lists left empty made null (numpy, no per-row Python)."""
    rows = len(lists)
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    values = pc.utf8_trim_whitespace(pc.replace_substring(flat, _HIDDEN_COMMA, ","))
    keep = pc.fill_null(pc.greater(pc.utf8_length(values), 0), False)
    values = pc.filter(values, keep)
    parents = parents[keep.to_numpy(zero_copy_only=False)]
    counts = np.bincount(parents, minlength=rows) if len(parents) else np.zeros(rows, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.cast(pa.string()),
                                    mask=pa.array(counts == 0))


def severity_column(table: pa.Table, errors) -> pa.Array:
    """``safety`` or null per row, from the source's severity and flag columns (rule above).

    Rows holding a value the rule does not know are flagged in ``errors`` (a
    :class:`~defectradar.ingest.context.RowErrors`) with the value and the flag that maps it.
    """
    rows = table.num_rows
    result = field_column(table, "source_severity")      # a reader's own finding (NHTSA flat file)
    result = pc.equal(result, "safety") if result is not None else None
    for name in SEVERITY_FIELDS:
        column = field_column(table, name)
        if column is None:
            continue
        safety, unknown = _read_flags(column)
        errors.add_mask(unknown, name, _unknown_reason(name, column))
        result = safety if result is None else pc.or_(pc.fill_null(result, False), safety)
    if result is None:
        return pa.nulls(rows, pa.string())
    return pc.if_else(pc.fill_null(result, False), "safety", pa.scalar(None, pa.string()))


def _read_flags(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    words = pc.utf8_lower(column)
    number = pc.match_substring_regex(words, r"^\d+(?:\.0*)?$")
    positive = pc.and_(number, pc.match_substring_regex(words, r"[1-9]"))
    safety = pc.or_(pc.is_in(words, value_set=_SAFETY), positive)
    none = pc.or_(pc.is_in(words, value_set=_NO_SEVERITY), pc.and_(number, pc.invert(positive)))
    unknown = pc.and_(pc.is_valid(words), pc.invert(pc.or_(safety, none)))
    return pc.fill_null(safety, False), unknown


def _unknown_reason(name: str, column: pa.Array):
    reasons: dict[str, str] = {}      # per distinct value: a wrong --map can refuse every row

    def reason(index: int) -> str:
        value = column[index].as_py()
        if value not in reasons:
            reasons[value] = (f"{name} {shown(value)} is neither yes/no, a count nor a severity word (safety, "
                              f"none); map it with {fix_flag(name, value, 'safety')} (or =none)")
        return reasons[value]
    return reason
