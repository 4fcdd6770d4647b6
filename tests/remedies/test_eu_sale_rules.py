"""EU sale-of-goods rules, one test per provision and boundary.

Sources: Directive (EU) 2019/771 arts. 10(1), 11(1), 13(2), 13(4)(a)-(c), 13(5), 14(1), 24,
26; Directive 1999/44/EC arts. 3 and 5 for contracts concluded before 2022-01-01.
"""

from __future__ import annotations

from tests.remedies.remedy_cases import judge, last_step, rule_ids

P = "2022-02-10"


def event(date, kind="fault", mode="display", **extra):
    return {"date": date, "type": kind, "failure_mode": mode, **extra}


def eu_step(events, **kwargs):
    return last_step(events, jurisdiction="DE", purchase=kwargs.pop("purchase", P), **kwargs)


def test_a_member_state_resolves_to_the_eu_rules():
    result = judge([event("2022-05-01")], jurisdiction="FR", purchase=P)
    assert result.case.device.jurisdiction == "EU"


def test_month_11_is_presumed_month_13_needs_proof():
    month11 = eu_step([event("2023-01-05")])
    assert month11.due == ["exchange", "repair"]
    assert "eu-sale.conformity-presumed" in rule_ids(month11) and not month11.proof_needed
    month13 = eu_step([event("2023-03-05")])
    assert month13.due == ["exchange", "repair"]
    assert "eu-sale.conformity-to-prove" in rule_ids(month13) and month13.proof_needed
    assert month13.to_dict("en")["proof_needed"] is True


def test_the_presumption_ends_on_the_anniversary():
    assert not eu_step([event("2023-02-10")]).proof_needed
    assert eu_step([event("2023-02-11")]).proof_needed


def test_nothing_is_due_after_two_years():
    assert eu_step([event("2024-02-10")]).due == ["exchange", "repair"]
    assert eu_step([event("2024-02-11")]).due == []


def test_repair_or_replacement_is_the_consumers_choice():
    assert not eu_step([event("2022-06-01", "repair")]).shortfall
    assert not eu_step([event("2022-06-01", "exchange")]).shortfall


def test_a_defect_back_after_a_repair_opens_price_reduction_or_termination():
    step = eu_step([event("2022-06-01", "repair"), event("2022-09-01", "repair")])
    assert step.due[:2] == ["refund", "exchange"] and "price_reduction" in step.due
    assert "eu-sale.reappeared-after-remedy" in rule_ids(step)
    assert step.shortfall                                        # another repair where termination was due


def test_no_termination_for_a_minor_defect():
    step = eu_step([event("2022-06-01", "repair"), event("2022-09-01", "fault", minor=True)])
    assert "refund" not in step.due and "price_reduction" in step.due


def test_a_refused_remedy_opens_price_reduction_or_termination():
    refused = eu_step([event("2022-06-01", "refused")])
    assert refused.shortfall and refused.shortfall_kind == "refused"
    after = eu_step([event("2022-06-01", "refused"), event("2022-06-10")])
    assert after.due[0] == "refund" and "eu-sale.remedy-refused-or-late" in rule_ids(after)


def test_a_repair_beyond_a_reasonable_time_opens_termination():
    assert "refund" not in eu_step([event("2022-06-01", "repair", days_out_of_service=30)]).due
    slow = eu_step([event("2022-06-01", "repair", days_out_of_service=31)])
    assert slow.due[0] == "refund" and slow.shortfall


def test_a_serious_defect_allows_immediate_termination():
    step = eu_step([event("2022-06-01", serious=True)])
    assert step.due[0] == "refund" and "eu-sale.serious-defect" in rule_ids(step)


def test_data_wiped_in_repair_is_weighed_and_counted():
    result = judge([event("2022-06-01", "repair", data_wiped=True), event("2022-07-01", "repair", data_wiped=True),
                    event("2022-08-01")], jurisdiction="EU", purchase=P)
    assert len(result.data_wipes) == 2
    assert "eu-sale.significant-inconvenience" in rule_ids(result.steps[-1])
    assert result.to_dict()["data_wipes"]["count"] == 2
    assert "wiped 2 times" in result.to_dict()["summary"]


def test_contracts_before_2022_follow_directive_1999_44_with_six_months_presumption():
    month5 = eu_step([event("2021-06-01")], purchase="2021-01-15")
    assert "eu-1999-44.conformity-presumed" in rule_ids(month5)
    month7 = eu_step([event("2021-08-20")], purchase="2021-01-15")
    assert "eu-1999-44.conformity-to-prove" in rule_ids(month7) and month7.proof_needed
    assert not any(r.startswith("eu-sale.") for r in rule_ids(month7))
