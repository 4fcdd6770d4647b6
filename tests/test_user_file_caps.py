"""The caps every user file is read under (size, nesting, numbers, YAML aliases), and values in errors."""

from __future__ import annotations

import pytest

from defectradar.domain.catalog import parse_catalog
from defectradar.errors import InputError
from defectradar.remedies import parse_rule_set
from defectradar.text.taxonomy import parse_taxonomy
from defectradar.user_files import (
    MAX_DEPTH,
    load_user_json,
    load_user_yaml,
    read_user_text,
    shown,
)

#: The classic 340-byte "billion laughs": 10^9 strings once expanded (it grew past 12 GB as a rule set).
BILLION_LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{name}: &{name} [{','.join([f'*{prev}'] * 10)}]\n" for prev, name in zip("abcdefgh", "bcdefghi"))
#: The same with merge keys, which PyYAML copies while building mappings.
MERGE_BOMB = "a: &a {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}\n" + "".join(
    f"{name}: &{name}\n" + "".join(f"  {name}{i}: {{<<: *{prev}}}\n" for i in range(10))
    for prev, name in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("parse", [
    lambda text: load_user_yaml(text, "f.yaml"),
    lambda text: parse_rule_set(text, "f.yaml"),
    lambda text: parse_catalog(text, "f.yaml"),
    lambda text: parse_taxonomy(text, "f.yaml"),
], ids=["yaml", "rule set", "catalog", "taxonomy"])
@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, MERGE_BOMB], ids=["aliases", "merge keys"])
def test_alias_bombs_are_refused_before_they_expand(parse, bomb):
    assert len(BILLION_LAUGHS) < 400
    with pytest.raises(InputError, match=r"^f.yaml: its aliases \(\*name\) expand to more than 10,000 nodes"):
        parse(bomb)


def test_honest_aliases_and_merge_keys_still_load():
    text = "base: &base {months: 12, modes: [wifi, battery]}\nphone: {<<: *base, months: 24}\nalso: *base\n"
    assert load_user_yaml(text, "f.yaml") == {"base": {"months": 12, "modes": ["wifi", "battery"]},
                                              "phone": {"months": 24, "modes": ["wifi", "battery"]},
                                              "also": {"months": 12, "modes": ["wifi", "battery"]}}


def test_nesting_is_capped_in_yaml_and_json_and_allowed_up_to_the_cap():
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_user_json(ok, "c.json") is not None and load_user_yaml(ok, "c.yaml") is not None
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(InputError, match="^c.json: nests lists and objects more than 32 deep"):
        load_user_json(deep, "c.json")
    with pytest.raises(InputError, match="^c.yaml:1: nests lists and mappings more than 32 deep"):
        load_user_yaml(deep, "c.yaml")
    with pytest.raises(InputError, match="more than 32 deep"):
        load_user_json("[" * 100_000 + "]" * 100_000, "c.json")
    with pytest.raises(InputError, match=r"^c.yaml:3: nests"):
        load_user_yaml("a: 1\nb: 2\nc: " + "{x: " * 40 + "1" + "}" * 40, "c.yaml")


def test_long_numbers_are_refused_with_their_line():
    with pytest.raises(InputError, match="^c.json: holds a number of 5000 digits; numbers may have at most 100"):
        load_user_json('{"days": ' + "9" * 5000 + "}", "c.json")
    with pytest.raises(InputError, match="^c.yaml:2: holds a number of 5001 digits"):
        load_user_yaml("a: 1\nb: -" + "9" * 5000 + "\n", "c.yaml")
    assert load_user_yaml("a: 1.5e+300\nb: '" + "9" * 5000 + "'\n", "c.yaml")["a"] == 1.5e300   # text may be long


def test_size_cap(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 2001)
    with pytest.raises(InputError, match=r"^catalog .*big.yaml is larger than 2,000 bytes, the most defectradar reads"):
        read_user_text(path, "catalog", max_bytes=2000)
    assert read_user_text(path, "catalog", max_bytes=2001) == "x" * 2001
    with pytest.raises(InputError, match="cannot read catalog .*: Is a directory"):
        read_user_text(tmp_path, "catalog")


def test_values_in_errors_never_show_identifiers():
    assert shown("2021-13-01") == "'2021-13-01'"
    assert shown(12) == "12"
    assert shown("wifi" * 40).endswith("...") and len(shown("wifi" * 40)) == 60
    assert shown("call me on 13812345678") == "a value holding a phone number (not shown)"
    assert shown(490154203237518) == "a value holding an IMEI (not shown)"
    assert shown({"mail": "li.na@example.cn"}) == "a value holding an e-mail address (not shown)"
    # an identifier just past the cut is still hidden, not shown in part
    assert "1381234" not in shown("x" * 52 + " 13812345678")
