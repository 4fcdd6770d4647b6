"""The demo loop on a small simulated world: simulate once, ingest, summarise, reuse."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from defectradar.cli.app import app
from defectradar.demo import run_demo


def test_demo_builds_ingests_and_reuses(store, tmp_path):
    world = tmp_path / "world"
    first = run_demo(store, world, seed=11, scale=0.05)
    assert first.simulated and (world / "truth.json").exists()
    by_file = {r.path.rsplit("/", 1)[-1]: r for r in first.ingests}
    assert set(by_file) == {"sales.csv", "service_records.csv", "weibo.jsonl"}
    assert all(r.status == "complete" and r.rows_inserted > 0 for r in by_file.values())
    # The world's clerical slips are refused, each with its reason, and nothing else is.
    import json as _json
    truth = _json.loads((world / "truth.json").read_text(encoding="utf-8"))["counts"]
    assert by_file["service_records.csv"].rows_quarantined == truth["malformed_service_rows"]
    assert by_file["weibo.jsonl"].rows_quarantined == truth["malformed_post_lines"]
    view = first.overview
    assert view.devices > 0 and view.service_events_by_action["repair"] > 0
    assert view.service_by_product[0]["product"] == "xiaomi-11"      # the injected defects dominate
    assert len(view.reports_by_product) <= 15 and view.reports_by_product[0]["reports"] > 0
    named = {r["product"] for r in view.reports_by_product}
    assert "xiaomi-11" in named                                       # products read from the posts

    assert first.scans >= 4 and first.alerts                         # quarterly scans raised alerts
    assert {a["status"] for a in first.alerts} == {"new"}
    policy = {a["product_id"] for a in first.alerts if a["source"] == "policies"}
    assert policy == {"xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra"}  # the 2022-09-15 downgrade
    assert first.remedies.devices > 0 and first.remedies.devices_short > 0

    rel = first.reliability                                           # the most claimed product x modes, fitted
    assert rel.fits and rel.fits[0]["product"].startswith("xiaomi-11")
    assert all(f["shape"] > 0 and 0 < f["failed_by_365"] < 1 for f in rel.fits)
    assert set(rel.lemons) == {"cn", "eu", "all"}
    assert [p.rsplit("/", 1)[-1] for p in rel.charts] == ["survival.png", "weibull.png", "repairs.png"]
    assert all(open(p, "rb").read(4) == b"\x89PNG" for p in rel.charts)

    second = run_demo(store, world, seed=11, scale=0.05)
    assert not second.simulated
    assert len(second.alerts) == len(first.alerts)                   # replayed scans add no alert twice
    assert all(r.status == "skipped" for r in second.ingests)
    assert second.overview.devices == view.devices


def test_demo_command_prints_where_to_look(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "demo.duckdb")
    args = ["demo", "--world", str(tmp_path / "w"), "--scale", "0.03", "--seed", "5", "--db", db]
    result = runner.invoke(app, [*args, "--no-serve"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Next:" in result.output and "defectradar stats" in result.output and "truth.json" in result.output
    data = json.loads(runner.invoke(app, [*args, "--json"], catch_exceptions=False).stdout)
    assert data["simulated"] is False and {r["status"] for r in data["ingests"]} == {"skipped"}


def test_demo_ends_by_serving_with_a_login(tmp_path, monkeypatch):
    """Issue 16: ``make demo`` ends by serving the dashboard on the demo store with a login that works."""
    import defectradar.cli.serve as serve_module
    from defectradar.accounts import account_for_password

    served = {}
    monkeypatch.setattr(serve_module, "run_server", lambda store, host, port, login=None: served.update(
        store=store, host=host, port=port, login=login))
    db = str(tmp_path / "demo.duckdb")
    args = ["demo", "--world", str(tmp_path / "w"), "--scale", "0.03", "--seed", "5", "--db", db, "--port", "8123"]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert served["port"] == 8123 and served["host"] == "127.0.0.1"
    name, password = served["login"]
    with served["store"].reader() as con:
        account = account_for_password(con, name, password)
    assert account is not None and account.role == "analyst"
