"""The CLI's safety net: an OSError no check foresaw is one red line and exit code 1, never a traceback."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()
CASE = {"device": {"product": "Mi 11", "purchase_date": "2021-10-20", "jurisdiction": "CN"}, "events": []}


def test_an_unforeseen_os_error_is_one_line_naming_the_file(tmp_path, monkeypatch):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE), "utf-8")

    def disk_gone(*args, **kwargs):
        raise OSError(5, "Input/output error", "/mnt/usb/rules.yaml")

    monkeypatch.setattr("defectradar.cli.remedies.read_case_file", disk_gone)
    result = runner.invoke(app, ["remedies", "check", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.output.strip() == "error: /mnt/usb/rules.yaml: Input/output error"


def test_an_os_error_without_a_file_and_one_with_two(monkeypatch):
    def no_file(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("defectradar.cli.policies._book", no_file)
    result = runner.invoke(app, ["policies", "list"])
    assert result.exit_code == 1 and result.output.strip() == "error: Permission denied"

    def two_files(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link", "/a/model", None, "/b/model")

    monkeypatch.setattr("defectradar.cli.policies._book", two_files)
    result = runner.invoke(app, ["policies", "list"])
    assert result.exit_code == 1 and result.output.strip() == "error: /a/model -> /b/model: Invalid cross-device link"
