"""Users' text files: a missing or non-UTF-8 file is one clear line naming what it was for."""

from __future__ import annotations

import pytest

from defectradar.errors import InputError
from defectradar.user_files import read_user_text


def test_reads_utf8_text(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("id: 三包\n", "utf-8")
    assert read_user_text(path, "rule set") == "id: 三包\n"


def test_missing_and_non_utf8_files_name_what_they_were_for(tmp_path):
    with pytest.raises(InputError, match="cannot read catalog .*missing.yaml: No such file"):
        read_user_text(tmp_path / "missing.yaml", "catalog")
    path = tmp_path / "gbk.json"
    path.write_bytes("小米".encode("gbk"))
    with pytest.raises(InputError, match="case .*gbk.json is not UTF-8 text; save it as UTF-8"):
        read_user_text(path, "case")
