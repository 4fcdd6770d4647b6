"""One device judged (the dashboard's device timeline) builds its case with the audit's own step
(``remedies.audit.device_cases``), so it agrees with ``remedies audit`` device by device."""

from __future__ import annotations

from collections import Counter

import pytest

from defectradar.analyses.audit import audit_store
from defectradar.analyses.device import judge_device
from defectradar.domain.catalog import builtin_catalog
from defectradar.errors import InputError, NotFoundError
from defectradar.ingest.pipeline import ingest_file
from defectradar.query.service_histories import service_histories
from defectradar.remedies.rule_book import builtin_rule_book

SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "days_out_of_service",
           "data_wiped", "region"]
BOOK, CATALOG = builtin_rule_book(), builtin_catalog()


@pytest.fixture
def service_store(store, csv_file):
    """A Mi 11 repaired four times for Wi-Fi in Guangdong, an iPhone refused in Texas (no known
    jurisdiction: judged as CN), and devices whose events cannot all be judged."""
    mi11 = "490154203237518"
    path = csv_file(SERVICE, [
        [mi11, "小米11", "2021-03-01", "2021-05-01", "wifi", "repair", "7", "true", "广东"],
        [mi11, "小米11", "2021-03-01", "2021-07-01", "wifi", "repair", "7", "true", "广东"],
        [mi11, "小米11", "2021-03-01", "2021-10-01", "wifi", "repair", "10", "true", "广东"],
        [mi11, "小米11", "2021-03-01", "2022-01-10", "wifi", "repair", "10", "false", "广东"],
        ["356938035643809", "iPhone 13", "2021-10-01", "2022-01-01", "camera", "refused", "0", "false", "Texas"],
        ["111111111111119", "Nokia 3310", "2021-10-01", "2022-01-01", "camera", "repair", "3", "false", "上海"],
        ["333333333333335", "iPhone 13", "2021-03-01", "2021-04-01", "camera", "inspect", "0", "false", "上海"],
        ["333333333333335", "iPhone 13", "", "2021-01-01", "camera", "repair", "3", "false", "上海"],
    ], name="service.csv")
    ingest_file(store, path, classifier=False)
    return store


def test_every_device_is_judged_as_the_audit_judges_it(service_store):
    report = audit_store(service_store, BOOK, CATALOG)
    with service_store.reader() as con:
        events = service_histories(con)
        checks = [judge_device(con, token, BOOK, CATALOG) for token in events["device_token"].unique()]
    shortfalls = {(c.device_token, step.event.event_id) for c in checks if c.judgement
                  for step in c.judgement.shortfalls}
    assert shortfalls == {(row.device_token, row.event_id) for row in report.rows} and len(shortfalls) == 3
    left_out = Counter()
    for check in checks:
        left_out.update(check.left_out)
    assert dict(left_out) == report.left_out
    assert sum(c.jurisdiction_defaulted for c in checks) == report.defaulted == 1
    assert sum(c.judgement is not None for c in checks) == report.devices == 3


def test_an_unknown_default_jurisdiction_matters_only_where_it_is_needed(service_store):
    with service_store.reader() as con:
        events = service_histories(con)
        texas, guangdong = (events.loc[events["region"] == region, "device_token"].iloc[0]
                            for region in ("Texas", "广东"))
        assert judge_device(con, guangdong, BOOK, CATALOG, jurisdiction_default="US").judgement is not None
        with pytest.raises(InputError, match="no rule sets for the jurisdiction 'US'"):
            judge_device(con, texas, BOOK, CATALOG, jurisdiction_default="US")
        with pytest.raises(NotFoundError, match="no service events for device"):
            judge_device(con, "no-such-token", BOOK, CATALOG)
