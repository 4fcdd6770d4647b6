"""The demo: simulate the Xiaomi 11 world (once), ingest it, summarise the store, replay the scans,
fit reliability and audit the remedies every device got."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from defectradar.analyses.alerts import list_alerts
from defectradar.analyses.audit import audit_store
from defectradar.analyses.policy_alerts import record_downgrade_alerts
from defectradar.analyses.reliability_overview import ReliabilityOverview, reliability_overview
from defectradar.analyses.scan import ScanConfig, scan
from defectradar.domain.catalog import load_catalog
from defectradar.ingest.pipeline import IngestResult, ingest_file
from defectradar.progress import Progress
from defectradar.query.overview import Overview, overview
from defectradar.query.service_histories import latest_service_date
from defectradar.remedies.audit import AuditReport
from defectradar.remedies.rule_book import load_rule_book
from defectradar.store.connect import Store

SCAN_EVERY_DAYS = 91       # a quarterly review of the signals

# Order matters only for reading the summary: exposure first, then repairs, then voices.
DEMO_FILES = (("sales", "sales.csv"), ("service-records", "service_records.csv"), ("weibo", "weibo.jsonl"))


@dataclass
class DemoResult:
    world_dir: str
    simulated: bool
    ingests: list[IngestResult] = field(default_factory=list)
    overview: Overview | None = None
    scans: int = 0
    alerts: list[dict] = field(default_factory=list)
    reliability: ReliabilityOverview | None = None
    remedies: AuditReport | None = None

    def to_dict(self) -> dict:
        return {"world_dir": self.world_dir, "simulated": self.simulated,
                "ingests": [r.to_dict() for r in self.ingests],
                "overview": self.overview.to_dict() if self.overview else None,
                "scans": self.scans, "alerts": self.alerts,
                "reliability": self.reliability.to_dict() if self.reliability else None,
                "remedies": self.remedies.to_dict(limit=0) if self.remedies else None}


def run_demo(store: Store, world_dir: str | Path, seed: int = 2021, scale: float = 1.0,
             progress_for=lambda kind: None, charts: bool = True) -> DemoResult:
    """Build the world in ``world_dir`` unless it is there, ingest its files, summarise, replay
    the scans, fit the reliability of the most claimed product x modes (charts saved to
    ``world_dir/charts`` unless ``charts`` is false) and audit every device's remedies against
    the rules of the day (:func:`~defectradar.analyses.audit.audit_store`).

    ``progress_for(kind)`` returns a :class:`~defectradar.progress.Progress` for ``"steps"``
    (simulation) or ``"bytes"`` (ingest), or None.
    """
    world = Path(world_dir)
    simulated = not (world / "truth.json").exists()
    if simulated:
        from defectradar.simulate import (
            simulate_world,  # numpy-heavy; only when a world is built
        )

        simulate_world(world, seed=seed, scale=scale, progress=progress_for("steps"))
    result = DemoResult(str(world), simulated)
    for source_type, name in DEMO_FILES:
        progress: Progress | None = progress_for("bytes")
        result.ingests.append(ingest_file(store, world / name, source_type=source_type, progress=progress))
    with store.reader() as con:
        result.overview = overview(con)
    result.scans = replay_scans(store, progress=progress_for("steps"))
    with store.reader() as con:
        latest = latest_service_date(con)
    # A maker's policy downgrade (Xiaomi's 2022-09-15 cut) is an alert like a signal is.
    record_downgrade_alerts(store, load_rule_book(store.settings.rules_dir), as_of=latest)
    with store.reader() as con:
        result.alerts = list_alerts(con, limit=10_000)
    result.reliability = reliability_overview(store, charts_dir=world / "charts" if charts else None)
    result.remedies = audit_remedies(store, progress=progress_for("steps"))
    return result


def audit_remedies(store: Store, progress: Progress | None = None) -> AuditReport:
    """The remedies audit with the store's settings: its catalog and rule sets (``rules_dir``)."""
    settings = store.settings
    catalog = load_catalog(settings.catalog)
    return audit_store(store, load_rule_book(settings.rules_dir), catalog, progress=progress)


def replay_scans(store: Store, every_days: int = SCAN_EVERY_DAYS, progress: Progress | None = None) -> int:
    """Scan as a monitoring team would have: every ``every_days`` through the data, each scan
    seeing only what existed on its date and reporting alarms of the weeks since the last."""
    with store.reader() as con:
        first, last = con.execute("SELECT min(date), max(date) FROM service_events").fetchone()
    if first is None:
        return 0
    config = ScanConfig(lookback=every_days // 7 + 1)     # overlap by a week: the last one was partial
    dates = [first + timedelta(days=every_days * k) for k in range(1, (last - first).days // every_days + 2)]
    if progress:
        progress.start("scans", len(dates))
    for done, as_of in enumerate(dates, 1):
        scan(store, min(as_of, last), config)
        if progress:
            progress.update(done)
    if progress:
        progress.finish()
    return len(dates)
