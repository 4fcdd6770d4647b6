"""``defectradar simulate``: write a simulated world with known truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from defectradar.cli.common import JsonOption, RichProgress, err, print_json


def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the world into.", file_okay=False)],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 2021,
    scale: Annotated[float, typer.Option(help="Volume multiplier (1 = about 200k phones).")] = 1.0,
    json_: JsonOption = False,
) -> None:
    """Simulate the Xiaomi 11 story: sales, failures, repairs, posts and the truth behind them."""
    from defectradar.simulate import simulate_world

    summary = simulate_world(out_dir, seed=seed, scale=scale, progress=RichProgress("steps"))
    if json_:
        print_json(summary.to_dict())
        return
    err.print(f"world written to [bold]{escape(str(out_dir))}[/] (seed {seed}, scale {scale:g})")
    for name, count in summary.counts.items():
        err.print(f"  {name}: {count:,}")
