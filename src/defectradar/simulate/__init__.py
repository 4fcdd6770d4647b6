"""A synthetic world with known truth, modelled on the Xiaomi 11 story, for demos, tests and backtests.

:func:`simulate_world` draws phones sold, their failures (Weibull hazards, with Wi-Fi and
motherboard defects injected into the Mi 11 series, and a Xiaomi 12 glue smell that no
failure-mode rule names), the after-sales visits that follow the maker's policy of the day, and
Weibo posts about them, and writes ``sales.csv``, ``service_records.csv``, ``weibo.jsonl`` and
``truth.json`` (see ``docs/simulation.md``).
"""

from defectradar.simulate.world import WorldSummary, simulate_world

__all__ = ["WorldSummary", "simulate_world"]
