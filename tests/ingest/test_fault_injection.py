"""Issue 12, "prove it stays fixed": generated CSV and JSON-lines files with injected faults.

For every generated file: the rows stored plus the rows quarantined equal the rows written;
exactly the faulty rows are quarantined, each with its row number, a reason and (where the
fault lies in one field) that field; every good row is stored; nothing raises.
"""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from defectradar.config import load_settings
from defectradar.ingest.pipeline import ingest_file
from defectradar.store.connect import Store

MAX_TEXT = 300

# Words the texts are made of: ASCII and Chinese, commas, quotes and line breaks inside
# fields (legitimate, quoted by the writer), never blank.
WORDS = st.sampled_from(["wifi", "dead", "屏幕", "烧了", "again,", 'the "fix"', "主板", "3x", "ok", "it's",
                         "line\nbreak", "crlf\r\nbreak", "tab\there", "；", "…", "café", "Ünïcode"])
TEXT = st.lists(WORDS, min_size=1, max_size=8).map(" ".join)

CSV_FAULTS = ("stray_quote", "stray_quote_in_author", "too_few_fields", "too_many_fields", "bad_bytes", "huge_field", "bad_date",
              "bad_offset", "number_as_date", "empty_text", "control_char")
JSON_FAULTS = ("truncated", "bad_bytes", "huge_field", "bad_date", "bad_offset", "not_an_object", "huge_number",
               "deep_nesting", "empty_text")
# Faults of a whole line, which no single field carries.
WHOLE_LINE = {"truncated", "not_an_object", "huge_number", "deep_nesting"}
FIELD_OF = {"stray_quote": "text", "stray_quote_in_author": "author", "bad_bytes": "text", "huge_field": "text", "empty_text": "text",
            "control_char": "text", "bad_date": "created_at", "bad_offset": "created_at",
            "number_as_date": "created_at", "too_few_fields": "text", "too_many_fields": "field_5"}


def rows_strategy(faults):
    row = st.tuples(TEXT, st.one_of(st.none(), st.none(), st.sampled_from(faults)))
    return st.lists(row, min_size=1, max_size=25)


def _csv_line(values, terminator: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator).writerow(values)
    return buffer.getvalue().encode("utf-8")


def make_csv(rows, terminator: str, final_newline: bool) -> bytes:
    lines = [_csv_line(["id", "created_at", "author", "text"], terminator)]
    for number, (text, fault) in enumerate(rows):
        values = [f"r{number}", "2022-03-01 10:00", f"user{number % 3}", text]
        if fault == "bad_date":
            values[1] = "2022-02-30"
        elif fault == "bad_offset":
            values[1] = "2022-03-01T10:00:00+99:00"
        elif fault == "number_as_date":
            values[1] = "13812345678"
        elif fault == "huge_field":
            values[3] = "x" * (MAX_TEXT + 50)
        elif fault == "empty_text":
            values[3] = ""
        elif fault == "control_char":
            values[3] = text + "\x01"
        elif fault in ("too_few_fields", "too_many_fields"):
            # A row with the wrong field count that also spans lines is read line by line (a
            # stray quote is the likelier cause), so its text here stays on one line.
            values[3] = " ".join(text.split())
            values = values[:3] if fault == "too_few_fields" else values + ["extra"]
        line = _csv_line(values, terminator)
        if fault == "stray_quote":
            line = f'r{number},2022-03-01 10:00,user,"stray {number}{terminator}'.encode()
        elif fault == "stray_quote_in_author":
            line = f'r{number},2022-03-01 10:00,"user,stray {number}{terminator}'.encode()
        elif fault == "bad_bytes":
            line = f"r{number},2022-03-01 10:00,user,bad ".encode() + b"\xff\xfe" + b" bytes" + terminator.encode()
        lines.append(line)
    data = b"".join(lines)
    return data if final_newline else data.rstrip(b"\r\n")


def make_jsonl(rows, final_newline: bool) -> bytes:
    lines = []
    for number, (text, fault) in enumerate(rows):
        record = {"id": f"r{number}", "created_at": "2022-03-01 10:00", "author": f"user{number % 3}", "text": text}
        if fault == "bad_date":
            record["created_at"] = "2022-02-30"
        elif fault == "bad_offset":
            record["created_at"] = "2022-03-01T10:00:00+99:00"
        elif fault == "huge_field":
            record["text"] = "x" * (MAX_TEXT + 50)
        elif fault == "empty_text":
            record["text"] = "   "
        line = json.dumps(record, ensure_ascii=False).encode("utf-8")
        if fault == "truncated":
            line = line[:len(line) // 2]
        elif fault == "bad_bytes":
            line = line.replace(b'"text": "', b'"text": "\xff\xfe ', 1)
        elif fault == "not_an_object":
            line = b'"a string, not an object"'   # (a file holding only "[1, 2]" is a JSON array)
        elif fault == "huge_number":
            line = line[:-1] + b', "n": ' + b"7" * 5000 + b"}"
        elif fault == "deep_nesting":
            line = line[:-1] + b', "d": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
        lines.append(line)
    data = b"\n".join(lines)
    return data + b"\n" if final_newline else data


def check(tmp_path, data: bytes, suffix: str, rows, first_row: int):
    path = tmp_path / f"generated{suffix}"
    path.write_bytes(data)
    store = Store(tmp_path / "s.duckdb", load_settings(db=str(tmp_path / "s.duckdb"), max_text_chars=MAX_TEXT))
    result = ingest_file(store, path, classifier=False, source_type="csv" if suffix == ".csv" else "jsonl")
    faulty = {first_row + i: fault for i, (_, fault) in enumerate(rows) if fault}
    good = {f"r{i}" for i, (_, fault) in enumerate(rows) if not fault}

    assert result.status == "complete"
    assert result.rows_read == len(rows)
    assert result.rows_inserted + result.rows_duplicate + result.rows_quarantined == len(rows)
    with store.reader() as con:
        stored = {r for (r,) in con.execute("SELECT source_id FROM reports").fetchall()}
        quarantined = con.execute("SELECT row_number, field, reason FROM quarantine").fetchall()
    assert stored == good
    assert {row for row, _, _ in quarantined} == set(faulty)
    for row, field, reason in quarantined:
        assert reason
        if faulty[row] not in WHOLE_LINE:
            assert field == FIELD_OF[faulty[row]], (faulty[row], field, reason)
        assert "13812345678" not in reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy(CSV_FAULTS), terminator=st.sampled_from(["\n", "\r\n"]), final_newline=st.booleans())
def test_every_csv_row_is_stored_or_quarantined(tmp_path_factory, rows, terminator, final_newline):
    check(tmp_path_factory.mktemp("csv"), make_csv(rows, terminator, final_newline), ".csv", rows, first_row=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy(JSON_FAULTS), final_newline=st.booleans())
# Found by Hypothesis: the good UTF-8 letters beside the junk bytes, read as cp1252, looked
# like a Western file's letters and flipped the whole file to cp1250.
@example(rows=[("wifi crlf\r\nbreak", None), ("wifi Ünïcode wifi", "bad_bytes")], final_newline=False)
def test_every_json_line_is_stored_or_quarantined(tmp_path_factory, rows, final_newline):
    check(tmp_path_factory.mktemp("jsonl"), make_jsonl(rows, final_newline), ".jsonl", rows, first_row=1)
