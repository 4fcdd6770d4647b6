"""Progress: a Rich bar on a terminal, nothing when output is piped."""

from __future__ import annotations

import io

from rich.console import Console

from defectradar.cli import common
from defectradar.ingest.pipeline import ingest_file


def _ingest_with(console: Console, store, path) -> str:
    original = common.err
    common.err = console
    try:
        ingest_file(store, path, progress=common.RichProgress("bytes"))
    finally:
        common.err = original
    return console.file.getvalue()


def test_quiet_when_piped(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,created_at,text\n" + "".join(f"{i},2022-09-21,t{i}\n" for i in range(50)))
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert _ingest_with(piped, store, path) == ""


def test_bar_with_rows_per_second_on_a_terminal(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,created_at,text\n" + "".join(f"{i},2022-09-21,t{i}\n" for i in range(50)))
    terminal = Console(file=io.StringIO(), force_terminal=True, width=120)
    shown = _ingest_with(terminal, store, path)
    assert "c.csv" in shown and "rows" in shown
