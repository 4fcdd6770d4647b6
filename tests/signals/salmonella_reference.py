"""R surveillance's reference values on the Salmonella Newport series (the ``salmonella`` fixture
in ``tests/conftest.py``), shared by the detector tests.

``reference/<name>.csv`` is written by ``reference/make_reference.R`` (R 4.2.2, surveillance
1.20.3; see ``reference/versions.txt``).  Weeks 1..365 (2004-2010, the train file) are history;
R's ``range = 366:470`` (the 105 test weeks) is ``start=365`` here.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from defectradar.core.series import CountSeries

REFERENCE = Path(__file__).parent / "reference"
START = 365  # R range 366:470 (1-based) = periods 365.. (0-based)


def reference_table(name: str, series: CountSeries) -> pd.DataFrame:
    """``reference/<name>``, checked to hold the scored weeks of ``series``."""
    table = pd.read_csv(REFERENCE / name)
    assert table["period"].tolist() == [str(p) for p in series.periods[START:]]
    assert table["count"].tolist() == series.counts[START:].tolist()
    return table


def weeks(n: int) -> list[date]:
    return [date(2024, 1, 1) + timedelta(7 * i) for i in range(n)]
