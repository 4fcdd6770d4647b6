"""Policy versions and diffs: verdicts for the owner, downgrade alerts per covered product, recorded once."""

from __future__ import annotations

import json
from datetime import date

import pytest

from defectradar.analyses.alerts import list_alerts, show_alert, transition
from defectradar.analyses.policy_alerts import policy_diff, record_downgrade_alerts
from defectradar.errors import InputError
from defectradar.remedies import builtin_rule_book, parse_rule_set
from defectradar.remedies.policy_diff import (
    WHOLE_RULE_SET,
    diff_rule_set,
    downgrade_signals,
    rule_set_details,
    rule_set_summary,
    version_at,
    version_table,
)

XIAOMI = "xiaomi-11-series-wifi"

# A made-up policy whose parameters move both ways, for the verdicts the built-in files do not show.
SYNTHETIC = """\
id: synthetic-care
kind: manufacturer_policy
maker: Testco
title: {en: Testco care plan, zh: 测试保障计划}
jurisdiction: CN
effective_from: 2020-01-01
effective_to: 2023-06-30
covers: {products: all, failure_modes: [battery, wifi]}
reference: {document: Testco care plan terms, url: "https://example.com/care", date: 2019-12-01}
parameters:
  first_failure_remedies:
    kind: remedies
    values:
      2020-01-01: [refund, exchange, repair]
      2023-01-01: {value: [refund, exchange, repair], reference: "restated: same remedies"}
  grace_days:
    description: Days after purchase in which a fault is presumed.
    kind: days
    favours: higher
    values:
      2020-01-01: 30
      2021-01-01: {value: 20, reference: "2021 terms: 20 days"}
      2022-01-01: 40
  visits_before_exchange:
    description: Repair visits before an exchange is due.
    kind: count
    favours: lower
    values:
      2020-01-01: 2
      2021-01-01: 3
  covered_modes:
    kind: modes
    values:
      2020-01-01: [battery]
      2022-01-01: [battery, wifi]
rules:
  - id: synthetic.first-failure
    logic: policy.first_failure
    reference: terms
    text: "First failure: {remedies}."
"""


@pytest.fixture(scope="module")
def book():
    return builtin_rule_book()


@pytest.fixture(scope="module")
def synthetic():
    return parse_rule_set(SYNTHETIC, "synthetic.yaml")


def _by_parameter(changes):
    return {c.parameter: c for c in changes}


def test_xiaomi_cut_of_2022_09_15_is_two_downgrades(book):
    changes = diff_rule_set(book.get(XIAOMI))
    assert [c.day for c in changes] == [date(2022, 9, 15)] * 2
    first, repeat = changes
    assert (first.parameter, first.old, first.new) == ("first_failure_remedies", ["exchange"], ["repair"])
    assert (repeat.parameter, repeat.old, repeat.new) == ("repeat_failure_remedies", ["exchange", "refund"],
                                                          ["repair"])
    assert first.downgrade and repeat.downgrade
    assert first.removed == ("exchange",) and first.added == ("repair",)
    assert repeat.removed == ("refund", "exchange")          # strongest first
    assert "repair only" in first.reference
    data = json.loads(json.dumps(repeat.to_dict()))          # JSON-safe as it is
    assert data["day"] == "2022-09-15" and data["downgrade"] is True and data["removed"] == ["refund", "exchange"]


def test_statutes_have_no_downgrades(book):
    assert diff_rule_set(book.get("cn-mobile-phone-three-guarantees")) == []
    ended = diff_rule_set(book.get("eu-1999-44-consumer-goods"))
    # A repealed law ends, but its successor takes over: listed, not flagged.
    assert [(c.parameter, c.day, c.verdict, c.downgrade) for c in ended] == [
        (WHOLE_RULE_SET, date(2022, 1, 1), "neutral", False)]


def test_synthetic_numbers_move_both_ways(synthetic):
    changes = diff_rule_set(synthetic)
    by_day = {}
    for c in changes:
        by_day.setdefault(c.day, {})[c.parameter] = c
    assert sorted(by_day) == [date(2021, 1, 1), date(2022, 1, 1), date(2023, 7, 1)]
    shrink, rise = by_day[date(2021, 1, 1)]["grace_days"], by_day[date(2021, 1, 1)]["visits_before_exchange"]
    assert (shrink.old, shrink.new, shrink.verdict, shrink.downgrade) == (30, 20, "worse", True)
    assert shrink.reference == "2021 terms: 20 days"
    assert (rise.old, rise.new, rise.verdict, rise.downgrade) == (2, 3, "worse", True)
    grow = by_day[date(2022, 1, 1)]["grace_days"]
    assert (grow.old, grow.new, grow.verdict, grow.downgrade) == (20, 40, "better", False)
    modes = by_day[date(2022, 1, 1)]["covered_modes"]
    assert modes.verdict == "better" and modes.added == ("wifi",) and modes.removed == ()
    # 2023-01-01 restates the same remedies: a version day, but no change.
    assert date(2023, 1, 1) in synthetic.versions() and date(2023, 1, 1) not in by_day
    end = by_day[date(2023, 7, 1)][WHOLE_RULE_SET]
    assert end.downgrade and end.removed == ("refund", "exchange", "repair") and end.new == "ended"


def test_window_limits_the_changes(synthetic):
    assert {c.day for c in diff_rule_set(synthetic, since=date(2021, 6, 1))} == {date(2022, 1, 1),
                                                                                 date(2023, 7, 1)}
    assert {c.day for c in diff_rule_set(synthetic, until=date(2021, 1, 1))} == {date(2021, 1, 1)}
    assert diff_rule_set(synthetic, since=date(2021, 1, 2), until=date(2021, 12, 31)) == []
    with pytest.raises(InputError, match="before it starts"):
        diff_rule_set(synthetic, since=date(2022, 1, 1), until=date(2021, 1, 1))


def test_version_table_spans_each_version(book, synthetic):
    table = version_table(book.get(XIAOMI))
    assert [(v["from"], v["to"]) for v in table] == [("2021-08-06", "2022-09-14"), ("2022-09-15", None)]
    assert table[0]["parameters"]["repeat_failure_remedies"] == ["exchange", "refund"]
    assert table[1]["parameters"]["first_failure_remedies"] == ["repair"]
    last = version_table(synthetic)[-1]
    assert (last["from"], last["to"]) == ("2023-01-01", "2023-06-30")
    assert version_at(synthetic, date(2021, 5, 1))["parameters"]["grace_days"] == 20
    assert version_at(synthetic, date(2023, 7, 1)) is None and version_at(synthetic, date(2019, 1, 1)) is None


def test_summary_and_details_are_json_safe(book):
    summary = rule_set_summary(book.get(XIAOMI))
    assert summary["versions"] == 2 and summary["latest_version"] == "2022-09-15" and summary["rules"] == 2
    assert summary["products"] == ["xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra"] and summary["maker"] == "Xiaomi"
    assert rule_set_summary(book.get("cn-mobile-phone-three-guarantees"))["products"] == "all"
    details = rule_set_details(book.get(XIAOMI), at=date(2022, 1, 1), lang="zh")
    json.dumps(details)
    assert details["in_force_at"] and [v["from"] for v in details["versions"]] == ["2021-08-06"]
    assert "小米" in details["title"] and "小米" in details["rules"][0]["text"]
    assert any(r["url"] for r in details["references"])
    with pytest.raises(InputError, match="--lang 'fr'"):
        rule_set_details(book.get(XIAOMI), lang="fr")


def test_signals_cover_every_product_and_mode(book, synthetic):
    xiaomi = book.get(XIAOMI)
    signals = downgrade_signals(xiaomi, diff_rule_set(xiaomi))
    assert sorted(s.product_id for s in signals) == ["xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra"]
    assert {(s.scope, s.source, s.failure_mode, s.method, s.period) for s in signals} == {
        ("policy_product_mode", "policies", "wifi", "policy_downgrade", date(2022, 9, 15))}
    assert all(s.statistic == 3.0 and s.threshold == 1.0 for s in signals)     # 1 + 2 remedies removed
    evidence = signals[0].evidence
    assert evidence["rule_set"] == XIAOMI and evidence["day"] == "2022-09-15" and len(evidence["changes"]) == 2
    assert "小米" in evidence["reference"]
    json.dumps(signals[0].to_dict())
    # Every product, two modes: one signal per mode and downgrade day, product None.
    synthetic_signals = downgrade_signals(synthetic, diff_rule_set(synthetic))
    assert {(s.scope, s.product_id, s.failure_mode, s.period) for s in synthetic_signals} == {
        ("policy_mode", None, mode, day) for mode in ("battery", "wifi")
        for day in (date(2021, 1, 1), date(2023, 7, 1))}
    assert {s.statistic for s in synthetic_signals if s.period == date(2021, 1, 1)} == {1.0}   # numbers only


def test_alerts_raised_once_per_covered_product(store, book):
    first = record_downgrade_alerts(store, book)      # the whole book: only Xiaomi's policy downgrades
    assert len(first.raised) == 3 and not first.updated and not first.unchanged
    with store.reader() as con:
        alerts = list_alerts(con)
        detail = show_alert(con, first.raised[0])
        events = con.execute("SELECT count(*) FROM alert_events").fetchone()[0]
    assert sorted(a["product_id"] for a in alerts) == ["xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra"]
    assert {(a["scope"], a["source"], a["failure_mode"], a["last_method"], a["first_seen"], a["status"])
            for a in alerts} == {("policy_product_mode", "policies", "wifi", "policy_downgrade", "2022-09-15", "new")}
    assert detail["last_evidence"]["rule_set"] == XIAOMI and detail["last_statistic"] == 3.0
    again = record_downgrade_alerts(store, book.get(XIAOMI))
    assert not again.raised and not again.updated and not again.reopened and sorted(again.unchanged) == sorted(
        first.raised)
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM alert_events").fetchone()[0] == events


def test_closed_alert_stays_closed_when_the_diff_runs_again(store, book):
    alert = record_downgrade_alerts(store, book.get(XIAOMI)).raised[0]
    transition(store, alert, "closed", "li", "known; escalated to the regulator")
    again = record_downgrade_alerts(store, book.get(XIAOMI))
    assert alert in again.unchanged and not again.reopened
    with store.reader() as con:
        assert show_alert(con, alert)["status"] == "closed"


def test_each_downgrade_day_is_evidence_once(store, synthetic):
    first = record_downgrade_alerts(store, synthetic)
    assert len(first.raised) == 2 and len(first.updated) == 2     # 2021-01-01 raises, the end adds evidence
    with store.reader() as con:
        alerts = list_alerts(con)
    assert {(a["scope"], a["product_id"], a["evidence_count"], a["last_seen"]) for a in alerts} == {
        ("policy_mode", None, 2, "2023-07-01")}
    again = record_downgrade_alerts(store, synthetic)
    assert not again.raised and not again.updated and len(again.unchanged) == 4
    early = record_downgrade_alerts(store, synthetic, as_of=date(2022, 12, 31))
    assert not early.raised and not early.updated and len(early.unchanged) == 2


def test_policy_diff_records_only_with_a_store(store, book):
    xiaomi = book.get(XIAOMI)
    dry = policy_diff(xiaomi)
    assert dry.alerts is None and len(dry.downgrades) == 2 and not store.exists()
    assert dry.to_dict()["alerts"] is None and dry.to_dict()["downgrades"] == 2
    recorded = policy_diff(xiaomi, store=store).to_dict()
    assert len(recorded["alerts"]["raised"]) == 3
    assert recorded["alerts"]["products"] == ["xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra"]
    before = policy_diff(xiaomi, until=date(2022, 9, 14), store=store).to_dict()
    assert before["changes"] == [] and before["alerts"] is None


def test_two_rule_sets_downgrading_one_product_share_its_alert(store, synthetic):
    twin = parse_rule_set(SYNTHETIC.replace("id: synthetic-care", "id: synthetic-twin"), "twin.yaml")
    first = record_downgrade_alerts(store, [synthetic, twin])
    assert len(first.raised) == 2 and len(first.updated) == 2
    with store.reader() as con:
        detail = show_alert(con, first.raised[0])
    assert detail["last_evidence"]["rule_set"] == "synthetic-care, synthetic-twin"
    assert detail["last_statistic"] == 6.0      # each policy's end removes three remedies
    assert {c["rule_set"] for c in detail["last_evidence"]["changes"]} == {"synthetic-care", "synthetic-twin"}
    for rule_sets in ([synthetic, twin], [twin], [synthetic]):
        again = record_downgrade_alerts(store, rule_sets)
        assert not again.raised and not again.updated and not again.reopened
