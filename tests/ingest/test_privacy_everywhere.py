"""Issue 12, items 7-9 and "prove it stays fixed": identifiers planted in every column of every
input format, rows that end in quarantine included, must appear nowhere afterwards: not in any
table or view, not in the quarantine, not in run records or messages, not in what the commands
print, not in any file the tool wrote.

Planted: IMEIs (Luhn-valid; plain, 2-6-6-1 and 4-4-4-3), mainland mobiles (bare, +86, 0086,
dashes, spaces, middle dots), e-mail, 18-character ID numbers with an X check character, a
Luhn-valid bank card number, QQ numbers, a WeChat id and @handles.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app
from defectradar.core.identifiers import luhn_valid
from defectradar.ingest.nhtsa import FIELDS

runner = CliRunner()


def _luhn_complete(prefix: str) -> str:
    return next(prefix + str(d) for d in range(10) if luhn_valid(prefix + str(d)))


IMEI = _luhn_complete("49015420323751")                 # 490154203237518
IMEI_GROUPED = "3520 9900 1761 481"                     # 4-4-4-3
IMEI_DASHED = "35-209900-176148-1"
CARD = _luhn_complete("622202123456789012")             # 19-digit UnionPay-shaped
MOBILES = ["13812345678", "+86 139 0000 1111", "0086 137-1234-5678", "136·1234·5678", "135 1234 5678"]
EMAIL = "zhang.san@example.com"
ID_X = "11010519880808100X"
QQ = "QQ 918273645"
QQ_2 = "qq号：56473829"
WECHAT = "微信 zhangsan_1990"
HANDLE = "@lilei_1990"
US_PHONE = "(313) 867-5309"      # in NHTSA files, whose numbers are American
NAME = "王小明"

# Names are planted in name columns only: in free text no dictionary-free method finds them
# (docs/privacy.md says so).
IN_TEXT = [IMEI, IMEI_GROUPED, IMEI_DASHED, CARD, *MOBILES, EMAIL, ID_X, QQ, QQ_2, WECHAT, HANDLE]
RAW = [*IN_TEXT, NAME, US_PHONE]
# The identifying part, as it might survive a different spelling.
CORES = {IMEI, "352099001761481", CARD, "13812345678", "13900001111", "13712345678", "13612345678",
         "13512345678", "zhang.san", ID_X, ID_X.lower(), "918273645", "56473829", "zhangsan_1990",
         "lilei_1990", NAME, "3138675309",
         "1987654321", "1987654322", "1987654399", "泄露的昵称", "另一个昵称", "截断的昵称"}   # Weibo user ids and names


def every_identifier(i: int) -> str:
    """A free text holding one of each, rotated so every column meets every kind."""
    return " ".join(IN_TEXT[i % len(IN_TEXT):] + IN_TEXT[:i % len(IN_TEXT)])


def plant(folder: Path) -> list[tuple[Path, str | None]]:
    files = []
    # Generic complaints: every known column, extra columns, one good row and quarantined ones.
    header = ["id", "created_at", "author", "title", "text", "product", "source", "region", "url",
              "device_id", "likes", "customer_phone", "备注", "contact.name"]
    good = [MOBILES[0], "2022-09-21 10:00", HANDLE, every_identifier(1), "wifi dead " + every_identifier(2),
            f"小米11 {MOBILES[1]}", EMAIL, ID_X, f"https://x.cn/u/{MOBILES[2]}?mail={EMAIL}", IMEI_DASHED,
            "3", MOBILES[3], every_identifier(3), NAME]
    bad_date = list(good)
    bad_date[0], bad_date[1] = "r2", MOBILES[0]            # a phone number where the date should be
    bad_email_date = list(good)
    bad_email_date[0], bad_email_date[1] = "r3", EMAIL
    bad_likes = list(good)
    bad_likes[0], bad_likes[10] = "r4", CARD                # a card number where a count should be
    lines = [",".join(header)] + [",".join(f'"{v}"' for v in row) for row in (good, bad_date, bad_email_date,
                                                                               bad_likes)]
    lines.append(f'"r5","2022-09-21","{HANDLE}","{every_identifier(5)}","stray quote {IMEI}')   # cut back
    files.append((folder / "complaints.csv", "\n".join(lines) + "\n"))

    # Headerless-looking file: the "column names" are data.
    files.append((folder / "no_header.csv",
                  f"{MOBILES[0]},2022-09-21,{EMAIL},wifi {ID_X}\n{MOBILES[1]},2022-09-21,{EMAIL},wifi again\n"))

    # JSON lines: nested contact and user objects, a truncated line, a bad date.
    nested = {"id": MOBILES[4], "created_at": "2022-09-21", "text": every_identifier(4),
              "contact": {"name": NAME, "phone": MOBILES[1], "qq": QQ}, "user": {"id": 1987654321, "name": NAME},
              "product": f"Mi 11 {CARD}", "region": ID_X}
    truncated = json.dumps(dict(nested, id="t1"), ensure_ascii=False)[:-30]
    late = dict(nested, id="t2", created_at=MOBILES[0])
    files.append((folder / "forms.jsonl", "\n".join([json.dumps(nested, ensure_ascii=False), truncated,
                                                     json.dumps(late, ensure_ascii=False)]) + "\n"))

    # Weibo: user, text, region, client, a repost, a truncated line keeping the uid.
    post = {"mid": "4817000000000101", "created_at": "Wed Sep 21 10:00:00 +0800 2022",
            "text": every_identifier(6), "user": {"id": 1987654321, "idstr": "1987654321", "screen_name": "泄露的昵称"},
            "region_name": f"发布于 {ID_X}", "source": f"小米11 {MOBILES[2]}", "reposts_count": 1}
    repost = {"mid": "4817000000000102", "created_at": "Wed Sep 21 11:00:00 +0800 2022",
              "text": f"转发 {QQ_2}", "user": {"id": 1987654322, "screen_name": "另一个昵称"}, "retweeted_status": post}
    cut = json.dumps({"mid": "4817000000000103", "text": "x", "user": {"id": 1987654399,
                                                                         "screen_name": "截断的昵称"}},
                     ensure_ascii=False)[:-3]
    files.append((folder / "weibo.jsonl", "\n".join([json.dumps(post, ensure_ascii=False),
                                                     json.dumps(repost, ensure_ascii=False), cut]) + "\n"))

    # NHTSA flat file: an identifier in every field.
    nhtsa = {name: f"{every_identifier(i)} call {US_PHONE}" for i, name in enumerate(FIELDS)}
    nhtsa.update(CMPLID="1", ODINO="11111111", LDATE="20220921", DATEA="20220921", VIN=IMEI, MAKETXT="FORD",
                 MODELTXT=f"ESCAPE {MOBILES[0]}")
    nhtsa_bad = dict(nhtsa, CMPLID="2", ODINO="22222222", LDATE=MOBILES[0], DATEA=MOBILES[0])
    files.append((folder / "FLAT_CMPL.txt", "\n".join("\t".join(r[f] for f in FIELDS) for r in (nhtsa, nhtsa_bad))
                  + "\n"))

    # Service records: every column, and a row quarantined for its action.
    service = ["device_id,product,purchase_date,event_date,fault,action,parts,center,region,channel,event_id,"
               "customer_phone,customer_name",
               f'"{IMEI}","小米11 {MOBILES[0]}",2021-05-01,2022-03-01,"WiFi {every_identifier(7)}",repair,'
               f'"{CARD};主板","维修点 {MOBILES[1]}","{ID_X}","{EMAIL}","{MOBILES[2]}","{MOBILES[3]}","{NAME}"',
               f'"{IMEI_GROUPED}",小米11,2021-05-01,2022-03-01,"{QQ}","{MOBILES[4]}",,,,,w2,,']
    files.append((folder / "service.csv", "\n".join(service) + "\n"))

    # Sales: identifiers in the free columns, and in the month of a quarantined row.
    files.append((folder / "sales.csv", "product,month,units,region,channel\n"
                  f'"小米11 {MOBILES[0]}",2021-05,100,"{ID_X}","{EMAIL}"\n'
                  f'"小米11",{MOBILES[1]},100,,\n'))

    # Parquet complaints.
    parquet = folder / "complaints.parquet"
    pq.write_table(pa.table({"id": [MOBILES[2]], "created_at": ["2022-09-21"], "text": [every_identifier(8)],
                             "author": [HANDLE], "note": [every_identifier(9)]}), parquet)
    return [(path, text) for path, text in files] + [(parquet, None)]


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    return [str(value)]


def leaks(texts) -> set[str]:
    found = set()
    for text in texts:
        squeezed = re.sub(r"[\s\-·.()+]", "", text)
        for raw in RAW:
            if raw in text:
                found.add(raw)
        for core in CORES:
            if core in text or core in squeezed:
                found.add(core)
    return found


@pytest.fixture
def planted_run(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    store_dir = tmp_path / "store"
    db = store_dir / "store.duckdb"
    printed = []
    for path, text in plant(folder):
        if text is not None:
            path.write_text(text, encoding="utf-8")
        args = ["ingest", str(path), "--db", str(db)]
        if path.name == "no_header.csv":
            args += ["--map", f"text=wifi {ID_X}"]
        # Plain output for the first file (read twice: the second run re-reads with --force).
        for extra in ([["--json"]] if printed else [[], ["--json", "--force"]]):
            result = runner.invoke(app, args + extra)
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
            printed.append(result.output)
    for command in (["stats"], ["stats", "--json"], ["quarantine", "list"], ["quarantine", "list", "--json"]):
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 0, result.output
        printed.append(result.output)
    return db, store_dir, printed


def test_no_planted_identifier_survives_anywhere(planted_run):
    db, store_dir, printed = planted_run
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        dumped = {name: con.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}
        counts = {name: len(rows) for name, rows in dumped.items()}
    finally:
        con.close()
    # The planted files were read: rows stored and rows quarantined in every format.
    assert counts["reports"] >= 6 and counts["service_events"] >= 1 and counts["sales"] >= 1
    assert counts["quarantine"] >= 8
    found = {name: leaks(_strings(rows)) for name, rows in dumped.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert leaks(printed) == set()
    # Every file the tool wrote beside the store (the database, its WAL, lock and markers).
    written = [p for p in store_dir.rglob("*") if p.is_file()]
    assert written
    for path in written:
        content = path.read_bytes().decode("utf-8", errors="ignore")
        assert leaks([content]) == set(), path.name
