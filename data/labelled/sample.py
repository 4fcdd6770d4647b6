"""Choose the real rows to hand-label and write the labelling work lists (issue 14).

The texts stay in ../shared/data (they are not ours to copy); a label file here holds the
source file, the row, the row's own id where it has one, a fingerprint of the text and the
labels.  ``python data/labelled/sample.py OUT_DIR`` writes one work list per part to OUT_DIR
(outside the repo): the rows chosen, with their texts, for the labellers.

Which rows: every source is sampled with a fixed seed.  JD reviews are JD's top reviews (all
5 stars, complaints rare), so half the sample is drawn from reviews that name a part or a
problem word and half from the rest; the online-shopping set is half negative, half positive
reviews; the Open Repair files are drawn at random.  None of the withheld rows is in
../shared/data, so none can be chosen.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SEED = 14
# (part, source folder, file, text column, id column or None, rows to draw, how)
PARTS = [
    ("jd", "zh-jd-phone-reviews-2019", "jd_phone_reviews.csv", "评论内容", None, 700, "mentions"),
    ("shopping", "zh-online-shopping-phone", "online_shopping_phone.csv", "review", None, 700, "label"),
    ("mobifix", "openrepair-mobile-tablet-faults", "mobiles_mobifix.csv", "problem", "id", 650, "random"),
    ("tabicat", "openrepair-mobile-tablet-faults", "tablets_tabicat.csv", "problem", "id_ords", 450, "random"),
]
MENTIONS = re.compile("热|烫|卡|顿|耗电|续航|电池|充电|屏|信号|wifi|WiFi|无线|声|音|摄像|拍照|闪退|死机|重启|发烫|问题|毛病|坏|"
                      "不灵|失灵|掉漆|松|断|延迟|反应慢|指纹|面部|蓝牙|听筒|麦克风|杂音|黑屏|白屏|花屏|漏光")


def fingerprint(text: str) -> str:
    """The first 12 hex digits of the text's SHA-1: a label file finds its row again, and
    notices when the row under that number is not the text that was labelled."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def load(folder: str, name: str, text_col: str) -> pd.DataFrame:
    frame = pd.read_csv(SHARED / folder / name, dtype=str, keep_default_na=False)
    frame["row"] = range(len(frame))            # 0-based data row (the header is not a row)
    return frame[frame[text_col].str.strip() != ""]


def choose(frame: pd.DataFrame, text_col: str, count: int, how: str) -> pd.DataFrame:
    if how == "mentions":
        hit = frame[text_col].str.contains(MENTIONS)
        rest = frame[~hit].sample(min(count // 2, int((~hit).sum())), random_state=SEED)
        chosen = pd.concat([rest, frame[hit].sample(count - len(rest), random_state=SEED)])
    elif how == "label":
        half = count // 2
        chosen = pd.concat([frame[frame["label"] == "0"].sample(half, random_state=SEED),
                            frame[frame["label"] == "1"].sample(count - half, random_state=SEED)])
    else:
        chosen = frame.sample(min(count, len(frame)), random_state=SEED)
    return chosen.sort_values("row")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for part, folder, name, text_col, id_col, count, how in PARTS:
        frame = choose(load(folder, name, text_col), text_col, count, how)
        with open(out / f"{part}.jsonl", "w", encoding="utf-8") as handle:
            for record in frame.to_dict("records"):
                text = record[text_col]
                handle.write(json.dumps({"source": f"{folder}/{name}", "row": record["row"],
                                         "key": record[id_col] if id_col else None,
                                         "sha": fingerprint(text), "text": text}, ensure_ascii=False) + "\n")
        print(f"{part}: {len(frame)} rows -> {out / (part + '.jsonl')}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/labelling"))
