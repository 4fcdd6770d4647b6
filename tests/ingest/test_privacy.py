"""Planted personal data must not survive ingest anywhere in the store.

Identifiers are planted in every place a source can carry them: texts, titles, author fields,
nested user objects, @mentions, device ids, extra columns, service-centre names, NHTSA VINs and
dealer phones, and in rows that end up in quarantine.  Then every column of every table is
scanned for the raw values and for their digits with separators removed.
"""

from __future__ import annotations

import json
import re

from defectradar.ingest.nhtsa import FIELDS
from defectradar.ingest.pipeline import ingest_file

PHONE_CN = "138-1234-5678"
PHONE_CN_2 = "+86 139 0000 1111"
PHONE_INTL = "+1 202-555-0143"
EMAIL = "li.lei@example.com"
ID_NUMBER = "11010519491231002X"
IMEI = "490154203237518"
IMEI_2 = "35-209900-176148-1"
VIN = "1FMCU0GD5HUA12345"
HANDLES = ["韩梅梅", "lilei_1990", "泄露的昵称", "Zhang.San"]
NAMES = ["王小明"]

RAW = [PHONE_CN, PHONE_CN_2, PHONE_INTL, EMAIL, ID_NUMBER, IMEI, IMEI_2, VIN, *HANDLES, *NAMES]
DIGITS = {re.sub(r"\D", "", v)[-11:] for v in (PHONE_CN, PHONE_CN_2, PHONE_INTL)} | {"490154203237518", "352099001761481"}


def _plant(tmp_path):
    files = {}
    csv_text = (
        "id,created_at,author,title,text,customer_phone,email,姓名,device_id\n"
        f"1,2022-09-21 10:00,{HANDLES[1]},call {PHONE_CN},wifi dead IMEI {IMEI} mail {EMAIL},"
        f"{PHONE_CN_2},{EMAIL},{NAMES[0]},{IMEI_2}\n"
        f"2,2022-09-21 10:00,{HANDLES[3]},,身份证 {ID_NUMBER} 打 {PHONE_INTL},,,,\n"
        f"3,2022-02-30,{HANDLES[1]},,bad date {PHONE_CN},{PHONE_CN_2},{EMAIL},{NAMES[0]},{IMEI}\n"  # quarantined
        f"4,2022-09-21,{HANDLES[3]},only five,{PHONE_INTL}\n"                                     # wrong columns
    )
    files["csv"] = tmp_path / "complaints.csv"
    files["csv"].write_text(csv_text, encoding="utf-8")

    posts = [
        {"mid": "4817000000000101", "created_at": "Wed Sep 21 10:00:00 +0800 2022",
         "text": f'<a href="/n/{HANDLES[0]}">@{HANDLES[0]}</a> 我的电话 {PHONE_CN} //@{HANDLES[2]}: 同问',
         "user": {"id": 1987654321, "screen_name": HANDLES[2]}, "reposts_count": 0},
        {"mid": "4817000000000102", "created_at": "昨天 10:00", "text": f"relative {EMAIL}",
         "user": {"id": 1987654322, "screen_name": HANDLES[0]}},                                   # quarantined
    ]
    lines = [json.dumps(p, ensure_ascii=False) for p in posts]
    lines.append('{"mid": "4817000000000103", "text": "broken ' + PHONE_CN + '", "user": {"screen_name": "'
                 + HANDLES[0] + '"')                                                               # bad JSON
    files["weibo"] = tmp_path / "weibo.jsonl"
    files["weibo"].write_text("\n".join(lines) + "\n", encoding="utf-8")

    nested = {"id": "n1", "created_at": "2022-09-21", "text": f"email me {EMAIL}",
              "user": {"name": HANDLES[3], "phone": PHONE_CN}}
    files["jsonl"] = tmp_path / "forms.jsonl"
    files["jsonl"].write_text(json.dumps(nested, ensure_ascii=False) + "\n", encoding="utf-8")

    files["service"] = tmp_path / "service.csv"
    files["service"].write_text(
        "device_id,product,purchase_date,event_date,fault,action,center,customer_phone,customer_name\n"
        f"{IMEI},小米11,2021-03-01,2021-09-10,客户电话{PHONE_CN}WiFi坏,repair,朝阳店 {PHONE_INTL},{PHONE_CN},{NAMES[0]}\n"
        f"{IMEI_2},小米11,2021-03-01,2021-01-10,wifi,repair,x,{PHONE_CN_2},{NAMES[0]}\n",              # quarantined
        encoding="utf-8")

    cells = [""] * 48
    for name, value in dict(CMPLID="1", ODINO="11000001", MAKETXT="FORD", MODELTXT="ESCAPE", LDATE="20200102",
                            CDESCR=f"CALL ME {PHONE_INTL}", VIN=VIN, DEALER_TEL="2025550143",
                            DEALER_NAME=NAMES[0]).items():
        cells[FIELDS.index(name)] = value
    files["nhtsa"] = tmp_path / "FLAT_CMPL.txt"
    files["nhtsa"].write_text("\t".join(cells) + "\n", encoding="utf-8")
    return files


def _all_values(query):
    tables = [r["table_name"] for r in query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'")]
    for table in tables:
        for row in query(f'SELECT * FROM "{table}"'):
            for column, value in row.items():
                if value is not None:
                    yield table, column, json.dumps(value, default=str, ensure_ascii=False)


def test_no_planted_identifier_survives_anywhere(store, tmp_path, query):
    files = _plant(tmp_path)
    results = {name: ingest_file(store, path) for name, path in files.items()}
    assert all(r.rows_inserted >= 1 for r in results.values()), results
    assert sum(r.rows_quarantined for r in results.values()) >= 5
    leaks = []
    scanned = 0
    for table, column, text in _all_values(query):
        scanned += 1
        for needle in RAW:
            if needle in text or needle.lower() in text.lower():
                leaks.append((table, column, needle))
        squeezed = re.sub(r"[\s\-()+]", "", text)
        for digits in DIGITS:
            if digits in squeezed:
                leaks.append((table, column, digits))
    assert scanned > 200
    assert not leaks, leaks


def test_same_identifier_links_across_sources(store, tmp_path, query):
    files = _plant(tmp_path)
    for path in files.values():
        ingest_file(store, path)
    device = query("SELECT device_token FROM service_events")[0]["device_token"]
    in_text = query("SELECT text FROM reports WHERE source_id = '1'")[0]["text"]
    assert f"[{device}]" in in_text                      # IMEI in a post -> the repaired device
    form = query("SELECT device_token FROM reports WHERE source_id = '1'")[0]["device_token"]
    imei2 = query("SELECT count(*) n FROM devices WHERE device_token = ?", [form])[0]["n"]
    assert imei2 == 0   # IMEI_2's only service record was quarantined, so no device row yet
    phone = json.loads(query("SELECT extra FROM service_events")[0]["extra"])["customer_phone"]
    assert f"[{phone}]" in query("SELECT text FROM reports WHERE source = 'weibo'")[0]["text"]
