"""Reading any user's data for the signal methods: report rows and count series from CSV or Parquet.

These are the doors for data that is not in a store (``signals disprop FILE``, ``signals
series FILE``) and how results are checked against other implementations; every problem is
reported naming the file, row or column and what to do about it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from defectradar.core.series import CountSeries
from defectradar.errors import InputError

DATE_COLUMNS = ("date", "period", "week", "month", "day")
COUNT_COLUMNS = ("count", "n", "cases", "n_cases", "observed")


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame (strings kept as strings)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read it as {'Parquet' if path.suffix.lower() == '.parquet' else 'CSV'} "
                         f"({str(exc).splitlines()[0]}); give a UTF-8 CSV with a header row or a Parquet file") from None


def require_columns(frame: pd.DataFrame, columns: dict[str, str | None], path: str | Path) -> None:
    """Every named column exists; ``columns`` maps the option that named it to the column."""
    missing = [f"{col!r} ({option})" for option, col in columns.items() if col is not None and col not in frame]
    if missing:
        raise InputError(f"{path}: no column {', '.join(missing)}; the file has {', '.join(map(str, frame.columns))}")


def split_events(frame: pd.DataFrame, event_col: str, sep: str, path: str | Path) -> pd.DataFrame:
    """One row per event where a cell joins several with ``sep`` (NHTSA's components:
    ``"UNKNOWN OR OTHER,SERVICE BRAKES"``): split, trimmed, empty pieces dropped.

    A report naming an event twice still counts once (the contingency table counts distinct
    reports per pair).  A cell with no event left after splitting is refused, naming its row.

    >>> rows = pd.DataFrame({"id": [1, 2], "event": ["A, B,A", "C"]})
    >>> split_events(rows, "event", ",", "f.csv")["event"].tolist()
    ['A', 'B', 'C']
    """
    if not sep:
        raise InputError("--event-sep is empty; give the text that joins events in one cell, e.g. --event-sep ,")
    pieces = [list(dict.fromkeys(p.strip() for p in str(cell).split(sep) if p.strip())) if pd.notna(cell) else []
              for cell in frame[event_col]]
    empty = [i for i, parts in enumerate(pieces) if not parts]
    if empty:
        raise InputError(f"{path}: row {empty[0] + 2}, column {event_col!r}: no event"
                         f"{' between the separators ' + repr(sep) if pd.notna(frame[event_col].iloc[empty[0]]) else ''}"
                         f" ({len(empty):,} such rows); fill them in or drop them")
    out = frame.copy()
    out[event_col] = pieces
    return out.explode(event_col, ignore_index=True)


def _pick(frame: pd.DataFrame, given: str | None, candidates: tuple[str, ...], option: str, path) -> str | None:
    if given is not None:
        require_columns(frame, {option: given}, path)
        return given
    return next((c for c in candidates if c in frame), None)


def _numbers(values: pd.Series, col: str, path, what: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise InputError(f"{path}: row {row + 2}, column {col!r}: {values.iloc[row]!r} is not a number; "
                         f"give {what} in every row (0 when nothing was reported)")
    numbers = numbers.to_numpy(dtype=float)
    if (numbers < 0).any():
        row = int(np.argmax(numbers < 0))
        raise InputError(f"{path}: row {row + 2}, column {col!r}: {values.iloc[row]} is negative; {what} "
                         "cannot be below 0")
    return numbers


def _dates(values: pd.Series, col: str, path) -> list[date]:
    parsed = pd.to_datetime(values, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise InputError(f"{path}: row {row + 2}, column {col!r}: {values.iloc[row]!r} is not a date (YYYY-MM-DD)")
    days = [d.date() for d in parsed]
    for i in range(1, len(days)):
        if days[i] <= days[i - 1]:
            raise InputError(f"{path}: row {i + 2}, column {col!r}: {days[i]} is not after the row before "
                             f"({days[i - 1]}); give one row per period, oldest first")
    return days


def infer_freq(days: list[date]) -> str:
    """day, week or month from the typical gap between periods."""
    if len(days) < 2:
        return "week"
    gap = float(np.median(np.diff([d.toordinal() for d in days])))
    return "day" if gap < 4 else "week" if gap < 15 else "month"


def series_from_frame(frame: pd.DataFrame, path: str | Path, date_col: str | None = None,
                      count_col: str | None = None, denominator_col: str | None = None,
                      freq: str | None = None) -> CountSeries:
    """One row per period, oldest first, as a :class:`CountSeries`.

    Without a date column the periods are numbered 1, 2, ... (dated as consecutive weeks from
    2000-01-03 so seasonal methods still see 52 periods a year; ``freq`` says otherwise).
    """
    count_col = _pick(frame, count_col, COUNT_COLUMNS, "--count-col", path)
    if count_col is None:
        raise InputError(f"{path}: no count column; name it with --count-col (the file has "
                         f"{', '.join(map(str, frame.columns))})")
    date_col = _pick(frame, date_col, DATE_COLUMNS, "--date-col", path)
    if date_col is None and len(frame.columns) and str(frame.columns[0]).startswith("Unnamed: 0"):
        date_col = frame.columns[0]          # an index written by pandas/R without a header: the dates
    require_columns(frame, {"--denominator-col": denominator_col}, path)
    if frame.empty:
        raise InputError(f"{path}: no rows; give one row per period")
    counts = _numbers(frame[count_col], count_col, path, "a count")
    if date_col is not None:
        periods = _dates(frame[date_col], date_col, path)
        freq = freq or infer_freq(periods)
    else:
        freq = freq or "week"
        step = {"day": 1, "week": 7, "month": 30}[freq] if freq in ("day", "week", "month") else 7
        periods = [date.fromordinal(date(2000, 1, 3).toordinal() + step * i) for i in range(len(frame))]
    denominators = None if denominator_col is None else _numbers(frame[denominator_col], denominator_col, path,
                                                                 "units in service")
    return CountSeries(periods, counts, denominators, freq, name=str(Path(path).name),
                       meta={"date_col": date_col, "count_col": count_col})


def start_index(series: CountSeries, start: str | None) -> int | None:
    """The first scored period: the first period on or after ``start`` (a date or a 1-based row)."""
    if start is None:
        return None
    if start.isdigit():
        index = int(start) - 1
    else:
        try:
            day = date.fromisoformat(start)
        except ValueError:
            raise InputError(f"--start {start!r} is neither a date (YYYY-MM-DD) nor a row number") from None
        index = next((i for i, p in enumerate(series.periods) if p >= day), len(series))
    if not 0 <= index < len(series):
        raise InputError(f"--start {start}: the series has {len(series)} periods "
                         f"({series.periods[0]} .. {series.periods[-1]}); nothing would be scored")
    return index


def parse_params(pairs: list[str] | None) -> dict:
    """``name=value`` strings to parameters; values are read as JSON (numbers, true/false, null, lists)."""
    params = {}
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--param {pair!r}: write it as name=value, e.g. --param baseline=7")
        raw = raw.strip()
        lowered = {"true": "true", "false": "false", "none": "null", "null": "null"}.get(raw.lower(), raw)
        try:
            value = json.loads(lowered)
        except json.JSONDecodeError:
            value = raw                      # a bare word such as rossi or nbPlugin
        params[name.strip().replace("-", "_")] = value
    return params
