"""Validate phone_complaints_eval.jsonl: schema, label ids, coverage counts. Run: python3 validate.py"""
import json, collections, pathlib, sys

PATH = pathlib.Path(__file__).with_name("phone_complaints_eval.jsonl")
MODES = ["wifi", "cellular", "other_radio", "motherboard", "screen_burn_in", "display", "overheating",
         "battery", "charging", "camera", "audio", "software", "biometrics", "build", "safety", "other_defect"]
TAGS = {"negation", "praise", "comparison", "multi", "traditional", "non_defect", "mixed_language", "repeat",
        "data_loss", "slang", "typo", "question", "sarcasm", "ambiguous_product", "no_product"}
KEYS = ["id", "text", "lang", "product", "product_ambiguous", "failure_modes", "severity", "repeat_repairs",
        "data_loss", "is_owner", "tags"]

recs, ids = [], set()
for n, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
    r = json.loads(line)
    assert list(r) == KEYS, (n, list(r))
    assert r["id"] not in ids, r["id"]; ids.add(r["id"])
    assert r["lang"] in ("zh", "en") and r["id"].startswith(r["lang"] + "-")
    assert isinstance(r["text"], str) and 5 <= len(r["text"]) <= 300, r["id"]
    assert r["product"] is None or isinstance(r["product"], str)
    assert isinstance(r["product_ambiguous"], bool)
    assert not (r["product_ambiguous"] and r["product"]), r["id"]
    assert set(r["failure_modes"]) <= set(MODES) and len(set(r["failure_modes"])) == len(r["failure_modes"]), r["id"]
    assert r["severity"] in (None, "safety")
    assert (r["severity"] == "safety") == ("safety" in r["failure_modes"]), r["id"]
    assert r["repeat_repairs"] is None or (isinstance(r["repeat_repairs"], int) and r["repeat_repairs"] >= 1)
    assert isinstance(r["data_loss"], bool) and r["is_owner"] in (True, False, None)
    assert set(r["tags"]) <= TAGS, (r["id"], r["tags"])
    assert ("non_defect" in r["tags"]) == (not r["failure_modes"]), r["id"]
    assert ("multi" in r["tags"]) == (len(r["failure_modes"]) > 1), r["id"]
    recs.append(r)

def count(rs):
    return {
        "texts": len(rs),
        "named_product": sum(1 for r in rs if r["product"]),
        "ambiguous_product": sum(r["product_ambiguous"] for r in rs),
        "non_defect": sum(1 for r in rs if not r["failure_modes"]),
        "hard_negatives": sum(1 for r in rs if not r["failure_modes"] and {"negation", "praise", "question"} & set(r["tags"])),
        "multi_mode": sum(1 for r in rs if len(r["failure_modes"]) > 1),
        "repeat_repairs_stated": sum(1 for r in rs if r["repeat_repairs"] is not None),
        "data_loss": sum(r["data_loss"] for r in rs),
        "safety": sum(1 for r in rs if r["severity"] == "safety"),
        "modes": {m: sum(m in r["failure_modes"] for r in rs) for m in MODES},
        "tags": dict(collections.Counter(t for r in rs for t in r["tags"]).most_common()),
    }

by = {"zh": count([r for r in recs if r["lang"] == "zh"]),
      "en": count([r for r in recs if r["lang"] == "en"]),
      "all": count(recs)}
a = by["all"]
checks = {
    "total>=1600": a["texts"] >= 1600,
    "each mode>=60 total": all(v >= 60 for v in a["modes"].values()),
    "each mode>=25 per lang": all(by[l]["modes"][m] >= 25 for l in ("zh", "en") for m in MODES),
    "wifi>=120": a["modes"]["wifi"] >= 120, "motherboard>=120": a["modes"]["motherboard"] >= 120,
    "non_defect>=300": a["non_defect"] >= 300, "hard_negatives>=80": a["hard_negatives"] >= 80,
    "multi>=150": a["multi_mode"] >= 150, "repeat>=150": a["repeat_repairs_stated"] >= 150,
    "data_loss>=100": a["data_loss"] >= 100, "safety>=60": a["safety"] >= 60,
    "traditional>=120": a["tags"].get("traditional", 0) >= 120, "typo>=100": a["tags"].get("typo", 0) >= 100,
    "comparison>=60": a["tags"].get("comparison", 0) >= 60,
}
print(f"{'':24}{'zh':>6}{'en':>6}{'all':>6}")
for k in ["texts", "named_product", "ambiguous_product", "non_defect", "hard_negatives", "multi_mode",
          "repeat_repairs_stated", "data_loss", "safety"]:
    print(f"{k:24}{by['zh'][k]:>6}{by['en'][k]:>6}{a[k]:>6}")
print("-- failure modes")
for m in MODES:
    print(f"{m:24}{by['zh']['modes'][m]:>6}{by['en']['modes'][m]:>6}{a['modes'][m]:>6}")
print("-- tags")
for t in a["tags"]:
    print(f"{t:24}{by['zh']['tags'].get(t,0):>6}{by['en']['tags'].get(t,0):>6}{a['tags'][t]:>6}")
print("-- coverage checks")
for k, ok in checks.items():
    print(f"{'OK ' if ok else 'FAIL'} {k}")
sys.exit(0 if all(checks.values()) else 1)
