"""``defectradar remedies check|audit`` through the real shell: the issue's JSON fields, languages and errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()

CASE = {"device": {"product": "Mi 11", "purchase_date": "2021-10-20", "jurisdiction": "CN", "invoice": True},
        "events": [
            {"date": "2022-03-02", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 12,
             "data_wiped": True},
            {"date": "2022-06-20", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 9,
             "data_wiped": True},
            {"date": "2022-10-05", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 14,
             "data_wiped": True}]}


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE, ensure_ascii=False), "utf-8")
    return path


def _run(*args):
    return runner.invoke(app, ["remedies", *map(str, args)])


def test_check_json_has_the_issue_fields(case_file):
    result = _run("check", case_file, "--as-of", "2022-11-01", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"device", "steps", "now_due", "summary"} <= set(data)
    assert data["device"]["product"] == "xiaomi-11" and data["device"]["purchase_date"] == "2021-10-20"
    step = data["steps"][2]
    assert {"date", "event", "due", "given", "shortfall", "rules"} <= set(step)
    assert step["date"] == "2022-10-05" and step["event"] == "repair" and step["given"] == "repair"
    assert step["shortfall"] is True and "exchange" in step["due"]
    assert {"id", "reference", "text"} <= set(step["rules"][0])
    assert any(r["id"] == "cn-phone.exchange-after-two-repairs" and "Art. 13" in r["reference"] for r in step["rules"])
    assert data["now_due"][0] == "refund"
    assert data["data_wipes"]["count"] == 3
    assert "wiped 3 times" in data["summary"]


def test_check_in_chinese(case_file):
    result = _run("check", case_file, "--as-of", "2022-11-01", "--lang", "zh", "--json")
    data = json.loads(result.output)
    assert "维修中数据被清除 3 次" in data["summary"]
    texts = [r["text"] for r in data["steps"][2]["rules"]]
    assert any("经 2 次修理" in t for t in texts)


def test_check_table_marks_shortfalls_and_prints_the_summary(case_file):
    result = _run("check", case_file, "--as-of", "2022-11-01")
    assert result.exit_code == 0, result.output
    assert "✗ short" in result.output and "cn-phone.exchange-after-two-repairs" in result.output
    assert "Due now: refund, exchange or repair." in result.output


def test_as_of_ignores_later_events(case_file):
    data = json.loads(_run("check", case_file, "--as-of", "2022-07-01", "--json").output)
    assert len(data["steps"]) == 2 and data["ignored_after_as_of"] == 1


@pytest.mark.parametrize("args, message", [
    (["--lang", "fr"], "--lang 'fr': use one of en, zh"),
    (["--as-of", "2022-13-01"], "--as-of='2022-13-01' is not a date"),
])
def test_check_bad_options(case_file, args, message):
    result = _run("check", case_file, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_check_bad_case_names_the_field(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**CASE, "device": {**CASE["device"], "product": "Nokia 9999"}}), "utf-8")
    result = _run("check", path)
    assert result.exit_code == 2
    assert "device.product: unknown product 'Nokia 9999'" in result.output
    assert "Traceback" not in result.output
    path.write_text("{not json", "utf-8")
    result = _run("check", path)
    assert result.exit_code == 2 and "not valid JSON" in result.output


SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "days_out_of_service",
           "data_wiped", "region"]


@pytest.fixture
def audit_db(store, csv_file):
    """A Mi 11 repaired a third time for Wi-Fi after the 2022-09-15 cut, and an iPhone refused in its first week."""
    from defectradar.ingest.pipeline import ingest_file

    path = csv_file(SERVICE, [
        ["490154203237518", "小米11", "2022-01-10", "2022-03-01", "wifi", "repair", "10", "true", "广东"],
        ["490154203237518", "小米11", "2022-01-10", "2022-06-01", "wifi", "repair", "10", "true", "广东"],
        ["490154203237518", "小米11", "2022-01-10", "2022-10-01", "wifi", "repair", "10", "true", "广东"],
        ["356938035643809", "iPhone 13", "2022-05-01", "2022-05-04", "battery", "refused", "0", "false", "北京"],
    ], name="service.csv")
    ingest_file(store, path, classifier=False)
    return store.path


def test_audit_json_counts_shortfalls_by_product_rule_and_period(audit_db):
    result = _run("audit", "--db", audit_db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["devices"] == 2 and data["devices_short"] == 2
    # the first two repairs fell short of Xiaomi's exchange policy of the day, the third of art. 13
    assert data["by_kind"] == {"lesser_remedy": 3, "refused": 1}
    groups = {(g["product"], g["rule"], g["period"]): g["steps"] for g in data["groups"]}
    assert groups[("xiaomi-11", "cn-phone.exchange-after-two-repairs", "2022-Q4")] == 1
    assert data["data_wipes"] == {"events": 3, "devices": 1}
    cut = [v for v in data["policy_versions"] if v["version"] == "2022-09-15"][0]
    assert cut["lesser_remedy"] == 1


def test_audit_table_and_bad_period(audit_db):
    result = _run("audit", "--db", audit_db, "--period", "month")
    assert result.exit_code == 0, result.output
    assert "cn-phone.exchange-after-two-repairs" in result.output and "2022-10" in result.output
    assert "data wiped in service: 3 times on 1 devices" in result.output
    bad = _run("audit", "--db", audit_db, "--period", "week")
    assert bad.exit_code == 2 and "period: 'week' is not a period" in bad.output
