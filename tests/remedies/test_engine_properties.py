"""Properties of the engine: a more generous policy never shrinks what is due."""

from __future__ import annotations

from datetime import date, timedelta

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.remedies.remedy_cases import judge

from defectradar.remedies import RuleBook, builtin_rule_book, parse_rule_set
from defectradar.remedies.vocabulary import RANK, REMEDIES

BASE = builtin_rule_book()
POLICY = BASE.get("xiaomi-11-series-wifi")


def _book_with(first: list[str], repeat: list[str], months: int) -> RuleBook:
    """The built-in book with the Xiaomi policy's remedies and cover replaced (one version from 2021-08-06)."""
    document = yaml.safe_load(open_policy_text())
    document["parameters"]["first_failure_remedies"]["values"] = {"2021-08-06": first}
    document["parameters"]["repeat_failure_remedies"]["values"] = {"2021-08-06": repeat}
    document["parameters"]["coverage_months"]["values"] = {"2021-08-06": months}
    policy = parse_rule_set(yaml.safe_dump(document, allow_unicode=True), "generated")
    return BASE.with_rule_set(policy)


def open_policy_text() -> str:
    from importlib import resources

    return resources.files("defectradar.remedies").joinpath("policies/xiaomi-11-series-wifi.yaml").read_text("utf-8")


_subset = st.lists(st.sampled_from(REMEDIES), unique=True, max_size=4)
_event = st.tuples(st.integers(0, 800), st.sampled_from(["fault", "repair", "exchange", "refused", "inspection"]),
                   st.sampled_from(["wifi", "wifi", "display"]), st.integers(0, 70))


@settings(max_examples=120, deadline=None)
@given(first=_subset, more_first=_subset, repeat=_subset, more_repeat=_subset, months=st.integers(0, 24),
       more_months=st.integers(0, 12), raw_events=st.lists(_event, min_size=1, max_size=6),
       purchase_offset=st.integers(0, 500))
def test_due_never_shrinks_when_only_the_policy_grows(first, more_first, repeat, more_repeat, months, more_months,
                                                      raw_events, purchase_offset):
    purchase = date(2021, 3, 1) + timedelta(days=purchase_offset)
    events = [{"date": (purchase + timedelta(days=n)).isoformat(), "type": kind, "failure_mode": mode,
               "days_out_of_service": days} for n, kind, mode, days in raw_events]
    smaller = _book_with(first, repeat, months)
    larger = _book_with(sorted(set(first) | set(more_first)), sorted(set(repeat) | set(more_repeat)),
                        months + more_months)
    no_policy = RuleBook(tuple(rs for rs in BASE if rs.id != POLICY.id))
    kwargs = {"product": "xiaomi-11", "purchase": purchase.isoformat(), "as_of": "2024-12-31"}
    base_steps = judge(events, book=no_policy, **kwargs).steps
    small_steps = judge(events, book=smaller, **kwargs).steps
    large_steps = judge(events, book=larger, **kwargs).steps
    for floor, small, large in zip(base_steps, small_steps, large_steps):
        assert set(floor.due) <= set(small.due) <= set(large.due)
        best = lambda step: RANK[step.due[0]] if step.due else 0   # noqa: E731
        assert best(floor) <= best(small) <= best(large)
