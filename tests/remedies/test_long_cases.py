"""Long cases: judging stays near linear in the events and gives the answers it gave before.

A 1,000-event case took 66 s to ``remedies check``: each claim scanned its whole past, and the
table view let Rich highlight every date of sentences that quote every earlier repair.  Claims
now ask a shared :class:`~defectradar.remedies.history.History`; these tests hold its answers to
the scanning ``Claim`` the engine had before (kept here, verbatim, as the reference) and to
judging a shorter case.  Speed itself is measured in ``benchmarks/remedies.py``, not here.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.remedies.remedy_cases import BOOK, make_case
from typer.testing import CliRunner

import defectradar.remedies.engine as engine
from defectradar.cli.app import app
from defectradar.remedies import Claim, judge_case
from defectradar.remedies.case import Event, add_months
from defectradar.remedies.history import History, IndexedHistory

PURCHASE = date(2021, 10, 20)


class ScanningClaim(Claim):
    """The claim as it was before History: every question scans ``prior`` (the reference)."""

    def last_exchange(self, component=None):
        exchanges = [e for e in self.prior if e.type == "exchange"
                     and (e.component in (None, "main_unit") if component in (None, "main_unit")
                          else e.component == component)]
        return exchanges[-1] if exchanges else None

    def prior_of_unit(self):
        last = self.last_exchange()
        if last is None:
            return self.prior
        return self.prior[self.prior.index(last) + 1:]

    def repairs(self, mode=None, unit_only=True):
        events = self.prior_of_unit() if unit_only else self.prior
        return [e for e in events if e.type == "repair" and (mode is None or e.failure_mode == mode)]

    def repair_count(self, mode=None, unit_only=True):
        return len(self.repairs(mode, unit_only))

    def claims(self, mode=None, types=("repair", "exchange", "refund")):
        return [e for e in self.prior if e.type in types and (mode is None or e.failure_mode == mode)]

    def claim_count(self, mode=None, types=("repair", "exchange", "refund")):
        return len(self.claims(mode, types))

    def last_claim(self, mode=None, types=("repair", "exchange", "refund")):
        found = self.claims(mode, types)
        return found[-1] if found else None

    def exchanges_of(self, component):
        return len([e for e in self.prior if e.type == "exchange" and (e.component or "") == component])

    def last_slow_repair(self, mode, limit):
        slow = [e for e in self.claims(mode, types=("repair",)) if e.days_out_of_service > limit]
        return slow[-1] if slow else None

    def data_wipes(self):
        return [e for e in self.prior if e.data_wiped]

    def days_out_of_service(self, since):
        return sum(e.days_out_of_service for e in self.prior if e.date >= since)

    def period_end(self, start, months, extra_days=0):
        return add_months(start, months) + timedelta(days=extra_days)


def long_events(n: int, seed: int = 7, span_days: int = 900) -> list[dict]:
    """``n`` events of every type over ``span_days`` (many on one day), several faults and parts."""
    rng = random.Random(seed)
    types = ["repair", "repair", "repair", "fault", "inspection", "refused", "exchange", "refund"]
    events = []
    for i in range(n):
        event = {"date": (PURCHASE + timedelta(days=1 + i * span_days // n)).isoformat(), "type": rng.choice(types),
                 "failure_mode": rng.choice(["wifi", "battery", "display", "charging"]),
                 "days_out_of_service": rng.choice([0, 3, 9, 31, 65]), "data_wiped": rng.random() < 0.2,
                 "event_id": f"e{i}"}
        if rng.random() < 0.15:
            event["component"] = rng.choice(["battery", "charger", "main_unit"])
        if rng.random() < 0.1:
            event["serious" if rng.random() < 0.5 else "minor"] = True
        events.append(event)
    return events


def _answers(judgement):
    return judgement.to_dict()


@pytest.mark.parametrize("jurisdiction, product", [("CN", "xiaomi-11"), ("DE", "xiaomi-11"), ("CN", "xiaomi-12")])
def test_a_1000_event_case_gives_the_answers_it_gave_before(jurisdiction, product, monkeypatch):
    case = make_case(long_events(1000), product=product, purchase=PURCHASE.isoformat(), jurisdiction=jurisdiction)
    now = _answers(judge_case(BOOK, case, as_of=date(2025, 1, 1)))
    with monkeypatch.context() as patch:
        patch.setattr(engine, "Claim", ScanningClaim)
        before = _answers(judge_case(BOOK, case, as_of=date(2025, 1, 1)))
    assert len(now["steps"]) == 1000
    assert now == before


def test_the_first_events_of_a_long_case_are_judged_as_the_short_case_alone():
    events = long_events(1000, seed=11)
    long = judge_case(BOOK, make_case(events, product="xiaomi-11", purchase=PURCHASE.isoformat()),
                      as_of=date(2025, 1, 1))
    short = judge_case(BOOK, make_case(events[:40], product="xiaomi-11", purchase=PURCHASE.isoformat()),
                       as_of=date(2025, 1, 1))
    assert [s.to_dict("en") for s in long.steps[:40]] == [s.to_dict("en") for s in short.steps]
    assert any(s.shortfall for s in short.steps) and any(h for s in short.steps for h in s.hits)


def test_remedies_check_of_a_1000_event_case_through_the_shell(tmp_path):
    events = long_events(1000, seed=3)
    raw = {"device": {"product": "Mi 11", "purchase_date": PURCHASE.isoformat(), "jurisdiction": "CN"}}
    runner = CliRunner()
    answers = []
    for count in (1000, 25):
        path = tmp_path / f"case{count}.json"
        path.write_text(json.dumps({**raw, "events": events[:count]}), "utf-8")
        result = runner.invoke(app, ["remedies", "check", str(path), "--as-of", "2025-01-01", "--json"])
        assert result.exit_code == 0, result.output
        answers.append(json.loads(result.stdout)["steps"])
    assert len(answers[0]) == 1000 and answers[0][:25] == answers[1]
    table = runner.invoke(app, ["remedies", "check", str(tmp_path / "case1000.json"), "--as-of", "2025-01-01"])
    assert table.exit_code == 0 and table.output.count("\n20") >= 1000


_EVENT = st.builds(
    lambda day, kind, mode, days, wiped, component: Event(PURCHASE + timedelta(days=day), kind, mode, days, wiped,
                                                          component),
    st.integers(0, 60), st.sampled_from(["fault", "inspection", "repair", "exchange", "refund", "refused"]),
    st.sampled_from(["wifi", "battery", "other_defect"]), st.integers(0, 40), st.booleans(),
    st.sampled_from([None, None, "main_unit", "battery", "charger"]))


@settings(max_examples=200, deadline=None)
@given(events=st.lists(_EVENT, max_size=40), sort=st.booleans(), data=st.data())
def test_the_index_answers_every_question_as_the_scan_does(events, sort, data):
    if sort:
        events.sort(key=lambda e: e.date)
    events = tuple(events)
    scan, index = History(events), IndexedHistory(events)
    end = data.draw(st.integers(0, len(events)))
    start = data.draw(st.integers(0, end))
    mode = data.draw(st.sampled_from([None, "wifi", "battery"]))
    types = data.draw(st.lists(st.sampled_from(["repair", "exchange", "refund", "refused"]), min_size=1, max_size=3))
    component = data.draw(st.sampled_from([None, "main_unit", "battery", "charger"]))
    since = PURCHASE + timedelta(days=data.draw(st.integers(0, 60)))
    limit = data.draw(st.integers(0, 40))
    for question, args in (("last_exchange", (component, end)), ("exchange_count", (component, end)),
                           ("of_types", (types, mode, start, end)), ("count_of_types", (types, mode, start, end)),
                           ("last_of_types", (types, mode, end)), ("wiped", (end,)),
                           ("days_out_of_service", (since, end)), ("last_slow_repair", (mode, limit, end))):
        assert getattr(index, question)(*args) == getattr(scan, question)(*args), question
