"""``classify`` and ``model eval`` through the real shell (issue 13): user text printed literally,
``--id-col`` carried to the output, the first model load announced, macro-F1 over labels with support."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app
from defectradar.text import builtin

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def strict_json(text: str):
    """json.loads refusing NaN and Infinity, which are not JSON."""
    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_classify_prints_user_text_literally():
    """Rich read ``:BATTERY:`` as an emoji code and ``[bold]`` as markup."""
    text = "ELECTRICAL SYSTEM:BATTERY:CABLES melted [bold]x[/] :fire:"
    result = run("classify", "--text", text)
    assert result.exit_code == 0, result.output
    assert "🔋" not in result.stdout and "🔥" not in result.stdout
    assert "[bold]x[/]" in result.stdout and ":fire:" in result.stdout
    assert strict_json(run("classify", "--text", text, "--json").stdout)["text"] == text


def test_classify_file_carries_the_id_column(tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_text('odino,cdescr\n11438408,"battery [b]swelled[/] :battery:"\n,wifi keeps dropping\n'
                    "10667633,screen cracked\n", encoding="utf-8")
    rows = strict_json(run("classify", path, "--text-col", "cdescr", "--id-col", "odino", "--json").stdout)
    assert [r["id"] for r in rows] == ["11438408", None, "10667633"]
    assert [r["text"] for r in rows][0] == "battery [b]swelled[/] :battery:"
    table = run("classify", path, "--text-col", "cdescr", "--id-col", "odino")
    assert table.exit_code == 0, table.output
    assert "11438408" in table.stdout and "10667633" in table.stdout       # whole, not cut to "114384…"
    assert table.stdout.splitlines()[2].split("┃")[1].strip() == "id"
    assert "🔋" not in table.stdout


@pytest.mark.parametrize("args, message", [
    (["--id-col", "nope"], "no column 'nope'"),
    (["--text", "x", "--id-col", "odino"], "--id-col names a column of a FILE"),
])
def test_classify_id_col_bad_input(tmp_path, args, message):
    path = tmp_path / "c.csv"
    path.write_text("odino,text\n1,battery\n", encoding="utf-8")
    result = run("classify", *([] if "--text" in args else [path]), *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_first_classify_says_it_trains_the_model(tmp_path, monkeypatch):
    """Training the built-in model on first use takes seconds: one line on stderr when piped."""
    monkeypatch.setenv("DEFECTRADAR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(builtin, "_loaded", {})         # nothing in memory either: a first use
    first = run("classify", "--text", "battery swelled", "--json")
    assert first.exit_code == 0, first.output
    assert "training the built-in phone classifier" in first.stderr
    assert strict_json(first.stdout)["failure_modes"]              # stdout stays pure JSON
    again = run("classify", "--text", "battery swelled", "--json")
    assert again.exit_code == 0 and "training" not in again.stderr   # cached: loading is quick and quiet


def test_model_eval_macro_over_labels_with_support(tmp_path):
    """16 phone modes, 3 with test examples: the macro average is over those 3 (it was 3/16 of it)."""
    data = tmp_path / "labelled.csv"
    data.write_text("text,label\nbattery swelled up,battery\nwifi keeps dropping,wifi\ndelivery was fast,\n"
                    "screen cracked,display\n", encoding="utf-8")
    result = strict_json(run("model", "eval", data, "--json").stdout)
    supported = [c for c in result["classes"] if c["support"]]
    assert len(supported) == 3 and len(result["classes"]) > 3
    assert result["macro"]["f1"] == pytest.approx(sum(c["f1"] for c in supported) / 3)
    assert set(result["labels_without_support"]) == {c["label"] for c in result["classes"] if not c["support"]}
    shown = run("model", "eval", data)
    assert shown.exit_code == 0 and "macro avg (3 labels)" in shown.stdout


def test_model_eval_json_has_no_nan(tmp_path):
    """No text without a label: no-label accuracy is undefined, null in JSON (it was NaN)."""
    data = tmp_path / "labelled.csv"
    data.write_text("text,label\nbattery swelled up,battery\n", encoding="utf-8")
    result = run("model", "eval", data, "--json")
    assert result.exit_code == 0, result.output
    assert strict_json(result.stdout)["no_label"] == {"support": 0, "accuracy": None}
