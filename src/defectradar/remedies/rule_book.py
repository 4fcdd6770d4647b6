"""The rule book: every rule set defectradar knows, built-in and the user's own.

Built-in rule sets live in ``defectradar/remedies/policies/*.yaml``; a directory given by the
``rules_dir`` setting (``DEFECTRADAR_RULES_DIR``) adds more, and may replace a built-in one by
using its id (a newer transcription of a law, a company's own policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from defectradar.errors import InputError
from defectradar.remedies.rule_sets import RuleSet, parse_rule_set
from defectradar.user_files import read_user_text


@dataclass(frozen=True)
class RuleBook:
    rule_sets: tuple[RuleSet, ...]

    def __iter__(self):
        return iter(self.rule_sets)

    def __len__(self) -> int:
        return len(self.rule_sets)

    @property
    def jurisdictions(self) -> frozenset[str]:
        return frozenset(rs.jurisdiction for rs in self.rule_sets)

    def get(self, rule_set_id: str) -> RuleSet:
        for rule_set in self.rule_sets:
            if rule_set.id == rule_set_id:
                return rule_set
        raise InputError(f"no rule set {rule_set_id!r}; see `defectradar policies list` "
                         f"(known: {', '.join(rs.id for rs in self.rule_sets)})")

    def applicable(self, jurisdiction: str, product_id: str, failure_mode: str, event_day: date,
                   purchase_day: date) -> list[RuleSet]:
        """Rule sets of the jurisdiction that cover the product and fault and are in force.

        A rule set with ``applies_by: purchase`` (contract law) is the one in force on the
        purchase day; ``applies_by: event`` (policies, the Chinese regulation) the one in force
        on the day of the claim.
        """
        chosen = []
        for rule_set in self.rule_sets:
            day = purchase_day if rule_set.applies_by == "purchase" else event_day
            if (rule_set.jurisdiction == jurisdiction and rule_set.covers(product_id, failure_mode)
                    and rule_set.in_force(day)):
                chosen.append(rule_set)
        return chosen

    def with_rule_set(self, rule_set: RuleSet) -> "RuleBook":
        """This book with ``rule_set`` added, replacing one of the same id."""
        return RuleBook(tuple(rs for rs in self.rule_sets if rs.id != rule_set.id) + (rule_set,))


def _read(path: Path) -> RuleSet:
    return parse_rule_set(read_user_text(path, "rule set"), str(path))


@lru_cache(maxsize=1)
def builtin_rule_book() -> RuleBook:
    folder = resources.files("defectradar.remedies").joinpath("policies")
    rule_sets = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            rule_sets.append(parse_rule_set(entry.read_text("utf-8"), f"policies/{entry.name}"))
    return _unique(rule_sets, replace=False)


def _unique(rule_sets, replace: bool, base: tuple[RuleSet, ...] = ()) -> RuleBook:
    book = {rs.id: rs for rs in base}
    seen = set()
    for rule_set in rule_sets:
        if rule_set.id in seen or (rule_set.id in book and not replace):
            raise InputError(f"rule set id {rule_set.id!r} is defined twice; give each file its own id")
        seen.add(rule_set.id)
        book[rule_set.id] = rule_set
    return RuleBook(tuple(book.values()))


def load_rule_book(extra_dir: str | Path | None = None) -> RuleBook:
    """The built-in rule sets plus every ``*.yaml`` in ``extra_dir`` (same id replaces)."""
    base = builtin_rule_book()
    if extra_dir is None:
        return base
    folder = Path(extra_dir)
    if not folder.is_dir():
        raise InputError(f"rules directory {folder} does not exist; set DEFECTRADAR_RULES_DIR to a folder of "
                         f"rule set YAML files")
    return _unique([_read(p) for p in sorted(folder.glob("*.yaml"))], replace=True, base=base.rule_sets)
