"""Taxonomy files: the built-in one, a user's own for another product family, and every way a
file can be wrong (each reported with the file and the problem, never as a traceback)."""

from __future__ import annotations

import textwrap

import pytest

from defectradar.errors import InputError
from defectradar.text.normalise import normalise
from defectradar.text.rules import RuleClassifier
from defectradar.text.taxonomy import builtin_taxonomy, load_taxonomy, parse_taxonomy

PHONE_MODES = ("wifi", "cellular", "other_radio", "motherboard", "screen_burn_in", "display", "overheating",
               "battery", "charging", "camera", "audio", "software", "biometrics", "build", "safety", "other_defect")

VEHICLES = """\
version: 1
name: vehicles
shared:
  problems:
    en: ["failed", "not working", "broken"]
    zh: ['坏了', '失灵']
  negations:
    en: ["no", "never", "not"]
    zh: ['没', '不', '没有']
  questions:
    en: ['^(?:do|does|is|are)\\b']   # '?' ends a clause, so a question is told by its first word
    zh: ['吗$']
modes:
  - id: brakes
    name: {en: Brakes, zh: 刹车}
    description: Brakes squeal, grind or fail.
    components:
      en: ['brakes?']
      zh: ['刹车']
    problems:
      en: ['squeal(?:s|ing)?', 'grind(?:s|ing)?']
    phrases:
      en: ['brake failure']
      zh: ['刹车失灵']
  - id: engine
    components:
      en: ['engine']
      zh: ['发动机']
    phrases:
      en: ['engine stall(?:s|ed|ing)?']
      zh: ['熄火']
  - id: fire
    severity: safety
    beats: [engine]
    phrases:
      en: ['caught fire', 'smoke']
      zh: ['起火', '冒烟']
"""


def write(tmp_path, text: str, name: str = "taxonomy.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_builtin_taxonomy_has_the_sixteen_phone_modes():
    taxonomy = builtin_taxonomy()
    assert taxonomy.name == "phones"
    assert taxonomy.ids == PHONE_MODES
    assert len(set(taxonomy.ids)) == 16
    assert load_taxonomy().ids == PHONE_MODES
    assert taxonomy.digest and taxonomy.digest == builtin_taxonomy().digest


def test_builtin_modes_have_names_and_descriptions_in_both_languages():
    for mode in builtin_taxonomy().modes:
        assert mode.name["en"] and mode.name["zh"], mode.id
        assert mode.description["en"] and mode.description["zh"], mode.id
        assert set(mode.beats) <= set(PHONE_MODES), mode.id


def test_mode_lookup_by_id():
    taxonomy = builtin_taxonomy()
    assert taxonomy.mode("wifi").name["en"] == "Wi-Fi"
    with pytest.raises(KeyError):
        taxonomy.mode("brakes")


def test_a_custom_taxonomy_loads_and_classifies(tmp_path):
    taxonomy = load_taxonomy(write(tmp_path, VEHICLES))
    assert taxonomy.name == "vehicles"
    assert taxonomy.ids == ("brakes", "engine", "fire")
    assert taxonomy.mode("fire").severity == "safety"
    assert taxonomy.mode("engine").name == {"en": "engine", "zh": "engine"}    # the id stands in for a name
    assert taxonomy.mode("brakes").description["zh"] == "Brakes squeal, grind or fail."

    rules = RuleClassifier(taxonomy)

    def modes(text):
        return set(rules.classify(normalise(text).match).modes)

    assert modes("The brakes squeal and the engine stalled on the motorway") == {"brakes", "engine"}
    assert modes("刹车失灵了") == {"brakes"}
    assert modes("发动机坏了，高速上熄火") == {"engine"}
    assert modes("the engine caught fire") == {"fire"}
    assert modes("the brakes have never failed") == set()
    assert modes("do the brakes squeal?") == set()
    assert modes("刹车会失灵吗？") == set()
    assert modes("my battery drains fast") == set()          # phone words mean nothing here
    assert rules.classify("the brakes have never failed").negated == {"brakes"}


def test_a_taxonomy_without_a_name_is_named_after_its_file(tmp_path):
    path = write(tmp_path, "modes:\n  - id: leak\n    phrases: {en: ['leaks?']}\n", name="washers.yaml")
    taxonomy = load_taxonomy(path)
    assert taxonomy.name == "washers"
    assert set(RuleClassifier(taxonomy).classify("the door leaks").modes) == {"leak"}


BAD_FILES = [
    ("modes: [\n  - id: wifi\n", "not valid YAML"),
    ("version: 1\nname: empty\n", "needs a non-empty top-level 'modes:' list"),
    ("modes: []\n", "needs a non-empty top-level 'modes:' list"),
    ("- id: wifi\n", "needs a non-empty top-level 'modes:' list"),
    ("colour: red\nmodes:\n  - id: wifi\n", "unknown top-level keys colour"),
    ("shared:\n  stopwords: {en: [the]}\nmodes:\n  - id: wifi\n", "'shared' may hold only"),
    ("modes:\n  - id: wifi\n    probelms: {en: [broken]}\n", "mode 'wifi': unknown keys probelms"),
    ("modes:\n  - id: Wi-Fi\n", "'id' must be lower-case letters, digits and _ (got 'Wi-Fi')"),
    ("modes:\n  - name: no id\n", "'id' must be lower-case letters, digits and _ (got None)"),
    ("modes:\n  - id: wifi\n  - id: wifi\n", "mode 'wifi' appears twice"),
    ("modes:\n  - just a string\n", "mode #1 is not a mapping"),
    ("modes:\n  - id: wifi\n    phrases: {en: ['wi(fi']}\n", "pattern 'wi(fi' is not a valid regular expression"),
    ("modes:\n  - id: wifi\n    phrases: {fr: ['wifi']}\n", "unknown language keys fr"),
    ("modes:\n  - id: wifi\n    phrases: {en: wifi}\n", "expected a list of non-empty pattern strings"),
    ("modes:\n  - id: wifi\n    phrases: [wifi]\n", "expected a mapping with 'zh' and/or 'en'"),
    ("modes:\n  - id: wifi\n    beats: [ghost]\n", "mode 'wifi': 'beats' names unknown mode 'ghost'"),
    ("modes:\n  - id: wifi\n    beats: ghost\n", "'beats' must be a list of mode ids"),
    ("modes:\n  - id: wifi\n    severity: critical\n", "mode 'wifi': 'severity' can only be safety"),
    ("modes:\n  - id: wifi\n    name: [a, b]\n", "mode 'wifi'.name: expected text or a mapping"),
]


@pytest.mark.parametrize("text, problem", BAD_FILES)
def test_a_bad_file_names_the_file_and_the_problem(tmp_path, text, problem):
    path = write(tmp_path, text, name="my-taxonomy.yaml")
    with pytest.raises(InputError) as raised:
        load_taxonomy(path)
    message = str(raised.value)
    assert str(path) in message
    assert problem in message
    assert "Traceback" not in message


def test_an_invalid_shared_pattern_is_named(tmp_path):
    path = write(tmp_path, "shared:\n  negations: {zh: ['没(有']}\nmodes:\n  - id: wifi\n")
    with pytest.raises(InputError, match=r"shared\.negations\.zh: pattern '没\(有' is not a valid regular expression"):
        load_taxonomy(path)


def test_parse_taxonomy_names_its_origin():
    with pytest.raises(InputError, match="^upload.yaml: "):
        parse_taxonomy("modes: {}\n", "upload.yaml")


def test_a_missing_file_is_an_input_error(tmp_path):
    missing = tmp_path / "nowhere" / "taxonomy.yaml"
    with pytest.raises(InputError, match="cannot read taxonomy") as raised:
        load_taxonomy(missing)
    assert str(missing) in str(raised.value)
    assert isinstance(raised.value, ValueError)
