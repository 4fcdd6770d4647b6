"""Accounts: `users create/list/revoke` through the shell, stored hashed, revocation takes effect."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from defectradar.accounts import account_for_key, account_for_password, create_user, password_matches
from defectradar.cli.app import app

runner = CliRunner()


def test_users_create_prints_secrets_once_and_stores_hashes(tmp_path, store):
    db = str(store.path)
    result = runner.invoke(app, ["users", "create", "lin", "--role", "analyst", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert set(made) == {"name", "role", "password", "api_key"} and made["role"] == "analyst"
    with store.reader() as con:
        stored = con.execute("SELECT * FROM users").fetchall()
        text = repr(stored)
        assert made["password"] not in text and made["api_key"] not in text
        assert account_for_password(con, "lin", made["password"]).role == "analyst"
        assert account_for_password(con, "lin", "wrong") is None
        assert account_for_key(con, made["api_key"]).name == "lin"
    listed = json.loads(runner.invoke(app, ["users", "list", "--db", db, "--json"]).stdout)
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [("lin", "analyst", True)]
    assert "password" not in json.dumps(listed) or "password_hash" not in json.dumps(listed)


def test_a_second_create_of_a_live_name_is_refused_with_advice(store):
    create_user(store, "lin", "viewer")
    result = runner.invoke(app, ["users", "create", "lin", "--db", str(store.path)])
    assert result.exit_code == 2 and "revoke it first" in result.output


def test_bad_role_and_bad_name_are_refused(store):
    bad_role = runner.invoke(app, ["users", "create", "lin", "--role", "boss", "--db", str(store.path)])
    assert bad_role.exit_code == 2 and "viewer, analyst, admin" in bad_role.output
    bad_name = runner.invoke(app, ["users", "create", "<b>", "--db", str(store.path)])
    assert bad_name.exit_code == 2 and "not usable" in bad_name.output


def test_revoke_stops_the_password_and_the_key(store):
    made = create_user(store, "lin", "admin")
    result = runner.invoke(app, ["users", "revoke", "lin", "--db", str(store.path)])
    assert result.exit_code == 0
    with store.reader() as con:
        assert account_for_password(con, "lin", made.password) is None
        assert account_for_key(con, made.api_key) is None
    again = runner.invoke(app, ["users", "revoke", "lin", "--db", str(store.path)])
    assert again.exit_code == 2 and "already revoked" in again.output
    missing = runner.invoke(app, ["users", "revoke", "nobody", "--db", str(store.path)])
    assert missing.exit_code == 2 and "no account" in missing.output


def test_scrypt_hash_round_trip_and_salt():
    """Hashes of one password differ (salted) and each verifies; the format names its parameters."""
    from defectradar.accounts import hash_password

    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert password_matches("s3cret", first) and password_matches("s3cret", second)
    assert not password_matches("S3cret", first) and not password_matches("s3cret", "garbage")
