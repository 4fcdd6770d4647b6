"""The one writer of a simulated world's files, streaming everything to disk as it is drawn.

Files are written under ``*.partial`` names and renamed when the world is complete, so a
crashed run never leaves a half world that looks whole.  ``truth.json`` is assembled at the
end from its small header and two streamed parts (lemons, per-post truth), so it is valid JSON
at any scale without holding the posts in memory.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

FILE_NAMES = {"posts": "weibo.jsonl", "service_records": "service_records.csv", "sales": "sales.csv",
              "truth": "truth.json"}
SERVICE_COLUMNS = ("device_id", "product", "purchase_date", "event_date", "fault", "action", "parts",
                   "days_out_of_service", "data_wiped", "center", "region", "customer_phone")
SALES_COLUMNS = ("product", "month", "units", "region", "channel")
_PARTS = ("truth-lemons", "truth-posts")
_ACTIONS = ("inspect", "repair", "replace", "refund", "refused")
_STREAMS = ("owner", "background", "burst", "repost")
_IDENTIFIER_KINDS = ("phone", "imei", "email", "person_id", "mention")
# Real exports carry clerical slips. Every Nth record is followed by a botched copy of itself
# (the real record stays, so the truth is untouched), for ingest to quarantine with a reason.
SERVICE_SLIP_EVERY = 997
POST_SLIP_EVERY = 1499


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _service_slip(row: tuple, n: int) -> tuple:
    """A botched copy of a service row, cycling through the slips seen in real exports."""
    row = list(row)
    kind = n % 4
    if kind == 0:
        row[3] = "2020-01-01"          # event date typed before the purchase date
    elif kind == 1:
        row[5] = "待定"                 # action not filled in yet
    elif kind == 2:
        row[0] = ""                    # device id missing
    else:
        row[3] = row[3][:8] + "31" if row[3][5:7] in ("02", "04", "06", "09", "11") else row[3][:5] + "02-30"
    return tuple(row)


def _post_slip(post: dict, n: int) -> str:
    """A broken line: cut off mid-object (a scraper killed mid-write) or a relative date."""
    if n % 2 == 0:
        text = _dumps(post)
        return text[: len(text) // 2]
    return _dumps({**post, "created_at": "3分钟前"})


class WorldFiles:
    """Open handles on every output of one world, plus the counts of what went into them."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._paths = {key: out_dir / f"{name}.partial" for key, name in FILE_NAMES.items()}
        self._paths.update({part: out_dir / f".{part}.partial" for part in _PARTS})
        self._handles = {key: open(path, "w", encoding="utf-8", newline="")
                         for key, path in self._paths.items() if key != "truth"}
        self._service = csv.writer(self._handles["service_records"], lineterminator="\n")
        self._sales = csv.writer(self._handles["sales"], lineterminator="\n")
        self._service.writerow(SERVICE_COLUMNS)
        self._sales.writerow(SALES_COLUMNS)
        # Every count is present (zero if nothing happened), so summaries have stable keys.
        self.counts: Counter = Counter({key: 0 for key in (
            "sales_rows", "service_events", *(f"service_events_{a}" for a in _ACTIONS), "posts",
            *(f"posts_{s}" for s in _STREAMS), "defect_posts", "posts_with_identifiers",
            *(f"posts_with_{k}" for k in _IDENTIFIER_KINDS), "long_posts", "lemons",
            "malformed_service_rows", "malformed_post_lines")})
        self._first = {part: True for part in _PARTS}

    def write_sales(self, product_id: str, month: date, region: str, channel: str, units: int) -> None:
        self._sales.writerow((product_id, f"{month:%Y-%m}", units, region, channel))
        self.counts["sales_rows"] += 1

    def write_event(self, row: tuple) -> None:
        self._service.writerow(row)
        self.counts["service_events"] += 1
        self.counts[f"service_events_{row[5]}"] += 1
        if self.counts["service_events"] % SERVICE_SLIP_EVERY == 0:
            self._service.writerow(_service_slip(row, self.counts["malformed_service_rows"]))
            self.counts["malformed_service_rows"] += 1

    def _part_line(self, part: str, text: str) -> None:
        handle = self._handles[part]
        handle.write(text if self._first[part] else ",\n" + text)
        self._first[part] = False

    def write_post(self, post: dict, truth: dict, stream: str) -> None:
        self._handles["posts"].write(_dumps(post) + "\n")
        if (self.counts["posts"] + 1) % POST_SLIP_EVERY == 0:
            self._handles["posts"].write(_post_slip(post, self.counts["malformed_post_lines"]) + "\n")
            self.counts["malformed_post_lines"] += 1
        self._part_line("truth-posts", f"{_dumps(post['mid'])}:{_dumps({**truth, 'stream': stream})}")
        self.counts["posts"] += 1
        self.counts[f"posts_{stream}"] += 1
        if truth["failure_modes"]:
            self.counts["defect_posts"] += 1
        if truth["identifiers"]:
            self.counts["posts_with_identifiers"] += 1
        for kind in truth["identifiers"]:
            self.counts[f"posts_with_{kind}"] += 1
        if post.get("isLongText"):
            self.counts["long_posts"] += 1

    def write_lemon(self, lemon: dict) -> None:
        self._part_line("truth-lemons", _dumps(lemon))
        self.counts["lemons"] += 1

    def finish(self, header: dict, readme: str) -> dict[str, str]:
        """Close everything, assemble ``truth.json``, move files into place; returns the paths."""
        for handle in self._handles.values():
            handle.close()
        with open(self._paths["truth"], "w", encoding="utf-8", newline="\n") as out:
            out.write("{\n")
            for key, value in header.items():
                out.write(f"{_dumps(key)}: {_dumps(value)},\n")
            for key, part in (("lemons", "truth-lemons"), ("posts", "truth-posts")):
                out.write(f'"{key}": ' + ("[\n" if key == "lemons" else "{\n"))
                with open(self._paths[part], encoding="utf-8") as source:
                    shutil.copyfileobj(source, out)
                out.write("\n]" if key == "lemons" else "\n}")
                out.write(",\n" if key == "lemons" else "\n")
            out.write("}\n")
        for part in _PARTS:
            self._paths[part].unlink()
        files = {}
        for key, name in FILE_NAMES.items():
            final = self.out_dir / name
            os.replace(self._paths[key], final)
            files[key] = str(final)
        (self.out_dir / "README.md").write_text(readme, encoding="utf-8")
        return files

    def abort(self) -> None:
        """Close and delete the partial files after a failure."""
        for handle in self._handles.values():
            if not handle.closed:
                handle.close()
        for path in self._paths.values():
            path.unlink(missing_ok=True)
