"""Which stored reports an analyst should read next: uncertainty sampling over the store.

An analyst's correction teaches the model most where the model is unsure or where the rules
and the model disagree (Lewis & Gale 1994, "A sequential algorithm for training text
classifiers": label the examples whose probability is closest to 0.5).  For each report of a
bounded sample (the newest ``sample`` reports without an analyst's correction, read a page at
a time), and for each failure mode the model knows (or the one asked about):

* **disagreement**: the rules found the mode but the model gives it p < 0.5, or the model gives
  it p >= 0.5 where the rules found nothing;
* **uncertainty**: ``1 - 2 |p - 0.5|`` for the mode whose probability is closest to 0.5
  (1 is a coin toss, 0 a sure answer).

Disagreements come first, then the most uncertain.  Reports the phone reader does not read
(a vehicle complaint, no text) are skipped: their labels come from the source.  Corrections are
recorded with ``defectradar label`` (:func:`defectradar.labelling.record_correction`) and learnt
with ``defectradar model train --builtin --corrections``.
"""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass, field
from datetime import datetime

from defectradar.domain.catalog import brand_and_model
from defectradar.errors import InputError
from defectradar.store.connect import Store
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.enrich import report_sources
from defectradar.text.normalise import normalise
from defectradar.text.subject import read_subject

REVIEW_SAMPLE = 20_000     # newest reports looked at: enough to find doubt, bounded in time and memory
PAGE_ROWS = 2_000
DECISION = 0.5             # the model's own decision point (its threshold for a label)
DISAGREEMENT = "disagreement"
UNCERTAIN = "uncertain"
_OLDEST = datetime(1, 1, 1)   # where reports without a date sort (after every dated one)


@dataclass
class ReviewCandidate:
    """One report to confirm or correct, and why it was picked."""

    report_id: str
    created_at: str | None
    product_id: str | None
    modes: list[str]                  # the labels analyses read now (reports_labelled)
    reason: str                       # disagreement | uncertain
    why: str                          # for the reader: "rules: battery; model 0.12"
    mode: str | None                  # the mode the doubt is about
    probability: float | None         # the model's probability of that mode
    uncertainty: float                # 1 - 2|p - 0.5| of the least sure mode
    rule_modes: list[str] = field(default_factory=list)
    model_modes: list[str] = field(default_factory=list)    # modes with p >= 0.5
    proposed_modes: list[str] = field(default_factory=list)  # current, rule and model modes together
    text: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["probability"] = None if self.probability is None else round(self.probability, 3)
        data["uncertainty"] = round(self.uncertainty, 3)
        return data


@dataclass
class ReviewResult:
    candidates: list[ReviewCandidate]
    scanned: int            # reports read (the sample)
    read: int               # of which the phone reader reads (the others were skipped)
    sample: int
    mode: str | None
    classifier: str

    def to_dict(self) -> dict:
        return {"mode": self.mode, "sample": self.sample, "scanned": self.scanned, "read": self.read,
                "classifier": self.classifier, "candidates": [c.to_dict() for c in self.candidates]}


def select_for_review(store: Store, classifier: ComplaintClassifier, *, mode: str | None = None, n: int = 50,
                      sample: int = REVIEW_SAMPLE, page_rows: int = PAGE_ROWS) -> ReviewResult:
    """The ``n`` stored reports an analyst's answer would teach the model most.

    Parameters
    ----------
    store
        The store; reports with an analyst's correction are left out (already answered).
    classifier
        Rules combined with a learned model of the taxonomy's modes (the built-in one, or one
        retrained with ``defectradar model train --builtin``).
    mode
        Look only at this failure mode (default: every mode the model knows).
    n
        How many reports to return.
    sample
        How many of the newest reports to look at.

    Examples
    --------
    >>> result = select_for_review(store, classifier, mode="battery", n=10)   # doctest: +SKIP
    >>> [(c.report_id, c.reason, c.why) for c in result.candidates]            # doctest: +SKIP
    """
    model = classifier.model
    if model is None:
        raise InputError("review needs a learned model of the taxonomy's failure modes to compare with the "
                         "rules; a model for another taxonomy (or none) gives nothing to compare")
    if mode is not None and mode not in classifier.taxonomy.ids:
        raise InputError(f"unknown failure mode {mode!r}; known: {', '.join(classifier.taxonomy.ids)}")
    if n < 1 or sample < 1:
        raise InputError("--n and --sample must be at least 1")
    watched = [mode] if mode is not None else [m for m in model.classes_ if m in set(classifier.taxonomy.ids)]
    result = ReviewResult([], 0, 0, sample, mode, classifier.version)
    best: list[ReviewCandidate] = []
    after = None
    while result.scanned < sample:
        rows = _page(store, after, min(page_rows, sample - result.scanned))
        if not rows:
            break
        last = rows[-1]
        after = (last["created_at"] or _OLDEST, last["report_id"])
        result.scanned += len(rows)
        found = _candidates(rows, classifier, watched, result)
        best = heapq.nsmallest(n, best + found, key=_rank)      # only n kept: memory stays bounded
    result.candidates = best
    return result


def _rank(candidate: ReviewCandidate) -> tuple:
    return (candidate.reason != DISAGREEMENT, -candidate.uncertainty, candidate.report_id)


_COLUMNS = "report_id, created_at, title, text, product_id, failure_modes, product_raw, product_brand, " \
           "source_type, source"
_ORDER = f"(coalesce(created_at, TIMESTAMP '{_OLDEST:%Y-%m-%d}'), report_id)"


def _page(store: Store, after: tuple | None, limit: int) -> list[dict]:
    """The next ``limit`` reports, newest first, after the key ``after`` (keyset paging)."""
    where = "label_source IS DISTINCT FROM 'analyst'"
    params: list = []
    if after is not None:
        where += f" AND {_ORDER} < (?, ?)"
        params += list(after)
    order = f"coalesce(created_at, TIMESTAMP '{_OLDEST:%Y-%m-%d}') DESC, report_id DESC"
    with store.reader() as con:
        cursor = con.execute(f"SELECT {_COLUMNS} FROM reports_labelled WHERE {where} ORDER BY {order} LIMIT ?",
                             [*params, limit])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _candidates(rows: list[dict], classifier: ComplaintClassifier, watched: list[str],
                result: ReviewResult) -> list[ReviewCandidate]:
    texts = [f"{r['title']}。{r['text']}" if r["title"] and r["title"] != r["text"] else (r["text"] or "")
             for r in rows]
    matches = [normalise(t).match for t in texts]
    sources = report_sources([r["source_type"] for r in rows], [r["source"] for r in rows])
    read = [i for i, (row, match, source) in enumerate(zip(rows, matches, sources))
            if read_subject(match, source=source,
                            product_name=brand_and_model(row["product_raw"], row["product_brand"]) or None).phone]
    result.read += len(read)
    if not read:
        return []
    model = classifier.model
    probabilities = model.predict_proba([matches[i] for i in read])
    column = {c: k for k, c in enumerate(model.classes_)}
    found = []
    for i, row_p in zip(read, probabilities):
        p = {m: float(row_p[column[m]]) if m in column else 0.0 for m in watched}
        rules = classifier.rules.classify(matches[i])
        found.append(_judge(rows[i], texts[i], p, rules.modes, rules.negated, watched))
    return found


def _judge(row: dict, text: str, p: dict[str, float], rule_modes: dict, negated: set[str],
           watched: list[str]) -> ReviewCandidate:
    """Why one report is in doubt: the disagreements of rules and model, else its least sure mode."""
    disagreements = []
    for m in watched:
        if m in rule_modes and p[m] < DECISION:
            disagreements.append((m, f"rules: {m}, model {p[m]:.2f}"))
        elif m not in rule_modes and p[m] >= DECISION:
            said = "negated" if m in negated else "nothing"
            disagreements.append((m, f"model: {m} {p[m]:.2f}, rules: {said}"))
    closest = min(watched, key=lambda m: (abs(p[m] - DECISION), m))
    uncertainty = 1.0 - 2.0 * abs(p[closest] - DECISION)
    if disagreements:
        # The doubt is about the disagreeing mode nearest the decision point.
        mode, why = min(disagreements, key=lambda d: abs(p[d[0]] - DECISION))
        reason = DISAGREEMENT
        why = "; ".join(w for _, w in disagreements)
    else:
        mode, reason = closest, UNCERTAIN
        why = f"model unsure: {closest} {p[closest]:.2f}"
    current = sorted(row["failure_modes"] or [])
    model_modes = sorted(m for m in watched if p[m] >= DECISION)
    rules_found = sorted(m for m in rule_modes if m in watched)
    created = row["created_at"]
    return ReviewCandidate(
        report_id=row["report_id"], created_at=None if created is None else created.isoformat(sep=" "),
        product_id=row["product_id"], modes=current, reason=reason, why=why, mode=mode, probability=p[mode],
        uncertainty=uncertainty, rule_modes=rules_found, model_modes=model_modes,
        proposed_modes=sorted(set(current) | set(rules_found) | set(model_modes)), text=text)
