"""Failure-mode taxonomies: the modes, their descriptions, and the rules that find them.

A taxonomy is a YAML file (the built-in one is ``text/taxonomy.yaml``; its header explains
the rule language).  Users can supply their own: it is validated here, and every problem is
reported with the file, the mode and the key, never as a traceback.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from defectradar.errors import InputError
from defectradar.text.normalise import resource_text
from defectradar.user_files import load_user_yaml, read_user_text, shown

LANGS = ("zh", "en")
_MODE_KEYS = {"id", "name", "description", "components", "problems", "phrases", "severity", "beats",
              "generic_problems"}
_SHARED_KEYS = {"problems", "negations", "hearsay", "fine", "questions", "first_person"}
_TOP_KEYS = {"version", "name", "shared", "modes"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class FailureMode:
    id: str
    name: dict[str, str]
    description: dict[str, str]
    components: dict[str, tuple[str, ...]]
    problems: dict[str, tuple[str, ...]]
    phrases: dict[str, tuple[str, ...]]
    severity: str | None = None
    beats: tuple[str, ...] = ()
    generic_problems: bool = True


@dataclass(frozen=True)
class Taxonomy:
    name: str
    modes: tuple[FailureMode, ...]
    shared: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    digest: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.modes)

    def mode(self, mode_id: str) -> FailureMode:
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        raise KeyError(mode_id)


def _patterns(value, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {lang: () for lang in LANGS}
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected a mapping with 'zh' and/or 'en' lists of patterns")
    unknown = set(value) - set(LANGS)
    if unknown:
        raise InputError(f"{where}: unknown language keys {', '.join(sorted(unknown))}; use zh and en")
    result = {}
    for lang in LANGS:
        items = value.get(lang) or []
        if not isinstance(items, list) or not all(isinstance(p, str) and p for p in items):
            raise InputError(f"{where}.{lang}: expected a list of non-empty pattern strings")
        for pattern in items:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(f"{where}.{lang}: pattern {shown(pattern)} is not a valid regular expression ({exc})") from None
        result[lang] = tuple(items)
    return result


def _texts(value, where: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"en": value, "zh": value}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InputError(f"{where}: expected text or a mapping {{en: ..., zh: ...}}")
    return dict(value)


def parse_taxonomy(text: str, origin: str) -> Taxonomy:
    """Validate and load a taxonomy; errors name the file, the mode and the key."""
    try:
        doc = load_user_yaml(text, origin)
    except yaml.YAMLError as exc:
        raise InputError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("modes"), list) or not doc["modes"]:
        raise InputError(f"{origin}: a taxonomy needs a non-empty top-level 'modes:' list")
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise InputError(f"{origin}: unknown top-level keys {', '.join(sorted(unknown))}")
    shared_doc = doc.get("shared") or {}
    if not isinstance(shared_doc, dict) or set(shared_doc) - _SHARED_KEYS:
        raise InputError(f"{origin}: 'shared' may hold only {', '.join(sorted(_SHARED_KEYS))}")
    shared = {key: _patterns(shared_doc.get(key), f"{origin}: shared.{key}") for key in _SHARED_KEYS}
    modes, seen = [], set()
    for index, entry in enumerate(doc["modes"], 1):
        where = f"{origin}: mode #{index}"
        if not isinstance(entry, dict):
            raise InputError(f"{where} is not a mapping")
        mode_id = entry.get("id")
        if not isinstance(mode_id, str) or not _ID.match(mode_id):
            raise InputError(f"{where}: 'id' must be lower-case letters, digits and _ (got {shown(mode_id)})")
        where = f"{origin}: mode {mode_id!r}"
        if mode_id in seen:
            raise InputError(f"{where} appears twice")
        seen.add(mode_id)
        unknown = set(entry) - _MODE_KEYS
        if unknown:
            raise InputError(f"{where}: unknown keys {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_MODE_KEYS))}")
        beats = entry.get("beats") or []
        if not isinstance(beats, list):
            raise InputError(f"{where}: 'beats' must be a list of mode ids")
        severity = entry.get("severity")
        if severity not in (None, "safety"):
            raise InputError(f"{where}: 'severity' can only be safety")
        modes.append(FailureMode(
            id=mode_id, name=_texts(entry.get("name", mode_id), f"{where}.name"),
            description=_texts(entry.get("description", ""), f"{where}.description"),
            components=_patterns(entry.get("components"), f"{where}.components"),
            problems=_patterns(entry.get("problems"), f"{where}.problems"),
            phrases=_patterns(entry.get("phrases"), f"{where}.phrases"),
            severity=severity, beats=tuple(beats), generic_problems=bool(entry.get("generic_problems", True)),
        ))
    for mode in modes:
        for other in mode.beats:
            if other not in seen:
                raise InputError(f"{origin}: mode {mode.id!r}: 'beats' names unknown mode {shown(other)}")
    return Taxonomy(str(doc.get("name") or Path(origin).stem), tuple(modes), shared,
                    hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])


def builtin_taxonomy() -> Taxonomy:
    return parse_taxonomy(resource_text("defectradar.text", "taxonomy.yaml"), "taxonomy.yaml")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    if path is None:
        return builtin_taxonomy()
    return parse_taxonomy(read_user_text(path, "taxonomy"), str(path))
