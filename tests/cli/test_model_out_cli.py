"""``model train --out``: never deletes a user's files, replaces a model whole, one line when it cannot write."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()

ROWS = [("brakes squeal when stopping", "brakes"), ("brake pedal sinks", "brakes"), ("abs light and brakes grab", "brakes"),
        ("brakes grind", "brakes"), ("soft brake pedal", "brakes"), ("engine stalls at idle", "engine"),
        ("engine knocks uphill", "engine"), ("check engine light, rough idle", "engine"), ("engine won't start", "engine"),
        ("engine overheats", "engine")]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "vehicle.csv"
    path.write_text("text,label\n" + "".join(f'"{t}",{label}\n' for t, label in ROWS * 2), encoding="utf-8")
    return path


@pytest.fixture
def engine_only(tmp_path):
    """Other labels, so a replaced model can be told from the old one."""
    path = tmp_path / "other.csv"
    rows = [(t, "noise" if i % 2 else "stall") for i, (t, _) in enumerate(ROWS)]
    path.write_text("text,label\n" + "".join(f'"{t}",{label}\n' for t, label in rows * 2), encoding="utf-8")
    return path


def train(data, out):
    return runner.invoke(app, ["model", "train", str(data), "--out", str(out), "--json"])


def _one_line(result, *needles):
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in result.output, result.output


def test_a_folder_holding_a_users_files_is_refused_and_kept(tmp_path, data):
    out = tmp_path / "work"
    out.mkdir()
    (out / "report.docx").write_bytes(b"three weeks of work")
    (out / "model.json").write_text("{}")               # even next to a model file
    result = train(data, out)
    assert result.exit_code == 2
    _one_line(result, str(out), "report.docx", "not a model")
    assert (out / "report.docx").read_bytes() == b"three weeks of work"
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "report.docx"]


def test_a_model_folder_is_replaced_whole(tmp_path, data, engine_only):
    out = tmp_path / "model"
    assert train(data, out).exit_code == 0
    assert json.loads((out / "model.json").read_text())["classes"] == ["brakes", "engine"]
    result = train(engine_only, out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "model.json").read_text())["classes"] == ["noise", "stall"]
    assert sorted(p.name for p in out.iterdir()) == ["model.joblib", "model.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []      # nothing left beside it


def test_an_empty_folder_takes_a_model(tmp_path, data):
    out = tmp_path / "empty"
    out.mkdir()
    assert train(data, out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["model.joblib", "model.json"]


def test_a_failed_save_leaves_the_old_model_whole(tmp_path, data, engine_only, monkeypatch):
    out = tmp_path / "model"
    assert train(data, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(args[1]))

    monkeypatch.setattr("defectradar.text.model.joblib.dump", full_disk)
    result = train(engine_only, out)
    assert result.exit_code != 0
    _one_line(result, "No space left on device")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("where", ["/proc/x", "file"])
def test_nowhere_to_write_is_one_line(tmp_path, data, where):
    out = tmp_path / "a.txt" if where == "file" else where
    if where == "file":
        out.write_text("keep me")
    result = train(data, out)
    assert result.exit_code == 2
    _one_line(result, str(out))
    if where == "file":
        assert out.read_text() == "keep me"
