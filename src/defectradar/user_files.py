"""Reading the text files users hand to defectradar (catalogs, taxonomies, rule sets, cases).

One place for the error a missing, unreadable or non-UTF-8 file gives: one line naming what
the file was for, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from defectradar.errors import InputError


def read_user_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of ``path``; ``what`` names the file in errors ("catalog", "rule set")."""
    path = Path(path)
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path} is not UTF-8 text; save it as UTF-8") from None
