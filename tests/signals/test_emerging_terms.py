"""Emerging terms: phrases of a failure mode no rule knows, found per product.

A hand-made store checks the counting rules (distinct reports and authors, reposts left out,
known words and product names never reported, words rising everywhere not reported, n-grams
merged into one phrase); the default simulated world (seed 2021, scale 1) checks that its
injected Xiaomi 12 glue-smell defect, whose words no rule knows, is found after its onset and
nothing is raised before it.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from defectradar.analyses.alerts import list_alerts, record_signals
from defectradar.analyses.emerging_terms import METHOD, SCOPE, emerging_term_signals, emerging_terms
from defectradar.errors import InputError
from defectradar.signals.emerging_phrases import TermScreen, grow_phrase, term_ngrams, term_string
from defectradar.text.normalise import normalise
from defectradar.text.rules import RuleClassifier
from defectradar.text.taxonomy import builtin_taxonomy

AS_OF = date(2022, 6, 26)             # a Sunday: the window is the 4 weeks from 2022-05-30
NEW = "听筒防尘网脱落"                    # no rule of the built-in taxonomy knows it
CHATTER = ("今天去专卖店看了看，拍照还行", "物流很快包装完好", "这个配色挺耐看", "系统用着顺手", "价格有点小贵",
           "周末出去玩拍了好多照片", "用着还不错吧", "朋友也买了同款")


class Rows:
    """Reports for a hand-made store: ``add(product, day, author, text)``."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, product: str, day: date, author: str | None, text: str, *, modes=(), repost_of=None) -> str:
        report_id = f"r{len(self.rows):05d}"
        created = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
        self.rows.append((report_id, created, author, text, product, list(modes), repost_of))
        return report_id

    def write(self, store) -> None:
        with store.writer() as con:
            con.executemany(
                "INSERT INTO reports (report_id, source, source_type, created_at, author_token, text, product_id, "
                "failure_modes, repost_of, ingest_run, ingested_at) VALUES (?, 'test', 'csv', ?, ?, ?, ?, ?, ?, "
                "'run', now())", self.rows)


def _background(rows: Rows, products=("phone-a", "phone-b", "phone-c"), weeks: int = 40) -> None:
    """Three chatter reports per product and week up to AS_OF, in words every product uses."""
    start = AS_OF - timedelta(weeks=weeks)
    for week in range(weeks):
        for k, product in enumerate(products):
            for j in range(3):
                text = CHATTER[(week * 3 + j + k) % len(CHATTER)]
                rows.add(product, start + timedelta(weeks=week, days=j * 2), f"bg-{product}-{week}-{j}", text)


def _new_defect(rows: Rows, count: int = 8, product: str = "phone-a", first: date = date(2022, 6, 1)) -> list[str]:
    texts = (f"打电话发现{NEW}了", f"我的{NEW}，声音发闷", f"才三个月就{NEW}了", f"{NEW}了，客服让寄修",
             f"有人也{NEW}吗，我的就是", f"拆开一看{NEW}了", f"刚发现{NEW}了，无语", f"{NEW}到底怎么回事")
    return [rows.add(product, first + timedelta(days=2 * i), f"owner-{product}-{i}", texts[i % len(texts)])
            for i in range(count)]


def _found(store, **kwargs):
    with store.reader() as con:
        return _found_in(con, **kwargs)


def _found_in(con, **kwargs):
    return emerging_term_signals(con, AS_OF, **kwargs)


def test_a_new_phrase_is_found_with_its_reports(store):
    rows = Rows()
    _background(rows)
    ids = _new_defect(rows)
    rows.write(store)
    signals = _found(store)
    assert [s.product_id for s in signals] == ["phone-a"]
    signal = signals[0]
    assert (signal.scope, signal.source, signal.method, signal.failure_mode) == (SCOPE, "reports", METHOD, None)
    assert signal.period == date(2022, 6, 20) and signal.statistic >= signal.threshold == 2.0
    phrases = signal.evidence["phrases"]
    top = phrases[0]
    # The n-grams of the new word (防尘网, 尘网脱, 听筒防尘 ...) merge into one phrase.
    assert NEW in top["phrase"] and len(top["ngrams"]) >= 3
    assert not any(p["phrase"] in NEW or NEW in p["phrase"] for p in phrases[1:])
    assert top["reports"] == 8 and top["authors"] == 8 and top["expected"] < 1
    assert top["baseline_reports"] == 0 and top["other_product_reports"] == 0
    assert top["report_ids"] == ids and len(top["examples"]) == 3 and NEW in top["examples"][0]
    assert sum(top["periods"].values()) == 8
    assert signal.evidence["reports"] == ids and signal.evidence["count"] == 8
    assert signal.evidence["rule"]["threshold"] == 2.0 and signal.evidence["tests"] >= 1
    json.dumps(signal.to_dict(), ensure_ascii=False)           # evidence is JSON-safe
    with store.writer() as con:                                 # an alert per product, kept across scans
        assert len(record_signals(con, signals, AS_OF).raised) == 1
        assert record_signals(con, _found_in(con), AS_OF).unchanged == [signal.alert_id]
    with store.reader() as con:
        alert = list_alerts(con)[0]
    assert (alert["scope"], alert["product_id"], alert["last_method"]) == (SCOPE, "phone-a", METHOD)
    assert alert["latest_evidence"][0]["count"] == 8 and alert["latest_evidence"][0]["rule"]["threshold"] == 2.0


def test_counts_distinct_reports_and_authors_never_reposts(store):
    rows = Rows()
    _background(rows)
    originals = _new_defect(rows, count=4)                    # 4 complaints: fewer than min_reports
    for i in range(12):                                       # ... reposted 12 times
        rows.add("phone-a", date(2022, 6, 10), f"fan-{i}", f"转发微博 //{NEW}", repost_of=originals[i % 4])
    for i in range(6):                                        # one author posting the same text 6 times
        rows.add("phone-b", date(2022, 6, 3) + timedelta(days=i), "same-author", f"我的{NEW}")
    for i in range(6):                                        # 6 reports, only 2 authors
        rows.add("phone-c", date(2022, 6, 3) + timedelta(days=i), f"pair-{i % 2}", f"第{i}次说{NEW}")
    rows.write(store)
    assert _found(store) == []
    assert [s.product_id for s in _found(store, min_authors=2)] == ["phone-c"]
    assert _found(store, min_authors=2, products=["phone-a", "phone-b"]) == []


def test_known_words_names_and_words_rising_everywhere_are_not_reported(store):
    rows = Rows()
    _background(rows)
    for i in range(8):     # unlabelled (a rule miss), but every word in them is known or a name
        rows.add("phone-a", date(2022, 6, 2) + timedelta(days=i), f"k-{i}", "小米11的wifi打不开，烧屏了")
    for product in ("phone-a", "phone-b", "phone-c"):          # a shopping festival: every product
        for i in range(8):
            rows.add(product, date(2022, 6, 2) + timedelta(days=i), f"f-{product}-{i}", "六一八大促抢购")
    rows.write(store)
    assert _found(store) == []
    with store.reader() as con:
        everything = emerging_terms(con, AS_OF, alpha=0.999, min_authors=1)
    reported = {p.phrase for p in everything.phrases}
    assert not reported & {"wifi", "打不开", "烧屏", "小米", "烧屏了"}


def test_labelled_reports_are_left_out_unless_asked(store):
    rows = Rows()
    _background(rows)
    for i in range(8):     # the rules gave these a mode: their other words are the known defect's story
        rows.add("phone-a", date(2022, 6, 2) + timedelta(days=i), f"w-{i}", "WiFi打不开，售后返厂三次，资料全丢",
                 modes=["wifi"])
    rows.write(store)
    assert _found(store) == []
    assert [s.product_id for s in _found(store, unexplained_only=False)] == ["phone-a"]


def test_a_product_without_a_past_is_not_tested(store):
    rows = Rows()
    _background(rows, products=("phone-b", "phone-c"))
    _background(rows, products=("phone-a",), weeks=10)        # launched 10 weeks ago: 6 reports of past
    _new_defect(rows)
    rows.write(store)
    assert _found(store) == []
    assert [s.product_id for s in _found(store, min_baseline_reports=5)] == ["phone-a"]


def test_nothing_to_count_gives_nothing(store):
    rows = Rows()
    _background(rows, weeks=2)
    rows.write(store)
    with store.reader() as con:
        assert emerging_term_signals(con, date(2019, 1, 1)) == []
        result = emerging_terms(con, AS_OF)
    assert result.phrases == [] and result.cost["seconds"]["total"] >= 0
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


@pytest.mark.parametrize("kwargs, word", [
    ({"window": 0}, "window"), ({"alpha": 1.5}, "alpha"), ({"freq": "year"}, "freq"),
    ({"min_reports": 2.5}, "min_reports"), ({"gap": -1}, "gap"), ({"top": True}, "top")])
def test_bad_parameters_say_how_to_fix_them(store, kwargs, word):
    rows = Rows()
    _background(rows, weeks=1)
    rows.write(store)
    with store.reader() as con, pytest.raises(InputError, match=word):
        emerging_term_signals(con, AS_OF, **kwargs)


def test_terms_and_phrases():
    terms = term_string(normalise("我的后盖一股胶水味!! Glue smell, so bad @[usr_0123456789abcdef0123]").match)
    assert terms == "我的后盖一股胶水味\x00 glue smell | so bad "
    grams = term_ngrams(terms)
    assert {"胶水味", "一股胶水", "glue smell", "glue", "smell", "bad"} <= set(grams)
    assert "so" not in grams and "so bad" not in grams and not any("usr" in g for g in grams)
    screen = TermScreen(builtin_taxonomy(), [])
    assert screen.reason("烧屏") == "known" and screen.reason("wifi") == "known"
    assert screen.reason("小米") == "product name" and screen.reason("的胶水") == "chatter"
    assert screen.testable("胶水味") and screen.testable("glue smell")
    docs = [term_string(t) for t in ("一股胶水味", "胶水味太重", "刺鼻的胶水味", "像劣质胶水")]
    assert grow_phrase("胶水", docs, screen) == "胶水味"        # 3 of 4 reports go on with 味
    assert grow_phrase("glue", [term_string(t) for t in ("the glue smell", "glue smell!", "a strong glue smell")],
                       screen) == "glue smell"


# --- the simulated world ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(simulated_world):
    return simulated_world


def test_the_injected_unnamed_defect_is_found_after_its_onset(world):
    truth = json.loads((world["dir"] / "truth.json").read_text(encoding="utf-8"))
    defect = next(d for d in truth["unnamed_defects"] if d["defect_id"] == "x12-odour")
    onset = date.fromisoformat(defect["onset"])
    rules = RuleClassifier(builtin_taxonomy())
    assert all(not rules.classify(normalise(p).match).modes for lang in ("zh", "en") for p in defect["phrases"][lang])
    store = world["store"]
    first_found = None
    with store.reader() as con:
        day = onset - timedelta(days=onset.weekday() + 1) - timedelta(weeks=12)   # Sundays from 13 weeks before
        while day <= onset + timedelta(weeks=12):
            signals = emerging_term_signals(con, day)
            phrases = [(s.product_id, p["phrase"]) for s in signals for p in s.evidence["phrases"]]
            if day < onset:
                assert signals == [], f"emerging terms before the onset ({onset}), as of {day}: {phrases}"
            elif first_found is None and any(pid == "xiaomi-12" and ("胶水" in phrase or "glue" in phrase)
                                             for pid, phrase in phrases):
                first_found = day
                x12 = next(s for s in signals if s.product_id == "xiaomi-12")
                assert x12.evidence["phrases"][0]["reports"] >= 5 and x12.evidence["phrases"][0]["authors"] >= 3
                posts = {m for m, e in truth["posts"].items() if e.get("unnamed_defect") == "x12-odour"}
                ids = x12.evidence["phrases"][0]["report_ids"]
                sources = dict(con.execute("SELECT report_id, source_id FROM reports WHERE report_id IN "
                                           "(SELECT unnest(?))", [ids]).fetchall())
                assert all(sources[r] in posts for r in ids)       # the reports behind it are the defect's
            day += timedelta(weeks=1)
    assert first_found is not None, f"the glue smell (onset {onset}) was not found within 12 weeks"
    assert (first_found - onset).days <= 56
