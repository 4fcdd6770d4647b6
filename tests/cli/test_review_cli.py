"""``review`` and ``model train --corrections`` through the real CLI: the analysts' feedback loop.

Most tests read the store with a small phone model trained here (``--model``), so which
reports the rules and the model disagree on is known; one runs the built-in model as users do.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from defectradar.cli.app import app
from defectradar.text.builtin import _training_files

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def strict_json(text: str):
    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps({"text": t, "failure_modes": m}, ensure_ascii=False) for t, m in rows),
                    encoding="utf-8")
    return path


def write_reports(path, texts, start=1):
    lines = ["id,created_at,text"] + [f'{i},2022-09-{i:02d},"{t}"' for i, t in enumerate(texts, start)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# A small phone model: it learnt that creaking (咯吱) is a build fault, and battery only from
# standby time (never a swollen battery, which the rules know).
SMALL_TRAINING = [("手机背面咯吱咯吱响", ["build"]), ("后盖一按就咯吱咯吱", ["build"]), ("中框咯吱咯吱的", ["build"]),
                  ("机身一握咯吱咯吱", ["build"]), ("待机时间太短", ["battery"]), ("耗电特别快", ["battery"]),
                  ("掉电很快，一天三充", ["battery"]), ("wifi连不上了", ["wifi"]), ("无线网老是断开", ["wifi"]),
                  ("WiFi打不开，开关是灰的", ["wifi"]), ("wifi信号一直断流", ["wifi"]), ("快递很快，包装完好", []),
                  ("客服态度很好", []), ("外观漂亮，很喜欢", []), ("物流给力，好评", [])]
CREAK = "手机背面咯吱咯吱响，按一下就响"
BATTERY = "电池鼓包了，才用半年"
MARKUP = "后盖咯吱咯吱 [bold]x[/] :battery:"
STORED = [CREAK, BATTERY, "快递很快，包装完好", "wifi打不开了，开关灰色", MARKUP, "手机用着挺好的"]


def small_world(tmp_path):
    model = tmp_path / "small-model"
    trained = run("model", "train", str(write_jsonl(tmp_path / "small.jsonl", SMALL_TRAINING * 2)),
                  "--label-col", "failure_modes", "--out", str(model))
    assert trained.exit_code == 0, trained.output
    db = str(tmp_path / "s.duckdb")
    ingested = run("ingest", str(write_reports(tmp_path / "reports.csv", STORED)), "--model", str(model), "--db", db)
    assert ingested.exit_code == 0, ingested.output
    return db, str(model)


def review_json(*args: str) -> dict:
    result = run("review", *args, "--json")
    assert result.exit_code == 0, result.output
    return strict_json(result.stdout)


def test_review_puts_disagreements_first_and_gives_the_label_command(tmp_path):
    db, model = small_world(tmp_path)
    found = review_json("--db", db, "--model", model)
    assert found["scanned"] == len(STORED) and len(found["candidates"]) == len(STORED)
    by_text = {c["text"]: c for c in found["candidates"]}
    # The model says build where the rules see nothing; the rules say battery, a mode the model lacks.
    assert by_text[CREAK]["reason"] == "disagreement" and "build" in by_text[CREAK]["model_modes"]
    assert "model: build" in by_text[CREAK]["why"] and "rules: nothing" in by_text[CREAK]["why"]
    assert by_text[BATTERY]["reason"] == "disagreement" and "battery" in by_text[BATTERY]["rule_modes"]
    assert "rules: battery, model 0." in by_text[BATTERY]["why"]
    reasons = [c["reason"] for c in found["candidates"]]
    assert reasons == sorted(reasons, key=lambda r: r != "disagreement")            # disagreements first
    for group in ("disagreement", "uncertain"):
        scores = [c["uncertainty"] for c in found["candidates"] if c["reason"] == group]
        assert scores == sorted(scores, reverse=True)                                  # then the least sure
    creak = by_text[CREAK]
    assert creak["command"] == f"defectradar label {creak['report_id']} --failure-modes " \
                               f"{','.join(creak['proposed_modes'])} --db {db}"
    assert "build" in creak["proposed_modes"]

    # The command it prints is one `label` accepts; the corrected report then leaves the list.
    labelled = run(*creak["command"].split()[1:])
    assert labelled.exit_code == 0, labelled.output
    after = review_json("--db", db, "--model", model)
    assert creak["report_id"] not in {c["report_id"] for c in after["candidates"]}
    assert after["scanned"] == len(STORED) - 1


def test_review_honours_mode_and_n(tmp_path):
    db, model = small_world(tmp_path)
    battery = review_json("--db", db, "--model", model, "--mode", "battery")
    assert battery["mode"] == "battery" and {c["mode"] for c in battery["candidates"]} == {"battery"}
    assert battery["candidates"][0]["text"] == BATTERY and battery["candidates"][0]["reason"] == "disagreement"
    assert all("build" not in c["why"] for c in battery["candidates"])
    two = review_json("--db", db, "--model", model, "--n", "2")
    assert len(two["candidates"]) == 2 and all(c["reason"] == "disagreement" for c in two["candidates"])
    assert len(review_json("--db", db, "--model", model, "--sample", "3")["candidates"]) <= 3


def test_review_table_prints_user_text_literally(tmp_path):
    db, model = small_world(tmp_path)
    shown = runner.invoke(app, ["review", "--db", db, "--model", model], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert "[bold]x[/]" in shown.stdout and ":battery:" in shown.stdout     # not markup, not an emoji
    assert "reports to review" in shown.stdout and "defectradar label " in shown.stdout
    assert f"--db {db}" in shown.stdout


def test_review_with_the_builtin_model(tmp_path):
    db = str(tmp_path / "b.duckdb")
    assert run("ingest", str(write_reports(tmp_path / "r.csv", STORED)), "--db", db).exit_code == 0
    found = review_json("--db", db, "--n", "3")
    assert found["classifier"].endswith("/builtin") and found["scanned"] == len(STORED)
    assert len(found["candidates"]) == 3
    assert all(0.0 <= c["uncertainty"] <= 1.0 and c["reason"] in ("disagreement", "uncertain")
               for c in found["candidates"])


def test_review_says_what_is_wrong_in_one_line(tmp_path):
    db, model = small_world(tmp_path)
    unknown = run("review", "--db", db, "--model", model, "--mode", "teleport")
    assert unknown.exit_code == 2 and "unknown failure mode 'teleport'" in unknown.output
    assert "Traceback" not in unknown.output and len(unknown.output.strip().splitlines()) == 1
    missing = run("review", "--db", str(tmp_path / "nothing.duckdb"))
    assert missing.exit_code == 1 and "no store at" in missing.output and "Traceback" not in missing.output
    assert run("review", "--db", db, "--n", "0").exit_code == 2

    # A store with nothing left to review (its only report corrected): one line, and empty JSON.
    empty = str(tmp_path / "empty.duckdb")
    assert run("ingest", str(write_reports(tmp_path / "one.csv", [CREAK])), "--model", model, "--db", empty).exit_code == 0
    report_id = review_json("--db", empty, "--model", model)["candidates"][0]["report_id"]
    assert run("label", report_id, "--failure-modes", "build", "--db", empty).exit_code == 0
    nothing = run("review", "--db", empty, "--model", model)
    assert nothing.exit_code == 0 and nothing.stdout.strip().splitlines() == [
        "nothing to review: 0 reports without an analyst's correction looked at, 0 of them about phones"]
    assert review_json("--db", empty, "--model", model)["candidates"] == []


# --- corrections move the model -------------------------------------------------------------

# Creaking (咯吱咯吱) as a build fault: a symptom word the shipped training data lacks.
CREAK_FAMILY = ["手机背面咯吱咯吱响，一按就响", "后盖按下去咯吱咯吱的", "用了三个月，机身一握就咯吱咯吱", "手机边框咯吱咯吱响，很烦",
                "拿起手机就咯吱咯吱的声音", "新手机中框咯吱咯吱", "屏幕边缘一压咯吱咯吱", "手机后壳松动了，咯吱咯吱"]
UNSEEN = ["刚买的手机右下角咯吱咯吱地响", "我的手机中间位置按一下咯吱咯吱"]


def base_training(path, every: int = 12):
    """Every ``every``-th line of the shipped hand-written phone training data: the built-in
    model's data in small, so the test trains in seconds."""
    lines = [line for f in _training_files() for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.write_text("\n".join(lines[::every]) + "\n", encoding="utf-8")
    return path


def model_build(model: str, text: str) -> str | None:
    """How ``classify --model`` labels ``text`` build: None, or the label's source."""
    result = run("classify", "--text", text, "--model", model, "--json")
    assert result.exit_code == 0, result.output
    return next((m["source"] for m in strict_json(result.stdout)["failure_modes"] if m["mode"] == "build"), None)


def test_a_handful_of_corrections_teaches_the_model_a_mode_it_missed(tmp_path):
    base = base_training(tmp_path / "base.jsonl")
    before, after = str(tmp_path / "before"), str(tmp_path / "after")
    db = str(tmp_path / "s.duckdb")
    assert run("model", "train", str(base), "--label-col", "failure_modes", "--out", before).exit_code == 0
    reports = write_reports(tmp_path / "reports.csv", CREAK_FAMILY + ["快递很快，包装完好"])
    assert run("ingest", str(reports), "--model", before, "--db", db).exit_code == 0
    # The model misses the family: what the store holds has no build from the model.
    for text in UNSEEN:
        assert model_build(before, text) in (None, "rule")

    ids = {c["text"]: c["report_id"] for c in review_json("--db", db, "--model", before)["candidates"]}
    for text in CREAK_FAMILY:
        recorded = run("label", ids[text], "--failure-modes", "build", "--analyst", "li", "--db", db)
        assert recorded.exit_code == 0, recorded.output

    trained = run("model", "train", str(base), "--label-col", "failure_modes", "--corrections", "--db", db,
                  "--out", after, "--json")
    assert trained.exit_code == 0, trained.output
    assert strict_json(trained.stdout)["examples"] == len(base.read_text(encoding="utf-8").splitlines()) + len(CREAK_FAMILY)
    # New texts of the family, never seen or corrected: the retrained model now labels them build.
    for text in UNSEEN:
        assert model_build(after, text) in ("model", "rule+model"), text


def test_corrections_from_a_store_without_any_warn(tmp_path):
    db, _ = small_world(tmp_path)
    data = write_jsonl(tmp_path / "more.jsonl", SMALL_TRAINING * 2)
    trained = run("model", "train", str(data), "--label-col", "failure_modes", "--corrections", "--db", db,
                  "--out", str(tmp_path / "m"))
    assert trained.exit_code == 0 and "holds no analyst corrections" in trained.output
    missing = run("model", "train", "--corrections", "--db", str(tmp_path / "none.duckdb"), "--out",
                  str(tmp_path / "m2"))
    assert missing.exit_code == 1 and "no store at" in missing.output
