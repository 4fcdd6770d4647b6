"""Lemons from the remedies engine: hand-made histories at the dated rule sets' edges, the rule
selection, a rule set file given with --config, and the store query.

(Moved from ``tests/reliability/test_lemons.py`` when the hard-coded rules gave way to the rule sets.)
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources

import pandas as pd
import pytest

from defectradar.analyses.lemons import EVENT_COLUMNS, REPEAT_PROVISIONS, find_lemons, lemons_in_store, load_lemon_rules
from defectradar.errors import InputError
from defectradar.ingest.pipeline import ingest_file
from defectradar.query.service_histories import COLUMNS, latest_service_date, service_histories
from defectradar.remedies.rule_book import builtin_rule_book

BOUGHT = date(2021, 1, 1)
ART_13 = "cn-phone.exchange-after-two-repairs"


def history(*visits, device="dev_a", bought=BOUGHT, product="iphone-13", region="广东"):
    """Events of one device: each visit is (days after purchase, mode, action[, days out of service])."""
    rows = []
    for i, visit in enumerate(visits):
        age, mode, action, *rest = visit
        rows.append({"event_id": f"{device}-{i}", "device_token": device, "product_id": product,
                     "purchase_date": pd.Timestamp(bought) if bought else pd.NaT,
                     "date": pd.Timestamp((bought or BOUGHT) + timedelta(days=age)), "failure_mode": mode,
                     "action": action, "days_out_of_service": rest[0] if rest else 0, "data_wiped": False,
                     "region": region})
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))


def hits(events, rules=None, **kwargs):
    return find_lemons(events, rules, **kwargs).hits


# --- China: art. 13, the fault persists after two repairs inside the three-guarantee period --------------------

def test_cn_fault_persisting_after_two_repairs_is_a_lemon_with_the_engines_reason():
    events = history((100, "wifi", "repair"), (200, "wifi", "repair"), (300, "wifi", "repair"))
    [hit] = hits(events)
    assert (hit.rule, hit.criterion, hit.failure_mode, hit.jurisdiction) == (ART_13, "fault_persists", "wifi", "CN")
    assert hit.event_ids == ["dev_a-0", "dev_a-1", "dev_a-2"] and hit.repairs == 2
    assert hit.first_hit_date == date(2021, 10, 28)                       # day 300
    assert hit.rule_set == "cn-mobile-phone-three-guarantees" and hit.rule_set_kind == "statute"
    assert "国质检质联〔2001〕44号" in hit.citation and "Art. 13" in hit.reference
    assert (hit.effective_from, hit.effective_to, hit.version_from) == (date(2001, 11, 15), None, date(2001, 11, 15))
    assert hit.remedies == ["exchange"] and hit.given == "repair" and hit.shortfall
    assert hit.reason == ("wifi fault back on 2021-10-28 (repair visit): The fault persists after 2 repairs "
                          "(2021-04-11, 2021-07-20) inside the three-guarantee period (to 2022-01-01): a free "
                          "exchange of the same model.")


def test_cn_two_repairs_alone_are_not_a_lemon_and_different_faults_do_not_add_up():
    assert hits(history((100, "wifi", "repair"), (200, "wifi", "repair"))) == []
    assert hits(history((100, "wifi", "repair"), (150, "camera", "repair"), (200, "wifi", "repair"))) == []


def test_cn_period_ends_twelve_months_after_purchase_plus_the_days_in_repair():
    inside = history((100, "wifi", "repair"), (200, "wifi", "repair"), (365, "wifi", "refused"))
    outside = history((100, "wifi", "repair"), (200, "wifi", "repair"), (366, "wifi", "refused"))
    assert [h.first_hit_date for h in hits(inside)] == [date(2022, 1, 1)]
    assert hits(outside) == []
    extended = history((100, "wifi", "repair", 10), (200, "wifi", "repair"), (370, "wifi", "repair"))
    assert [h.first_hit_date for h in hits(extended)] == [date(2022, 1, 6)]   # 10 days in repair added


def test_an_inspection_after_two_repairs_counts_as_the_engine_judges_it():
    # The engine judges the fault reported again, whatever the centre found; lemons follow it.
    [hit] = hits(history((100, "wifi", "repair"), (200, "wifi", "repair"), (250, "wifi", "inspect")))
    assert hit.first_hit_date == date(2021, 9, 8) and hit.given is None and not hit.shortfall


# --- EU: the defect reappears after an attempt, inside the liability period; by purchase date -----------------

def test_eu_recurrence_under_the_directive_in_force_on_the_purchase_day():
    old = history((400, "camera", "repair"), (730, "camera", "repair"), region="DE")
    [hit] = hits(old)
    assert (hit.rule, hit.rule_set, hit.criterion) == ("eu-1999-44.remedy-failed", "eu-1999-44-consumer-goods",
                                                      "fault_recurred")
    assert hit.remedies == ["refund", "price_reduction"] and hit.effective_to == date(2021, 12, 31)
    new = history((30, "camera", "repair"), (60, "camera", "repair"), bought=date(2022, 3, 1), region="FR")
    assert [(h.rule, h.rule_set) for h in hits(new)] == [("eu-sale.reappeared-after-remedy",
                                                          "eu-2019-771-sale-of-goods")]
    late = history((400, "camera", "repair"), (732, "camera", "repair"), region="DE")   # after 24 months
    assert hits(late) == []


# --- a manufacturer policy more favourable than the law, dated -------------------------------------------------

def test_xiaomi_wifi_policy_makes_a_lemon_after_one_repair_until_its_cut():
    bought = date(2021, 9, 1)
    before = history((30, "wifi", "repair"), (60, "wifi", "repair"), product="xiaomi-11", bought=bought)
    [hit] = hits(before)
    assert (hit.rule, hit.rule_set_kind, hit.criterion) == ("xiaomi-11-wifi.repeat-failure", "manufacturer_policy",
                                                            "repeat_failure")
    assert hit.remedies == ["refund", "exchange"] and hit.version_from == date(2021, 8, 6) and hit.repairs == 1
    after = history((400, "wifi", "repair"), (420, "wifi", "repair"), product="xiaomi-11", bought=date(2022, 1, 1))
    assert hits(after) == []                # from 2022-09-15 the policy gives a repair, however often


def test_the_first_hit_of_a_device_is_the_statute_when_both_apply_the_same_day():
    events = history((100, "wifi", "repair"), (150, "wifi", "repair"), (200, "wifi", "replace"),
                     product="xiaomi-11", bought=date(2021, 3, 1))
    result = find_lemons(events)
    assert [h.rule for h in result] == [ART_13, "xiaomi-11-wifi.repeat-failure"]   # both on 2021-09-17
    assert result.verdicts()["dev_a"].rule == ART_13


# --- what is left out, as_of, filters, JSON ------------------------------------------------------------------

def test_events_the_engine_cannot_judge_are_counted_with_the_audits_reasons():
    events = pd.concat([
        history((100, "wifi", "repair"), (200, None, "repair"), (300, "wifi", "repair")),
        history((100, "wifi", "repair"), device="dev_b", bought=None),
        history((10, "wifi", "fixed"), device="dev_c", product="nokia-3310"),
        history((5000, "wifi", "repair"), device="dev_d"),
        history((1, "wifi", "repair"), device="dev_e", region="Texas"),
    ], ignore_index=True)
    result = find_lemons(events, as_of="2030-01-01")
    assert result.skipped == {"unknown_action": 1, "no_purchase_date": 1, "after_as_of": 1}
    assert result.hits == [] and result.events == 7 and result.devices == 2 and result.defaulted == 1
    strict = find_lemons(events, as_of="2030-01-01", jurisdiction=None)
    assert strict.skipped["unknown_jurisdiction"] == 1 and strict.defaulted == 0


def test_as_of_hides_later_events_and_defaults_to_the_latest_event():
    events = history((100, "wifi", "repair"), (200, "wifi", "repair"), (300, "wifi", "repair"))
    assert find_lemons(events).as_of == date(2021, 10, 28)
    before = find_lemons(events, as_of="2021-10-27")
    assert before.hits == [] and before.skipped == {"after_as_of": 1}
    with pytest.raises(InputError, match="as_of='soon' is not a date"):
        find_lemons(events, as_of="soon")


def test_mode_filter_and_json_output():
    events = pd.concat([history((100, "wifi", "repair"), (200, "wifi", "repair"), (300, "wifi", "repair")),
                        history((100, "camera", "repair"), (200, "camera", "repair"), device="dev_b", region="DE")],
                       ignore_index=True)
    result = find_lemons(events, load_lemon_rules("cn,eu"), mode="camera")
    assert {(h.device_token, h.rule) for h in result} == {("dev_b", "eu-1999-44.remedy-failed")}
    document = json.loads(json.dumps(result.to_dict()))
    assert set(document) == {"as_of", "rules", "lemons", "counts", "skipped", "events", "devices",
                             "jurisdiction_default"}
    assert document["counts"] == {"cn": {"hits": 0, "devices": 0}, "eu": {"hits": 1, "devices": 1},
                                  "all": {"hits": 1, "devices": 1}}
    lemon = document["lemons"][0]
    assert lemon["first_hit_date"] == "2021-07-20" and lemon["effective_from"] == "2002-01-01"
    assert {"device_token", "product_id", "failure_mode", "rule", "criterion", "reason", "event_ids",
            "first_hit_date", "purchase_date", "rule_set", "citation", "repairs"} <= set(lemon)
    provisions = [p["id"] for rs in document["rules"]["eu"]["rule_sets"] for p in rs["provisions"]]
    assert provisions == ["eu-1999-44.remedy-failed", "eu-sale.reappeared-after-remedy"]
    assert list(result.summary.columns[:4]) == ["device_token", "product_id", "failure_mode", "rule"]


def test_missing_columns_are_named():
    with pytest.raises(InputError, match="lack the column.s. days_out_of_service"):
        find_lemons(history((1, "wifi", "repair")).drop(columns="days_out_of_service"))


# --- the selection of rules -------------------------------------------------------------------------------------

def test_rules_are_jurisdictions_or_rule_set_ids():
    assert load_lemon_rules().names == ("cn", "eu")
    assert load_lemon_rules("EU, de, cn").names == ("eu", "cn")           # a member state is the EU
    assert load_lemon_rules(["xiaomi-11-series-wifi"]).names == ("xiaomi-11-series-wifi",)
    with pytest.raises(InputError, match=r"unknown lemon rule 'xx' \(--rules\); use any of cn, eu \(jurisdictions\) "
                                         r"or a rule set id \(cn-mobile-phone-three-guarantees, "):
        load_lemon_rules("cn,xx")
    with pytest.raises(InputError, match="US lemon-law rule was removed"):
        load_lemon_rules("cn,us")
    with pytest.raises(InputError, match="no lemon rule named"):
        load_lemon_rules(" , ")
    with pytest.raises(InputError, match="not a selection of lemon rules"):
        find_lemons(history((1, "wifi", "repair")), ["cn"])


def test_a_policy_id_selects_only_its_hits():
    events = history((100, "wifi", "repair"), (150, "wifi", "repair"), (200, "wifi", "replace"),
                     product="xiaomi-11", bought=date(2021, 3, 1))
    result = find_lemons(events, load_lemon_rules("xiaomi-11-series-wifi"))
    assert [h.rule for h in result] == ["xiaomi-11-wifi.repeat-failure"]
    assert set(result.counts) == {"xiaomi-11-series-wifi", "all"}


def test_every_repeat_provision_is_used_by_a_shipped_rule_set():
    used = {rule.logic for rule_set in builtin_rule_book() for rule in rule_set.rules}
    assert set(REPEAT_PROVISIONS) <= used


def _cn_rules_text() -> str:
    folder = resources.files("defectradar.remedies").joinpath("policies")
    return folder.joinpath("cn-mobile-phone-three-guarantees.yaml").read_text("utf-8")


def test_a_rule_set_file_replaces_the_built_in_one(tmp_path):
    text = _cn_rules_text()
    assert "{value: 2, reference: 第十三条}" in text
    config = tmp_path / "cn.yaml"
    config.write_text(text.replace("{value: 2, reference: 第十三条}", "{value: 1, reference: 第十三条}"), "utf-8")
    events = history((100, "wifi", "repair"), (200, "wifi", "repair"))
    assert hits(events) == []
    [hit] = hits(events, load_lemon_rules("cn", config))
    assert hit.rule == ART_13 and hit.repairs == 1 and "after 1 repairs" in hit.reason


@pytest.mark.parametrize("text, message", [
    ("id: x\n", r"cn.yaml:1: rule set.kind: is required"),
    ("id: [\n", r"cn.yaml:\d+: not valid YAML"),
])
def test_bad_rule_set_files_name_the_file_and_line(tmp_path, text, message):
    config = tmp_path / "cn.yaml"
    config.write_text(text, "utf-8")
    with pytest.raises(InputError, match=message):
        load_lemon_rules("cn", config)


def test_missing_config_file(tmp_path):
    with pytest.raises(InputError, match="cannot read rule set"):
        load_lemon_rules("cn", tmp_path / "absent.yaml")


# --- the store query --------------------------------------------------------------------------------------------

SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "days_out_of_service"]


def test_lemons_in_a_store(store, csv_file):
    path = csv_file(SERVICE, [
        ["490154203237518", "小米11", "2021-03-01", "2021-05-01", "wifi", "repair", "7"],
        ["490154203237518", "小米11", "2021-03-01", "2021-07-01", "wifi", "repair", "7"],
        ["490154203237518", "小米11", "2021-03-01", "2021-09-01", "camera", "repair", "3"],
        ["490154203237518", "小米11", "2021-03-01", "2021-11-01", "wifi", "replace", "1"],
        ["356938035643809", "iPhone 13", "2021-10-01", "2022-01-01", "screen", "repair", "4"],
    ], name="service.csv")
    ingest_file(store, path, classifier=False)
    with store.reader() as con:
        events = service_histories(con)
        assert list(events.columns) == list(COLUMNS) == list(EVENT_COLUMNS) and len(events) == 5
        assert latest_service_date(con) == date(2022, 1, 1)
        result = lemons_in_store(con, load_lemon_rules("cn"))
        with pytest.raises(InputError, match="unknown product 'mi-11'"):
            lemons_in_store(con, product="mi-11")
    assert [(h.rule, h.first_hit_date) for h in result] == [(ART_13, date(2021, 11, 1)),
                                                           ("xiaomi-11-wifi.repeat-failure", date(2021, 11, 1))]
    assert result[0].product_id == "xiaomi-11" and result[0].purchase_date == date(2021, 3, 1)
    assert result.as_of == date(2022, 1, 1) and result.defaulted == 2        # no region: judged as CN
