"""How long-running library work reports progress without knowing who draws it.

The CLI passes a Rich progress bar; tests pass a recorder; library callers pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress from ingest, simulation and other long jobs."""

    def start(self, label: str, total: int) -> None:
        """A job begins; ``total`` is in the job's unit (bytes for ingest, steps otherwise)."""

    def update(self, done: int, rows: int | None = None) -> None:
        """``done`` units so far (cumulative); ``rows`` records handled so far, when known."""

    def finish(self) -> None:
        """The job ended (successfully or not)."""
