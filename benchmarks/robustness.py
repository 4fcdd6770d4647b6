"""Broken and hostile files through the shell: rows lost, identifiers leaked, tracebacks.

    python benchmarks/robustness.py [--files 300] [--seed 12] [--write-docs]

Each generated file holds rows whose texts are real complaints and reviews from ../shared/data
(read in place), with personal identifiers planted in some rows and faults injected into
others: stray quotes in any column, wrong field counts, undecodable bytes, fields over the
length limit, impossible dates and zone offsets, phone numbers where dates belong, empty
texts, control characters; for JSON lines also lines cut short, non-objects, 5,000-digit
numbers and 100,000-deep nesting.  Files come as CSV (LF or CRLF, with or without a last line
end), TSV, GB18030 CSV and JSON lines.  Each is ingested with ``defectradar ingest --json`` in
a fresh store; then every table and the quarantine are dumped.

Counted per file: rows written, stored, quarantined; rows lost (written and neither stored nor
quarantined, or a faulty row stored, or a good row refused); planted identifiers found
anywhere in the store or in what the command printed; exceptions that escaped the command (a
traceback).  Then the whole-file cases: a FIFO, /dev/zero, a first line of 300 KiB, a CSV given
as ``--db``, and ``model train --out`` into a folder holding a user's file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import sys
import tempfile
import threading
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from privacy import _luhn_complete, real_texts  # noqa: E402

from defectradar.cli.app import app  # noqa: E402
from ingest import machine, write_docs  # noqa: E402  (the benchmarks share the machine and docs writer)

MAX_TEXT = 2000
CSV_FAULTS = ("stray_quote_text", "stray_quote_author", "too_few_fields", "too_many_fields", "bad_bytes",
              "huge_field", "bad_date", "bad_offset", "phone_as_date", "empty_text", "control_char")
JSON_FAULTS = ("truncated", "bad_bytes", "huge_field", "bad_date", "bad_offset", "not_an_object",
               "huge_number", "deep_nesting", "empty_text")
CONTAINERS = ("csv-lf", "csv-crlf-no-final-newline", "tsv", "csv-gb18030", "jsonl")


def planted_identifiers(rng: random.Random) -> list[str]:
    """One of each kind, fresh per row so a leak is traced to its row."""
    mobile = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    imei = _luhn_complete("35" + "".join(rng.choice("0123456789") for _ in range(12)))
    card = _luhn_complete("62" + "".join(rng.choice("0123456789") for _ in range(16)))
    return [mobile, f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", imei, card,
            f"user{rng.randrange(10**6)}@example.com", f"QQ {rng.randrange(10**7, 10**9)}"]


def _digits(identifier: str) -> str:
    """The number an identifier carries, its separators removed; an e-mail is itself (its few
    digits would match a timestamp's)."""
    digits = re.sub(r"\D", "", identifier)
    return digits if len(digits) >= 8 else identifier


class Generated:
    def __init__(self, path: Path, rows: int, faulty: set[int], planted: list[str], first_row: int):
        self.path, self.rows, self.faulty, self.planted, self.first_row = path, rows, faulty, planted, first_row


def make_file(folder: Path, number: int, carriers: list[str], rng: random.Random) -> Generated:
    container = CONTAINERS[number % len(CONTAINERS)]
    count = rng.randint(20, 400)
    json_lines = container == "jsonl"
    faults = JSON_FAULTS if json_lines else CSV_FAULTS
    planted: list[str] = []
    rows = []
    for i in range(count):
        text = " ".join(rng.choice(carriers)[:600].split()) or "wifi"
        if rng.random() < 0.2:
            ids = planted_identifiers(rng)
            planted += ids
            text = f"{text} {rng.choice(ids)}"
        fault = rng.choice(faults) if rng.random() < 0.12 else None
        rows.append((f"r{i}", text, fault))
    if json_lines:
        data = _jsonl(rows)
        suffix, first_row = ".jsonl", 1
    else:
        data = _delimited(rows, container)
        suffix, first_row = (".tsv" if container == "tsv" else ".csv"), 2
    path = folder / f"file{number}{suffix}"
    path.write_bytes(data)
    faulty = {first_row + i for i, (_, _, fault) in enumerate(rows) if fault}
    return Generated(path, count, faulty, planted, first_row)


def _delimited(rows, container: str) -> bytes:
    delimiter = "\t" if container == "tsv" else ","
    terminator = "\r\n" if "crlf" in container else "\n"
    codec = "gb18030" if "gb18030" in container else "utf-8"

    def line(values) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=terminator).writerow(values)
        return buffer.getvalue().encode(codec, errors="replace")

    out = [line(["id", "created_at", "author", "text"])]
    for source_id, text, fault in rows:
        values = [source_id, "2022-03-01 10:00", "someone", text]
        if fault == "bad_date":
            values[1] = "2022-02-30"
        elif fault == "bad_offset":
            values[1] = "2022-03-01T10:00:00+99:00"
        elif fault == "phone_as_date":
            values[1] = "13812345678"
        elif fault == "huge_field":
            values[3] = "x" * (MAX_TEXT + 10)
        elif fault == "empty_text":
            values[3] = ""
        elif fault == "control_char":
            values[3] = text + "\x01"
        elif fault in ("too_few_fields", "too_many_fields"):
            values = values[:3] if fault == "too_few_fields" else values + ["extra"]
        encoded = line(values)
        d = delimiter.encode()
        if fault == "stray_quote_text":
            encoded = d.join([source_id.encode(), b"2022-03-01 10:00", b"someone", b'"stray']) + terminator.encode()
        elif fault == "stray_quote_author":
            encoded = d.join([source_id.encode(), b"2022-03-01 10:00", b'"someone', b"stray"]) + terminator.encode()
        elif fault == "bad_bytes":
            encoded = d.join([source_id.encode(), b"2022-03-01 10:00", b"someone", b"bad \xff\xfe bytes"]) \
                + terminator.encode()
        out.append(encoded)
    data = b"".join(out)
    return data.rstrip(b"\r\n") if "no-final-newline" in container else data


def _jsonl(rows) -> bytes:
    out = []
    for source_id, text, fault in rows:
        record = {"id": source_id, "created_at": "2022-03-01 10:00", "author": "someone", "text": text}
        if fault == "bad_date":
            record["created_at"] = "2022-02-30"
        elif fault == "bad_offset":
            record["created_at"] = "2022-03-01T10:00:00+99:00"
        elif fault == "huge_field":
            record["text"] = "x" * (MAX_TEXT + 10)
        elif fault == "empty_text":
            record["text"] = " "
        line = json.dumps(record, ensure_ascii=False).encode()
        if fault == "truncated":
            line = line[:len(line) // 2]
        elif fault == "bad_bytes":
            line = line.replace(b'"text": "', b'"text": "\xff\xfe ', 1)
        elif fault == "not_an_object":
            line = b'"not an object"'
        elif fault == "huge_number":
            line = line[:-1] + b', "n": ' + b"7" * 5000 + b"}"
        elif fault == "deep_nesting":
            line = line[:-1] + b', "d": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        out.append(line)
    return b"\n".join(out) + b"\n"


def run(args: list[str]):
    result = CliRunner().invoke(app, [str(a) for a in args])
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    return result, escaped


def dump(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return "\n".join(str(row) for name in tables for row in con.execute(f'SELECT * FROM "{name}"').fetchall())
    finally:
        con.close()


def check_file(generated: Generated, db: Path) -> dict:
    result, escaped = run(["ingest", generated.path, "--db", db, "--json", "--no-classify"])
    counts = {"written": generated.rows, "stored": 0, "quarantined": 0, "lost": 0, "misjudged": 0,
              "leaked": 0, "tracebacks": int(escaped)}
    if escaped or not db.exists():
        counts["lost"] = generated.rows
        return counts
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = {r[0] for r in con.execute("SELECT source_id FROM reports").fetchall()}
        refused = {r[0] for r in con.execute("SELECT row_number FROM quarantine").fetchall()}
    finally:
        con.close()
    expected_good = {f"r{n - generated.first_row}" for n in range(generated.first_row, generated.first_row + generated.rows)
                     if n not in generated.faulty}
    counts["stored"], counts["quarantined"] = len(stored), len(refused)
    counts["lost"] = generated.rows - len(stored) - len(refused)
    counts["misjudged"] = len(stored ^ expected_good) + len(refused ^ generated.faulty)
    # Tokens and hashes are hex: left in, a run of their digits could join a neighbour's when
    # white space is squeezed out and look like a planted number.
    everything = re.sub(r"@?\[?[a-z]{2,5}_[0-9a-f]{20}\]?|[0-9a-f-]{16,}", " ", dump(db) + result.output)
    squeezed = re.sub(r"[\s\-]", "", everything)
    leaks = [ident for ident in generated.planted if ident in everything or _digits(ident) in squeezed]
    for ident in leaks:
        at = max(squeezed.find(_digits(ident)), 0)
        print(f"{generated.path.name}: leaked {ident!r} in ...{squeezed[max(at - 120, 0):at + 40]!r}", file=sys.stderr)
    counts["leaked"] = len(leaks)
    return counts


def whole_file_cases(folder: Path) -> list[tuple[str, bool, bool]]:
    """(case, answered in one line with a non-zero exit, traceback)."""
    cases = []
    db = folder / "whole.duckdb"
    fifo = folder / "pipe.csv"
    os.mkfifo(fifo)
    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(out=run(["ingest", fifo, "--db", db])), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        with open(fifo, "w"):
            pass
        cases.append(("a FIFO as input", False, False))
    else:
        cases.append(("a FIFO as input", box["out"][0].exit_code != 0, box["out"][1]))
    result, escaped = run(["ingest", "/dev/zero", "--db", db])
    cases.append(("/dev/zero as input", result.exit_code != 0, escaped))
    long_header = folder / "long.csv"
    long_header.write_text("user,created_at,text" + "y" * 300_000 + "\na,2022-03-01,wifi\n")
    result, escaped = run(["ingest", long_header, "--db", db])
    cases.append(("a 300 KiB header line", result.exit_code != 0 and max(map(len, result.output.splitlines())) < 400,
                  escaped))
    not_a_store = folder / "other.csv"
    not_a_store.write_text("a,b\n1,2\n")
    before = not_a_store.read_bytes()
    result, escaped = run(["ingest", long_header, "--db", not_a_store])
    cases.append(("a CSV given as --db", result.exit_code != 0 and not_a_store.read_bytes() == before, escaped))
    training = folder / "train.csv"
    training.write_text("text,label\n" + "".join(f"wifi broken {i},wifi\nscreen cracked {i},screen\n"
                                                   for i in range(20)))
    out = folder / "model"
    out.mkdir()
    (out / "notes.docx").write_text("a user's document")
    result, escaped = run(["model", "train", training, "--label-col", "label", "--out", out])
    cases.append(("model train --out a folder holding a user's file",
                  result.exit_code != 0 and (out / "notes.docx").exists(), escaped))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--write-docs", action="store_true")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    carriers = [t for texts in real_texts().values() for t in texts]
    os.environ["DEFECTRADAR_MAX_TEXT_CHARS"] = str(MAX_TEXT)
    totals: Counter = Counter()
    per_container: dict[str, Counter] = {}
    faults_seen: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DEFECTRADAR_KEY_DIR"] = str(Path(tmp) / "keys")
        for number in range(options.files):
            folder = Path(tmp) / f"f{number}"
            folder.mkdir()
            generated = make_file(folder, number, carriers, rng)
            counts = check_file(generated, folder / "store.duckdb")
            totals.update(counts)
            per_container.setdefault(CONTAINERS[number % len(CONTAINERS)], Counter()).update(counts)
            faults_seen.update(["faulty rows"] * len(generated.faulty))
            if (number + 1) % 50 == 0:
                print(f"{number + 1} files: {dict(totals)}", file=sys.stderr)
        cases = whole_file_cases(Path(tmp))
    lines = [
        f"## Robustness (`make bench-robustness`), {date.today().isoformat()}",
        "",
        f"Machine: {machine()}. `python benchmarks/robustness.py --files {options.files} --seed {options.seed}`: "
        f"{options.files} generated files ({', '.join(CONTAINERS)}), each ingested through the shell "
        f"(`defectradar ingest --json --no-classify`) into a fresh store, then every table and the quarantine "
        f"dumped. Row texts are real complaints and reviews from `../shared/data`; 20% of rows carry planted "
        f"identifiers (mobile, dashed mobile, IMEI, bank card, e-mail, QQ); 12% carry one of "
        f"{len(CSV_FAULTS)} delimited or {len(JSON_FAULTS)} JSON-lines faults ({', '.join(CSV_FAULTS)}; "
        f"{', '.join(JSON_FAULTS)}). *Lost*: written and neither stored nor quarantined. *Misjudged*: a faulty "
        "row stored or a good row quarantined. *Leaked*: a planted identifier found in the store or in the output.",
        "",
        "| container | files | rows written | stored | quarantined | lost | misjudged | identifiers leaked | tracebacks |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, c in per_container.items():
        files = sum(1 for n in range(options.files) if CONTAINERS[n % len(CONTAINERS)] == name)
        lines.append(f"| {name} | {files} | {c['written']:,} | {c['stored']:,} | {c['quarantined']:,} | {c['lost']:,} | "
                     f"{c['misjudged']:,} | {c['leaked']:,} | {c['tracebacks']:,} |")
    lines.append(f"| **all** | {options.files} | {totals['written']:,} | {totals['stored']:,} | "
                 f"{totals['quarantined']:,} | **{totals['lost']:,}** | {totals['misjudged']:,} | "
                 f"**{totals['leaked']:,}** | **{totals['tracebacks']:,}** |")
    lines += ["", "Whole-file cases (each must end in one line with a non-zero exit, nothing written where "
              "it does not belong):", "", "| case | refused in one line | traceback |", "|---|---|---|"]
    lines += [f"| {case} | {'yes' if ok else '**no**'} | {'**yes**' if tb else 'no'} |" for case, ok, tb in cases]
    section = "\n".join(lines) + "\n"
    print(section)
    if options.write_docs:
        write_docs(section, "robustness")


if __name__ == "__main__":
    main()
