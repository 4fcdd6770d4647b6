"""``defectradar lemons`` through the real shell: table, JSON fields, options, and clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli import lemons
from defectradar.cli.common import new_app
from defectradar.ingest.pipeline import ingest_file

runner = CliRunner()
SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "days_out_of_service"]


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
    """A store with one Mi 11 whose Wi-Fi fault persists after two repairs, one iPhone repaired once."""
    path = csv_file(SERVICE, [
        ["490154203237518", "小米11", "2021-03-01", "2021-05-01", "wifi", "repair", "7"],
        ["490154203237518", "小米11", "2021-03-01", "2021-07-01", "wifi", "repair", "7"],
        ["490154203237518", "小米11", "2021-03-01", "2021-11-01", "wifi", "replace", "1"],
        ["356938035643809", "iPhone 13", "2021-10-01", "2022-01-01", "camera", "repair", "40"],
        ["356938035643809", "iPhone 13", "2021-10-01", "2022-02-01", "", "inspect", "0"],
    ], name="service.csv")
    ingest_file(store, path, classifier=False)
    return store.path


def _run(*args):
    return runner.invoke(_app(), ["lemons", *map(str, args)])


def test_table_lists_each_hit_and_the_counts(db):
    result = _run("--db", db, "--rules", "cn,us")
    assert result.exit_code == 0, result.output
    assert "lemons as of 2022-02-01: 2 devices" in result.output
    assert "dev_" in result.output and "xiaomi-11" in result.output and "wifi" in result.output
    assert "cn: 1 devices (1 hits); us: 1 devices (1 hits)" in result.output
    assert "events left out: no_failure_mode 1" in result.output
    limited = _run("--db", db, "--limit", "1")
    assert "showing 1 of" in limited.output


def test_json_has_the_documented_fields(db):
    result = _run("--db", db, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"as_of", "rules", "lemons", "counts", "skipped", "events"}
    assert document["as_of"] == "2022-02-01" and set(document["rules"]) == {"cn", "eu", "us"}
    assert document["rules"]["cn"]["params"]["warranty_days"] == 365 and "三包" in document["rules"]["cn"]["citation"]
    cn = [h for h in document["lemons"] if h["rule"] == "cn"]
    assert len(cn) == 1 and cn[0]["failure_mode"] == "wifi" and len(cn[0]["event_ids"]) == 3
    assert cn[0]["first_hit_date"] == "2021-11-01" and "after 2 repairs" in cn[0]["reason"]
    us = [h for h in document["lemons"] if h["rule"] == "us"]
    assert [(h["product_id"], h["criterion"]) for h in us] == [("iphone-13", "days_out_of_service")]
    assert document["counts"]["all"] == {"hits": 3, "devices": 2}     # cn, eu (the Mi 11), us (the iPhone)
    assert document["skipped"] == {"no_failure_mode": 1}


def test_filters_as_of_and_config(db, tmp_path):
    early = json.loads(_run("--db", db, "--json", "--rules", "cn", "--as-of", "2021-10-31").output)
    assert early["lemons"] == [] and early["as_of"] == "2021-10-31"
    iphone = json.loads(_run("--db", db, "--json", "--product", "iphone-13").output)
    assert {h["product_id"] for h in iphone["lemons"]} == {"iphone-13"}
    camera = json.loads(_run("--db", db, "--json", "--mode", "camera").output)
    assert [h["rule"] for h in camera["lemons"]] == ["us"]
    config = tmp_path / "rules.yaml"
    config.write_text("us: {days_out_of_service: 45}\n")
    relaxed = json.loads(_run("--db", db, "--json", "--rules", "us", "--config", config).output)
    assert relaxed["lemons"] == [] and relaxed["rules"]["us"]["params"]["days_out_of_service"] == 45


@pytest.mark.parametrize("args, message", [
    (("--rules", "xx"), "unknown lemon rule 'xx'; use any of cn, eu, us"),
    (("--as-of", "yesterday"), "as_of='yesterday' is not a date; write it as YYYY-MM-DD"),
])
def test_bad_input_is_one_clear_line(db, args, message):
    result = _run("--db", db, *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_bad_config_names_the_key(db, tmp_path):
    config = tmp_path / "rules.yaml"
    config.write_text("cn: {warranty: 730}\n")
    result = _run("--db", db, "--config", config)
    assert result.exit_code == 2 and "rule cn has no parameter 'warranty'" in result.output
