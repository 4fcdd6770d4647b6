"""The classifier's fast paths give exactly what the slow, obvious ways give.

* The rules search only the patterns a clause can match (an Aho-Corasick prefilter, narrowed
  alternations): the oracle searches every mode's full alternations in every clause, which is
  what the per-mode trigger regexes of old were only a shortcut for.
* ``compile_fast`` adds a first-character lookahead to a pattern: same matches, spans, groups.
* ``required_literals`` must never leave out a string a match needs.
* The product matcher maps folded positions back per hit instead of through a table.
* The classifier skips modes the model cannot label: same labels as looking at all of them.

Texts: every labelled text of data/eval and text/training (read when the test runs, so new
texts are covered too) and the simulator's symptom phrases.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from defectradar.text import extract, kind, subject
from defectradar.text.classifier import CLEARED_THRESHOLD, NEGATION_OVERRIDE, ComplaintClassifier, ModeLabel
from defectradar.text.normalise import normalise
from defectradar.text.prefilter import LiteralIndex, compile_fast, required_literals
from defectradar.text.products import _fold, _original_index
from defectradar.text.rules import RuleClassifier
from defectradar.text.taxonomy import LANGS, builtin_taxonomy

REPO = Path(__file__).resolve().parents[2]


def _labelled_texts() -> list[str]:
    files = sorted((REPO / "data" / "eval").glob("*.jsonl")) + \
        sorted((REPO / "src" / "defectradar" / "text" / "training").glob("*.jsonl"))
    texts = []
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def _symptom_texts() -> list[str]:
    from defectradar.simulate.phrases.symptoms import SYMPTOMS_EN, SYMPTOMS_ZH, clause_modes
    return [clause_modes(p)[0] for table in (SYMPTOMS_ZH, SYMPTOMS_EN) for phrases in table.values() for p in phrases]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = _labelled_texts()
    assert len(found) > 1000, "the labelled texts moved: point this test at them"
    return [normalise(t).match for t in found + _symptom_texts()]


class _FullRules(RuleClassifier):
    """The oracle: every mode's full alternations searched in every clause, no prefilter."""

    def _scan(self, clause):
        return -1, (1 << len(self._modes)) - 1        # every pattern and every mode may match

    def _narrow(self, name, found):
        if name == "fine":
            return self._fine
        if name == "hearsay":
            return self._hearsay
        mode = self._modes[name[1]]
        return mode.phrase if name[0] == "phrase" else mode.pair


def _hits(result):
    return [(h.mode, h.evidence, h.clause, h.strong, h.negated, h.kind, h.end) for h in result.hits]


def test_rules_find_exactly_what_the_full_alternations_find(texts):
    taxonomy = builtin_taxonomy()
    fast, full = RuleClassifier(taxonomy), _FullRules(taxonomy)
    differ, with_hits = [], 0
    for text in texts:
        a, b = fast.classify(text), full.classify(text)
        with_hits += bool(b.hits)
        if (a.modes, a.negated, _hits(a)) != (b.modes, b.negated, _hits(b)):
            differ.append(text)
    assert not differ, f"{len(differ)} texts differ, e.g. {differ[:3]}"
    assert with_hits > len(texts) // 2       # the texts do exercise the rules


def test_narrowed_patterns_are_kept_and_bounded(texts):
    rules = RuleClassifier(builtin_taxonomy())
    for text in texts[:300]:
        rules.classify(text)
    kept = len(rules._narrowed)
    for text in texts[:300]:
        rules.classify(text)
    assert 0 < kept == len(rules._narrowed)       # a second pass compiles nothing


def _source(pattern: re.Pattern) -> str:
    """The pattern ``compile_fast`` was given (it wraps it as ``(?=[...])(?:source)``)."""
    text = pattern.pattern
    if text.startswith("(?=["):
        return text[text.index("])(?:") + 5:-1]
    return text


def _module_patterns() -> dict[str, re.Pattern]:
    found = {}
    for module in (extract, kind, subject):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found[f"{module.__name__}.{name}"] = value
            elif isinstance(value, tuple) and value and all(isinstance(v, re.Pattern) for v in value):
                found.update({f"{module.__name__}.{name}[{i}]": v for i, v in enumerate(value)})
    rules = RuleClassifier(builtin_taxonomy())
    for mode in rules._modes:
        found.update({f"{mode.id}.phrase": mode.phrase, f"{mode.id}.pair": mode.pair})
    found.update({"fine": rules._fine, "hearsay": rules._hearsay, "question": rules._question,
                  "first_person": rules._first_person})
    return {name: p for name, p in found.items() if p is not None}


def test_compile_fast_matches_exactly_like_re_compile(texts):
    patterns = _module_patterns()
    wrapped = [name for name, p in patterns.items() if p.pattern != _source(p)]
    assert len(wrapped) > 10, "compile_fast no longer adds lookaheads: this test checks nothing"
    sample = texts[::3]
    for name in wrapped:
        fast = patterns[name]
        plain = re.compile(_source(fast), fast.flags)
        for text in sample:
            a = [(m.span(), m.groups(), m.lastgroup) for m in fast.finditer(text)]
            b = [(m.span(), m.groups(), m.lastgroup) for m in plain.finditer(text)]
            assert a == b, (name, text)


@pytest.mark.parametrize("pattern, expected", [
    ("wi-?fi", {"wifi", "wi-fi"}),
    ("卡.{0,4}不识别", {"不识别"}),
    ("(?<!wifi)(?<!无线)信号", {"信号"}),
    ("sim(?: card)?", {"sim"}),
    ("c[áa]mara", {"cámara", "camara"}),
    ("(?:有点|有些)卡(?![托槽片])", {"有点卡", "有些卡"}),
    ("a|b.", {"a", "b"}),
    (r"\bstuk\b", {"stuk"}),
    (".{2}", None),
    ("x*", None),
    ("(?i)wifi", None),
    ("(?i:wifi)", None),
    (r"(\w)\1", None),
])
def test_required_literals(pattern, expected):
    found = required_literals(pattern)
    assert (None if found is None else set(found)) == expected


def test_required_literals_never_miss_a_match():
    """Random short patterns of a small alphabet against random strings: every match contains
    one of the strings."""
    rng = random.Random(11)
    atoms = ["a", "b", "ab", "[ab]", "[abc]", "c?", "(?:a|bc)", "a+", "b{1,2}", "(?:ab)?", ".", r"\b", "(?=a)",
             "(?<!b)", "(?:a|b+)", "[^a]", "c*"]
    checked = 0
    for _ in range(3000):
        pattern = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.3:
            pattern += "|" + "".join(rng.choice(atoms) for _ in range(rng.randint(1, 3)))
        strings = required_literals(pattern)
        if strings is None:
            continue
        compiled = re.compile(pattern)
        for _ in range(20):
            text = "".join(rng.choice("abc ") for _ in range(rng.randint(0, 8)))
            for m in compiled.finditer(text):
                assert any(s in m.group() for s in strings), (pattern, text, strings)
                checked += 1
    assert checked > 1000


def test_literal_index_keeps_lists_with_groups_whole():
    index = LiteralIndex({"grouped": ["(a)b", "cd"], "single": ["(x)y"], "plain": ["ab", "cd"]})
    found, _ = index.scan("ab")
    assert index.present("grouped", found) == 0b11           # never narrowed: groups would renumber
    assert index.present("single", found) == 0               # a lone pattern is searched or skipped
    assert index.chosen("plain", index.present("plain", found)) == ["ab"]


def test_compile_fast_leaves_what_it_cannot_speed_up():
    assert compile_fast("x?").pattern == "x?"                      # may match empty
    assert compile_fast("第.次").pattern == "第.次"                   # the engine skips to 第 itself
    assert compile_fast("(?i)(?<!a)b|c").pattern == "(?i)(?<!a)b|c"
    assert compile_fast("(?<!a)b|c").pattern == "(?=[bc])(?:(?<!a)b|c)"
    assert compile_fast("(?<!a)[^b]|c").pattern == "(?<!a)[^b]|c"  # a negated class: no set to name


def _table(text: str) -> tuple[str, list[int]]:
    """The old fold: every kept character's original index."""
    pieces, positions = [], []
    for run in re.finditer(r"[^\s\-_]+", text):
        pieces.append(run.group())
        positions.extend(range(run.start(), run.end()))
    return "".join(pieces), positions


def test_product_fold_maps_positions_like_the_table(texts):
    rng = random.Random(5)
    samples = texts[::5] + ["".join(rng.choice(" -_a1\u3000\n小") for _ in range(rng.randint(0, 12)))
                            for _ in range(3000)]
    for text in samples:
        folded, parts = _fold(text)
        assert (folded, [_original_index(i, parts) for i in range(len(folded))]) == _table(text), text


class _FakeModel:
    def __init__(self, classes):
        self.classes_ = classes


def _all_modes_labels(classifier, rules, row) -> list[ModeLabel]:
    """The old combination: every mode of the taxonomy looked at."""
    model_p = dict(zip(classifier.model.classes_, row))
    labels = []
    cleared = not rules.modes and bool(rules.negated)
    unconfirmed = not rules.modes
    for mode in classifier.taxonomy.ids:
        p = model_p.get(mode, 0.0)
        if mode in rules.modes:
            labels.append(ModeLabel(mode, max(rules.modes[mode], p),
                                    "rule+model" if p >= classifier.model_threshold else "rule"))
            continue
        needed = NEGATION_OVERRIDE if mode in rules.negated else (
            max(CLEARED_THRESHOLD, classifier.model_threshold) if cleared else
            max(classifier.unconfirmed_threshold, classifier.model_threshold) if unconfirmed
            else classifier.model_threshold)
        if p >= needed:
            labels.append(ModeLabel(mode, p, "model"))
    return sorted(labels, key=lambda m: -m.confidence)


@pytest.mark.parametrize("threshold", [0.6, 0.97])
def test_combined_labels_skip_only_modes_that_cannot_be_labelled(texts, threshold):
    ids = list(builtin_taxonomy().ids)
    classes = ids[:-2] + ["not_a_mode"]            # a mode the model lacks, a class the taxonomy lacks
    classifier = ComplaintClassifier(model=None, model_threshold=threshold)
    classifier.model = _FakeModel(classes)
    rng = random.Random(7)
    levels = [0.0, 0.3, 0.59, 0.6, 0.61, 0.8, 0.85, 0.9, 0.95, 0.96, 0.97, 0.99, 1.0]
    for text in texts[::6]:
        row = [rng.choice(levels) if rng.random() < 0.6 else rng.random() for _ in classes]
        expected = _all_modes_labels(classifier, classifier.rules.classify(text), row)
        assert classifier._combined_labels(text, row) == expected, text


def test_every_language_list_is_indexed():
    """A pattern list the rules narrow but the index lacks would silently never match."""
    taxonomy = builtin_taxonomy()
    rules = RuleClassifier(taxonomy)
    for i, mode in enumerate(taxonomy.modes):
        for lang in LANGS:
            for kind_, patterns in (("component", mode.components[lang]), ("phrase", mode.phrases[lang])):
                name = (kind_, i, lang) if kind_ == "component" else (kind_, i)
                assert rules._index.bits(name) or not patterns


def test_prefilter_doctests():
    import doctest

    from defectradar.text import prefilter
    assert doctest.testmod(prefilter, raise_on_error=True).attempted > 0
