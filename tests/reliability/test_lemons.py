"""Repeat-repair ("lemon") rules: hand-made histories at the rules' edges, the store query,
and recall of the lemons the simulator made."""

from __future__ import annotations

import json
import time
from dataclasses import fields
from datetime import date, timedelta

import pandas as pd
import pytest

from defectradar.errors import InputError
from defectradar.ingest.pipeline import ingest_file
from defectradar.ingest.pseudonymise import Pseudonymiser
from defectradar.query.service_histories import COLUMNS, latest_service_date, service_histories
from defectradar.reliability.lemons import (
    ACTIONS,
    RULES,
    ChinaRepeatRepair,
    EuRecurAfterRepair,
    UsLemonLaw,
    find_lemons,
    lemons_in_store,
    load_lemon_rules,
)
from defectradar.store.keys import key_path

BOUGHT = date(2021, 1, 1)


def history(*visits, device="dev_a", bought=BOUGHT, product="xiaomi-11"):
    """Events of one device: each visit is (days after purchase, mode, action[, days out of service])."""
    rows = []
    for i, visit in enumerate(visits):
        age, mode, action, *rest = visit
        rows.append({"event_id": f"{device}-{i}", "device_token": device, "product_id": product,
                     "purchase_date": pd.Timestamp(bought) if bought else pd.NaT,
                     "date": pd.Timestamp(BOUGHT + timedelta(days=age)), "failure_mode": mode, "action": action,
                     "days_out_of_service": rest[0] if rest else 5})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def hits(events, *rules, **kwargs):
    return find_lemons(events, list(rules), **kwargs).hits


# --- China: fault persists after two repairs within the warranty --------------------------------------------

def test_cn_fault_persisting_after_two_repairs_is_a_lemon_with_its_events():
    events = history((100, "wifi", "repair"), (200, "wifi", "repair"), (300, "wifi", "repair"))
    [hit] = hits(events, ChinaRepeatRepair())
    assert (hit.rule, hit.criterion, hit.failure_mode) == ("cn", "fault_persists", "wifi")
    assert hit.event_ids == ["dev_a-0", "dev_a-1", "dev_a-2"]
    assert hit.first_hit_date == date(2021, 10, 28)                       # day 300
    assert hit.reason == ("wifi fault came back on 2021-10-28 (repair visit) after 2 repairs (2021-04-11, "
                          "2021-07-20), 300 days after purchase, within the 365-day warranty")


def test_cn_counts_the_anniversary_day_and_not_the_day_after():
    inside = history((100, "wifi", "repair"), (200, "wifi", "repair"), (365, "wifi", "refused"))
    outside = history((100, "wifi", "repair"), (200, "wifi", "repair"), (366, "wifi", "refused"))
    assert len(hits(inside, ChinaRepeatRepair())) == 1
    assert hits(outside, ChinaRepeatRepair()) == []
    late_repair = history((100, "wifi", "repair"), (366, "wifi", "repair"), (370, "wifi", "repair"))
    assert hits(late_repair, ChinaRepeatRepair()) == []                    # the 2nd repair is outside already


def test_two_repairs_alone_are_not_a_lemon_and_three_repairs_need_a_fourth_visit():
    two = history((100, "wifi", "repair"), (200, "wifi", "repair"))
    assert hits(two, ChinaRepeatRepair()) == []
    three = history((100, "wifi", "repair"), (150, "wifi", "repair"), (200, "wifi", "repair"))
    assert hits(three, ChinaRepeatRepair(repairs=3)) == []
    four = history((100, "wifi", "repair"), (150, "wifi", "repair"), (200, "wifi", "repair"), (250, "wifi", "replace"))
    [hit] = hits(four, ChinaRepeatRepair(repairs=3))
    assert hit.event_ids == ["dev_a-0", "dev_a-1", "dev_a-2", "dev_a-3"] and "after 3 repairs" in hit.reason


def test_different_faults_are_not_combined_unless_asked():
    events = history((100, "wifi", "repair"), (150, "camera", "repair"), (200, "wifi", "repair"))
    assert hits(events, ChinaRepeatRepair()) == []
    [hit] = hits(events, ChinaRepeatRepair(same_fault=False))
    assert hit.failure_mode is None and hit.event_ids == ["dev_a-0", "dev_a-1", "dev_a-2"]


def test_a_replacement_ends_the_history_and_still_counts_as_the_fault_persisting():
    exchanged = history((100, "wifi", "repair"), (200, "wifi", "repair"), (250, "wifi", "replace"))
    [hit] = hits(exchanged, ChinaRepeatRepair())
    assert hit.event_ids[-1] == "dev_a-2" and "(replace visit)" in hit.reason
    early = history((50, "wifi", "repair"), (60, "wifi", "refund"), (100, "wifi", "repair"), (200, "wifi", "repair"))
    result = find_lemons(early, [ChinaRepeatRepair(repairs=1)])
    assert [h.event_ids for h in result] == [["dev_a-0", "dev_a-1"]]      # nothing after the refund
    assert result.skipped == {"after_replace_or_refund": 2}


def test_no_fault_found_is_not_persistence_by_default_and_same_day_tickets_are_one_repair():
    events = history((100, "wifi", "repair"), (200, "wifi", "repair"), (250, "wifi", "inspect"))
    assert hits(events, ChinaRepeatRepair()) == []
    [hit] = hits(events, ChinaRepeatRepair(persist_actions=ACTIONS))
    assert hit.event_ids[-1] == "dev_a-2"
    duplicated = history((100, "wifi", "repair"), (100, "wifi", "repair"), (200, "wifi", "repair"))
    assert hits(duplicated, ChinaRepeatRepair()) == []                     # 2 distinct repair days, no 3rd visit


def test_no_warranty_limit_finds_late_returns():
    events = history((100, "wifi", "repair"), (500, "wifi", "repair"), (900, "wifi", "inspect"))
    [hit] = hits(events, ChinaRepeatRepair(warranty_days=None, persist_actions=ACTIONS))
    assert hit.reason.endswith("900 days after purchase, no time limit set")


# --- EU: recurrence after a repair within the legal guarantee -----------------------------------------------

def test_eu_recurrence_within_two_years():
    inside = history((400, "camera", "repair"), (730, "camera", "repair"))
    [hit] = hits(inside, EuRecurAfterRepair())
    assert (hit.rule, hit.criterion, hit.event_ids) == ("eu", "fault_recurred", ["dev_a-0", "dev_a-1"])
    assert "after a repair (2022-02-05)" in hit.reason and "730-day legal guarantee" in hit.reason
    assert hits(history((400, "camera", "repair"), (731, "camera", "repair")), EuRecurAfterRepair()) == []


# --- US: four repairs of one fault, or more than 30 days out of service ----------------------------------

def test_us_four_repairs_within_eighteen_months():
    four = history(*[(day, "battery", "repair") for day in (30, 100, 300, 548)])
    [hit] = hits(four, UsLemonLaw(days_out_of_service=None))
    assert (hit.criterion, hit.first_hit_date, len(hit.event_ids)) == ("repairs", date(2022, 7, 3), 4)
    assert hit.reason.startswith("battery fault repaired 4 times (2021-01-31, 2021-04-11, 2021-10-28, 2022-07-03)")
    late = history(*[(day, "battery", "repair") for day in (30, 100, 300, 549)])
    assert hits(late, UsLemonLaw(days_out_of_service=None)) == []
    mixed = history(*[(day, mode, "repair") for day, mode in ((30, "battery"), (60, "wifi"), (90, "battery"),
                                                              (120, "battery"))])
    assert hits(mixed, UsLemonLaw(days_out_of_service=None)) == []


def test_us_days_out_of_service_add_up_across_faults_and_must_exceed_the_limit():
    thirty = history((10, "wifi", "repair", 10), (20, "camera", "repair", 10), (40, "wifi", "repair", 10))
    assert hits(thirty, UsLemonLaw(repairs=None)) == []                    # 30 days is not more than 30
    more = history((10, "wifi", "repair", 10), (20, "camera", "repair", 10), (40, "wifi", "inspect", 9),
                   (60, None, "repair", 11), (90, "wifi", "repair", 20))
    result = find_lemons(more, [UsLemonLaw(repairs=None)])
    [hit] = result.hits
    assert hit.criterion == "days_out_of_service" and hit.failure_mode is None   # spans faults
    assert hit.event_ids == ["dev_a-0", "dev_a-1", "dev_a-3"] and hit.first_hit_date == date(2021, 3, 2)
    assert hit.reason.startswith("out of service 31 days over 3 visits")
    assert "no_failure_mode" not in result.skipped                        # the US days criterion used it
    one_fault = history((10, "wifi", "repair", 20), (20, "wifi", "repair", float("nan")), (30, "wifi", "repair", 20))
    result = find_lemons(one_fault, [UsLemonLaw(repairs=None)])
    assert result[0].failure_mode == "wifi" and result.skipped == {"no_days_out_of_service": 1}


# --- what is left out, as_of, filters ---------------------------------------------------------------------

def test_unusable_events_are_counted_not_dropped_silently():
    events = pd.concat([
        history((100, "wifi", "repair"), (200, None, "repair"), (300, "wifi", "repair")),
        history((100, "wifi", "repair"), (200, "wifi", "repair"), (300, "wifi", "repair"), device="dev_b", bought=None),
        history((-5, "wifi", "repair"), (10, "wifi", "fixed"), device="dev_c"),
        history((5000, "wifi", "repair"), device="dev_d"),
    ], ignore_index=True)
    result = find_lemons(events, load_lemon_rules(), as_of="2030-01-01")
    assert result.skipped == {"unknown_action": 1, "before_purchase": 1, "no_purchase_date": 3,
                              "no_failure_mode": 1, "after_as_of": 1}
    assert [(h.device_token, h.rule) for h in result] == [("dev_a", "eu")]   # cn: the unclassified visit is no repair
    assert result.events == 9
    no_window = find_lemons(events, [ChinaRepeatRepair(warranty_days=None)], as_of="2030-01-01")
    assert [h.device_token for h in no_window] == ["dev_b"] and "no_purchase_date" not in no_window.skipped


def test_as_of_hides_later_events_and_defaults_to_the_latest_event():
    events = history((100, "wifi", "repair"), (200, "wifi", "repair"), (300, "wifi", "repair"))
    assert find_lemons(events, [ChinaRepeatRepair()]).as_of == date(2021, 10, 28)
    before = find_lemons(events, [ChinaRepeatRepair()], as_of="2021-10-27")
    assert before.hits == [] and before.skipped == {"after_as_of": 1}
    with pytest.raises(InputError, match="as_of='soon' is not a date"):
        find_lemons(events, [ChinaRepeatRepair()], as_of="soon")


def test_mode_filter_and_json_output():
    events = pd.concat([history((100, "wifi", "repair"), (200, "wifi", "repair"), (300, "wifi", "repair")),
                        history((100, "camera", "repair"), (200, "camera", "repair"), device="dev_b")],
                       ignore_index=True)
    result = find_lemons(events, load_lemon_rules("cn,eu"), mode="camera")
    assert {(h.device_token, h.rule) for h in result} == {("dev_b", "eu")}
    document = json.loads(json.dumps(result.to_dict()))
    assert document["counts"] == {"cn": {"hits": 0, "devices": 0}, "eu": {"hits": 1, "devices": 1},
                                  "all": {"hits": 1, "devices": 1}}
    assert document["lemons"][0]["first_hit_date"] == "2021-07-20" and document["rules"]["eu"]["params"] == {
        "guarantee_days": 730, "repairs": 1, "same_fault": True,
        "persist_actions": ["repair", "replace", "refund", "refused"]}
    assert list(result.summary.columns[:4]) == ["device_token", "product_id", "failure_mode", "rule"]


def test_missing_columns_are_named():
    with pytest.raises(InputError, match="lack the column.s. days_out_of_service"):
        find_lemons(history((1, "wifi", "repair")).drop(columns="days_out_of_service"))


# --- rules and their configuration --------------------------------------------------------------------------

def test_every_rule_parameter_has_a_constraint_and_a_citation():
    for name, rule_class in RULES.items():
        assert {f.name for f in fields(rule_class)} == set(rule_class._parameter_constraints), name
        assert rule_class.name == name and len(rule_class.citation) > 40
    assert "2019/771" in EuRecurAfterRepair.citation and "经两次修理" in ChinaRepeatRepair.citation
    assert "1793.22" in UsLemonLaw.citation


def test_rules_by_name_and_bad_names():
    assert [r.name for r in load_lemon_rules("us, cn")] == ["us", "cn"]
    assert [r.name for r in load_lemon_rules()] == ["cn", "eu", "us"]
    with pytest.raises(InputError, match="unknown lemon rule 'xx'; use any of cn, eu, us"):
        load_lemon_rules("cn,xx")
    with pytest.raises(InputError, match="no lemon rule named"):
        load_lemon_rules(" , ")
    with pytest.raises(InputError, match="cn rule: parameter repairs=0 must be a positive whole number"):
        find_lemons(history((1, "wifi", "repair")), [ChinaRepeatRepair(repairs=0)])
    with pytest.raises(InputError, match="both null"):
        find_lemons(history((1, "wifi", "repair")), [UsLemonLaw(repairs=None, days_out_of_service=None)])


def test_config_overrides_parameters(tmp_path):
    config = tmp_path / "rules.yaml"
    config.write_text("cn: {warranty_days: 730}\nus:\n  repairs: 3\n  downtime_actions: [repair, inspect]\n")
    cn, us = load_lemon_rules(["cn", "us"], config)
    assert (cn.warranty_days, cn.repairs, us.repairs, us.downtime_actions) == (730, 2, 3, ("repair", "inspect"))
    events = history((100, "wifi", "repair"), (200, "wifi", "repair"), (500, "wifi", "repair"))
    assert hits(events, ChinaRepeatRepair()) == [] and len(hits(events, cn)) == 1


@pytest.mark.parametrize("text, message", [
    ("cn: {warranty: 730}", r"rule cn has no parameter 'warranty'; its parameters are repairs, warranty_days"),
    ("uk: {repairs: 2}", r"unknown rule 'uk'; the rules are cn, eu, us"),
    ("eu: {guarantee_days: -1}", r"eu rule: parameter guarantee_days=-1 must be a positive whole number of days"),
    ("cn: {persist_actions: [repair, fixed]}", r"persist_actions=.* must be a non-empty list of actions"),
    ("cn: 3", r"cn must map parameter names to values"),
    ("- cn", r"expected a mapping of rule name to parameters"),
    ("cn: {repairs: [", r"is not valid YAML"),
])
def test_bad_config_files_say_what_to_fix(tmp_path, text, message):
    config = tmp_path / "rules.yaml"
    config.write_text(text)
    with pytest.raises(InputError, match=message):
        load_lemon_rules("cn", config)


def test_missing_config_file(tmp_path):
    with pytest.raises(InputError, match="cannot read the lemon rules file"):
        load_lemon_rules("cn", tmp_path / "absent.yaml")


# --- the store query ----------------------------------------------------------------------------------------

SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "days_out_of_service"]


def test_service_histories_from_a_store(store, csv_file):
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
        assert list(events.columns) == list(COLUMNS) and len(events) == 5
        assert str(events["date"].dtype).startswith("datetime64") and events["purchase_date"].notna().all()
        mi = service_histories(con, product="xiaomi-11", as_of="2021-10-31")
        assert list(mi["date"].dt.strftime("%m-%d")) == ["05-01", "07-01", "09-01"]
        camera = service_histories(con, mode="camera")           # the whole history of the devices it touched
        assert len(camera) == 4 and set(camera["failure_mode"]) == {"wifi", "camera"}
        assert latest_service_date(con) == date(2022, 1, 1)
        result = lemons_in_store(con, load_lemon_rules("cn"))
    [hit] = result.hits
    assert hit.product_id == "xiaomi-11" and hit.first_hit_date == date(2021, 11, 1)
    assert hit.purchase_date == date(2021, 3, 1) and result.as_of == date(2022, 1, 1)


# --- the simulated world --------------------------------------------------------------------------------------

def _truth_pairs(world, within_days=None):
    """(device token, failure mode) of the simulator's lemons, tokens made with the world's key."""
    with world["store"].reader() as con:
        store_id = con.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()[0]
    key = bytes.fromhex(key_path(world["settings"], store_id).read_text().strip())
    pseudonymiser = Pseudonymiser(key)
    truth = json.loads((world["dir"] / "truth.json").read_text(encoding="utf-8"))["lemons"]
    pairs = set()
    for lemon in truth:
        bought = date.fromisoformat(lemon["purchase_date"])
        ages = [(date.fromisoformat(d) - bought).days for d in lemon["failures_after_two_repairs"]]
        if within_days is None or min(ages) <= within_days:
            pairs.add((pseudonymiser.token("device", lemon["imei"]), lemon["failure_mode"]))
    return pairs


def _recall_precision(result, truth):
    found = {(h.device_token, h.failure_mode) for h in result}
    return len(found & truth) / len(truth), len(found & truth) / len(found)


def test_lemon_detection_finds_the_devices_the_simulator_made_fail_after_two_repairs(simulated_world):
    """The issue's target.  The simulator (simulate/device_lives.py) records as a lemon every unit
    with a visit for a failure mode after two repairs of that mode, whatever the visit's action and
    however late; a rule configured the same way should find them, the store's failure mode being
    read from the free-text fault (so a few visits are classified to another mode or none).

    Measured on the default world (seed 2021, scale 1; 254 truth lemons, 86 of them within 365 days):
    simulator-like rule recall 243/254 = 0.957, precision 1.0; default cn rule against the truth
    lemons whose return came within 365 days recall 81/86 = 0.942, precision 1.0.  Every miss is a
    visit whose fault text was classified to another mode (or none).  Whole run about 0.2 s.
    """
    with simulated_world["store"].reader() as con:
        events = service_histories(con)
    started = time.perf_counter()
    like_simulator = find_lemons(events, [ChinaRepeatRepair(warranty_days=None, persist_actions=ACTIONS)])
    elapsed = time.perf_counter() - started
    recall, precision = _recall_precision(like_simulator, _truth_pairs(simulated_world))
    print(f"simulator-like rule: recall {recall:.3f}, precision {precision:.3f}, {elapsed:.2f} s")
    assert recall >= 0.92 and precision >= 0.97
    default_cn = find_lemons(events, load_lemon_rules("cn"))
    recall, precision = _recall_precision(default_cn, _truth_pairs(simulated_world, within_days=365))
    print(f"default cn rule vs truth within 365 days: recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= 0.9 and precision >= 0.97
    assert elapsed < 5
