"""The demo: simulate the Xiaomi 11 world (once), ingest it, and summarise the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from defectradar.ingest.pipeline import IngestResult, ingest_file
from defectradar.progress import Progress
from defectradar.query.overview import Overview, overview
from defectradar.store.connect import Store

# Order matters only for reading the summary: exposure first, then repairs, then voices.
DEMO_FILES = (("sales", "sales.csv"), ("service-records", "service_records.csv"), ("weibo", "weibo.jsonl"))


@dataclass
class DemoResult:
    world_dir: str
    simulated: bool
    ingests: list[IngestResult] = field(default_factory=list)
    overview: Overview | None = None

    def to_dict(self) -> dict:
        return {"world_dir": self.world_dir, "simulated": self.simulated,
                "ingests": [r.to_dict() for r in self.ingests],
                "overview": self.overview.to_dict() if self.overview else None}


def run_demo(store: Store, world_dir: str | Path, seed: int = 2021, scale: float = 1.0,
             progress_for=lambda kind: None) -> DemoResult:
    """Build the world in ``world_dir`` unless it is there, ingest its files, summarise.

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
    return result
