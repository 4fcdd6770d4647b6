"""classify, model train|eval, label and reclassify through the real CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_classify_text_and_file(tmp_path):
    one = run("classify", "--text", "小米11又烧主板了，返厂三次，资料全没了", "--json")
    assert one.exit_code == 0, one.output
    result = json.loads(one.stdout)
    assert result["products"][0]["product_id"] == "xiaomi-11" and result["repeat_repairs"] == 3
    assert [m["mode"] for m in result["failure_modes"]] == ["motherboard"]

    path = tmp_path / "posts.csv"
    path.write_text("body\nMy Mi 11 Pro WiFi greyed out again after the 2nd repair\n快递很快\n电池鼓包了\n", encoding="utf-8")
    many = json.loads(run("classify", str(path), "--text-col", "body", "--json").stdout)
    assert [r["text"] for r in many] == ["My Mi 11 Pro WiFi greyed out again after the 2nd repair", "快递很快", "电池鼓包了"]
    assert [[m["mode"] for m in r["failure_modes"]] for r in many][1:] == [[], ["battery"]]
    assert "motherboard" in run("classify", "--text", "手机烧主板了").stdout


def test_classify_bad_input(tmp_path):
    assert run("classify").exit_code == 2
    path = tmp_path / "x.csv"
    path.write_text("content\nhello\n")
    missing = run("classify", str(path))
    assert missing.exit_code == 2 and "no column 'text'" in missing.output and "--text-col" in missing.output


def test_model_train_and_eval_for_another_taxonomy(tmp_path):
    rows = [("brakes squeal when stopping", "brakes"), ("brake pedal sinks", "brakes"), ("abs light and brakes grab", "brakes"),
            ("brakes grind", "brakes"), ("soft brake pedal", "brakes"), ("engine stalls at idle", "engine"),
            ("engine knocks uphill", "engine"), ("check engine light, rough idle", "engine"), ("engine won't start", "engine"),
            ("engine overheats", "engine"), ("brakes and engine both failed", "brakes|engine")]
    data = tmp_path / "vehicle.csv"
    data.write_text("complaint,component\n" + "".join(f'"{t}",{l}\n' for t, l in rows * 2), encoding="utf-8")
    out = tmp_path / "vehicle-model"
    trained = run("model", "train", str(data), "--text-col", "complaint", "--label-col", "component", "--out", str(out), "--json")
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["classes"] == ["brakes", "engine"]
    evaluated = json.loads(run("model", "eval", str(data), "--model", str(out), "--text-col", "complaint",
                               "--label-col", "component", "--json").stdout)
    assert {c["label"] for c in evaluated["classes"]} == {"brakes", "engine"}
    assert evaluated["macro"]["f1"] > 0.8 and set(evaluated["micro"]) == {"precision", "recall", "f1"}
    classified = json.loads(run("classify", "--text", "the brakes squeal", "--model", str(out), "--json").stdout)
    assert classified["failure_modes"][0]["mode"] == "brakes"
    assert "macro avg" in run("model", "eval", str(data), "--model", str(out), "--text-col", "complaint",
                              "--label-col", "component").stdout
    no_data = run("model", "train", "--out", str(tmp_path / "none"))
    assert no_data.exit_code == 2 and "no training data" in no_data.output


def test_builtin_eval_without_model(tmp_path):
    data = tmp_path / "phones.jsonl"
    data.write_text("\n".join(json.dumps({"text": t, "label": l}, ensure_ascii=False) for t, l in [
        ("小米11 WiFi打不开了", ["wifi"]), ("电池鼓包了", ["battery"]), ("快递很快", [])]), encoding="utf-8")
    result = json.loads(run("model", "eval", str(data), "--json").stdout)
    assert result["examples"] == 3 and result["no_label"]["support"] == 1


def test_label_and_reclassify(tmp_path):
    db = str(tmp_path / "s.duckdb")
    path = tmp_path / "c.csv"
    path.write_text("id,created_at,text\n1,2022-09-21,手机屏幕有绿线\n", encoding="utf-8")
    assert run("ingest", str(path), "--db", db).exit_code == 0
    stats = json.loads(run("stats", "--db", db, "--json").stdout)
    assert stats["tables"]["reports"] == 1
    from defectradar.config import load_settings
    from defectradar.store.connect import Store
    with Store(db, load_settings(db=db)).reader() as con:
        report_id = con.execute("SELECT report_id FROM reports").fetchone()[0]
    labelled = run("label", report_id, "--failure-modes", "display,build", "--product", "iphone-12", "--analyst", "wang",
                   "--db", db, "--json")
    assert labelled.exit_code == 0, labelled.output
    assert json.loads(labelled.stdout)["fields"] == {"failure_modes": ["build", "display"], "product_id": "iphone-12"}
    bad = run("label", report_id, "--failure-modes", "teleport", "--db", db)
    assert bad.exit_code == 2 and "unknown failure modes" in bad.output
    relabel = json.loads(run("reclassify", "--db", db, "--json").stdout)
    assert relabel["reports"] == 1 and relabel["corrected"] == 1
    with Store(db, load_settings(db=db)).reader() as con:
        assert con.execute("SELECT failure_modes FROM reports_labelled").fetchone()[0] == ["build", "display"]
