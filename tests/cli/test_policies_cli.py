"""``defectradar policies list|show|diff`` through the real shell: tables, JSON, YAML round trip, alerts, errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app
from defectradar.remedies import builtin_rule_book, parse_rule_set

runner = CliRunner()
XIAOMI = "xiaomi-11-series-wifi"


def _run(*args):
    return runner.invoke(app, ["policies", *map(str, args)])


def test_list_shows_every_rule_set():
    result = _run("list")
    assert result.exit_code == 0, result.output
    assert "4 rule sets" in result.output
    for rule_set in builtin_rule_book():
        assert rule_set.id in result.output
    assert "Xiaomi policy, CN" in result.output and "2 versions, latest 2022-09-15" in result.output
    rows = json.loads(_run("list", "--json").output)
    xiaomi = next(r for r in rows if r["id"] == XIAOMI)
    assert xiaomi["versions"] == 2 and xiaomi["effective_to"] is None and xiaomi["failure_modes"] == ["wifi"]


def test_show_prints_citations_versions_and_rules():
    result = _run("show", XIAOMI)
    assert result.exit_code == 0, result.output
    for text in ("citations", "https://m.163.com", "first_failure_remedies", "2021-08-06", "to 2022-09-14",
                 "[exchange, refund]", "[repair]", "xiaomi-11-wifi.repeat-failure"):
        assert text in result.output, text
    zh = _run("show", XIAOMI, "--lang", "zh", "--at", "2023-01-01")
    assert zh.exit_code == 0 and "小米当日的WiFi故障政策" in zh.output
    assert "2022-09-15" in zh.output and "to 2022-09-14" not in zh.output      # only the version in force
    before = _run("show", XIAOMI, "--at", "2020-01-01")
    assert before.exit_code == 0 and "not in force on 2020-01-01" in before.output
    details = json.loads(_run("show", XIAOMI, "--json", "--at", "2022-01-01").output)
    assert details["in_force_at"] is True and details["versions"][0]["parameters"]["first_failure_remedies"] == [
        "exchange"]
    assert {"references", "rules", "parameters", "products", "failure_modes"} <= set(details)


def test_show_yaml_reads_back_the_same():
    for rule_set in builtin_rule_book():
        result = _run("show", rule_set.id, "--yaml")
        assert result.exit_code == 0, result.output
        assert parse_rule_set(result.output, "printed.yaml") == rule_set


def test_diff_marks_the_downgrade_and_raises_alerts(store):
    store.migrate()
    result = _run("diff", XIAOMI, "--db", store.path)
    assert result.exit_code == 0, result.output
    assert "2 changes, 2 downgrades" in result.output
    assert "first_failure_remedies: [exchange] -> [repair]  DOWNGRADE" in result.output
    assert "repeat_failure_remedies: [exchange, refund] -> [repair]  DOWNGRADE" in result.output
    assert "raised 3 alerts (policy_downgrade) for: xiaomi-11, xiaomi-11-pro, xiaomi-11-ultra" in result.output
    again = _run("diff", XIAOMI, "--db", store.path)
    assert "raised" not in again.output and "3 alerts already recorded" in again.output
    listed = runner.invoke(app, ["alerts", "list", "--db", str(store.path)])
    assert listed.exit_code == 0 and listed.output.count("wifi") == 3      # the table takes the new scope and source
    alerts = json.loads(runner.invoke(app, ["alerts", "list", "--db", str(store.path), "--json"]).output)
    assert len(alerts) == 3 and {a["source"] for a in alerts} == {"policies"}
    shown = runner.invoke(app, ["alerts", "show", alerts[0]["alert_id"][:8], "--db", str(store.path)])
    assert shown.exit_code == 0 and "policy_downgrade" in shown.output


def test_diff_json_fields(store):
    store.migrate()
    document = json.loads(_run("diff", XIAOMI, "--db", store.path, "--json").output)
    assert set(document) == {"rule_set", "kind", "from", "to", "versions", "changes", "downgrades", "alerts"}
    assert document["rule_set"] == XIAOMI and document["downgrades"] == 2
    first = document["changes"][0]
    assert {k: first[k] for k in ("day", "parameter", "old", "new", "downgrade", "removed")} == {
        "day": "2022-09-15", "parameter": "first_failure_remedies", "old": ["exchange"], "new": ["repair"],
        "downgrade": True, "removed": ["exchange"]}
    assert len(document["alerts"]["raised"]) == 3 and document["alerts"]["products"][0] == "xiaomi-11"
    window = json.loads(_run("diff", XIAOMI, "--db", store.path, "--json", "--to", "2022-09-14").output)
    assert window["changes"] == [] and window["alerts"] is None and window["to"] == "2022-09-14"


def test_diff_without_a_store_or_with_no_alerts_writes_nothing(tmp_path):
    missing = tmp_path / "none.duckdb"
    result = _run("diff", XIAOMI, "--db", missing)
    assert result.exit_code == 0 and "DOWNGRADE" in result.output and "alerts not recorded" in result.output
    assert not missing.exists()
    skipped = _run("diff", XIAOMI, "--db", missing, "--no-alerts", "--json")
    assert json.loads(skipped.output)["alerts"] is None and not missing.exists()
    statute = _run("diff", "cn-mobile-phone-three-guarantees", "--no-alerts")
    assert statute.exit_code == 0 and "0 downgrades" in statute.output and "DOWNGRADE" not in statute.output


@pytest.mark.parametrize("args, message", [
    (("show", "nokia-policy"), "no rule set 'nokia-policy'"),
    (("diff", "nokia-policy", "--no-alerts"), "known: cn-mobile-phone-three-guarantees"),
    (("diff", XIAOMI, "--from", "2022-13-01", "--no-alerts"), "--from='2022-13-01' is not a date"),
    (("diff", XIAOMI, "--from", "2023-01-01", "--to", "2022-01-01", "--no-alerts"), "before it starts"),
    (("show", XIAOMI, "--at", "yesterday"), "--at='yesterday' is not a date"),
    (("show", XIAOMI, "--lang", "fr"), "--lang 'fr'"),
])
def test_bad_input_is_one_clear_line(args, message):
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
