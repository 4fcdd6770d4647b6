"""``defectradar lemons`` through the real shell: table, JSON fields, options, and clear errors."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from typer.testing import CliRunner

from defectradar.cli import lemons
from defectradar.cli.common import new_app
from defectradar.ingest.pipeline import ingest_file

runner = CliRunner()
SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "days_out_of_service", "region"]
ART_13 = "cn-phone.exchange-after-two-repairs"


def _app():
    """A shell like ``defectradar``'s (same group class, so errors are rendered the same way)."""
    app = new_app("test shell")

    @app.callback()
    def root() -> None:
        """Test shell."""

    app.command("lemons")(lemons.lemons)
    return app


@pytest.fixture
def db(store, csv_file):
    """A Mi 11 whose Wi-Fi fault persists after two repairs (China), an iPhone sold in Germany whose
    camera fault came back after a repair, and an iPhone repaired once with no region."""
    path = csv_file(SERVICE, [
        ["490154203237518", "小米11", "2021-03-01", "2021-05-01", "wifi", "repair", "7", "广东"],
        ["490154203237518", "小米11", "2021-03-01", "2021-07-01", "wifi", "repair", "7", "广东"],
        ["490154203237518", "小米11", "2021-03-01", "2021-11-01", "wifi", "replace", "1", "广东"],
        ["356938035643809", "iPhone 13", "2021-10-01", "2021-12-01", "camera", "repair", "40", "DE"],
        ["356938035643809", "iPhone 13", "2021-10-01", "2022-01-15", "camera", "repair", "5", "DE"],
        ["352099001761481", "iPhone 13", "2021-10-01", "2022-02-01", "", "inspect", "0", ""],
    ], name="service.csv")
    ingest_file(store, path, classifier=False)
    return store.path


def _run(*args):
    return runner.invoke(_app(), ["lemons", *map(str, args)])


def test_table_lists_each_hit_and_the_counts(db):
    result = _run("--db", db)
    assert result.exit_code == 0, result.output
    assert "lemons as of 2022-02-01: 2 devices" in result.output
    assert "xiaomi-11" in result.output and "wifi" in result.output and "cn-phone.exchan" in result.output
    assert "cn: 1 devices (2 hits); eu: 1 devices (1 hits)" in result.output
    limited = _run("--db", db, "--limit", "1")
    assert "showing 1 of 3 hits" in limited.output
    none = _run("--db", db, "--as-of", "2021-06-01")
    assert none.exit_code == 0 and "no device was owed an exchange or refund" in none.output


def test_json_has_the_documented_fields(db):
    result = _run("--db", db, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"as_of", "rules", "lemons", "counts", "skipped", "events", "devices",
                             "jurisdiction_default"}
    assert document["as_of"] == "2022-02-01" and set(document["rules"]) == {"cn", "eu"}
    assert [rs["id"] for rs in document["rules"]["cn"]["rule_sets"]] == ["cn-mobile-phone-three-guarantees",
                                                                         "xiaomi-11-series-wifi"]
    assert "国质检质联" in document["rules"]["cn"]["citation"]
    cn = [h for h in document["lemons"] if h["rule"] == ART_13]
    assert len(cn) == 1 and cn[0]["failure_mode"] == "wifi" and len(cn[0]["event_ids"]) == 3
    assert cn[0]["first_hit_date"] == "2021-11-01" and "persists after 2 repairs" in cn[0]["reason"]
    assert (cn[0]["rule_set"], cn[0]["effective_from"], cn[0]["repairs"]) == (
        "cn-mobile-phone-three-guarantees", "2001-11-15", 2)
    eu = [h for h in document["lemons"] if h["jurisdiction"] == "EU"]
    assert [(h["product_id"], h["rule"], h["criterion"]) for h in eu] == [
        ("iphone-13", "eu-1999-44.remedy-failed", "fault_recurred")]
    assert document["counts"]["all"] == {"hits": 3, "devices": 2}   # art. 13 and Xiaomi's policy, the EU iPhone
    assert document["jurisdiction_default"] == {"jurisdiction": "CN", "devices": 1} and document["devices"] == 3


def test_filters_as_of_jurisdiction_and_config(db, tmp_path):
    early = json.loads(_run("--db", db, "--json", "--rules", "cn", "--as-of", "2021-10-31").output)
    assert early["lemons"] == [] and early["as_of"] == "2021-10-31"
    iphone = json.loads(_run("--db", db, "--json", "--product", "iphone-13").output)
    assert {h["product_id"] for h in iphone["lemons"]} == {"iphone-13"}
    camera = json.loads(_run("--db", db, "--json", "--mode", "camera").output)
    assert [h["rule"] for h in camera["lemons"]] == ["eu-1999-44.remedy-failed"]
    policy = json.loads(_run("--db", db, "--json", "--rules", "xiaomi-11-series-wifi").output)
    assert [h["rule"] for h in policy["lemons"]] == ["xiaomi-11-wifi.repeat-failure"]
    eu = json.loads(_run("--db", db, "--json", "--jurisdiction", "EU").output)
    assert eu["jurisdiction_default"] == {"jurisdiction": "EU", "devices": 1}
    text = resources.files("defectradar.remedies").joinpath("policies/eu-1999-44-consumer-goods.yaml").read_text("utf-8")
    config = tmp_path / "eu.yaml"                        # a national law keeping the liability period at 1 month
    config.write_text(text.replace('{value: 24, reference: "Art. 5(1)"}', '{value: 1, reference: "Art. 5(1)"}'),
                      "utf-8")
    strict = json.loads(_run("--db", db, "--json", "--rules", "eu", "--config", config).output)
    assert strict["lemons"] == []


@pytest.mark.parametrize("args, message", [
    (("--rules", "xx"), "unknown lemon rule 'xx' (--rules); use any of cn, eu (jurisdictions) or a rule set id"),
    (("--rules", "cn,us"), "the hard-coded US lemon-law rule was removed"),
    (("--jurisdiction", "Mars"), "unknown jurisdiction 'Mars' (--jurisdiction): no rule sets for it; use one of CN, EU"),
    (("--as-of", "yesterday"), "as_of='yesterday' is not a date; write it as YYYY-MM-DD"),
])
def test_bad_input_is_one_clear_line(db, args, message):
    result = _run("--db", db, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output


def test_bad_config_names_the_file_and_line(db, tmp_path):
    config = tmp_path / "rules.yaml"
    config.write_text("cn: {warranty: 730}\n")         # the old parameter-override format is not a rule set
    result = _run("--db", db, "--config", config)
    assert result.exit_code == 2 and "rules.yaml:1: rule set.cn: unknown key; allowed: id, kind" in " ".join(result.output.split())
