"""Manufacturer policy against the statute floor: the Xiaomi 11 series Wi-Fi policy by date.

Policy versions (xiaomi-11-series-wifi.yaml): from 2021-08-06 a first Wi-Fi failure is
exchanged and a repeat failure exchanged or refunded; from 2022-09-15 motherboard repair only.
The China three-guarantees stay the floor throughout.
"""

from __future__ import annotations

from tests.remedies.remedy_cases import judge, last_step, rule_ids


def wifi(date, kind="repair", **extra):
    return {"date": date, "type": kind, "failure_mode": "wifi", **extra}


MI11 = {"product": "xiaomi-11", "purchase": "2021-05-01"}


def test_before_the_policy_the_statute_alone_decides():
    step = last_step([wifi("2021-07-01")], **MI11)
    assert step.due == ["repair"] and not step.shortfall
    assert not any(h.rule_set.kind == "manufacturer_policy" for h in step.hits)


def test_the_policy_gives_more_than_the_law_and_a_repair_falls_short():
    step = last_step([wifi("2021-09-01")], **MI11)
    assert step.due == ["exchange", "repair"]
    assert "xiaomi-11-wifi.first-failure" in rule_ids(step)
    assert step.shortfall and step.shortfall_kind == "lesser_remedy"
    assert not last_step([wifi("2021-09-01", "exchange")], **MI11).shortfall


def test_a_repeat_failure_under_the_policy_is_owed_an_exchange_or_refund_after_one_repair():
    step = last_step([wifi("2021-07-01"), wifi("2021-09-01", "fault")], **MI11)
    assert step.due[:2] == ["refund", "exchange"]
    assert "cn-phone.exchange-after-two-repairs" not in rule_ids(step)      # the law alone: repair


def test_other_products_and_faults_are_not_covered_by_the_policy():
    assert last_step([wifi("2021-09-01")], product="xiaomi-12", purchase="2021-05-01").due == ["repair"]
    assert last_step([{"date": "2021-09-01", "type": "repair", "failure_mode": "camera"}], **MI11).due == ["repair"]


def test_after_2022_09_15_the_policy_gives_repair_only():
    step = last_step([wifi("2022-09-20")], product="xiaomi-11", purchase="2022-01-10")
    assert step.due == ["repair"] and not step.shortfall
    policy = [h for h in step.hits if h.rule_set.kind == "manufacturer_policy"]
    assert policy and policy[0].entitlement.remedies == ("repair",)
    assert "2022-09-15" in policy[0].reference("en")


def test_after_the_cut_the_statute_still_owes_an_exchange_past_the_second_repair():
    events = [wifi("2022-03-01"), wifi("2022-06-01"), wifi("2022-09-20")]
    before = judge([wifi("2022-03-01"), wifi("2022-06-01"), wifi("2022-09-10")], product="xiaomi-11",
                   purchase="2022-01-10").steps[-1]
    after = judge(events, product="xiaomi-11", purchase="2022-01-10").steps[-1]
    assert "xiaomi-11-wifi.repeat-failure" in rule_ids(before) and before.due[0] == "refund"
    assert "cn-phone.exchange-after-two-repairs" in rule_ids(after)
    assert after.shortfall and after.due[0] in ("refund", "exchange")
    deciding = [h for h in after.hits if after.due[0] in h.entitlement.remedies]
    assert all(h.rule_set.kind == "statute" for h in deciding)


def test_the_engine_judges_each_event_by_the_rules_of_its_own_day():
    result = judge([wifi("2021-07-01"), wifi("2021-09-01", "exchange"), wifi("2022-10-01")], product="xiaomi-11",
                   purchase="2021-05-01")
    first, second, third = result.steps
    assert first.due == ["repair"]
    assert second.due[:2] == ["refund", "exchange"] and not second.shortfall
    assert third.due == ["repair"]           # the exchanged unit's first failure under the repair-only policy
