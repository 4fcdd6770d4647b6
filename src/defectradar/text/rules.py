"""Transparent, negation-aware rules: which failure modes a text complains about.

The rule language is described in ``taxonomy.yaml``.  This module compiles a taxonomy into
regular expressions per mode and scans a normalised text clause by clause.  Every hit keeps
its evidence (the words that matched), so an analyst can see why a label was given.

Speed: searching every mode's alternations in every clause cost most of the classifier's
time, while a clause names one or two parts at most.  One Aho-Corasick pass per clause finds
which patterns can possibly match there (:class:`~defectradar.text.prefilter.LiteralIndex`);
only the modes with such patterns are looked at, and with alternations built from only those
patterns (compiled once per combination and kept).  The hits are exactly those of the full
alternations: ``tests/text/test_rules_fast_path.py`` compares both on all labelled texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from defectradar.text.prefilter import LiteralIndex, compile_fast
from defectradar.text.taxonomy import LANGS, Taxonomy

_CLAUSE = compile_fast(r"[，。！？；,!?;~\n…]+|(?<!\d)\.(?!\d)|但是|但|不过|可是|然而|\bbut\b|\bhowever\b|\bthough\b")
# Within this many characters a component and its problem word belong together.
_GAP_ZH, _GAP_EN = 8, 28
# Words that hold 不/没 without negating what follows ("时不时断网", "不停重启").
_NOT_NEGATIONS = compile_fast(r"时不时|不时|不停|不断|动不动|不得不|不知道|不知|不一会|不少|不到|不小心|不了|不然|没多久|没几天|"
                              r"没过多久|没想到|没办法|没用几|无缘无故|无故|无数|不管|不仅|不光|不但|不会吧|不是.{0,2}就是")
_EN_NOT_NEGATIONS = compile_fast(r"\bno longer\b|\bnot only\b|\bnot sure\b|\bcan'?t stop\b|\bnever stops?\b|\bno idea\b|"
                                 r"\bnot even\b|\bnothing but\b")

STRONG, WEAK = 0.9, 0.75
# Narrowed alternations kept, one per combination of patterns some clause may match (~1.7 KB
# each, so ~14 MB at most; 6,500 varied complaints need ~2,600, each compiled once).
_NARROWED_KEPT = 8_192
_UNSEEN = object()
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
        lists: dict = {}      # the alternations the prefilter narrows, by name
        for i, mode in enumerate(taxonomy.modes):
            own = [p for lang in LANGS for p in mode.problems[lang]]
            phrases = [p for lang in LANGS for p in mode.phrases[lang]]
            lists[("phrase", i)] = phrases
            for lang in LANGS:
                lists[("component", i, lang)] = mode.components[lang]
                lists[("problem", i, lang)] = mode.problems[lang] + (
                    shared["problems"][lang] if mode.generic_problems else ())
            self._modes.append(_CompiledMode(
                mode.id, compile_fast(_alternation(phrases)) if phrases else None,
                self._pair_pattern({lang: (lists[("component", i, lang)], lists[("problem", i, lang)])
                                    for lang in LANGS}),
                re.compile(rf"^(?:{_alternation(own)})$") if own else None, mode.beats))
        # A one-character negation (不 没 无 未) must touch the word it negates ("没坏"), or it reads
        # into other words ("无线", "识别"); longer cues may stand two characters off ("一点都不太烫").
        single = [p for p in shared["negations"]["zh"] if len(p) == 1]
        longer = [p for p in shared["negations"]["zh"] if len(p) > 1]
        negation_zh = [f"(?:{_alternation(single)})$"] if single else []
        negation_zh += [rf"(?:{_alternation(longer)})[^，。]{{0,2}}$"] if longer else []
        negation_en = [rf"\b(?:{_alternation(shared['negations']['en'])})\b(?:\s+[\w']+){{0,2}}\s*$"] \
            if shared["negations"]["en"] else []
        self._negation_zh = compile_fast("|".join(negation_zh)) if negation_zh else None
        self._negation_en = compile_fast(negation_en[0]) if negation_en else None
        lists["negation_zh"], lists["negation_en"] = negation_zh, negation_en
        lists["fine"] = [f"(?<!不)(?<!不太)(?:{p})" for p in shared["fine"]["zh"]] + \
            [rf"\b(?:{p})" for p in shared["fine"]["en"]]
        lists["hearsay"] = list(shared["hearsay"]["zh"]) + [rf"\b(?:{p})" for p in shared["hearsay"]["en"]]
        self._fine = compile_fast("|".join(lists["fine"])) if lists["fine"] else None
        self._hearsay = compile_fast(_alternation(lists["hearsay"])) if lists["hearsay"] else None
        self._question = compile_fast(_alternation(shared["questions"]["zh"] + shared["questions"]["en"])) \
            if shared["questions"]["zh"] or shared["questions"]["en"] else None
        self._first_person = compile_fast(_alternation(shared["first_person"]["zh"] + shared["first_person"]["en"])) \
            if shared["first_person"]["zh"] or shared["first_person"]["en"] else None
        # Tag bit i: mode i may match (one of its phrases or components may occur; a pair needs a
        # component), so a clause looks only at those modes.
        self._index = LiteralIndex(lists, {(kind, i, *lang): 1 << i for i in range(len(self._modes))
                                           for kind, lang in (("phrase", ()), ("component", ("zh",)),
                                                              ("component", ("en",)))})
        bits = self._index.bits
        # What keys a narrowed pattern: the scan bits of the lists it is built from.
        self._phrase_bits = [bits(("phrase", i)) for i in range(len(self._modes))]
        self._pair_bits = [bits(("component", i, "zh")) | bits(("problem", i, "zh")) | bits(("component", i, "en"))
                           | bits(("problem", i, "en")) for i in range(len(self._modes))]
        self._fine_bits, self._hearsay_bits = bits("fine"), bits("hearsay")
        # The negation cues search a window of the clause with some words blotted out by "·": a
        # cue they find is in the clause too, unless a cue pattern holds "·" itself.
        self._negation_gates = tuple(-1 if any("·" in p for p in lists[name]) else self._index.gate(name)
                                     for name in ("negation_zh", "negation_en"))
        self._beats = {mode.id: mode.beats for mode in self._modes if mode.beats}
        self._narrowed: dict = {}    # (name, scan bits of its lists) -> narrowed pattern, or None

    @staticmethod
    def _pair_pattern(by_lang: dict, compile=compile_fast) -> re.Pattern | None:
        """Component and problem word near each other, per language: Chinese packs a phrase
        into a few characters, English spreads it over words.  ``by_lang``: lang -> (components,
        problems)."""
        branches = []
        for lang, gap_chars in (("zh", _GAP_ZH), ("en", _GAP_EN)):
            components, problems = by_lang.get(lang, ((), ()))
            if not components or not problems:
                continue
            comp, prob = _alternation(components), _alternation(problems)
            gap = rf"[^，。！？；,.!?;\n]{{0,{gap_chars}}}?"
            tag = lang
            branches.append(rf"(?P<c1{tag}>{comp}){gap}(?P<p1{tag}>{prob})|(?P<p2{tag}>{prob}){gap}(?P<c2{tag}>{comp})")
        return compile("|".join(branches)) if branches else None

    # -- the prefilter (the test's oracle replaces these three with the full alternations)

    def _scan(self, clause: str) -> tuple[int, int]:
        """What may match in ``clause``: bits of patterns, and bits of modes (bit i: mode i)."""
        return self._index.scan(clause)

    def _narrow(self, name, found: int) -> re.Pattern | None:
        """The alternation ``name`` ("fine", "hearsay", ("phrase", i) or ("pair", i)) cut down to
        the patterns that may match in a clause whose :meth:`_scan` found ``found``; None when
        none may (a pair needs a component and a problem word of one language)."""
        if name == "fine":
            key = (name, found & self._fine_bits)
        elif name == "hearsay":
            key = (name, found & self._hearsay_bits)
        elif name[0] == "phrase":
            key = (name, found & self._phrase_bits[name[1]])
        else:
            key = (name, found & self._pair_bits[name[1]])
        pattern = self._narrowed.get(key, _UNSEEN)
        if pattern is _UNSEEN:
            pattern = self._build(name, found)
            if len(self._narrowed) >= _NARROWED_KEPT:
                self._narrowed.clear()     # a bound on memory; rebuilding costs a compile each
            self._narrowed[key] = pattern
        return pattern

    def _build(self, name, found: int) -> re.Pattern | None:
        index = self._index
        if name[0] == "pair":
            i = name[1]
            chosen = {lang: (index.chosen(("component", i, lang), index.present(("component", i, lang), found)),
                             index.chosen(("problem", i, lang), index.present(("problem", i, lang), found)))
                      for lang in LANGS}
            return self._pair_pattern(chosen, re.compile)      # None unless some language has both
        alternatives = index.chosen(name, index.present(name, found))
        if not alternatives:
            return None
        return re.compile("|".join(alternatives) if name == "fine" else _alternation(alternatives))

    def _negated(self, clause: str, position: int, cues: tuple) -> bool:
        """Whether hearsay or a negation before ``position`` takes back a hit there; ``cues`` are
        the clause's hearsay and negation patterns, each None when it cannot match there."""
        hearsay, negation_zh, negation_en = cues
        if hearsay and hearsay.search(clause[:position]):
            return True
        before = clause[max(0, position - 30):position]
        if negation_zh and negation_zh.search(_NOT_NEGATIONS.sub("·", before[-8:])):
            return True
        return bool(negation_en and negation_en.search(_EN_NOT_NEGATIONS.sub("·", before)))

    def _cues(self, found: int) -> tuple:
        gate_zh, gate_en = self._negation_gates
        return (self._narrow("hearsay", found) if self._hearsay else None,
                self._negation_zh if found & gate_zh else None, self._negation_en if found & gate_en else None)

    def classify(self, match_text: str) -> RuleResult:
        """Modes complained about in a ``match``-form text (see :mod:`defectradar.text.normalise`)."""
        result = RuleResult()
        clauses = [c.strip() for c in _CLAUSE.split(match_text) if c and c.strip()]
        for index, clause in enumerate(clauses):
            found, modes = self._scan(clause)
            if not modes:
                continue
            clause_hits = self._clause_hits(clause, index, found, modes)
            if not clause_hits:
                continue
            if self._question and self._question.search(clause) and not (
                    self._first_person and self._first_person.search(clause)):
                for hit in clause_hits:
                    hit.negated = True   # asking whether a fault exists is not reporting one
            fine = self._narrow("fine", found) if self._fine else None
            if fine and fine.search(clause):
                for hit in clause_hits:
                    # "发热也还行": a verdict right after the hit clears it; a fine word elsewhere
                    # in the clause clears only hits built from a generic problem word.
                    if not hit.strong or fine.search(clause, hit.end, hit.end + 10):
                        hit.negated = True
            for hit in clause_hits:
                # "半点残影都没有", "主板一点问题都没有": a denial right after the hit ends the clause.
                if _AFTER_DENIAL.match(clause, hit.end):
                    hit.negated = True
            winners = {h.mode for h in clause_hits if not h.negated}
            phrase_winners = {h.mode for h in clause_hits if not h.negated and h.kind == "phrase"}
            for winner in winners:
                beats = self._beats.get(winner)
                if beats:
                    # A phrase of the beating mode ("再也起不来") overrides everything the beaten
                    # mode found in the clause ("死机"); a weaker hit only overrides weak ones.
                    for hit in clause_hits:
                        if hit.mode in beats and (winner in phrase_winners or hit.kind == "pair" or not hit.strong):
                            hit.negated = True
            result.hits.extend(clause_hits)
        for hit in result.hits:
            if not hit.negated:
                confidence = STRONG if hit.strong else WEAK
                result.modes[hit.mode] = max(result.modes.get(hit.mode, 0.0), confidence)
        result.negated = {h.mode for h in result.hits if h.negated} - set(result.modes)
        return result

    def _clause_hits(self, clause: str, index: int, found: int, modes: int) -> list[RuleHit]:
        hits = []
        cues = None
        while modes:     # the modes that may match: bit i is mode i, in taxonomy order
            low = modes & -modes
            modes ^= low
            i = low.bit_length() - 1
            mode = self._modes[i]
            phrase = self._narrow(("phrase", i), found) if mode.phrase else None
            pair = self._narrow(("pair", i), found) if mode.pair else None
            if (phrase or pair) and cues is None:
                cues = self._cues(found)
            if phrase:
                for m in phrase.finditer(clause):
                    hits.append(RuleHit(mode.id, m.group(), index, True, self._negated(clause, m.start(), cues),
                                        "phrase", m.end()))
            if pair:
                for m in pair.finditer(clause):
                    name = next(g for g, v in m.groupdict().items() if v is not None and g[0] == "p")
                    problem, problem_start = m.group(name), m.start(name)
                    strong = bool(mode.specific and mode.specific.match(problem))
                    negated = self._negated(clause, m.start(), cues) or self._negated(clause, problem_start, cues)
                    hits.append(RuleHit(mode.id, m.group(), index, strong, negated, "pair", m.end()))
        return hits
