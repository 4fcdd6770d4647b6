"""China's mobile phone three-guarantees, one test per rule and boundary.

Source: 移动电话机商品修理更换退货责任规定 (2001), articles 11-18 and the three-guarantee period
provisions; periods count from the day after the sale (Civil Code art. 201), so "within 7
days" is at most 7 days after the purchase date.
"""

from __future__ import annotations

import pytest
from tests.remedies.remedy_cases import day, judge, last_step, rule_ids

P = "2022-03-01"


def fault(n, kind="repair", mode="wifi", **extra):
    return {"date": day(P, n), "type": kind, "failure_mode": mode, **extra}


@pytest.mark.parametrize("n, due, rule", [
    (7, ["refund", "exchange", "repair"], "cn-phone.refund-within-7-days"),
    (8, ["exchange", "repair"], "cn-phone.exchange-within-15-days"),
    (15, ["exchange", "repair"], "cn-phone.exchange-within-15-days"),
    (16, ["repair"], "cn-phone.free-repair-in-warranty"),
])
def test_day_7_8_15_16_boundaries(n, due, rule):
    step = last_step([fault(n, "fault")])
    assert step.due == due
    assert rule in rule_ids(step)
    assert not step.shortfall          # a bare fault report is owed, not yet short


def test_within_7_days_the_owner_chooses_so_a_repair_is_not_short_but_a_refusal_is():
    assert not last_step([fault(3, "repair")]).shortfall
    assert not last_step([fault(3, "exchange")]).shortfall
    refused = last_step([fault(3, "refused")])
    assert refused.shortfall and refused.shortfall_kind == "refused"


def test_day_16_repair_is_all_that_is_due():
    step = last_step([fault(16, "repair")])
    assert step.due == ["repair"] and not step.shortfall


def test_third_failure_after_two_repairs_is_owed_an_exchange():
    events = [fault(40), fault(90), fault(150)]
    result = judge(events)
    first, second, third = result.steps
    assert "exchange" not in first.due and "exchange" not in second.due
    assert third.due[0] == "exchange"
    assert "cn-phone.exchange-after-two-repairs" in rule_ids(third)
    assert third.shortfall and third.shortfall_kind == "lesser_remedy"
    assert result.now_due[0] == "exchange"


def test_an_exchange_after_two_repairs_is_not_short():
    assert not last_step([fault(40), fault(90), fault(150, "exchange")]).shortfall


def test_repairs_of_another_fault_do_not_count_towards_the_exchange():
    step = last_step([fault(40, mode="camera"), fault(90, mode="display"), fault(150)])
    assert step.due == ["repair"]


def test_warranty_extends_by_the_days_in_repair():
    # Purchase 2022-03-01: the year ends 2023-03-01; day 370 is 2023-03-06.
    bare = last_step([fault(370, "fault")])
    assert bare.due == []
    extended = last_step([fault(60, days_out_of_service=10), fault(370, "fault")])
    assert extended.due == ["repair"]
    text = [h for h in extended.hits if h.rule.id == "cn-phone.free-repair-in-warranty"][0].entitlement.values
    assert text["extension_days"] == 10 and text["warranty_end"] == "2023-03-11"


def test_a_repair_after_the_warranty_is_more_than_due():
    step = last_step([fault(400, "repair")])
    assert step.due == [] and not step.shortfall


def test_model_no_longer_supplied_turns_the_exchange_into_a_refund():
    events = [fault(40), fault(90), fault(150)]
    available = last_step(events)
    assert "refund" not in available.due
    gone = last_step(events, model_discontinued=day(P, 100))
    assert gone.due[:2] == ["refund", "exchange"]
    assert "cn-phone.refund-when-model-unavailable" in rule_ids(gone)
    # the catalog's end of production is the default: Xiaomi 12 left production 2023-03-31
    from_catalog = judge(events, model_discontinued="catalog")
    assert from_catalog.case.device.model_discontinued.isoformat() == "2023-03-31"


def test_sixty_days_waiting_for_parts_is_owed_an_exchange():
    assert "exchange" not in last_step([fault(30, days_out_of_service=60)]).due
    step = last_step([fault(30, days_out_of_service=61)])
    assert step.due[0] == "exchange" and step.shortfall
    assert "cn-phone.exchange-after-60-days-waiting" in rule_ids(step)


def test_without_an_invoice_only_free_repair():
    step = last_step([fault(3, "fault")], invoice=False)
    assert step.due == ["repair"]
    late = last_step([fault(40), fault(90), fault(150)], invoice=False)
    assert late.due == ["repair"]


def test_without_an_invoice_the_period_starts_90_days_after_manufacture():
    events = [fault(400, "fault")]
    assert last_step(events, invoice=False).due == []
    assert last_step(events, invoice=False, manufacture_date="2022-02-01").due == ["repair"]


def test_an_exchange_restarts_the_period_and_the_repair_count():
    events = [fault(40), fault(90), fault(150, "exchange"), fault(200), fault(480, "fault")]
    result = judge(events)
    assert result.steps[3].due == ["repair"]                 # first repair of the new unit
    assert result.steps[4].due == ["repair"]                 # day 480: inside the new unit's year
    assert "cn-phone.refund-within-7-days" not in rule_ids(judge([fault(150, "exchange"), fault(153, "fault")]).steps[1])


def test_accessories_have_their_own_periods_and_are_exchanged():
    battery = {"component": "battery"}
    within = last_step([fault(150, "fault", mode="battery", **battery)])
    assert within.due[0] == "exchange" and "cn-phone.accessory-exchange" in rule_ids(within)
    assert last_step([fault(200, "fault", mode="battery", **battery)]).due == []   # 6 months
    twice = [fault(30, "exchange", mode="battery", **battery), fault(60, "exchange", mode="battery", **battery),
             fault(90, "fault", mode="battery", **battery)]
    assert last_step(twice).due[0] == "refund"
    # an accessory exchange does not restart the main unit's period
    main = last_step([fault(300, "exchange", mode="battery", **battery), fault(380, "fault")])
    assert main.due == []


def test_a_long_repair_notes_the_loaner_phone_without_changing_the_remedy():
    step = last_step([fault(30, days_out_of_service=8)])
    assert "cn-phone.loaner-phone" in rule_ids(step)
    assert step.due == ["repair"] and not step.shortfall


def test_inspections_are_never_short():
    step = last_step([fault(3, "inspection")])
    assert step.due and not step.shortfall
