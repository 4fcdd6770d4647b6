"""Every setting and every command is documented where users look for it."""

from __future__ import annotations

import re

import typer

from conftest import REPO
from defectradar.cli.app import app
from defectradar.config import SETTINGS


def test_every_setting_is_in_the_configuration_guide():
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [s.env_var for s in SETTINGS if f"`{s.env_var}`" not in text]
    assert not missing


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert names and all(f"defectradar {name}" in readme for name in names), names
    assert "make demo" in readme and "make test" in readme


def test_every_format_is_in_the_formats_guide():
    import defectradar.ingest.pipeline  # noqa: F401 - registers formats
    from defectradar.ingest.formats import FORMATS

    text = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in text for name in FORMATS)


def _leaf_commands(group, prefix=""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _leaf_commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_the_readme_names_exactly_the_commands_without_db():
    """Issue 13: the README said every command takes --db while nine refused it.  The sentence
    now lists the commands that work on files alone; this keeps it true as commands change."""
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    sentence = re.search(r"work on files alone do not take it: (.*?)\. ", readme)
    assert sentence, "README lost its sentence on which commands take --db"
    listed = set(re.findall(r"`([^`]+)`", sentence.group(1)))
    without_db = {path for path, command in _leaf_commands(typer.main.get_command(app))
                  if not any(p.name == "db" for p in command.params)}
    assert listed == without_db
