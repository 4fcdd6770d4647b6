"""Known issues (recalls, announcements, policy versions) and labelling the surges that follow them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from defectradar.analyses.known import (
    KnownIssue,
    is_known,
    known_issues,
    label_known,
    policy_issues,
    post_announcement_expectation,
)
from defectradar.errors import InputError
from defectradar.ingest.pipeline import ingest_file
from defectradar.remedies import builtin_rule_book
from defectradar.signals.alerts import Signal

RECALL = KnownIssue("named:ford-escape", "electrical-system", date(2022, 3, 1), "recall", "22V100000",
                    "battery cables may short", "ELECTRICAL SYSTEM:BATTERY")


def weekly_signal(product: str | None, mode: str | None, period: date, counts: list[float],
                  scope: str = "product_mode") -> Signal:
    """A signal whose evidence series ends with the alarm period, as ``signals scan`` writes it."""
    periods = [(period - timedelta(weeks=len(counts) - 1 - k)).isoformat() for k in range(len(counts))]
    return Signal(scope, "reports", product, mode, "glr-poisson", period, 9.0, 6.0,
                  {"freq": "week", "count": float(counts[-1]), "series": {"periods": periods, "counts": counts}})


def test_a_surge_right_after_a_recall_is_known():
    signal = weekly_signal("named:ford-escape", "electrical-system", date(2022, 3, 7), [1, 0, 2, 1, 40])
    assert label_known([signal], [RECALL]) == [signal]
    record = signal.evidence["known_issue"]
    assert is_known(signal) and record["status"] == "known" and record["reference"] == "22V100000"
    assert record["since"] == "2022-03-01" and record["expectation"] is None     # within 60 days: the follow-on


def test_a_surge_beyond_the_post_announcement_expectation_stays_an_alarm():
    # Weeks since the recall ran at about 10 a week; 45 is beyond 1.5 x 10 at the 99% Poisson quantile.
    counts = [30, 20, 12, 10, 9, 11, 10, 8, 10, 9, 11, 45]
    period = date(2022, 5, 23)
    signal = weekly_signal("named:ford-escape", "electrical-system", period, counts)
    assert label_known([signal], [RECALL]) == []
    record = signal.evidence["known_issue"]
    assert record["status"] == "exceeded" and not is_known(signal)
    expectation = record["expectation"]
    assert expectation["periods"] == 11 and expectation["mean"] == pytest.approx(140 / 11, abs=1e-3)
    assert expectation["expected"] == pytest.approx(1.5 * 140 / 11, abs=1e-3) and expectation["limit"] < 45
    # The follow-on at its own level is known.
    usual = weekly_signal("named:ford-escape", "electrical-system", period, counts[:-1] + [16])
    assert label_known([usual], [RECALL]) == [usual]
    assert usual.evidence["known_issue"]["expectation"]["limit"] >= 16


def test_expectation_reads_only_the_periods_since_the_announcement():
    # Twelve weeks shown; the announcement in the 9th: its week and the two after count.
    period = date(2022, 6, 6)
    signal = weekly_signal("p", "m", period, [50] * 8 + [4, 6, 8, 30])
    since = period - timedelta(weeks=3) + timedelta(days=2)           # a Wednesday in the 9th week
    expectation = post_announcement_expectation(signal, since, settle_days=0)
    assert expectation["periods"] == 3 and expectation["mean"] == 6.0
    assert post_announcement_expectation(signal, since) is None      # within the 60 days of settling


def test_matching_product_mode_date_and_window():
    period = date(2022, 3, 7)
    same = weekly_signal("named:ford-escape", "electrical-system", period, [40])
    other_mode = weekly_signal("named:ford-escape", "seat-belts", period, [40])
    other_product = weekly_signal("named:ford-focus", "electrical-system", period, [40])
    every_product = weekly_signal(None, "electrical-system", period, [40], scope="mode")
    every_mode = weekly_signal("named:ford-escape", None, period, [40], scope="product")
    before = weekly_signal("named:ford-escape", "electrical-system", date(2022, 2, 21), [40])
    labelled = label_known([same, other_mode, other_product, every_product, every_mode, before], [RECALL])
    assert labelled == [same, every_mode]
    assert "known_issue" not in other_mode.evidence and "known_issue" not in before.evidence
    # The recall's week: a Tuesday recall explains the surge of the week starting that Monday.
    week_of = weekly_signal("named:ford-escape", "electrical-system", date(2022, 2, 28), [40])
    assert label_known([week_of], [RECALL]) == [week_of]
    # Older than the window: no longer explains anything.
    late = weekly_signal("named:ford-escape", "electrical-system", date(2024, 3, 11), [40])
    assert label_known([late], [RECALL]) == []
    assert label_known([late], [RECALL], window_months=36) == [late]


def test_an_issue_of_every_mode_and_the_latest_issue_win():
    every = KnownIssue("named:ford-escape", None, date(2022, 4, 1), "announcement", "F-2")
    signal = weekly_signal("named:ford-escape", "seat-belts", date(2022, 4, 4), [3, 30])
    assert label_known([signal], [RECALL, every]) == [signal]
    both = weekly_signal("named:ford-escape", "electrical-system", date(2022, 4, 4), [3, 30])
    label_known([both], [RECALL, every])
    assert both.evidence["known_issue"]["reference"] == "F-2" and both.evidence["known_issue"]["other_issues"] == 1


def test_a_disproportionality_signal_has_no_series_and_is_known():
    signal = Signal("product_mode", "reports", "named:ford-escape", "electrical-system", "disproportionality",
                    date(2022, 9, 5), 3.1, 2.0, {"n": 80})
    assert label_known([signal], [RECALL]) == [signal]
    assert signal.evidence["known_issue"]["expectation"] is None


def test_parameters_are_checked():
    with pytest.raises(InputError, match="quantile between 0 and 1"):
        label_known([], [RECALL], quantile=1.5)


def test_policy_versions_are_known_issues():
    issues = policy_issues(builtin_rule_book(), date(2023, 1, 1))
    mi11 = [i for i in issues if i.product_id == "xiaomi-11"]
    assert [(i.mode, i.since, i.reference) for i in mi11] == [
        ("wifi", date(2021, 8, 6), "xiaomi-11-series-wifi@2021-08-06"),
        ("wifi", date(2022, 9, 15), "xiaomi-11-series-wifi@2022-09-15")]
    assert {i.product_id for i in issues} == {"xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra"}  # laws name none
    assert [i.since for i in policy_issues(builtin_rule_book(), date(2022, 1, 1))
            if i.product_id == "xiaomi-11"] == [date(2021, 8, 6)]
    surge = weekly_signal("xiaomi-11", "wifi", date(2021, 8, 9), [5, 6, 60])
    assert label_known([surge], issues) == [surge]
    assert surge.evidence["known_issue"]["source"] == "policy"


def test_known_issues_from_the_store(store, tmp_path, csv_file):
    recalls = csv_file(["campaign", "make", "model", "model_year", "component", "report_received_date", "summary"],
                       [["22V100000", "FORD", "Escape", "2020", "ELECTRICAL SYSTEM:BATTERY", "2022-03-01", "cables"],
                        ["22V100000", "FORD", "Escape", "2021", "ELECTRICAL SYSTEM:BATTERY", "2022-03-01", "cables"],
                        ["22V200000", "FORD", "Escape", "2021", "SEAT BELTS,AIR BAGS", "2022-05-01", "belts"],
                        ["23V300000", "FORD", "Focus", "2021", "STEERING", "2023-01-10", "later"]],
                       name="recalls.csv")
    ingest_file(store, recalls, classifier=False)
    announcements = csv_file(["product", "brand", "mode", "date", "kind", "reference", "text"],
                             [["Mi 11", "Xiaomi", "motherboard", "2022-02-01", "statement", "MI-1", "boards"]],
                             name="announcements.csv")
    ingest_file(store, announcements, classifier=False)
    with store.reader() as con:
        issues = known_issues(con, date(2022, 12, 31))
        escape = known_issues(con, date(2022, 12, 31), product_ids=["named:ford-escape"])
        only = known_issues(con, date(2022, 12, 31), sources=["announcement"])
        with pytest.raises(InputError, match="choose from recall, announcement, policy"):
            known_issues(con, date(2022, 12, 31), sources=["rumour"])
    assert [(i.reference, i.mode, i.model_years) for i in escape] == [
        ("22V100000", "electrical-system", (2020, 2021)), ("22V200000", "air-bags", (2021,)),
        ("22V200000", "seat-belts", (2021,))]
    assert "23V300000" not in {i.reference for i in issues}          # not known yet on the day asked
    assert [(i.product_id, i.mode, i.source) for i in only] == [("xiaomi-11", "motherboard", "announcement")]
    assert {i.source for i in issues} == {"recall", "announcement", "policy"}
