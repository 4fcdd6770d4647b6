"""The dialect of a delimited file: its delimiter and column names, guessed from its first bytes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from defectradar.ingest.reading import unique_names


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    header: bool
    names: tuple[str, ...]
    quoting: bool = True     # False for formats such as NHTSA's that never quote fields


def sniff_dialect(sample_text: str, delimiter: str | None = None, header: bool = True,
                  names: list[str] | None = None) -> Dialect:
    """The delimiter and column names of a delimited file from its decoded first bytes."""
    if delimiter is None:
        delimiter = _likeliest_delimiter(sample_text)
    if names is None:
        if not header:
            raise ValueError("a file without a header needs column names")
        first = next(csv.reader(io.StringIO(sample_text, newline=""), delimiter=delimiter), [])
        names = unique_names(first)
    return Dialect(delimiter, header, tuple(names))


_DELIMITERS = (",", "\t", ";", "|")


def _likeliest_delimiter(sample_text: str, rows: int = 50) -> str:
    """The delimiter under which the header and the rows after it agree on their field count.

    ``csv.Sniffer`` counts characters per line, so a TSV whose texts hold more commas than
    tabs was read as comma-separated and refused for lacking its columns.  Here each candidate
    splits the sample into records (quotes respected); the header must give at least two
    fields, and the candidate whose records most often have the header's count wins (more
    fields on a tie).  A file no candidate splits is read as comma-separated.
    """
    best, best_score = ",", (0.0, 0)
    for candidate in _DELIMITERS:
        reader = csv.reader(io.StringIO(sample_text, newline=""), delimiter=candidate)
        try:
            records = [record for _, record in zip(range(rows + 2), reader) if record]
        except csv.Error:
            continue
        if len(records) > 2:
            records = records[:-1]        # the sample may end inside the last record
        width = len(records[0]) if records else 0
        if width < 2:
            continue
        body = records[1:] or records
        score = (sum(len(record) == width for record in body) / len(body), width)
        if score > best_score:
            best, best_score = candidate, score
    return best
