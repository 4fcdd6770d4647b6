"""One writer (STYLE.md habit 14): no module outside ``store/`` issues INSERT, UPDATE or DELETE.

Writes go through :mod:`defectradar.store.writer` (``append``, ``insert_rows``, ``update_rows``,
``delete_rows`` ...), so what may change the store is one module to read.  The scan reads the
string literals of every module's syntax tree (f-strings and implicitly joined literals
included; docstrings and comments left out), so a statement split over several literals is
still seen, and prose that merely mentions a word is not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from defectradar.store import writer

SRC = Path(__file__).resolve().parents[2] / "src" / "defectradar"

# A statement that changes a table: INSERT [OR ...] INTO, UPDATE t SET, DELETE FROM.
_WRITE = re.compile(r"\b(insert\s+(?:or\s+\w+\s+)?into|update\s+[\w\"'.{}$]+\s+set|delete\s+from)\b", re.I)

# Writes allowed outside store/: (path under src/defectradar, statement start) -> why.  Keep it
# short; a new entry needs a reason the writer cannot serve.
ALLOWED: dict[tuple[str, str], str] = {
    # Schema upkeep, not data: records which view definitions are installed (store_meta), in the
    # migrations' transaction, as store/migrate.py records a migration.
    ("backends/duckdb.py", "INSERT OR REPLACE INTO"): "install_views records the views' fingerprint",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):   # f"UPDATE {table} SET ...": the placeholders read as a name
        return "".join(v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values)
    return None


def write_statements(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """``(line, statement start)`` of every SQL write in the string literals of ``source``."""
    tree = ast.parse(source, filename=filename)
    skip = _docstrings(tree)
    # An f-string is read whole; its literal parts alone would be read twice.
    skip.update(id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        text = _literal(node)
        if text is None:
            continue
        for match in _WRITE.finditer(text):
            found.append((node.lineno + text.count("\n", 0, match.start()), " ".join(match.group(0).split())))
    return sorted(found)


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] != "store")


def test_no_module_outside_store_writes_sql():
    problems = []
    for path in _modules():
        relative = path.relative_to(SRC).as_posix()
        for line, statement in write_statements(path.read_text(encoding="utf-8"), str(path)):
            if (relative, statement) not in ALLOWED:
                problems.append(f"src/defectradar/{relative}:{line}: {statement} ...")
    assert not problems, ("these modules write the store themselves; use defectradar.store.writer "
                          "(insert_rows, update_rows, delete_rows, append ...) instead:\n" + "\n".join(problems))


def test_allow_list_names_writes_that_still_exist():
    for relative, statement in ALLOWED:
        path = SRC / relative
        found = write_statements(path.read_text(encoding="utf-8")) if path.is_file() else []
        assert statement in {s for _, s in found}, \
            f"{relative} no longer issues {statement}; take it off ALLOWED"


def test_the_scan_sees_writes_in_any_spelling_and_ignores_prose():
    source = '''
"""Module docstring: INSERT INTO reports is only mentioned here."""
def f(con, table):
    """Docstring: DELETE FROM users."""
    # a comment: UPDATE users SET x = 1
    con.execute("insert into label_events VALUES (?)", [1])
    con.execute(f"UPDATE {table} SET status = ?", ["x"])
    con.execute("DELETE "
                "FROM users WHERE name = ?", ["a"])
    con.execute("""
        INSERT OR REPLACE INTO alerts SELECT 1""")
    note = "Update: the last update made it buggy; delete the app"
    return note
'''
    assert write_statements(source) == [(6, "insert into"), (7, "UPDATE {x} SET"), (8, "DELETE FROM"),
                                        (11, "INSERT OR REPLACE INTO")]


# -- the writer's small-write functions ----------------------------------------------------

@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE users (name VARCHAR, role VARCHAR, revoked_at TIMESTAMP)")
    yield con
    con.close()


def test_insert_update_delete_rows(con):
    assert writer.insert_rows(con, "users", [("ada", "admin", None), ("bo", "analyst", None)]) == 2
    assert writer.insert_rows(con, "users", [("cy", "viewer")], columns=["name", "role"]) == 1
    assert writer.insert_rows(con, "users", []) == 0
    writer.update_rows(con, "users", {"role": "admin"}, where={"name": "bo"})
    writer.delete_rows(con, "users", {"name": "ada"})
    assert con.execute("SELECT name, role FROM users ORDER BY name").fetchall() == [("bo", "admin"), ("cy", "viewer")]


def test_small_writes_refuse_what_is_not_a_store_table_or_column(con):
    with pytest.raises(ValueError, match="'people' is not a store table"):
        writer.insert_rows(con, "people", [("a",)])
    with pytest.raises(ValueError, match="column names must be lower-case identifiers"):
        writer.update_rows(con, "users", {"role = 'admin'; --": 1}, where={"name": "a"})
    with pytest.raises(ValueError, match="never updates or deletes a whole table"):
        writer.delete_rows(con, "users", {})
    with pytest.raises(ValueError, match="every row must give 3 values"):
        writer.insert_rows(con, "users", [("a", "b", None), ("c",)])
