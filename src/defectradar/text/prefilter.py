"""Literal prefilters for regular expressions: which fixed strings every match must contain.

The rules hold a few hundred regular expressions per taxonomy; searching each one in every
clause costs most of the classifier's time, although a clause usually mentions one or two
modes at most.  Most patterns cannot match without one of a few fixed strings ("烧屏",
"wi-fi"/"wifi" for ``wi-?fi``, "cámara"/"camara" for ``c[áa]mara``).  :func:`required_literals`
reads those strings off the parsed pattern, so that one Aho-Corasick pass over a clause tells
which patterns can possibly match there; only those are searched.

:func:`compile_fast` is the same idea at the scale of one character: a pattern whose matches
must start with one of a few characters gets a lookahead for them, so the regex engine rejects
most positions of a text at once instead of trying every branch of a long alternation there.

The strings are a necessary condition, never a sufficient one: a pattern whose strings are
absent cannot match, but a pattern whose strings occur may still not match (lookarounds, gaps,
anchors).  Patterns nothing can be said about (``.{0,3}``, case-insensitive flags,
back-references) get None and must always be searched.
"""

from __future__ import annotations

import re

import ahocorasick

try:    # the parser moved in Python 3.11 and will stay private
    from re import _compiler as _sre_compile
    from re import _constants as _c
    from re import _parser as _sre
except ImportError:  # pragma: no cover
    import sre_compile as _sre_compile  # type: ignore[no-redef]
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]

# Cross products of alternatives grow fast ("[ée]cran (?:est )?(?:cass[ée]|fissur[ée]|bris[ée])");
# beyond this many strings a set is not worth keeping, a shorter piece of the pattern is used.
_MAX_STRINGS = 64
_MAX_CLASS = 8          # a character class of at most this many characters is expanded
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | ({_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set())


class _Info:
    """What is known of the strings a piece of pattern matches.

    ``exact``: every match is one of these strings (None: unknown or too many).
    ``required``: every match contains one of these non-empty strings (None: nothing known).
    """

    __slots__ = ("exact", "required")

    def __init__(self, exact: frozenset[str] | None, required: frozenset[str] | None):
        self.exact = exact
        self.required = required


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two requirements: longer shortest string, then fewer strings."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b, key=lambda s: (-min(map(len, s)), len(s)))


def _as_required(exact: frozenset[str] | None) -> frozenset[str] | None:
    if exact is None or "" in exact:
        return None
    return exact


def _exact(strings) -> _Info:
    strings = frozenset(strings)
    if len(strings) > _MAX_STRINGS:
        return _Info(None, None)
    return _Info(strings, _as_required(strings))


def _sequence(items) -> _Info:
    exact: frozenset[str] | None = frozenset({""})
    run: frozenset[str] | None = frozenset({""})     # the exact strings of the current run of exact items
    required = None
    for op, av in items:
        info = _item(op, av)
        if info.exact is not None and run is not None:
            product = frozenset(a + b for a in run for b in info.exact)
            if len(product) <= _MAX_STRINGS:
                run = product
                continue
            required = _better(required, _as_required(run))   # too many: keep the run so far
            run = info.exact
            exact = None
            continue
        exact = None
        required = _better(required, _as_required(run))
        required = _better(required, info.required)
        run = info.exact if info.exact is not None else frozenset({""})
    if exact is not None:
        return _exact(run)
    return _Info(None, _better(required, _as_required(run)))


def _item(op, av) -> _Info:
    if op == _c.LITERAL:
        return _Info(frozenset({chr(av)}), frozenset({chr(av)}))
    if op in _ZERO_WIDTH:
        return _Info(frozenset({""}), None)     # consumes nothing: what it looks at is not required
    if op == _c.IN:
        chars = _class_chars(av)
        return _exact(chars) if chars is not None else _Info(None, None)
    if op == _c.SUBPATTERN:
        _group, add_flags, _del_flags, pattern = av
        if add_flags & _c.SRE_FLAG_IGNORECASE:
            return _Info(None, None)
        return _sequence(pattern)
    if getattr(_c, "ATOMIC_GROUP", None) == op:
        return _sequence(av)
    if op == _c.BRANCH:
        branches = [_sequence(b) for b in av[1]]
        if all(b.exact is not None for b in branches):
            return _exact(s for b in branches for s in b.exact)
        if any(b.required is None for b in branches):
            return _Info(None, None)
        union = frozenset(s for b in branches for s in b.required)
        return _Info(None, union if len(union) <= _MAX_STRINGS else None)
    if op in _REPEATS:
        low, high, pattern = av
        inner = _sequence(pattern)
        if low == 0 and high == 1 and inner.exact is not None:
            return _exact(inner.exact | {""})
        if low == high == 1:
            return inner
        return _Info(None, inner.required if low >= 1 else None)
    return _Info(None, None)     # ANY, NOT_LITERAL, CATEGORY, GROUPREF ...: nothing known


def _class_chars(items) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op == _c.LITERAL:
            chars.add(chr(av))
        elif op == _c.RANGE and av[1] - av[0] < _MAX_CLASS:
            chars.update(chr(code) for code in range(av[0], av[1] + 1))
        else:
            return None     # NEGATE, CATEGORY (\d, \w), wide ranges
        if len(chars) > _MAX_CLASS:
            return None
    return chars


def required_literals(pattern: str) -> frozenset[str] | None:
    """Non-empty strings of which every match of ``pattern`` contains at least one; None when
    nothing can be said (the pattern must then always be searched).

    Examples
    --------
    >>> sorted(required_literals("wi-?fi"))
    ['wi-fi', 'wifi']
    >>> sorted(required_literals("卡.{0,4}不识别"))
    ['不识别']
    >>> required_literals("(?i)wifi") is None
    True
    """
    parsed = _sre.parse(pattern)
    if parsed.state.flags & _c.SRE_FLAG_IGNORECASE:
        return None
    return _shortest(_sequence(parsed).required)


def _shortest(strings: frozenset[str] | None) -> frozenset[str] | None:
    """Drop strings that contain another of the set: finding the shorter one says the same."""
    if strings is None:
        return None
    return frozenset(s for s in strings if not any(o != s and o in s for o in strings))


class LiteralIndex:
    """Named, ordered lists of alternative patterns, and which of them a text may match.

    One Aho-Corasick automaton holds the :func:`required_literals` of every pattern of every
    list; :meth:`scan` reads a text once and returns a bit set of the patterns whose strings
    occur, :meth:`present` cuts one list's bits out of it.  A regular expression built from only
    the present patterns of an alternation, in their order, finds exactly what the whole
    alternation finds in that text: an alternative that cannot match anywhere in the text only
    ever fails, and leaving it out changes no outcome of the backtracking.  A list in which a
    pattern holds a capturing group is never filtered unless it is the list's only pattern
    (leaving out alternatives would renumber the groups a back-reference names).

    ``tags`` (optional) gives lists a bit each: :meth:`scan` also says which lists may match,
    without looking at every list.

    Examples
    --------
    >>> index = LiteralIndex({"a": ["wi-?fi", "蓝牙"], "b": [".{2}"]})
    >>> found, _tags = index.scan("wifi又断了")
    >>> index.chosen("a", index.present("a", found)), index.chosen("b", index.present("b", found))
    (['wi-?fi'], ['.{2}'])
    """

    def __init__(self, groups: dict, tags: dict | None = None):
        self._lists: dict = {}          # name -> (patterns, offset, mask, always)
        tags = tags or {}
        literals: dict[str, list[int]] = {}     # string -> [pattern bits, tag bits]
        offset = 0
        self._always_tags = 0
        for name, patterns in groups.items():
            patterns = tuple(patterns)
            # Leaving out alternatives would renumber the groups of those after them; a list of
            # one pattern is only ever searched whole or not at all.
            filterable = len(patterns) == 1 or not any(re.compile(p).groups for p in patterns)
            always = 0
            for i, pattern in enumerate(patterns):
                strings = required_literals(pattern) if filterable else None
                if strings is None:
                    always |= 1 << i
                    self._always_tags |= tags.get(name, 0)
                    continue
                for string in strings:
                    entry = literals.setdefault(string, [0, 0])
                    entry[0] |= 1 << (offset + i)
                    entry[1] |= tags.get(name, 0)
            self._lists[name] = (patterns, offset, (1 << len(patterns)) - 1, always)
            offset += len(patterns)
        self._automaton = ahocorasick.Automaton()
        for string, (bits, tag_bits) in literals.items():
            self._automaton.add_word(string, (bits, tag_bits))
        self._empty = not literals
        if literals:
            self._automaton.make_automaton()

    def scan(self, text: str) -> tuple[int, int]:
        """Bit set (over all lists) of the patterns whose required strings occur in ``text``, and
        the union of the ``tags`` of the lists those patterns belong to."""
        found, tagged = 0, self._always_tags
        if not self._empty:
            for _end, (bits, tag_bits) in self._automaton.iter(text):
                found |= bits
                tagged |= tag_bits
        return found, tagged

    def gate(self, name) -> int:
        """A mask such that ``found & index.gate(name)`` tells whether any pattern of list
        ``name`` may match (-1, every bit, when one of them is never filtered)."""
        _patterns, offset, mask, always = self._lists[name]
        return -1 if always else mask << offset

    def bits(self, name) -> int:
        """The bits of list ``name`` in a :meth:`scan` result: ``found & index.bits(name)``
        determines :meth:`present`, so it can key what is built from the present patterns."""
        _patterns, offset, mask, _always = self._lists[name]
        return mask << offset

    def present(self, name, found: int) -> int:
        """The patterns of list ``name`` that may match a text (bit i: its i-th pattern), given the
        text's :meth:`scan`."""
        _patterns, offset, mask, always = self._lists[name]
        return (found >> offset) & mask | always

    def chosen(self, name, bits: int) -> list[str]:
        """The patterns of list ``name`` whose bits are set, in their order."""
        return [p for i, p in enumerate(self._lists[name][0]) if bits >> i & 1]


_CATEGORIES = {_c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_SPACE: r"\s",
               _c.CATEGORY_NOT_SPACE: r"\S", _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W"}


class _NoFirst(Exception):
    """The characters a match may start with are not known (ANY, a negated class ...)."""


def _first_of_sequence(items) -> tuple[list[str], bool]:
    """Class items for the characters a match of ``items`` may start with, and whether it may
    be empty (then what follows it may start the match too)."""
    first: list[str] = []
    for op, av in items:
        chars, nullable = _first_of_item(op, av)
        first += chars
        if not nullable:
            return first, False
    return first, True


def _first_of_item(op, av) -> tuple[list[str], bool]:
    if op == _c.LITERAL:
        return [re.escape(chr(av))], False
    if op in _ZERO_WIDTH:
        return [], True
    if op == _c.IN:
        chars = []
        for item_op, item in av:
            if item_op == _c.LITERAL:
                chars.append(re.escape(chr(item)))
            elif item_op == _c.RANGE:
                chars.append(f"{re.escape(chr(item[0]))}-{re.escape(chr(item[1]))}")
            elif item_op == _c.CATEGORY and item in _CATEGORIES:
                chars.append(_CATEGORIES[item])
            else:
                raise _NoFirst      # NEGATE and the like: a union with other items is not a class
        return chars, False
    if op == _c.SUBPATTERN:
        if av[1] & _c.SRE_FLAG_IGNORECASE:
            raise _NoFirst
        return _first_of_sequence(av[3])
    if getattr(_c, "ATOMIC_GROUP", None) == op:
        return _first_of_sequence(av)
    if op == _c.BRANCH:
        first, nullable = [], False
        for branch in av[1]:
            chars, empty = _first_of_sequence(branch)
            first += chars
            nullable = nullable or empty
        return first, nullable
    if op in _REPEATS:
        chars, nullable = _first_of_sequence(av[2])
        return chars, nullable or av[0] == 0
    raise _NoFirst


def _has_prefix(parsed, flags: int) -> bool:
    """Whether the regex engine already skips to a literal or character-set prefix itself."""
    try:
        return bool(_sre_compile._get_literal_prefix(parsed, flags)[0]
                    or _sre_compile._get_charset_prefix(parsed, flags))
    except (AttributeError, TypeError):   # pragma: no cover - another Python's private API
        return False


def compile_fast(pattern: str, flags: int = 0) -> re.Pattern:
    """``re.compile(pattern, flags)``, sped up when every match must start with one of a known
    set of characters and the engine would otherwise try the whole pattern at every position
    (long alternations of words): ``(?=[first characters])(?:pattern)`` finds exactly the same
    matches, spans and groups.

    Examples
    --------
    >>> compile_fast("(?<!无)wifi|蓝牙").pattern
    '(?=[w蓝])(?:(?<!无)wifi|蓝牙)'
    >>> compile_fast("x?").pattern      # may match empty: unchanged
    'x?'
    """
    if flags & (re.IGNORECASE | re.VERBOSE | re.LOCALE):
        return re.compile(pattern, flags)
    parsed = _sre.parse(pattern, flags)
    if parsed.state.flags & ~(flags | _c.SRE_FLAG_UNICODE) or _has_prefix(parsed, flags):
        return re.compile(pattern, flags)      # inline global flags, or nothing to gain
    try:
        first, nullable = _first_of_sequence(parsed)
    except _NoFirst:
        return re.compile(pattern, flags)
    if nullable or not first:
        return re.compile(pattern, flags)
    return re.compile(f"(?=[{''.join(dict.fromkeys(first))}])(?:{pattern})", flags)
