"""Known issues: recalls, makers' announcements and policies, and the surges that follow them.

A recall or a maker's announcement makes owners look, and complain: the complaints that follow
are a *follow-on* of an issue already known, not a new defect.  This module gathers the known
issues of the store and the rule book (:func:`known_issues`) and labels the signals of a scan
that such an issue explains (:func:`label_known`), so they are kept out of new alarms unless
they grow beyond what the announcement itself explains.

Where known issues come from
----------------------------
* ``recall``: the ``recalls`` table (``ingest --type nhtsa-recalls``), one issue per campaign x
  product x mode, from the day NHTSA received the report; the mode is the component's first
  level as complaints get it (``ELECTRICAL SYSTEM:BATTERY`` -> ``electrical-system``);
* ``announcement``: the ``announcements`` table (``ingest --type announcements``), from its
  date, for its failure mode (or component), or every mode of the product when it names none;
* ``policy``: every version of a rule set that names products (a manufacturer's policy such as
  Xiaomi's Wi-Fi exchange of 2021-08-06, and its change of 2022-09-15), for each product and
  failure mode it covers, from the day that version starts.

Examples
--------
>>> from datetime import date
>>> from defectradar.signals.alerts import Signal
>>> issue = KnownIssue("xiaomi-11", "wifi", date(2021, 8, 6), "policy", "xiaomi-11-series-wifi@2021-08-06")
>>> signal = Signal("product_mode", "reports", "xiaomi-11", "wifi", "glr-poisson", date(2021, 8, 9), 7.0, 6.0,
...                 {"freq": "week", "count": 40.0})
>>> [s.product_id for s in label_known([signal], [issue])]
['xiaomi-11']
>>> signal.evidence["known_issue"]["status"]
'known'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Iterable

import duckdb
from scipy.stats import poisson

from defectradar.core.dates import period_start
from defectradar.errors import InputError
from defectradar.query.stats import backend
from defectradar.remedies.rule_book import RuleBook, builtin_rule_book
from defectradar.signals.alerts import Signal
from defectradar.text.subject import source_modes

SOURCES = ("recall", "announcement", "policy")
KNOWN = "known"             # the flag a follow-on gets (evidence["known"], known_issue.status)
EXCEEDED = "exceeded"       # a known issue's product and mode, but beyond its expectation
# NHTSA gives a manufacturer 60 days from its defect report to notify owners (49 CFR 577.7(a)):
# the letters, and the complaints they bring, arrive within that time of the announcement.
SETTLE_DAYS = 60


@dataclass(frozen=True)
class KnownIssue:
    """An issue known from a day on: a product (and a failure mode, or every mode when None)."""

    product_id: str
    mode: str | None              # failure-mode id; None: every mode of the product
    since: date                   # known from this day (report received, announced, policy version)
    source: str                   # recall | announcement | policy
    reference: str                # campaign number, the announcement's reference, rule set id@version
    summary: str | None = None
    component: str | None = None  # the source's component text (NHTSA), when it has one
    kind: str | None = None       # announcement kind, recall type, rule set kind
    model_years: tuple[int, ...] = ()

    def covers(self, product_id: str | None, failure_mode: str | None) -> bool:
        """True for the issue's product and its mode (any mode when the issue names none; an
        issue of one mode also covers the product's signal over every mode)."""
        if product_id is None or product_id != self.product_id:
            return False
        return self.mode is None or failure_mode is None or failure_mode == self.mode

    def to_dict(self) -> dict:
        data = asdict(self)
        data["since"] = self.since.isoformat()
        data["model_years"] = list(self.model_years)
        return data


# -- gathering --------------------------------------------------------------------------------

def _modes(component: str | None) -> list[str | None]:
    if not component:
        return [None]
    return list(source_modes([component])) or [None]


def _recall_issues(con, as_of: date) -> list[KnownIssue]:
    r = backend(con).table("recalls")
    r = r.filter(r.product_id.notnull() & (r.report_date <= as_of))
    # The summary of the campaign's first report; model years as a sorted distinct list.
    first = r.group_by(["campaign", "product_id", "component"]).aggregate(
        since=r.report_date.min(), summary=r.summary.argmin(r.report_date), recall_type=r.recall_type.max(),
        years=r.model_year.collect(distinct=True))
    rows = first.to_pyarrow().to_pylist()
    return [KnownIssue(row["product_id"], mode, row["since"], "recall", row["campaign"], row["summary"],
                       row["component"], row["recall_type"] or "recall",
                       tuple(sorted(y for y in row["years"] or () if y is not None)))
            for row in rows for mode in _modes(row["component"])]


def _announcement_issues(con, as_of: date) -> list[KnownIssue]:
    a = backend(con).table("announcements")
    a = a.filter(a.product_id.notnull() & (a.date <= as_of))
    rows = a.select("product_id", "failure_mode", "component", "date", "kind", "reference", "text").to_pyarrow()
    issues = []
    for row in rows.to_pylist():
        product, mode, component, day = row["product_id"], row["failure_mode"], row["component"], row["date"]
        kind, reference, text = row["kind"], row["reference"], row["text"]
        for each in ([mode] if mode else _modes(component)):
            issues.append(KnownIssue(product, each, day, "announcement", reference or f"{kind} of {day}", text,
                                     component, kind))
    return issues


def policy_issues(rule_book: RuleBook, as_of: date) -> list[KnownIssue]:
    """Each version of a rule set that names its products, for each product and mode it covers,
    from the day the version starts (up to ``as_of``)."""
    issues = []
    for rule_set in rule_book:
        if rule_set.products is None:          # a law for every product names no issue
            continue
        for version in rule_set.versions():
            if version > as_of:
                continue
            change = "starts" if version == rule_set.effective_from else "changes"
            summary = f"{rule_set.title_in('en')}: the policy {change} on {version.isoformat()}"
            for product in rule_set.products:
                for mode in rule_set.failure_modes or (None,):
                    issues.append(KnownIssue(product, mode, version, "policy", f"{rule_set.id}@{version.isoformat()}",
                                             summary, None, rule_set.kind))
    return issues


def known_issues(con: duckdb.DuckDBPyConnection, as_of: date, *, rule_book: RuleBook | None = None,
                 product_ids: Iterable[str] | None = None, sources: Iterable[str] = SOURCES) -> list[KnownIssue]:
    """Every issue known on ``as_of``: recalls and announcements in the store, policy versions
    of the rule book (the built-in one when ``rule_book`` is None).

    Parameters
    ----------
    con
        A connection to the store (read-only is enough).
    as_of
        Issues dated later are not known yet and are left out.
    rule_book
        Where policy versions come from; ``load_rule_book(settings.rules_dir)`` adds the user's.
    product_ids
        Only these products (None: all).
    sources
        Only these kinds of source (recall, announcement, policy).

    Returns
    -------
    list[KnownIssue]
        One per source reference, product and mode (the earliest day when a campaign's rows
        differ), sorted by product, day, source and reference.
    """
    sources = tuple(sources)
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise InputError(f"unknown known-issue source {unknown[0]!r}; choose from {', '.join(SOURCES)}")
    found: list[KnownIssue] = []
    if "recall" in sources:
        found += _recall_issues(con, as_of)
    if "announcement" in sources:
        found += _announcement_issues(con, as_of)
    if "policy" in sources:
        found += policy_issues(rule_book if rule_book is not None else builtin_rule_book(), as_of)
    wanted = set(product_ids) if product_ids is not None else None
    first: dict[tuple, KnownIssue] = {}
    for issue in found:
        if wanted is not None and issue.product_id not in wanted:
            continue
        key = (issue.source, issue.reference, issue.product_id, issue.mode)
        if key not in first or issue.since < first[key].since:
            first[key] = issue
    return sorted(first.values(), key=lambda i: (i.product_id, i.since, i.source, i.reference, i.mode or ""))


# -- labelling signals ------------------------------------------------------------------------

def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _period_end(start: date, freq: str) -> date:
    if freq == "day":
        return start
    if freq == "month":
        return _months_before(start.replace(day=1), -1) - timedelta(days=1)
    return start + timedelta(days=6)


def _count(signal: Signal) -> float | None:
    value = signal.evidence.get("count", signal.evidence.get("n"))
    return float(value) if isinstance(value, (int, float)) else None


def post_announcement_expectation(signal: Signal, since: date, *, growth: float = 1.5, quantile: float = 0.99,
                                  floor: float = 1.0, settle_days: int = SETTLE_DAYS) -> dict | None:
    """What the follow-on of an issue known from ``since`` explains in ``signal``'s period.

    With the counts :math:`c_t` of the periods from the announcement's period up to (not
    including) the signal's period, taken from the signal's evidence series,

    .. math:: \\bar c = \\frac{1}{k}\\sum_t c_t,\\qquad \\lambda = g \\max(\\bar c, f),\\qquad
              L = F^{-1}_{\\text{Poisson}(\\lambda)}(q)

    with growth :math:`g` (``growth``), floor :math:`f` (``floor``) and quantile :math:`q`
    (``quantile``): the follow-on may grow by :math:`g` over its own level and still be one;
    a count above :math:`L` is more than it explains.

    Returns None when there is nothing to compare with: the signal's period starts within
    ``settle_days`` of the announcement (the surge of that time *is* the follow-on; owners
    are notified within 60 days of a recall), the evidence has no series (disproportionality),
    or no period of the series falls between the announcement and the signal.
    """
    if signal.period - since < timedelta(days=settle_days):
        return None
    series = signal.evidence.get("series")
    if not isinstance(series, dict):
        return None
    freq = signal.evidence.get("freq") or "week"
    start = period_start(since, freq)
    counts = [float(c) for p, c in zip(series.get("periods") or (), series.get("counts") or ())
              if c is not None and start <= date.fromisoformat(str(p)) < signal.period]
    if not counts:
        return None
    mean = sum(counts) / len(counts)
    expected = growth * max(mean, floor)
    return {"periods": len(counts), "mean": round(mean, 4), "expected": round(expected, 4),
            "limit": float(poisson.ppf(quantile, expected)), "growth": growth, "quantile": quantile}


def label_known(signals: list[Signal], issues: list[KnownIssue], *, window_months: int = 24,
                growth: float = 1.5, quantile: float = 0.99, floor: float = 1.0,
                settle_days: int = SETTLE_DAYS) -> list[Signal]:
    """Label the signals a known issue explains; return those labelled ``known``.

    A signal is explained by an issue of its product (and of its failure mode, unless the
    issue names none) known on or before the end of the signal's period and at most
    ``window_months`` before its start; the latest such issue is the one compared with.  It is
    labelled ``known`` (a follow-on, not a new defect) **unless** its count exceeds the
    post-announcement expectation (:func:`post_announcement_expectation`: a Poisson upper
    ``quantile`` of ``growth`` times the mean count of the periods since the announcement; no
    test within ``settle_days`` of it, nor for signals without a count series).

    Every matched signal gets ``evidence["known_issue"]``: the issue (source, reference, since,
    mode, component, summary), the number of other issues that matched, the expectation and
    ``status`` ``known`` or ``exceeded``.  A known one also gets ``evidence["known"] = True``;
    an exceeded one stays an alarm and says which known issue it outgrew.  Signals of no product
    (scope ``mode``) are never labelled: one product's issue does not explain every product's.

    Parameters
    ----------
    signals
        A scan's signals (:class:`~defectradar.signals.alerts.Signal`); changed in place.
    issues
        From :func:`known_issues` as of the scan's date.
    window_months
        An issue older than this (before the signal's period) explains nothing any more.
    growth, quantile, floor, settle_days
        The post-announcement expectation (see above).

    Returns
    -------
    list[Signal]
        The signals labelled ``known``, in the order given: the scan keeps them out of new alarms.
    """
    if window_months < 0 or growth <= 0 or not 0 < quantile < 1 or floor < 0 or settle_days < 0:
        raise InputError("label_known: window_months, floor and settle_days must be 0 or more, growth above 0, "
                         f"quantile between 0 and 1 (got {window_months}, {floor}, {settle_days}, {growth}, "
                         f"{quantile})")
    by_product: dict[str, list[KnownIssue]] = {}
    for issue in issues:
        by_product.setdefault(issue.product_id, []).append(issue)
    labelled = []
    for signal in signals:
        freq = signal.evidence.get("freq") or "week"
        end, oldest = _period_end(signal.period, freq), _months_before(signal.period, window_months)
        matched = [i for i in by_product.get(signal.product_id or "", ())
                   if i.covers(signal.product_id, signal.failure_mode) and oldest <= i.since <= end]
        if not matched:
            continue
        issue = max(matched, key=lambda i: (i.since, i.mode is not None, i.source, i.reference))
        expectation = post_announcement_expectation(signal, issue.since, growth=growth, quantile=quantile,
                                                    floor=floor, settle_days=settle_days)
        count = _count(signal)
        exceeded = expectation is not None and count is not None and count > expectation["limit"]
        signal.evidence["known_issue"] = {
            "status": EXCEEDED if exceeded else KNOWN, "source": issue.source, "reference": issue.reference,
            "since": issue.since.isoformat(), "mode": issue.mode, "component": issue.component,
            "summary": (issue.summary or "")[:300] or None, "count": count, "expectation": expectation,
            "other_issues": len(matched) - 1}
        if not exceeded:
            signal.evidence["known"] = True
            labelled.append(signal)
    return labelled


def is_known(signal: Signal) -> bool:
    """True for a signal :func:`label_known` labelled a follow-on of a known issue."""
    return bool(signal.evidence.get("known"))
