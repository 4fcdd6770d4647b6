"""The hand-labelled real texts (``data/labelled``, issue 14) follow docs/labelling.md and still
point at the texts that were labelled."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pandas as pd

from conftest import REPO, shared_data
from defectradar.text.taxonomy import builtin_taxonomy

FIELDS = {"source", "row", "key", "sha", "modes", "unclear", "note", "labeller"}
TEXT_COLUMNS = {"jd_phone_reviews.csv": "评论内容", "online_shopping_phone.csv": "review",
                "mobiles_mobifix.csv": "problem", "tablets_tabicat.csv": "problem"}


def labels() -> list[dict]:
    return [json.loads(line) for path in sorted((REPO / "data" / "labelled").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_label_follows_the_guide():
    rows, modes = labels(), set(builtin_taxonomy().ids)
    assert len(rows) >= 2000
    for row in rows:
        assert set(row) == FIELDS, row
        assert set(row["modes"]) <= modes and set(row["modes"].values()) <= {"failure", "complaint"}, row
        assert isinstance(row["unclear"], bool) and row["note"].strip() and row["labeller"].strip(), row
        assert not (row["unclear"] and row["modes"]), row
    assert max(Counter((r["source"], r["row"]) for r in rows).values()) == 1     # one label per text


def test_each_label_points_at_the_text_that_was_labelled():
    by_source: dict[str, list[dict]] = {}
    for row in labels():
        by_source.setdefault(row["source"], []).append(row)
    for source, rows in by_source.items():
        folder, name = source.split("/", 1)
        frame = pd.read_csv(shared_data(folder) / name, dtype=str, keep_default_na=False)
        texts = frame[TEXT_COLUMNS[name]]
        wrong = [r["row"] for r in rows
                 if hashlib.sha1(texts.iloc[r["row"]].encode("utf-8")).hexdigest()[:12] != r["sha"]]
        assert not wrong, f"{source}: rows {wrong[:10]} hold other texts than the ones labelled"
