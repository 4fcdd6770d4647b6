"""Accounts of the web dashboard and the REST API: roles, hashed passwords and API keys.

Three roles, each holding the rights of the one before it:

* ``viewer`` reads everything;
* ``analyst`` also relabels reports, acts on alerts and uploads files to ingest;
* ``admin`` also manages accounts.

A password is kept as an scrypt hash (:func:`hashlib.scrypt`, salted, n=2**14, r=8, p=1: the
parameters OWASP's password storage cheat sheet gives for scrypt); an API key is 256 random
bits, kept as its SHA-256, which is enough for a key nobody chose and lets a request's key be
looked up by its hash.  Neither is ever stored or printed again after :func:`create_user`.

Examples
--------
>>> account = create_user(store, "lin", "analyst")          # doctest: +SKIP
>>> account.api_key                                          # doctest: +SKIP
'dr_...'
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import asdict, dataclass

import duckdb

from defectradar.core.dates import utc_now
from defectradar.errors import InputError
from defectradar.store import writer
from defectradar.store.connect import Store

ROLES = ("viewer", "analyst", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
KEY_PREFIX = "dr_"


@dataclass(frozen=True)
class Account:
    """Who is asking: an account's name and role (never its secrets)."""

    name: str
    role: str

    def can(self, role: str) -> bool:
        """True when this account holds ``role``'s rights (an admin can do what an analyst can)."""
        return _RANK[self.role] >= _RANK[role]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NewAccount:
    """What :func:`create_user` hands out once: the password and the API key in clear."""

    name: str
    role: str
    password: str
    api_key: str

    def to_dict(self) -> dict:
        return asdict(self)


def check_role(role: str) -> str:
    if role not in _RANK:
        raise InputError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InputError(f"account name {name!r} is not usable; use 1-64 letters, digits, '_', '.', '@' or '-'")
    return name


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got.hex(), digest)


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _new_secrets() -> tuple[str, str]:
    password = secrets.token_urlsafe(12)
    api_key = KEY_PREFIX + secrets.token_urlsafe(32)
    return password, api_key


def create_user(store: Store, name: str, role: str, *, created_by: str | None = None,
                replace: bool = False) -> NewAccount:
    """Make an account and return its one-time password and API key.

    An existing live account of that name is refused unless ``replace`` (then its password and
    key are replaced, as ``make demo`` does for its demo login); a revoked one is replaced.
    """
    check_name(name)
    check_role(role)
    password, api_key = _new_secrets()
    with store.writer() as con:
        row = con.execute("SELECT revoked_at FROM users WHERE name = ?", [name]).fetchone()
        if row is not None and row[0] is None and not replace:
            raise InputError(f"account {name!r} exists; revoke it first (`defectradar users revoke {name}`) "
                             "or pick another name")
        writer.delete_rows(con, "users", {"name": name})
        writer.insert_rows(con, "users", [[name, role, hash_password(password), key_hash(api_key), api_key[:8],
                                           utc_now(), created_by, None]])
    return NewAccount(name=name, role=role, password=password, api_key=api_key)


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every account with its role, key hint and dates; never a hash."""
    rows = con.execute("SELECT name, role, api_key_hint, created_at, created_by, revoked_at FROM users "
                       "ORDER BY name").fetchall()
    return [{"name": n, "role": r, "api_key_hint": h, "created_at": c, "created_by": b, "revoked_at": v,
             "active": v is None} for n, r, h, c, b, v in rows]


def revoke_user(store: Store, name: str) -> dict:
    """Stop an account's password and key from working; its past actions keep its name."""
    with store.writer() as con:
        row = con.execute("SELECT revoked_at FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            raise InputError(f"no account {name!r}; see `defectradar users list`")
        if row[0] is not None:
            raise InputError(f"account {name!r} was already revoked on {row[0]:%Y-%m-%d}")
        writer.update_rows(con, "users", {"revoked_at": utc_now()}, where={"name": name})
    return {"name": name, "revoked": True}


def account_for_password(con: duckdb.DuckDBPyConnection, name: str, password: str) -> Account | None:
    """The live account ``name`` if ``password`` is its password, else None."""
    row = con.execute("SELECT role, password_hash FROM users WHERE name = ? AND revoked_at IS NULL",
                      [name]).fetchone()
    if row is None:
        # The same work as a real check, so that timing does not tell which names exist.
        password_matches(password, hash_password("x", b"0" * 16))
        return None
    return Account(name, row[0]) if password_matches(password, row[1]) else None


def account_for_key(con: duckdb.DuckDBPyConnection, api_key: str) -> Account | None:
    """The live account whose API key is ``api_key``, else None."""
    if not api_key.startswith(KEY_PREFIX):
        return None
    row = con.execute("SELECT name, role FROM users WHERE api_key_hash = ? AND revoked_at IS NULL",
                      [key_hash(api_key)]).fetchone()
    return Account(row[0], row[1]) if row else None
