"""The per-store pseudonymisation key: created on first use, kept outside the database.

The key lives in ``<key_dir>/<store_id>.key`` (mode 0600) unless ``DEFECTRADAR_SECRET`` is
set.  The store records only a fingerprint of it, so a wrong or lost key is caught before any
token is written: mixing tokens from two keys would silently split every device in two.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

import duckdb

from defectradar.config import Settings
from defectradar.errors import SecretError


def key_fingerprint(key: bytes) -> str:
    return hmac.new(key, b"defectradar key check v1", hashlib.sha256).hexdigest()[:16]


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM store_meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def store_id(con: duckdb.DuckDBPyConnection) -> str:
    """The store's stable id, created on first call (needs a write transaction)."""
    existing = _meta(con, "store_id")
    if existing:
        return existing
    new_id = str(uuid.uuid4())
    con.execute("INSERT INTO store_meta VALUES ('store_id', ?)", [new_id])
    return new_id


def key_path(settings: Settings, the_store_id: str) -> Path:
    return Path(settings.key_dir).expanduser() / f"{the_store_id}.key"


def resolve_key(con: duckdb.DuckDBPyConnection, settings: Settings) -> bytes:
    """The store's key, created if this is the store's first write.

    Raises
    ------
    SecretError
        When the key is missing or differs from the one the store was started with.
    """
    the_id = store_id(con)
    recorded = _meta(con, "key_fingerprint")
    path = key_path(settings, the_id)
    if settings.secret is not None:
        key = settings.secret.encode("utf-8")
        if len(key) < 16:
            raise SecretError("DEFECTRADAR_SECRET must be at least 16 characters long")
        origin = "DEFECTRADAR_SECRET"
    elif path.exists():
        try:
            key = bytes.fromhex(path.read_text().strip())
        except (OSError, ValueError) as exc:
            raise SecretError(f"cannot read the store key {path}: {exc}") from None
        origin = str(path)
    elif recorded is None:
        key = secrets.token_bytes(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex() + "\n")
        origin = str(path)
    else:
        raise SecretError(
            f"the pseudonymisation key of this store (id {the_id}) is not at {path}; restore that "
            "file or set DEFECTRADAR_SECRET to the secret the store was created with"
        )
    fingerprint = key_fingerprint(key)
    if recorded is None:
        con.execute("INSERT INTO store_meta VALUES ('key_fingerprint', ?)", [fingerprint])
    elif recorded != fingerprint:
        raise SecretError(
            f"the key from {origin} is not the one this store (id {the_id}) was created with; "
            "tokens would no longer link to earlier records. Use the original key"
        )
    return key
