"""Bad cases get one clear error naming the field; good ones parse whatever the event order."""

from __future__ import annotations

import json

import pytest
from tests.remedies.remedy_cases import BOOK, CATALOG, make_case

from defectradar.errors import InputError
from defectradar.remedies import read_case_file

GOOD_DEVICE = {"product": "小米11", "purchase_date": "2021-03-01", "jurisdiction": "CN"}


def _write(tmp_path, content) -> str:
    path = tmp_path / "case.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), "utf-8")
    return str(path)


def _read(tmp_path, content):
    return read_case_file(_write(tmp_path, content), CATALOG, BOOK.jurisdictions)


def test_a_good_case_resolves_names_and_sorts_events(tmp_path):
    case = _read(tmp_path, {"device": GOOD_DEVICE, "events": [
        {"date": "2021-06-01", "type": "repair", "failure_mode": "wifi"},
        {"date": "2021-04-01", "type": "fault"}]})
    assert case.device.product.product_id == "xiaomi-11"
    assert [e.date.isoformat() for e in case.events] == ["2021-04-01", "2021-06-01"]
    assert case.events[0].failure_mode == "other_defect"


@pytest.mark.parametrize("change, message", [
    ({"device": {**GOOD_DEVICE, "product": "Nokia 3310 Turbo"}}, "device.product: unknown product 'Nokia 3310 Turbo'"),
    ({"device": {**GOOD_DEVICE, "jurisdiction": "Atlantis"}}, "device.jurisdiction: no rule sets for 'Atlantis'"),
    ({"device": {**GOOD_DEVICE, "purchase_date": "2021-02-30"}}, "device.purchase_date='2021-02-30' is not a date"),
    ({"device": {k: v for k, v in GOOD_DEVICE.items() if k != "product"}}, "device.product: is required"),
    ({"device": {**GOOD_DEVICE, "invoice": "yes"}}, "device.invoice: must be true or false"),
    ({"device": {**GOOD_DEVICE, "colour": "red"}}, "device.colour: unknown field"),
    ({"events": [{"date": "2021-02-01", "type": "fault"}]}, "events[0].date: 2021-02-01 is before the purchase date"),
    ({"events": [{"date": "2021-04-01", "type": "fixed"}]}, "events[0].type: unknown event type 'fixed'"),
    ({"events": [{"date": "2021-04-01", "type": "repair", "days_out_of_service": -2}]},
     "events[0].days_out_of_service: must be a whole number"),
    ({"events": [{"type": "repair"}]}, "events[0].date: is required"),
    ({"events": {"date": "2021-04-01"}}, "events: must be a list"),
])
def test_bad_fields_are_named(tmp_path, change, message):
    raw = {"device": GOOD_DEVICE, "events": [], **change}
    with pytest.raises(InputError) as caught:
        _read(tmp_path, raw)
    assert message in str(caught.value)
    assert "case.json" in str(caught.value)


def test_malformed_json_names_line_and_column(tmp_path):
    with pytest.raises(InputError, match=r"case.json:2:\d+: not valid JSON"):
        _read(tmp_path, '{"device": {"product": "小米11",\n "purchase_date": }}')


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_case_file(tmp_path / "nope.json", CATALOG, BOOK.jurisdictions)


def test_member_states_and_chinese_regions_resolve():
    assert make_case([], jurisdiction="DE").device.jurisdiction == "EU"
    assert make_case([], jurisdiction="广东").device.jurisdiction == "CN"
    assert make_case([], jurisdiction="China").device.jurisdiction == "CN"
