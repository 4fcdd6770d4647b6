"""Keyed tokens in place of personal identifiers.

Every identifier is replaced by ``<prefix>_<20 hex>``, the first 80 bits of
HMAC-SHA256(key, kind + ":" + normalised value).  The same identifier always gives the same
token under one key, so a device named by IMEI in a repair record and in a post links up,
while the raw number is never stored.  80 bits keep accidental collisions negligible
(birthday bound near 10^12 identifiers).

Kinds and prefixes: ``dev`` devices (IMEI, serial, VIN), ``tel`` phone numbers (E.164),
``mail`` e-mail, ``pid`` resident ID numbers, ``usr`` user handles and ids, ``per`` names,
``addr`` addresses, ``qq`` QQ numbers, ``card`` bank-card numbers, ``wx`` WeChat ids.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from typing import Iterable

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from defectradar.core.identifiers import (
    CANDIDATE,
    CN_MOBILE,
    MAYBE_IDENTIFIER,
    find_identifiers,
    mask_tokens,
    normalise_phone,
)
from defectradar.ingest.fields import is_blank

# Every prefix is 2-5 lower-case letters: identifiers.TOKEN recognises tokens by that shape.
PREFIX = {"device": "dev", "phone": "tel", "email": "mail", "person_id": "pid", "user": "usr",
          "name": "per", "address": "addr", "qq": "qq", "card": "card", "wechat": "wx"}
_TEXT_KIND = {"imei": "device", "phone": "phone", "email": "email", "person_id": "person_id",
              "mention": "user", "qq": "qq", "card": "card", "wechat": "wechat"}
_CACHE_LIMIT = 2_000_000
# Kinds an id of a record can be: personal identifiers used as keys.  Bank cards, QQ and
# WeChat ids are left out: in an id column a card-shaped number is a record number.
RECORD_ID_KINDS = frozenset({"imei", "phone", "email", "person_id", "mention"})
# Digit-only values shaped like a mobile (with or without 86), an IMEI or an ID number.
_PERSONAL_DIGITS = r"^(?:(?:86)?1[3-9]\d{9}|\d{15}|\d{17}[\dXx])$"


def normalise_device_id(value: str) -> str:
    """Canonical form of an IMEI / serial / VIN: no spaces or dashes, upper case."""
    return re.sub(r"[\s\-:]", "", unicodedata.normalize("NFKC", value)).upper()


def normalise_handle(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lstrip("@").strip()


def _phone_fallback(value: str) -> str:
    """The form of a phone number libphonenumber does not know (e.g. a 140 or 174 mobile).

    find_identifiers reports a Chinese-mobile-shaped number in a text as ``+86`` and 11
    digits whether or not libphonenumber knows it; a column value is brought to the same
    form so the text and the column give one token (bare digits would differ by the 86).
    """
    text = unicodedata.normalize("NFKC", value).strip()
    digits = re.sub(r"\D", "", text)
    if CN_MOBILE.fullmatch(text):
        return "+86" + digits[-11:]
    return digits


_E164_CN_MOBILE = re.compile(r"\+861[3-9]\d{9}")


def _normalise(kind: str, value: str, default_region: str) -> str:
    """The canonical spelling of an identifier, so every way of writing it gets one token."""
    if kind == "device":
        return normalise_device_id(value)
    if kind == "phone":
        if _E164_CN_MOBILE.fullmatch(value):   # already canonical (found by the mobile regex)
            return value
        return normalise_phone(value, default_region) or _phone_fallback(value)
    if kind == "email":
        return value.strip().lower()
    if kind == "wechat":   # WeChat finds ids whatever their case
        return unicodedata.normalize("NFKC", value).strip().lower()
    if kind in ("qq", "card"):
        return re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if kind == "user":
        return normalise_handle(value)
    if kind == "person_id":
        return value.strip().upper()
    return unicodedata.normalize("NFKC", value).strip()


class Pseudonymiser:
    """Turns identifiers into keyed tokens and scrubs them out of free text.

    Parameters
    ----------
    key
        The store's secret (bytes).  Keep it outside the database.
    public_handles
        ``@handles`` left readable in texts (brands' official accounts).
    default_region
        Region for phone numbers written without a country code (ISO 3166 alpha-2).

    Examples
    --------
    >>> p = Pseudonymiser(b"k" * 32)
    >>> p.token("device", "490154203237518") == p.token("device", "49-015420-323751-8")
    True
    >>> p.redact("call me on 13812345678").startswith("call me on [tel_")
    True
    """

    def __init__(self, key: bytes, public_handles: Iterable[str] = (), default_region: str = "CN"):
        if len(key) < 16:
            raise ValueError("a pseudonymisation key needs at least 16 bytes")
        # HMAC by hand from precomputed pads: identical to hmac.new(key, msg, sha256) (tested),
        # about twice as fast, which matters at a million authors per ingest.
        block = key if len(key) <= 64 else hashlib.sha256(key).digest()
        block = block.ljust(64, b"\0")
        self._ipad = bytes(b ^ 0x36 for b in block)
        self._opad = bytes(b ^ 0x5C for b in block)
        self._inner = hashlib.sha256(self._ipad)
        self._outer = hashlib.sha256(self._opad)
        self._local = threading.local()   # a private in-memory DuckDB per thread, for bulk HMACs
        self._cache: dict[str, dict[str, str]] = {}   # kind -> raw value -> token
        self._known: dict[str, tuple[pa.Array, pa.Array]] = {}  # kind -> (values, tokens), vectorised
        self.public_handles = tuple(sorted({normalise_handle(h) for h in public_handles},
                                           key=len, reverse=True))
        self.default_region = default_region

    def _hmac_hex(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def token(self, kind: str, value: str) -> str:
        """The token of one identifier of ``kind`` (a key of ``PREFIX``: device, phone, email, ...)."""
        # Cache on the raw value: normalising (NFKC, phone parsing) costs more than the HMAC.
        cache = self._cache.setdefault(kind, {})
        cached = cache.get(value)
        if cached is None:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            message = f"{kind}:{_normalise(kind, value, self.default_region)}"
            cached = f"{PREFIX.get(kind, kind)}_{self._hmac_hex(message.encode('utf-8'))[:20]}"
            cache[value] = cached
        return cached

    # -- free text -----------------------------------------------------------------------
    def _public_prefix(self, handle: str) -> str | None:
        for public in self.public_handles:
            if handle.startswith(public):
                return public
        return None

    def redact(self, text: str, kinds: frozenset[str] | None = None) -> str:
        """``text`` with every identifier replaced by ``[token]`` (mentions by ``@[token]``).

        ``kinds`` limits which kinds of :func:`find_identifiers` are replaced (all by default);
        see :data:`RECORD_ID_KINDS`.

        Tokens already in the text are left as they are, and ``redact(redact(x)) == redact(x)``:
        what is left between tokens may read differently once its neighbours are tokens (a
        keyword glued to a number, a run libphonenumber joined up), so the text is redacted
        again until nothing changes.  Each round turns at least one character outside tokens
        into a token, so the rounds end; a round is skipped when the text outside tokens fails
        the pre-filter, which matches every text holding an identifier, so almost every text
        takes one round.
        """
        while True:
            redacted = self._redact_once(text, kinds)
            if redacted == text or not MAYBE_IDENTIFIER.search(mask_tokens(redacted)):
                return redacted
            text = redacted

    def _redact_once(self, text: str, kinds: frozenset[str] | None = None) -> str:
        found = find_identifiers(text, self.default_region)
        if kinds is not None:
            found = [ident for ident in found if ident.kind in kinds]
        if not found:
            return text
        pieces = []
        position = 0
        for ident in found:
            pieces.append(text[position:ident.start])
            kind = _TEXT_KIND[ident.kind]
            if ident.kind == "mention":
                public = self._public_prefix(ident.value)
                if public is not None:
                    # Keep the brand's handle; the rest of the run is ordinary text.
                    pieces.append(text[ident.start:ident.end])
                    position = ident.end
                    continue
                pieces.append(f"@[{self.token(kind, ident.value)}]")
            else:
                pieces.append(f"[{self.token(kind, ident.value)}]")
            position = ident.end
        pieces.append(text[position:])
        return "".join(pieces)

    # -- columns -------------------------------------------------------------------------
    def redact_column(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Vectorised :meth:`redact`: only texts that may hold an identifier reach Python."""
        column = _as_array(column)
        if len(column) == 0:
            return column
        maybe = pc.fill_null(pc.match_substring_regex(column, CANDIDATE), False)
        if not pc.any(maybe).as_py():
            return column
        originals = pc.filter(column, maybe).to_pylist()
        redacted = pa.array([self.redact(t) for t in originals], type=pa.string())
        return pc.replace_with_mask(column, maybe, redacted)

    def redact_record_ids(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        """:meth:`redact_column` for the sources' own record ids (``source_id``, ``event_id``).

        An id that is itself personal (a phone number, an IMEI, an e-mail) becomes its token,
        the same every time, so re-ingest still recognises the row.  Only the kinds of
        :data:`RECORD_ID_KINDS` count: a 16-digit Weibo mid passes the Luhn check one time in
        ten and would otherwise be taken for a bank card.  Ids of digits alone reach Python
        only when their length fits a mobile, an IMEI or an ID number, so numeric ids (most
        of them) stay vectorised.
        """
        column = _as_array(column)
        if len(column) == 0:
            return column
        digits_only = pc.fill_null(pc.match_substring_regex(column, r"^\d+$"), False)
        id_shaped = pc.fill_null(pc.match_substring_regex(column, _PERSONAL_DIGITS), False)
        candidate = pc.fill_null(pc.match_substring_regex(column, CANDIDATE), False)
        maybe = pc.or_(id_shaped, pc.and_(candidate, pc.invert(digits_only)))
        if not pc.any(maybe).as_py():
            return column
        originals = pc.filter(column, maybe).to_pylist()
        redacted = pa.array([self.redact(t, RECORD_ID_KINDS) for t in originals], type=pa.string())
        return pc.replace_with_mask(column, maybe, redacted)

    def token_column(self, kind: str, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Tokens for a column of identifiers; blanks stay null.

        Each distinct value is hashed once per run: tokens already made are looked up
        vectorised in an Arrow table, only new values reach Python.
        """
        column = _as_array(column)
        blank = is_blank(column)
        column = pc.if_else(blank, pa.scalar(None, pa.string()), column)
        distinct = pc.drop_null(pc.unique(column))
        known_keys, known_tokens = self._known.get(kind, (None, None))
        if known_keys is not None:
            found = pc.take(known_tokens, pc.index_in(distinct, value_set=known_keys))
        else:
            found = pa.nulls(len(distinct), pa.string())
        missing = pc.is_null(found)
        if pc.any(missing).as_py():
            fresh_keys = pc.filter(distinct, missing)
            fresh = self._fresh_tokens(kind, fresh_keys)
            found = pc.replace_with_mask(found, missing, fresh)
            if known_keys is None or len(known_keys) > _CACHE_LIMIT:
                self._known[kind] = (fresh_keys, fresh)
            else:
                self._known[kind] = (pa.concat_arrays([known_keys, fresh_keys]),
                                     pa.concat_arrays([known_tokens, fresh]))
        return pc.take(found, pc.index_in(column, value_set=distinct))


    def _fresh_tokens(self, kind: str, values: pa.Array) -> pa.Array:
        """Tokens for values not seen before.

        Values already in canonical form (plain ASCII of the kind's shape, see ``_CANONICAL``)
        are hashed in bulk by DuckDB's sha256 in C, the HMAC built from the same pads as
        :meth:`_hmac_hex` (tests check both give the same token); the rest go through
        :meth:`token`, which normalises them first.
        """
        pattern = _CANONICAL.get(kind)
        if pattern is None or len(values) < 1000:
            return pa.array([self.token(kind, v) for v in values.to_pylist()], pa.string())
        simple = pc.fill_null(pc.match_substring_regex(values, pattern), False)
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = duckdb.connect()
        batch = pa.table({"v": pc.filter(values, simple)})
        prefix = f"{PREFIX.get(kind, kind)}_"
        transform = "upper(v)" if kind in ("device", "person_id") else "lower(v)" if kind == "email" else "v"
        con.register("fresh_values", batch)
        try:
            hashed = con.sql(
                f"SELECT ? || substr(sha256(?::BLOB || unhex(sha256(?::BLOB || encode(? || {transform})))), 1, 20) "
                "AS t FROM fresh_values", params=[prefix, self._opad, self._ipad, f"{kind}:"]
            ).to_arrow_table()["t"].combine_chunks()
        finally:
            con.unregister("fresh_values")
        others = pc.filter(values, pc.invert(simple)).to_pylist()
        rest = pa.array([self.token(kind, v) for v in others], pa.string())
        result = pc.replace_with_mask(pa.nulls(len(values), pa.string()), simple, hashed)
        return pc.replace_with_mask(result, pc.invert(simple), rest) if others else result


# Values whose normal form is a plain function SQL can apply (identity, upper or lower case).
_CANONICAL = {
    "user": r"^[!-?A-~][ -~]*[!-~]$|^[!-?A-~]$",   # printable ASCII, no surrounding space, no leading @
    "device": r"^[A-Za-z0-9]+$",
    "person_id": r"^[0-9]{17}[0-9Xx]$",
    "email": r"^[!-~]+$",
    "name": r"^[!-~]([ -~]*[!-~])?$",
    "address": r"^[!-~]([ -~]*[!-~])?$",
}


def _as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return column
