"""Judge a case: at each event, the remedies due, the remedy given and whether it fell short.

For every event the engine takes the rule sets of the device's jurisdiction in force on the
day (contract law: on the purchase day) that cover the product and fault, asks each rule
whether it applies (:mod:`defectradar.remedies.logic`) and joins the answers:

* **due** is the union of every applicable rule's remedies, strongest first.  The statute is
  the floor; a manufacturer policy adds what it gives beyond it, and a policy that gives less
  (repair only) takes nothing away.  So the remedies due never shrink when a policy grows.
* **shortfall**: the remedy given is weaker than the strongest remedy due, and no single rule
  offered both (a rule offering both is the owner's choice, e.g. repair in the first 7 days).
  A refusal while something was due is a shortfall of kind ``refused``.  An inspection (no
  fault found) and a bare fault report are never shortfalls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from defectradar.errors import InputError
from defectradar.remedies.case import Case, Claim, Event
from defectradar.remedies.explain import rule_text, summary_text
from defectradar.remedies.history import History, history_of
from defectradar.remedies.logic import LOGIC, Entitlement, Params
from defectradar.remedies.rule_book import RuleBook
from defectradar.remedies.rule_sets import Rule, RuleSet
from defectradar.remedies.vocabulary import LANGUAGES, RANK, by_rank


@dataclass(frozen=True)
class RuleHit:
    rule_set: RuleSet
    rule: Rule
    entitlement: Entitlement

    def reference(self, lang: str) -> str:
        """Rule set title and article, and the dated source of the deciding value when there is one."""
        text = f"{self.rule_set.title_in(lang)}, {self.rule.reference}"
        return f"{text} ({self.entitlement.citation})" if self.entitlement.citation else text

    def to_dict(self, lang: str) -> dict:
        return {"id": self.rule.id, "rule_set": self.rule_set.id, "kind": self.rule_set.kind,
                "reference": self.reference(lang),
                "text": rule_text(self, lang), "remedies": by_rank(self.entitlement.remedies)}


@dataclass
class Step:
    """One event judged."""

    event: Event
    hits: list[RuleHit]
    due: list[str]
    given: str | None
    shortfall: bool
    shortfall_kind: str | None

    @property
    def open(self) -> bool:
        """Still owed something: a fault not yet dealt with, a refusal or a remedy that fell short."""
        return bool(self.due) and (self.shortfall or self.event.type == "fault")

    def deciding_hit(self) -> RuleHit:
        """The least demanding provision a shortfall fell short of.

        Statutes before policies, then the provision whose strongest remedy is weakest: a third
        repair of a discontinued model is short of art. 13 (an exchange was owed), which art. 18
        only turns into a refund, so counts by rule do not jump when a model leaves production.
        """
        given = RANK[self.given] if self.given else 0
        breached = [h for h in self.hits if h.entitlement.remedies and self.given not in h.entitlement.remedies
                    and max(RANK[r] for r in h.entitlement.remedies) > given]
        if not breached:       # the engine flags a shortfall only when some provision was breached
            raise ValueError(f"no provision was breached on {self.event.date}")
        order = {id(h): i for i, h in enumerate(self.hits)}
        return min(breached, key=lambda h: (h.rule_set.kind != "statute",
                                            max(RANK[r] for r in h.entitlement.remedies), order[id(h)]))

    @property
    def proof_needed(self) -> bool:
        return any(h.entitlement.proof_needed for h in self.hits if h.entitlement.remedies)

    def to_dict(self, lang: str) -> dict:
        return {"date": self.event.date.isoformat(), "event": self.event.type,
                "failure_mode": self.event.failure_mode, "due": self.due, "given": self.given,
                "shortfall": self.shortfall, "shortfall_kind": self.shortfall_kind,
                "proof_needed": self.proof_needed, "days_out_of_service": self.event.days_out_of_service,
                "data_wiped": self.event.data_wiped, "rules": [h.to_dict(lang) for h in self.hits]}


@dataclass
class Judgement:
    case: Case
    as_of: date
    steps: list[Step]
    now_due: list[str]
    if_fault_recurs: list[str]
    ignored_after_as_of: int
    lang: str = "en"
    recurrence_hits: list[RuleHit] = field(default_factory=list)

    @property
    def shortfalls(self) -> list[Step]:
        return [s for s in self.steps if s.shortfall]

    @property
    def data_wipes(self) -> list[Event]:
        return [s.event for s in self.steps if s.event.data_wiped]

    @property
    def summary(self) -> str:
        """The case in a few sentences (:func:`~defectradar.remedies.explain.summary_text`)."""
        return summary_text(self)

    def to_dict(self) -> dict:
        return {"device": self.case.device.to_dict(), "as_of": self.as_of.isoformat(), "lang": self.lang,
                "steps": [s.to_dict(self.lang) for s in self.steps], "now_due": self.now_due,
                "if_fault_recurs": self.if_fault_recurs,
                "data_wipes": {"count": len(self.data_wipes), "dates": [e.date.isoformat() for e in self.data_wipes]},
                "ignored_after_as_of": self.ignored_after_as_of,
                "summary": self.summary}


def evaluate(book: RuleBook, claim: Claim) -> list[RuleHit]:
    """Every provision that applies to ``claim``, statutes first."""
    device = claim.device
    hits = []
    rule_sets = book.applicable(device.jurisdiction, device.product.product_id, claim.mode, claim.on,
                                device.purchase_date)
    for rule_set in sorted(rule_sets, key=lambda rs: (rs.kind != "statute", rs.id)):
        params = Params(rule_set, claim)
        for rule in rule_set.rules:
            try:
                entitlement = LOGIC[rule.logic](claim, params)
            except LookupError as exc:
                raise InputError(str(exc)) from None
            if entitlement is not None:
                hits.append(RuleHit(rule_set, rule, entitlement))
    return hits


def _shortfall(event: Event, hits: list[RuleHit], due: list[str]) -> str | None:
    if not due:
        return None
    if event.type == "refused":
        return "refused"
    given = event.remedy
    if given is None:
        return None
    best = due[0]
    if RANK[given] >= RANK[best]:
        return None
    if any(given in h.entitlement.remedies and best in h.entitlement.remedies for h in hits):
        return None          # the owner's choice among remedies of one provision
    return "lesser_remedy"


def judge_step(book: RuleBook, case: Case, index: int, event: Event | None = None,
               history: History | None = None) -> Step:
    """Judge ``case.events[index]`` (or ``event``, a hypothetical claim after every real one).

    ``history`` is ``history_of(case.events)``, built once when judging every step of a case.
    """
    current = event if event is not None else case.events[index]
    claim = Claim(case, current, case.events[:index], history=history or history_of(case.events))
    hits = evaluate(book, claim)
    due = by_rank(r for h in hits for r in h.entitlement.remedies)
    kind = _shortfall(current, hits, due)
    return Step(current, hits, due, current.remedy, kind is not None, kind)


def judge_case(book: RuleBook, case: Case, as_of: date | None = None, lang: str = "en") -> Judgement:
    """Judge every event of ``case`` up to ``as_of`` (default: today) in language ``lang``.

    ``now_due`` is what the owner can still claim: the remedies due at the latest step that is
    open (a fault not yet dealt with, a refusal or a shortfall) and not followed by a remedy as
    strong.  ``if_fault_recurs`` is what a recurrence of the latest fault on ``as_of`` would
    entitle the owner to.
    """
    if lang not in LANGUAGES:
        raise InputError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    as_of = as_of or date.today()
    if as_of < case.device.purchase_date:
        raise InputError(f"as-of date {as_of} is before the purchase date {case.device.purchase_date}")
    kept = tuple(e for e in case.events if e.date <= as_of)
    trimmed = Case(case.device, kept)
    history = history_of(kept)    # one index of the past for every step: judging stays near linear
    steps = [judge_step(book, trimmed, i, history=history) for i in range(len(kept))]
    now_due: list[str] = []
    for step in reversed(steps):
        if step.event.remedy is not None and not step.shortfall:
            break                      # dealt with: nothing outstanding from earlier steps
        if step.open:
            now_due = step.due
            break
    recurrence: list[RuleHit] = []
    if_recurs: list[str] = []
    if kept and kept[-1].type != "refund":
        latest = kept[-1]
        hypothetical = Event(as_of, "fault", latest.failure_mode, component=latest.component)
        step = judge_step(book, trimmed, len(kept), hypothetical, history)
        recurrence, if_recurs = step.hits, step.due
    return Judgement(trimmed, as_of, steps, now_due, if_recurs, len(case.events) - len(kept), lang, recurrence)
