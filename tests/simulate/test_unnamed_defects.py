"""The simulated world's unnamed defect: words no rule knows, posts only, the rest of the world unchanged."""

from __future__ import annotations

import json

import numpy as np

import defectradar.simulate.world as world_module
from defectradar.domain.catalog import builtin_catalog
from defectradar.ingest.weibo import post_fields
from defectradar.simulate import simulate_world
from defectradar.simulate.parameters import MODES, UNNAMED_DEFECTS
from defectradar.simulate.phrases.symptoms import UNNAMED_SYMPTOMS_EN, UNNAMED_SYMPTOMS_ZH
from defectradar.simulate.post_text import Complaint, compose_complaint
from defectradar.text.normalise import normalise
from defectradar.text.rules import RuleClassifier
from defectradar.text.taxonomy import builtin_taxonomy

SEED = 2021


def test_no_rule_knows_the_unnamed_defects_words():
    rules = RuleClassifier(builtin_taxonomy())
    for defect in UNNAMED_DEFECTS:
        for phrase in UNNAMED_SYMPTOMS_ZH[defect.defect_id] + UNNAMED_SYMPTOMS_EN[defect.defect_id]:
            assert not rules.classify(normalise(phrase).match).modes, phrase


def test_composed_posts_name_no_mode_and_say_which_defect():
    rng = np.random.default_rng(SEED)
    product = builtin_catalog().by_id()["xiaomi-12"]
    banks = (UNNAMED_SYMPTOMS_ZH, UNNAMED_SYMPTOMS_EN)
    for english in (False, True):
        complaint = Complaint(product, "x12-odour", (), 1, 0, False, None, False, 30, [], english, False, {})
        draft = compose_complaint(complaint, rng, symptoms=banks)
        assert any(p in draft.plain_text() for p in banks[english]["x12-odour"])
    assert "unnamed_defect" not in compose_complaint(
        Complaint(product, "wifi", (), 1, 0, False, None, False, 30, [], False, False, {}), rng).truth()


def test_world_holds_the_defect_and_is_otherwise_unchanged(tmp_path, monkeypatch):
    full = simulate_world(tmp_path / "full", seed=SEED, scale=0.3)
    truth = json.loads((tmp_path / "full" / "truth.json").read_text(encoding="utf-8"))
    entry = next(d for d in truth["unnamed_defects"] if d["defect_id"] == "x12-odour")
    assert entry["failure_mode"] is None and entry["product_ids"] == ["xiaomi-12"]
    assert "2022-04-01" <= entry["onset"] <= entry["first_post"] <= "2022-12-31" and entry["posts"] >= 10
    posts = [json.loads(line) for line in (tmp_path / "full" / "weibo.jsonl").read_text(encoding="utf-8").splitlines()
             if line.endswith("}")]
    mine = [p for p in posts if truth["posts"].get(p["mid"], {}).get("unnamed_defect") == "x12-odour"]
    assert len(mine) == entry["posts"]
    rules = RuleClassifier(builtin_taxonomy())
    unexplained = sum(not rules.classify(normalise(post_fields(p)["text"]).match).modes for p in mine)
    assert unexplained >= 0.9 * len(mine), f"seed={SEED}: rules name a mode in {len(mine) - unexplained} posts"
    for p in mine:     # after the new adhesive came in; the truth names no mode of MODES
        assert truth["posts"][p["mid"]]["failure_modes"] == [] and p["created_at"].endswith(" 2022")
    assert all(set(e["failure_modes"]) <= set(MODES) for e in truth["posts"].values())
    # Without the unnamed defect the world is the same, post for post: its posts come last.
    monkeypatch.setattr(world_module, "UNNAMED_DEFECTS", ())
    simulate_world(tmp_path / "without", seed=SEED, scale=0.3)
    for name in ("sales.csv", "service_records.csv"):
        assert (tmp_path / "full" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()
    before = (tmp_path / "without" / "weibo.jsonl").read_bytes()
    assert (tmp_path / "full" / "weibo.jsonl").read_bytes()[:len(before)] == before
    assert full.counts["posts"] >= entry["posts"]
