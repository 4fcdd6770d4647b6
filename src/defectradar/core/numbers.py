"""Numbers for JSON and for people, one implementation for the whole package.

:func:`json_ready` is the one cleaner every JSON output goes through (the CLI's ``--json``,
the API, the dashboard's chart specs, ``to_dict()`` of the methods): JSON has no NaN or
infinity (Python's ``NaN``/``Infinity`` tokens are invalid JSON), numpy and pandas scalars are
not JSON types, and dates must be text.  :func:`json_number` and :func:`significant` round a
single number; :func:`sig3` writes one for people.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np


def json_ready(value: Any, *, datetime_sep: str = "T") -> Any:
    """``value`` made JSON-safe, through dicts, lists, tuples and sets.

    * NaN and infinities (float, numpy) and pandas' missing values (``NA``, ``NaT``) -> None;
    * numpy scalars and arrays -> Python numbers and lists;
    * dates -> ``YYYY-MM-DD``, datetimes -> ISO 8601 (``datetime_sep`` between date and time);
    * dict keys -> text; anything else JSON cannot hold -> its ``str``.

    >>> json_ready({"n": np.int64(3), "rate": float("nan"), "day": date(2024, 1, 31), 1: (2.5,)})
    {'n': 3, 'rate': None, 'day': '2024-01-31', '1': [2.5]}
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(json_ready(k, datetime_sep=datetime_sep)):
                json_ready(v, datetime_sep=datetime_sep) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_ready(v, datetime_sep=datetime_sep) for v in value]
    if type(value).__name__ in ("NAType", "NaTType"):          # pandas' missing values (NaT is a datetime)
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=datetime_sep)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (np.generic, np.ndarray)):            # np.float32(nan), np.int64(3), np.bool_
        return json_ready(value.tolist(), datetime_sep=datetime_sep)
    return str(value)


def json_number(value, decimals: int = 6):
    """A number for JSON: None when missing or not finite, an int when whole, else rounded."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else round(value, decimals)


def significant(value, digits: int = 6):
    """A number for JSON to ``digits`` significant digits; None when missing or not finite."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def json_rows(frame, columns, decimals: int = 10) -> list[dict]:
    """Rows of ``frame`` as JSON-safe dicts of the given ``columns`` (see :func:`json_number`)."""
    return [{c: json_number(v, decimals) for c, v in zip(columns, values)}
            for values in zip(*(frame[c] for c in columns))]


def sig3(value) -> str:
    """A number for people: 3 significant digits, no exponent below a billion (``-`` if missing)."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{round(float(f'{value:.3g}')):,}"
    text = f"{value:.3g}"
    if "e" in text:                      # tiny numbers: keep 3 significant digits without an exponent
        text = np.format_float_positional(value, precision=3, unique=False, fractional=False, trim="-")
    return text
