"""Emerging terms: the words of a failure mode nobody has named yet.

Complaints about a new defect first appear in words no rule knows, so the reports get no
failure mode and no (product, mode) series rises.  This detector reads the words themselves.
For every product it counts, per term (Chinese character 2-4-grams, English word 1-3-grams; see
:mod:`defectradar.signals.emerging_phrases`), the distinct reports holding it in the last
``window`` periods, and compares that count :math:`n` with two expectations:

* the product's own past: :math:`E_1 = N \\, (b + \\tfrac12) / (B + 1)`, with :math:`N` the
  product's reports in the window, :math:`B` those in the ``baseline`` periods that end ``gap``
  periods before it and :math:`b` the baseline reports holding the term;
* the other products now: :math:`E_2 = N \\, (o + \\tfrac12) / (O + 1)`, with :math:`O` the other
  products' reports in the window and :math:`o` those holding the term.

A term rises when :math:`n` is improbable under the larger, :math:`E = \\max(E_1, E_2)`: the
Poisson tail :math:`p = P(X \\ge n \\mid E)`, times the number :math:`m` of (product, term) pairs
seen in the window (Bonferroni), is at most ``alpha``, with at least ``min_reports`` reports from
``min_authors`` authors.  A term is counted only where it lies outside every span the rules
matched (不开 of 打不开 is no new word).  Requiring both expectations keeps out words that rise
everywhere (双十一 in November) and a product's everyday words.  The statistic is
:math:`-\\log_{10}(m\\,p)`, compared with :math:`-\\log_{10}\\alpha`.

Only reports that no rule explained are read by default (``unexplained_only``: reports with no
failure mode), so the story words of a known defect's complaints (售后, 返厂, "lost my data")
do not rise with it; reposts are never reports (``reports_labelled``), and one author's
identical posts count once.  Terms the taxonomy knows, product names and chatter are not tested.
A rising term is grown into the longest phrase its reports share; overlapping terms whose
reports are mostly that phrase's are listed as its n-grams, not as phrases of their own.

Cost: one read of the window's reports and one count of the baseline's per product (Ibis
queries), ``normalise`` of each distinct window text, one sparse document-term matrix of the
window (scikit-learn ``CountVectorizer``, terms in fewer than ``min_reports`` reports dropped)
and one sparse product x term product; only products with a candidate term have their baseline
read and normalised, searched with one Aho-Corasick automaton of the candidates, and only
candidates are screened against the rules.  Time is linear in the reports read; memory is the
window's distinct n-grams while the matrix is built (docs/signals.md has measured figures).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import ahocorasick
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import poisson
from sklearn.feature_extraction.text import CountVectorizer

from defectradar.core.dates import FREQS, as_date, period_start
from defectradar.domain.catalog import Catalog, builtin_catalog
from defectradar.errors import InputError
from defectradar.query.stats import backend
from defectradar.signals.alerts import Signal
from defectradar.signals.base import AlarmRule
from defectradar.signals.emerging_phrases import (
    TermScreen,
    contains,
    grow_phrase,
    is_chinese,
    key_of,
    shares_words,
    term_ngrams,
    term_string,
)
from defectradar.text.normalise import normalise
from defectradar.text.taxonomy import Taxonomy, builtin_taxonomy

METHOD = "emerging-term"
SCOPE = "product_terms"          # one alert per product: its emerging phrases are the evidence
SOURCE = "reports"
EXAMPLE_REPORTS = 10
EXAMPLE_TEXTS = 3
EXAMPLE_CHARS = 140
VARIANT_SHARE = 0.5              # an overlapping term with this share of its reports in a phrase is a variant
STATISTIC = "-log10(m·p)"
LOG_P_FLOOR = -690.0             # p below e^-690 (1e-300) is shown as that: the statistic stays finite
MEANING = "Poisson tail of the term's reports against the larger of its own past and the other products, " \
          "times the number of terms tested"


@dataclass
class EmergingPhrase:
    """One rising phrase of one product, with the reports behind it."""

    product_id: str
    phrase: str
    lang: str                        # zh | en
    reports: int                     # distinct reports holding it in the window
    expected: float                  # max(expected_own_past, expected_other_products)
    expected_own_past: float
    expected_other_products: float
    baseline_reports: int            # the product's baseline reports holding it
    other_product_reports: int       # other products' window reports holding it
    authors: int
    p_value: float
    p_adjusted: float                # p x tests (Bonferroni), at most 1
    statistic: float                 # -log10(p_adjusted)
    ngrams: list[str] = field(default_factory=list)      # rising n-grams merged into it
    report_ids: list[str] = field(default_factory=list)  # up to EXAMPLE_REPORTS, earliest first
    examples: list[str] = field(default_factory=list)    # the first reports' texts, cut short
    periods: dict[str, int] = field(default_factory=dict)  # window period start -> reports

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("expected", "expected_own_past", "expected_other_products", "statistic"):
            data[key] = round(float(data[key]), 4)
        for key in ("p_value", "p_adjusted"):
            data[key] = float(f"{data[key]:.4g}")
        return data


@dataclass
class EmergingTerms:
    """What :func:`emerging_terms` found as of a date, and what it cost."""

    as_of: date
    freq: str
    window: tuple[date, date]        # first and last period start of the window
    baseline: tuple[date, date]
    phrases: list[EmergingPhrase]
    tests: int                       # (product, term) pairs seen in the window: the Bonferroni m
    alpha: float
    reports: dict[str, dict[str, int]] = field(default_factory=dict)   # product -> window / baseline
    cost: dict = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per phrase: its counts, expectations and statistic."""
        columns = ["product_id", "phrase", "lang", "reports", "expected", "expected_own_past",
                   "expected_other_products", "authors", "p_adjusted", "statistic"]
        return pd.DataFrame([{k: getattr(p, k) for k in columns} for p in self.phrases], columns=columns)

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "freq": self.freq,
                "window": [d.isoformat() for d in self.window], "baseline": [d.isoformat() for d in self.baseline],
                "tests": self.tests, "alpha": self.alpha, "phrases": [p.to_dict() for p in self.phrases],
                "reports": self.reports, "cost": self.cost}


def _shift(start: date, periods: int, freq: str) -> date:
    if freq == "week":
        return start + timedelta(weeks=periods)
    if freq == "day":
        return start + timedelta(days=periods)
    month = start.year * 12 + start.month - 1 + periods
    return date(month // 12, month % 12 + 1, 1)


def _check(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"emerging terms: {name}={value!r}; give a whole number >= {low}")


def _validate(freq, window, baseline, min_reports, min_authors, min_baseline_reports, alpha, top) -> None:
    if freq not in FREQS:
        raise InputError(f"emerging terms: freq={freq!r}; use one of {', '.join(FREQS)}")
    for name, value in (("window", window), ("baseline", baseline), ("min_reports", min_reports),
                        ("min_authors", min_authors), ("top", top)):
        _check(name, value, 1)
    _check("min_baseline_reports", min_baseline_reports, 0)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InputError(f"emerging terms: alpha={alpha!r}; give a significance level between 0 and 1 (e.g. 0.01)")


def _complaints(con, start: datetime, end: datetime, unexplained_only: bool, products=None):
    """Complaints (reposts are not) with a product and a text, created in ``[start, end)``."""
    from defectradar.query.stats import backend

    t = backend(con).table("reports_labelled")
    t = t.filter(t.created_at >= start, t.created_at < end, t.product_id.notnull(), t.text.notnull())
    if unexplained_only:
        t = t.filter(t.failure_modes.isnull() | (t.failure_modes.length() == 0))
    if products is not None:
        t = t.filter(t.product_id.isin(list(products)))
    return t


def _reports(con, start: datetime, end: datetime, unexplained_only: bool, products=None) -> pd.DataFrame:
    t = _complaints(con, start, end, unexplained_only, products)
    return _distinct(t.select("report_id", "created_at", "product_id", "author_token", "text").to_pandas())


def _report_counts(con, start: datetime, end: datetime, unexplained_only: bool) -> pd.Series:
    """Distinct complaints per product, as :func:`_distinct` keeps them (counted in the store)."""
    import ibis

    t = _complaints(con, start, end, unexplained_only)
    t = t.select(product_id=t.product_id, author=ibis.coalesce(t.author_token, t.report_id), text=t.text).distinct()
    frame = t.group_by("product_id").aggregate(reports=t.count()).to_pandas()
    return frame.set_index("product_id")["reports"]


def _store_names(con) -> list[str]:
    """Names and aliases of the products the store's catalog rows hold (none if it has none)."""
    try:
        rows = backend(con).table("products").select("name", "name_zh", "aliases").to_pyarrow().to_pylist()
    except Exception:  # noqa: BLE001 - an old or partial store: the built-in catalog still applies
        return []
    return [n for r in rows for n in (r["name"], r["name_zh"], *(r["aliases"] or [])) if n]


def _distinct(frame: pd.DataFrame) -> pd.DataFrame:
    """Reports oldest first, one author's identical posts about a product kept once (a report
    without an author is its own author)."""
    frame = frame.assign(author=frame["author_token"].where(frame["author_token"].notna(), frame["report_id"]))
    frame = frame.sort_values(["created_at", "report_id"], kind="stable")
    return frame.drop_duplicates(["product_id", "author", "text"]).reset_index(drop=True)


def _with_terms(frame: pd.DataFrame) -> pd.DataFrame:
    """The reports with their ``match`` form and term strings (each distinct text normalised once)."""
    match = {text: normalise(text).match for text in pd.unique(frame["text"])}
    matched = frame["text"].map(match)
    return frame.assign(match=matched, terms=matched.map({m: term_string(m) for m in set(match.values())}))


def emerging_terms(con, as_of, *, freq: str = "week", window: int = 4, baseline: int = 26, gap: int = 4,
                   min_reports: int = 5, min_authors: int = 3, min_baseline_reports: int = 10,
                   alpha: float = 0.01, top: int = 5, unexplained_only: bool = True,
                   products: list[str] | None = None, taxonomy: Taxonomy | None = None,
                   catalog: Catalog | None = None) -> EmergingTerms:
    """Rising phrases per product as of ``as_of`` (see the module docstring for the test).

    Parameters are those of :func:`emerging_term_signals`; the result keeps every phrase found,
    the number of tests and what the run cost (reports read, terms, seconds per step).
    """
    as_of = as_date(as_of)
    if as_of is None:
        raise InputError("emerging terms need an as-of date (YYYY-MM-DD)")
    _validate(freq, window, baseline, min_reports, min_authors, min_baseline_reports, alpha, top)
    _check("gap", gap, 0)
    clock = {"start": time.perf_counter()}
    current = period_start(as_of, freq)
    first = _shift(current, -(window - 1), freq)
    base_end = _shift(first, -gap, freq)
    base_first = _shift(base_end, -baseline, freq)
    window_start = datetime.combine(first, datetime.min.time())
    found = EmergingTerms(as_of, freq, (first, current), (base_first, _shift(base_end, -1, freq)), [], 0, alpha)
    base_span = (datetime.combine(base_first, datetime.min.time()), datetime.combine(base_end, datetime.min.time()))
    recent = _reports(con, window_start, datetime.combine(as_of + timedelta(days=1), datetime.min.time()),
                      unexplained_only)
    clock["read"] = time.perf_counter()
    recent = _with_terms(recent)
    clock["normalise"] = time.perf_counter()
    found.cost = {"window_reports": len(recent)}
    if recent.empty:
        return _finish(found, clock)
    vectorizer = CountVectorizer(analyzer=term_ngrams, binary=True, min_df=min_reports, dtype=np.int32)
    try:
        matrix = vectorizer.fit_transform(recent["terms"]).tocsc()
    except ValueError:                    # no term in min_reports reports
        return _finish(found, clock)
    vocabulary = vectorizer.get_feature_names_out()
    codes, names = pd.factorize(recent["product_id"])
    owners = sparse.csr_matrix((np.ones(len(codes), dtype=np.int32), (codes, np.arange(len(codes)))),
                               shape=(len(names), len(codes)))
    counts = (owners @ matrix).tocoo()
    in_window = np.bincount(codes, minlength=len(names))
    in_baseline = _report_counts(con, *base_span, unexplained_only).reindex(names, fill_value=0).to_numpy()
    found.cost["baseline_reports"] = int(in_baseline.sum())
    clock["count"] = time.perf_counter()
    found.cost["terms"] = len(vocabulary)

    screen = _screen(taxonomy, catalog, _store_names(con))
    watched = in_baseline[counts.row] >= min_baseline_reports
    if products is not None:
        watched &= np.isin(np.asarray(names)[counts.row], list(products))
    # m counts every (product, term) pair seen in the window, not only those with min_reports:
    # choosing the tests by their own counts would understate how many were looked at.
    found.tests = tests = int(watched.sum())
    tested = watched & (counts.data >= min_reports)
    rows, cols, n = counts.row[tested], counts.col[tested], counts.data[tested].astype(float)
    testable = {c: screen.testable(vocabulary[c]) for c in np.unique(cols)}
    keep = np.fromiter((testable[c] for c in cols), dtype=bool, count=len(cols))
    rows, cols, n = rows[keep], cols[keep], n[keep]
    clock["screen"] = time.perf_counter()
    if not len(rows):
        return _finish(found, clock)
    total = np.asarray(matrix.sum(axis=0)).ravel()
    others = total[cols] - n
    e2 = _expected(in_window[rows], len(recent) - in_window[rows], others)
    candidate = poisson.logsf(n - 1, e2) + math.log(tests) <= math.log(alpha)    # necessary: E >= E2
    rows, cols, n, others, e2 = rows[candidate], cols[candidate], n[candidate], others[candidate], e2[candidate]

    past = _with_terms(_reports(con, *base_span, unexplained_only, products=np.asarray(names)[np.unique(rows)]))
    found.cost["baseline_reports_read"] = len(past)
    base_docs = _baseline_docs(past, names, rows, cols, vocabulary)
    clock["baseline"] = time.perf_counter()
    b = np.array([len(base_docs[(r, c)]) for r, c in zip(rows, cols)], dtype=float)
    e1 = _expected(in_window[rows], in_baseline[rows], b)
    significant = poisson.logsf(n - 1, np.maximum(e1, e2)) + math.log(tests) <= math.log(alpha)
    ctx = _Context(recent, past, codes, in_window, in_baseline, tests, alpha, min_reports, min_authors, freq, screen)
    seeds: dict[int, list] = defaultdict(list)
    for i in np.flatnonzero(significant):
        r, c = int(rows[i]), int(cols[i])
        docs = matrix.indices[matrix.indptr[c]:matrix.indptr[c + 1]]
        test = ctx.test(vocabulary[c], r, docs[codes[docs] == r], float(e1[i]), float(e2[i]), int(b[i]),
                        int(others[i]))
        if test is not None:
            seeds[r].append((test, docs, base_docs[(r, c)]))
    for r in sorted(seeds):
        found.phrases.extend(_phrases(ctx, names[r], r, seeds[r], top))
        found.reports[names[r]] = {"window": int(in_window[r]), "baseline": int(in_baseline[r])}
    clock["phrases"] = time.perf_counter()
    found.phrases.sort(key=lambda p: (-p.statistic, p.product_id, p.phrase))
    return _finish(found, clock)


def _expected(reports, reference_reports, holding):
    """Expected reports holding a term among ``reports``, at its rate in a reference set
    (``holding`` of ``reference_reports``), with half a report added so a term never seen there
    is not expected at exactly zero."""
    return reports * (holding + 0.5) / (reference_reports + 1.0)


_SCREENS: dict[tuple, TermScreen] = {}


def _screen(taxonomy: Taxonomy | None, catalog: Catalog | None, names: list[str]) -> TermScreen:
    """A :class:`TermScreen`, kept for the next scan with the same taxonomy, catalog and names
    (building one compiles every rule: seconds)."""
    taxonomy = taxonomy or _builtin("taxonomy", builtin_taxonomy)
    catalog = catalog or _builtin("catalog", builtin_catalog)
    key = (taxonomy.digest, catalog.digest, tuple(sorted(set(names))))
    if key not in _SCREENS:
        if len(_SCREENS) >= 4:
            _SCREENS.clear()
        _SCREENS[key] = TermScreen(taxonomy, [catalog], list(key[2]))
    return _SCREENS[key]


_BUILTINS: dict[str, object] = {}


def _builtin(name: str, load):
    if name not in _BUILTINS:
        _BUILTINS[name] = load()
    return _BUILTINS[name]


def _finish(found: EmergingTerms, clock: dict) -> EmergingTerms:
    steps = list(clock.items())
    found.cost["seconds"] = {name: round(t - steps[i][1], 3) for i, (name, t) in enumerate(steps[1:])}
    found.cost["seconds"]["total"] = round(steps[-1][1] - steps[0][1], 3)
    return found


def _baseline_docs(past: pd.DataFrame, names, rows, cols, vocabulary) -> dict[tuple[int, int], list[int]]:
    """Per candidate (product, term): the product's baseline reports holding the term."""
    wanted: dict[tuple[int, int], list[int]] = {(int(r), int(c)): [] for r, c in zip(rows, cols)}
    automaton = ahocorasick.Automaton()
    for c in np.unique(cols):
        automaton.add_word(key_of(vocabulary[c]), int(c))
    automaton.make_automaton()
    code_of = {name: i for i, name in enumerate(names)}
    for index, (product, terms) in enumerate(zip(past["product_id"], past["terms"])):
        r = code_of[product]
        for c in {c for _, c in automaton.iter(terms)}:
            docs = wanted.get((r, c))
            if docs is not None:
                docs.append(index)
    return wanted


@dataclass
class _Test:
    """One (product, term or phrase) test and the product's window reports behind it."""

    term: str
    n: int
    e1: float
    e2: float
    b: int
    others: int
    log_p: float
    own: np.ndarray
    statistic: float


@dataclass
class _Context:
    recent: pd.DataFrame
    past: pd.DataFrame
    codes: np.ndarray
    in_window: np.ndarray
    in_baseline: np.ndarray
    tests: int
    alpha: float
    min_reports: int
    min_authors: int
    freq: str
    screen: TermScreen
    _masked: dict[int, str] = field(default_factory=dict)

    def masked(self, d: int) -> str:
        """Window report ``d``'s term string without the words the rules matched in it."""
        if d not in self._masked:
            self._masked[d] = term_string(self.screen.mask(self.recent["match"].iat[d]))
        return self._masked[d]

    def test(self, term: str, r: int, own, e1: float, e2: float, b: int, others: int) -> _Test | None:
        """The test of a term for product ``r``, counting its reports where it lies outside every
        rule hit (不开 of 打不开 is no new word); None when it fails."""
        own = np.array([d for d in own if contains(self.masked(int(d)), term)], dtype=np.int64)
        n = len(own)
        if n < self.min_reports or self.recent["author"].iloc[own].nunique() < self.min_authors:
            return None
        log_p = max(float(poisson.logsf(n - 1, max(e1, e2))), LOG_P_FLOOR)
        log_adjusted = log_p + math.log(self.tests)
        if log_adjusted > math.log(self.alpha):
            return None
        return _Test(term, n, e1, e2, b, others, log_p, own, -min(0.0, log_adjusted) / math.log(10))


def _phrases(ctx: _Context, product: str, r: int, seeds: list, top: int) -> list[EmergingPhrase]:
    """Grow the product's rising terms into phrases, strongest first; overlapping ones merge."""
    kept: list[tuple[EmergingPhrase, set[int]]] = []
    terms, past_terms = ctx.recent["terms"].to_numpy(), ctx.past["terms"].to_numpy()
    others_reports = len(ctx.recent) - ctx.in_window[r]
    for seed, docs, base in sorted(seeds, key=lambda s: (-s[0].statistic, -len(s[0].term), s[0].term)):
        own = set(seed.own.tolist())
        phrase = grow_phrase(seed.term, [ctx.masked(int(d)) for d in seed.own], ctx.screen)
        host = next((k for k, k_docs in kept if (shares_words(seed.term, k.phrase) or shares_words(phrase, k.phrase))
                     and len(own & k_docs) >= VARIANT_SHARE * len(own)), None)
        if host is not None:
            if seed.term != host.phrase and seed.term not in host.ngrams:
                host.ngrams.append(seed.term)
            continue
        if len(kept) >= top:
            continue
        best = seed
        if phrase != seed.term:      # its reports are among the seed's, here and in the past
            others = sum(1 for d in docs if ctx.codes[d] != r and contains(terms[d], phrase))
            b = sum(1 for d in base if contains(past_terms[d], phrase))
            best = ctx.test(phrase, r, seed.own, float(_expected(ctx.in_window[r], ctx.in_baseline[r], b)),
                            float(_expected(ctx.in_window[r], others_reports, others)), b, others) or seed
        kept.append(_phrase(ctx, product, best, seed.term))
    return [k for k, _ in kept]


def _phrase(ctx: _Context, product: str, test: _Test, seed: str) -> tuple[EmergingPhrase, set[int]]:
    rows = ctx.recent.iloc[test.own].sort_values(["created_at", "report_id"])
    periods: dict[str, int] = {}
    for day in rows["created_at"]:
        key = period_start(pd.Timestamp(day).date(), ctx.freq).isoformat()
        periods[key] = periods.get(key, 0) + 1
    log_adjusted = min(0.0, test.log_p + math.log(ctx.tests))
    found = EmergingPhrase(
        product_id=product, phrase=test.term, lang="zh" if is_chinese(test.term) else "en", reports=test.n,
        expected=max(test.e1, test.e2), expected_own_past=test.e1, expected_other_products=test.e2,
        baseline_reports=test.b, other_product_reports=test.others, authors=int(rows["author"].nunique()),
        p_value=math.exp(test.log_p), p_adjusted=math.exp(log_adjusted), statistic=test.statistic,
        ngrams=[seed] if seed != test.term else [], report_ids=[str(x) for x in rows["report_id"][:EXAMPLE_REPORTS]],
        examples=[_short(normalise(t).display) for t in rows["text"][:EXAMPLE_TEXTS]], periods=periods)
    return found, set(test.own.tolist())


def _short(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…"


def emerging_term_signals(con, as_of, *, freq: str = "week", window: int = 4, baseline: int = 26, gap: int = 4,
                          min_reports: int = 5, min_authors: int = 3, min_baseline_reports: int = 10,
                          alpha: float = 0.01, top: int = 5, unexplained_only: bool = True,
                          products: list[str] | None = None, taxonomy: Taxonomy | None = None,
                          catalog: Catalog | None = None) -> list[Signal]:
    """``emerging-term`` signals: per product, phrases far more frequent now than expected.

    Parameters
    ----------
    con
        An open connection to the store (read-only is enough).
    as_of
        Date (or ``YYYY-MM-DD``) of the scan; reports after it are not seen.
    freq
        ``day``, ``week`` (ISO, from Monday) or ``month``: the unit of ``window`` and ``baseline``.
    window
        Periods, ending with the one holding ``as_of``, whose reports are counted.
    baseline
        Periods that give the product's own past, ending ``gap`` periods before the window.
    gap
        Periods between the baseline and the window, in neither: a rise that began just before
        the window is not taken for the product's past (a new phrase stays new for
        ``gap + window`` periods).
    min_reports, min_authors
        A phrase needs at least this many distinct reports and authors in the window.
    min_baseline_reports
        A product is tested only with at least this many reports in its baseline (a product
        just launched has no past to compare with).
    alpha
        Family-wise significance level: Bonferroni over every (product, term) pair tested.
    top
        Phrases kept per product, strongest first.
    unexplained_only
        Count only reports no rule gave a failure mode (default); False counts every report.
    products
        Test only these products (all others still give the other-products expectation).
    taxonomy, catalog
        The rules whose words are known, and the product names not to report (defaults: the
        built-in ones; the store's ``products`` rows are added to the names).

    Returns
    -------
    list[Signal]
        One per product with a rising phrase: scope ``product_terms``, source ``reports``,
        method ``emerging-term``, ``failure_mode`` None, period = the period holding ``as_of``,
        statistic = the top phrase's :math:`-\\log_{10}(m\\,p)` against :math:`-\\log_{10}\\alpha`.
        ``evidence["phrases"]`` lists up to ``top`` phrases, each with ``reports`` now against
        ``expected`` (and both expectations), its n-grams, ``authors``, up to 10 ``report_ids``
        and a few ``examples``; ``evidence["reports"]`` joins their report ids.

    Examples
    --------
    >>> with store.reader() as con:                                   # doctest: +SKIP
    ...     for s in emerging_term_signals(con, "2022-05-15"):
    ...         print(s.product_id, [(p["phrase"], p["reports"], p["expected"]) for p in s.evidence["phrases"]])
    xiaomi-12 [('胶水味', 8, 0.7931)]
    """
    found = emerging_terms(con, as_of, freq=freq, window=window, baseline=baseline, gap=gap, min_reports=min_reports,
                           min_authors=min_authors, min_baseline_reports=min_baseline_reports, alpha=alpha,
                           top=top, unexplained_only=unexplained_only, products=products, taxonomy=taxonomy,
                           catalog=catalog)
    return signals_from(found)


def signals_from(found: EmergingTerms) -> list[Signal]:
    """One :class:`Signal` per product of an :class:`EmergingTerms` result."""
    by_product: dict[str, list[EmergingPhrase]] = defaultdict(list)
    for phrase in found.phrases:
        by_product[phrase.product_id].append(phrase)
    threshold = -math.log10(found.alpha)
    rule = AlarmRule(STATISTIC, ">=", round(threshold, 4), MEANING).to_dict()
    out = []
    for product, phrases in by_product.items():
        lead = max(phrases, key=lambda p: p.statistic)
        reports = list(dict.fromkeys(r for p in phrases for r in p.report_ids))
        out.append(Signal(SCOPE, SOURCE, product, None, METHOD, found.window[1], round(lead.statistic, 4),
                          round(threshold, 4), {
                              "freq": found.freq, "period": found.window[1].isoformat(), "rule": rule,
                              "window": [d.isoformat() for d in found.window],
                              "baseline": [d.isoformat() for d in found.baseline],
                              "count": lead.reports, "expected": round(lead.expected, 4),
                              "reports_in_window": found.reports[product]["window"],
                              "reports_in_baseline": found.reports[product]["baseline"],
                              "tests": found.tests, "alpha": found.alpha,
                              "phrases": [p.to_dict() for p in phrases], "reports": reports}))
    out.sort(key=lambda s: (-s.statistic, s.product_id))
    return out
