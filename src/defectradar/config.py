"""Typed settings: one registry of every knob, its default and its help.

Each setting can be overridden by an environment variable ``DEFECTRADAR_<NAME>``
(upper case).  Command-line flags override the environment.  Values are parsed
and validated when :func:`load_settings` runs, so a bad value fails at start-up
with a message naming the variable, never deep inside an ingest.

The registry is also the documentation source: ``docs/configuration.md`` lists
every setting, and a test checks that nothing is missing there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from defectradar.errors import ConfigError

ENV_PREFIX = "DEFECTRADAR_"


def _default_key_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "defectradar" / "keys")


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "defectradar")


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be a positive number")
    return number


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from exc
    return value


def _region(value: str) -> str:
    import phonenumbers  # only to check the code

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a region code libphonenumber knows (use e.g. CN, US, DE)")
    return code


def _backend(value: str) -> str:
    name = value.strip().lower()
    if name not in ("duckdb", "pyspark"):
        raise ValueError("must be duckdb or pyspark")
    return name


def _handles(value: str) -> tuple[str, ...]:
    return tuple(h.strip().lstrip("@") for h in value.split(",") if h.strip())


def _memory(value: str) -> str:
    text = value.strip().upper().replace(" ", "")
    digits = text.rstrip("KMGTIB")
    if not digits or not digits.replace(".", "", 1).isdigit():
        raise ValueError("must be a size such as 512MB or 2GB")
    return text


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, default (as text), parser and help."""

    name: str
    default: str | None
    parse: Callable[[str], Any]
    help: str

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "defectradar.duckdb", str,
            "Path of the DuckDB store file. `--db PATH` on any command overrides it."),
    Setting("secret", None, str,
            "Key for pseudonymisation tokens (HMAC-SHA256). When unset, a random key is "
            "created for each store on first use and kept in `key_dir`, outside the database file."),
    Setting("key_dir", None, str,
            "Folder holding per-store pseudonymisation keys (default: "
            "`$XDG_DATA_HOME/defectradar/keys`, i.e. `~/.local/share/defectradar/keys`)."),
    Setting("cache_dir", None, str,
            "Folder for things defectradar can rebuild, such as the built-in classifier trained on first "
            "use (default: `$XDG_CACHE_HOME/defectradar`, i.e. `~/.cache/defectradar`)."),
    Setting("catalog", None, str,
            "Product catalog YAML used instead of the built-in one (`--catalog` overrides it)."),
    Setting("taxonomy", None, str,
            "Failure-mode taxonomy YAML used instead of the built-in one (`--taxonomy` overrides it)."),
    Setting("rules_dir", None, str,
            "Folder of extra remedy rule set YAML files (laws, policies); a file with a built-in id replaces it."),
    Setting("lock_timeout", "60", _positive_float,
            "Seconds a command waits for another process that holds the store before giving up."),
    Setting("batch_rows", "100000", _positive_int,
            "Rows per ingest transaction. Each batch is committed on its own, so a crash loses "
            "at most the batch in flight (which a rerun then completes)."),
    Setting("max_text_chars", "100000", _positive_int,
            "Longest text accepted in one field; longer rows are quarantined."),
    Setting("max_record_lines", "200", _positive_int,
            "Most lines one quoted field of a delimited file may span. A quote still open after "
            "that many lines (or at the end of the file) is taken for a stray quote: its row is "
            "quarantined on its own line and reading resumes at the next line."),
    Setting("phone_region", "CN", _region,
            "Region (ISO 3166 code) of phone numbers written without a country code, for finding and "
            "tokenising them; NHTSA files always use US."),
    Setting("timezone", "UTC", _timezone,
            "Time zone assumed for dates without one in generic files (`--tz` overrides per ingest). "
            "Weibo files default to Asia/Shanghai and NHTSA files to America/New_York."),
    Setting("memory_limit", "512MB", _memory,
            "Memory DuckDB may use for one command (e.g. 512MB, 4GB)."),
    Setting("ingest_memory_limit", "256MB", _memory,
            "Memory DuckDB may use while ingesting. Appends need little; a low cap keeps an ingest's "
            "peak memory flat whatever the file or store size."),
    Setting("public_handles", "小米公司,小米手机,小米客服,XiaomiChina,Xiaomi,RedmiChina,华为终端,荣耀手机,OPPO,vivo,三星手机,Apple",
            _handles,
            "Comma-separated @handles of organisations that stay readable in post texts; every "
            "other @mention is replaced by a token."),
    Setting("query_timeout", "20", _positive_float,
            "Seconds one web or API request may spend reading the store; a longer query is stopped and "
            "answered with a message asking for narrower filters."),
    Setting("max_body_bytes", "1048576", _positive_int,
            "Largest request body the server accepts, other than a file upload (bytes)."),
    Setting("max_upload_bytes", "268435456", _positive_int,
            "Largest file the server accepts for upload to ingest (bytes)."),
    Setting("rate_limit", "6000", _positive_int,
            "Requests per minute the server answers for one account (API key or browser session), and "
            "separately for one client address; more are answered 429 with Retry-After."),
    Setting("session_hours", "12", _positive_float,
            "Hours a browser login lasts. Sessions are signed with a key made when the server starts, so a "
            "restart logs everyone out."),
    Setting("backend", "duckdb", _backend,
            "Engine for analytic commands and the server's analytic reads: duckdb (the store file) or pyspark "
            "(a Parquet export written by `defectradar export parquet DIR`, read by Spark; --db names the "
            "export folder or URI)."),
    Setting("spark_data", None, str,
            "The server's Parquet export (folder or URI, from `defectradar export parquet DIR`) that Spark reads "
            "when the server runs with backend pyspark; the store (--db) still holds accounts, alerts and uploads."),
    Setting("spark_master", "local[*]", str,
            "Spark master URL for --backend pyspark: local[*] (every core of this machine), spark://host:7077, "
            "yarn or k8s://..."),
)

_REGISTRY = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Validated settings for one command."""

    db: str
    secret: str | None
    key_dir: str
    cache_dir: str
    catalog: str | None
    taxonomy: str | None
    rules_dir: str | None
    lock_timeout: float
    batch_rows: int
    max_text_chars: int
    max_record_lines: int
    phone_region: str
    timezone: str
    memory_limit: str
    ingest_memory_limit: str
    public_handles: tuple[str, ...] = field(default_factory=tuple)
    query_timeout: float = 20.0
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 268_435_456
    rate_limit: int = 6000
    session_hours: float = 12.0
    backend: str = "duckdb"
    spark_master: str = "local[*]"
    spark_data: str | None = None

    def replace(self, **changes: Any) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in changes.items() if v is not None})
        return Settings(**values)


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every setting from ``env`` (default ``os.environ``), then apply ``overrides``.

    Raises
    ------
    ConfigError
        When an environment variable holds a value its setting cannot accept.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env_var)
        if raw is None or raw == "":
            raw = setting.default
        if raw is None:
            values[setting.name] = None
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env_var}={raw!r}: {exc}") from None
    if values["key_dir"] is None:
        values["key_dir"] = _default_key_dir()
    if values["cache_dir"] is None:
        values["cache_dir"] = _default_cache_dir()
    for name, value in overrides.items():
        if name not in _REGISTRY:
            raise ConfigError(f"unknown setting {name!r}")
        if value is not None:
            values[name] = value
    return Settings(**values)
