"""Service actions named in English or Chinese."""

from __future__ import annotations

import pytest

from defectradar.domain.records import SERVICE_ACTIONS, ServiceAction


@pytest.mark.parametrize("text, action", [
    ("inspect", ServiceAction.INSPECT), ("Diagnosis", ServiceAction.INSPECT), ("检测", ServiceAction.INSPECT),
    ("鉴定", ServiceAction.INSPECT),
    ("Repair", ServiceAction.REPAIR), ("  board   REPAIR ", ServiceAction.REPAIR), ("维修", ServiceAction.REPAIR),
    ("更换主板", ServiceAction.REPAIR), ("换主板", ServiceAction.REPAIR),
    ("replaced", ServiceAction.REPLACE), ("Exchange", ServiceAction.REPLACE), ("换机", ServiceAction.REPLACE),
    ("换新", ServiceAction.REPLACE),
    ("refund", ServiceAction.REFUND), ("Returned", ServiceAction.REFUND), ("退款", ServiceAction.REFUND),
    ("退货", ServiceAction.REFUND),
    ("declined", ServiceAction.REFUSED), ("Out of  Warranty", ServiceAction.REFUSED),
    ("拒保", ServiceAction.REFUSED), ("人为损坏", ServiceAction.REFUSED),
])
def test_parse_english_and_chinese_synonyms(text, action):
    assert ServiceAction.parse(text) is action


@pytest.mark.parametrize("text", ["", "   ", "foo", "repairs pending", "维修中", "re pair"])
def test_parse_unknown_wording_is_none(text):
    assert ServiceAction.parse(text) is None


def test_every_action_parses_from_its_own_value():
    for action in ServiceAction:
        assert ServiceAction.parse(action.value) is action
        assert ServiceAction.parse(action.value.upper()) is action
    assert SERVICE_ACTIONS == ("inspect", "repair", "replace", "refund", "refused")


def test_actions_are_strings():
    assert ServiceAction.REPAIR == "repair" and ServiceAction("refund") is ServiceAction.REFUND
