"""Transparent, negation-aware rules: which failure modes a text complains about.

The rule language is described in ``taxonomy.yaml``.  This module compiles a taxonomy into
one regular expression per mode and scans a normalised text clause by clause.  Every hit
keeps its evidence (the words that matched), so an analyst can see why a label was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from defectradar.text.taxonomy import LANGS, Taxonomy

_CLAUSE = re.compile(r"[，。！？；,!?;~\n…]+|(?<!\d)\.(?!\d)|但是|但|不过|可是|然而|\bbut\b|\bhowever\b|\bthough\b")
# Within this many characters a component and its problem word belong together.
_GAP_ZH, _GAP_EN = 8, 28
# Words that hold 不/没 without negating what follows ("时不时断网", "不停重启").
_NOT_NEGATIONS = re.compile(r"时不时|不时|不停|不断|动不动|不得不|不知道|不知|不一会|不少|不到|不小心|不了|不然|没多久|没几天|"
                            r"没过多久|没想到|没办法|没用几|无缘无故|无故|无数|不管|不仅|不光|不但|不会吧|不是.{0,2}就是")
_EN_NOT_NEGATIONS = re.compile(r"\bno longer\b|\bnot only\b|\bnot sure\b|\bcan'?t stop\b|\bnever stops?\b|\bno idea\b|"
                               r"\bnot even\b|\bnothing but\b")

STRONG, WEAK = 0.9, 0.75
_AFTER_DENIAL = re.compile(r"[^，。！？!?]{0,3}?(?:都|也)?(?:没有|沒有|没出现|冇|没)(?:过|過)?\s*(?:[，。！？!?~]|$)")


@dataclass
class RuleHit:
    mode: str
    evidence: str
    clause: int
    strong: bool            # a phrase or a mode-specific problem word, not only a generic one
    negated: bool = False
    kind: str = "phrase"    # phrase | pair (component near a problem word)
    end: int = 0            # where the hit ends in its clause


@dataclass
class RuleResult:
    modes: dict[str, float] = field(default_factory=dict)      # mode -> confidence
    negated: set[str] = field(default_factory=set)             # modes only ever mentioned negated
    hits: list[RuleHit] = field(default_factory=list)


def _alternation(patterns) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


@dataclass
class _CompiledMode:
    id: str
    phrase: re.Pattern | None
    pair: re.Pattern | None          # component then problem, or problem then component
    specific: re.Pattern | None      # the mode's own problem words
    beats: tuple[str, ...]


class RuleClassifier:
    """Rules of one taxonomy, compiled.

    Examples
    --------
    >>> from defectradar.text.taxonomy import builtin_taxonomy
    >>> rules = RuleClassifier(builtin_taxonomy())
    >>> sorted(rules.classify("小米11又烧主板了，wifi也打不开").modes)
    ['motherboard', 'wifi']
    >>> rules.classify("用了一年，一点都不发热").modes
    {}
    """

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        shared = taxonomy.shared
        self._modes = []
        self._triggers = []
        for mode in taxonomy.modes:
            own = [p for lang in LANGS for p in mode.problems[lang]]
            phrases = [p for lang in LANGS for p in mode.phrases[lang]]
            self._modes.append(_CompiledMode(
                mode.id, re.compile(_alternation(phrases)) if phrases else None, self._pair(mode, shared),
                re.compile(rf"^(?:{_alternation(own)})$") if own else None, mode.beats))
            words = phrases + [p for lang in LANGS for p in mode.components[lang]]
            # A quick test that a mode can match at all (one of its components or phrases
            # occurs): only then do its full patterns run.  Cuts rule time several-fold.
            self._triggers.append(re.compile(_alternation(words)) if words else None)
        # A one-character negation (不 没 无 未) must touch the word it negates ("没坏"), or it reads
        # into other words ("无线", "识别"); longer cues may stand two characters off ("一点都不太烫").
        single = [p for p in shared["negations"]["zh"] if len(p) == 1]
        longer = [p for p in shared["negations"]["zh"] if len(p) > 1]
        negation_zh = [f"(?:{_alternation(single)})$"] if single else []
        negation_zh += [rf"(?:{_alternation(longer)})[^，。]{{0,2}}$"] if longer else []
        self._negation_zh = re.compile("|".join(negation_zh)) if negation_zh else None
        self._negation_en = re.compile(rf"\b(?:{_alternation(shared['negations']['en'])})\b(?:\s+[\w']+){{0,2}}\s*$") \
            if shared["negations"]["en"] else None
        fine = [f"(?<!不)(?<!不太)(?:{p})" for p in shared["fine"]["zh"]] + [rf"\b(?:{p})" for p in shared["fine"]["en"]]
        self._fine = re.compile("|".join(fine)) if fine else None
        hearsay = list(shared["hearsay"]["zh"]) + [rf"\b(?:{p})" for p in shared["hearsay"]["en"]]
        self._hearsay = re.compile(_alternation(hearsay)) if hearsay else None
        self._question = re.compile(_alternation(shared["questions"]["zh"] + shared["questions"]["en"])) \
            if shared["questions"]["zh"] or shared["questions"]["en"] else None
        self._first_person = re.compile(_alternation(shared["first_person"]["zh"] + shared["first_person"]["en"])) \
            if shared["first_person"]["zh"] or shared["first_person"]["en"] else None

    @staticmethod
    def _pair(mode, shared) -> re.Pattern | None:
        """Component and problem word near each other, per language: Chinese packs a phrase
        into a few characters, English spreads it over words."""
        branches = []
        for lang, gap_chars in (("zh", _GAP_ZH), ("en", _GAP_EN)):
            components = mode.components[lang]
            problems = mode.problems[lang] + (shared["problems"][lang] if mode.generic_problems else ())
            if not components or not problems:
                continue
            comp, prob = _alternation(components), _alternation(problems)
            gap = rf"[^，。！？；,.!?;\n]{{0,{gap_chars}}}?"
            tag = lang
            branches.append(rf"(?P<c1{tag}>{comp}){gap}(?P<p1{tag}>{prob})|(?P<p2{tag}>{prob}){gap}(?P<c2{tag}>{comp})")
        return re.compile("|".join(branches)) if branches else None

    def _negated(self, clause: str, position: int) -> bool:
        before = clause[max(0, position - 30):position]
        if self._hearsay and self._hearsay.search(clause[:position]):
            return True
        zh_before = _NOT_NEGATIONS.sub("·", before[-8:])
        if self._negation_zh and self._negation_zh.search(zh_before):
            return True
        en_before = _EN_NOT_NEGATIONS.sub("·", before)
        return bool(self._negation_en and self._negation_en.search(en_before))

    def classify(self, match_text: str) -> RuleResult:
        """Modes complained about in a ``match``-form text (see :mod:`defectradar.text.normalise`)."""
        result = RuleResult()
        clauses = [c.strip() for c in _CLAUSE.split(match_text) if c and c.strip()]
        for index, clause in enumerate(clauses):
            clause_hits = self._clause_hits(clause, index)
            if not clause_hits:
                continue
            if self._question and self._question.search(clause) and not (
                    self._first_person and self._first_person.search(clause)):
                for hit in clause_hits:
                    hit.negated = True   # asking whether a fault exists is not reporting one
            if self._fine and self._fine.search(clause):
                for hit in clause_hits:
                    # "发热也还行": a verdict right after the hit clears it; a fine word elsewhere
                    # in the clause clears only hits built from a generic problem word.
                    if not hit.strong or self._fine.search(clause, hit.end, hit.end + 10):
                        hit.negated = True
            for hit in clause_hits:
                # "半点残影都没有", "主板一点问题都没有": a denial right after the hit ends the clause.
                if _AFTER_DENIAL.match(clause, hit.end):
                    hit.negated = True
            winners = {h.mode for h in clause_hits if not h.negated}
            phrase_winners = {h.mode for h in clause_hits if not h.negated and h.kind == "phrase"}
            for mode in self._modes:
                if mode.id in winners:
                    # A phrase of the beating mode ("再也起不来") overrides everything the beaten
                    # mode found in the clause ("死机"); a weaker hit only overrides weak ones.
                    for hit in clause_hits:
                        if hit.mode in mode.beats and (mode.id in phrase_winners or hit.kind == "pair" or not hit.strong):
                            hit.negated = True
            result.hits.extend(clause_hits)
        for hit in result.hits:
            if not hit.negated:
                confidence = STRONG if hit.strong else WEAK
                result.modes[hit.mode] = max(result.modes.get(hit.mode, 0.0), confidence)
        result.negated = {h.mode for h in result.hits if h.negated} - set(result.modes)
        return result

    def _candidates(self, clause: str) -> list[_CompiledMode]:
        return [mode for mode, trigger in zip(self._modes, self._triggers) if trigger and trigger.search(clause)]

    def _clause_hits(self, clause: str, index: int) -> list[RuleHit]:
        hits = []
        for mode in self._candidates(clause):
            if mode.phrase:
                for m in mode.phrase.finditer(clause):
                    hits.append(RuleHit(mode.id, m.group(), index, True, self._negated(clause, m.start()),
                                        "phrase", m.end()))
            if mode.pair:
                for m in mode.pair.finditer(clause):
                    name = next(g for g, v in m.groupdict().items() if v is not None and g[0] == "p")
                    problem, problem_start = m.group(name), m.start(name)
                    strong = bool(mode.specific and mode.specific.match(problem))
                    negated = self._negated(clause, m.start()) or self._negated(clause, problem_start)
                    hits.append(RuleHit(mode.id, m.group(), index, strong, negated, "pair", m.end()))
        return hits
