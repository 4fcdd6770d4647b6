"""Detecting a text file's encoding and decoding it as a stream of UTF-8 bytes.

Chinese exports arrive as UTF-8, UTF-8 with a byte-order mark (Excel), GB18030/GBK (older
Windows tools) and now and then UTF-16 or Big5.  Detection looks at the first 256 KiB:

1. a byte-order mark decides;
2. otherwise UTF-8 is chosen when nearly every non-ASCII byte forms valid UTF-8, or when
   at least as many lines with non-ASCII bytes are valid UTF-8 as are not (a few broken rows
   are quarantined later, they must not flip the whole file to another codec);
3. otherwise GB18030 (a superset of GBK and GB2312) when it decodes the sample cleanly,
   unless the sample also decodes as Big5 and most of what GB18030 makes of it lies outside
   GB2312 (see :func:`_reads_as_big5`);
4. otherwise charset-normalizer's best guess.
"""

from __future__ import annotations

import codecs
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from charset_normalizer import from_bytes

from defectradar.errors import UnknownFormatError

SAMPLE_BYTES = 256 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Share of non-ASCII bytes allowed to be invalid before UTF-8 is ruled out.
_UTF8_TOLERANCE = 0.02


@dataclass(frozen=True)
class Encoding:
    name: str            # Python codec name
    bom_bytes: int       # bytes to skip at the start

    @property
    def is_utf8(self) -> bool:
        return self.name in ("utf-8", "utf-8-sig")


def _error_share(sample: bytes, codec: str) -> float:
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    text = decoder.decode(sample, final=False)
    non_ascii = sum(1 for b in sample if b >= 0x80)
    return text.count("\ufffd") / max(non_ascii, 1)


# Share of GB18030-decoded non-ASCII characters that must lie in GB2312 for a sample that
# also decodes as Big5 to be read as GB18030.
_GB2312_SHARE = 0.9


def _reads_as_big5(sample: bytes) -> bool:
    """True for Traditional Chinese Big5 text, which GB18030 also decodes without an error.

    Big5's byte ranges lie almost wholly inside GBK's, so Big5 text decodes "cleanly" as
    GB18030 into mojibake.  Simplified text in GBK keeps to the GB2312 subset (both bytes
    0xA1-0xFE) for all but rare characters; Big5 puts about half its characters on second
    bytes 0x40-0x7E, which GBK maps outside GB2312.  Measured on real text: GBK 0.99-1.0
    (0.6 for Traditional text written in GBK, which does not decode as Big5), Big5 0.3-0.4.
    """
    if _error_share(sample, "big5") != 0:
        return False
    text = codecs.getincrementaldecoder("gb18030")(errors="replace").decode(sample, final=False)
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if non_ascii == 0:
        return False
    # GB2312 characters encode to two bytes, ASCII to one; the rest are dropped.
    in_gb2312 = (len(text.encode("gb2312", errors="ignore")) - (len(text) - non_ascii)) // 2
    return in_gb2312 / non_ascii < _GB2312_SHARE


def _utf8_lines_prevail(sample: bytes, codec: str = "utf-8", complete: bool = False) -> bool:
    """True when lines holding non-ASCII bytes are at least as often valid ``codec`` as not.

    In a mostly-ASCII file one broken row is a large share of the few non-ASCII bytes (one
    junk row beside "3分钟前" is 2 bad bytes in 11), so the byte share alone flipped such files
    to a single-byte codec.  A line of GBK or Big5 text is valid UTF-8 only by accident (each
    character would need UTF-8's lead and continuation byte pattern), so valid lines are
    strong evidence.  The last line is left out: the sample may end inside a character.
    """
    good = bad = 0
    for line in _whole_lines(sample, complete):
        if line.isascii():
            continue
        try:
            line.decode(codec)
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > 0 and good >= bad


def _junk_in_utf8(sample: bytes, complete: bool = False) -> bool:
    """True for an ASCII or UTF-8 file whose other bytes are junk rather than another codec's text.

    Two junk bytes in an otherwise ASCII file are all its non-ASCII bytes, and no line of it
    is valid UTF-8 with non-ASCII text, so the rules above passed it to charset-normalizer,
    which chose a single-byte codec (cp1257) and turned every good row's bytes into that
    codec's letters.  Such rows are quarantined instead.  Lines that are text in another
    codec are not junk: Chinese that GB18030 reads cleanly, or Western text whose bytes, read
    as cp1252, are letters inside words ("M\xfcller", "caf\xe9"); they leave the decision to
    the rules below.
    """
    bad = []
    for line in _whole_lines(sample, complete):
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(line)
    if not bad:
        return False
    return not any(_error_share(line, "gb18030") == 0 or _letters_inside_words(line) for line in bad)


def _letters_inside_words(line: bytes) -> bool:
    # Only the bytes that are not UTF-8 are judged: the line's valid UTF-8 letters ("Ünïcode")
    # read as cp1252 are letters beside letters too, and flipped a file with one junk row.
    kept = line.decode("utf-8", errors="surrogateescape")
    line = bytes(ord(c) - 0xDC00 if 0xDC80 <= ord(c) <= 0xDCFF else ord(c) if ord(c) < 128 else 0x3F
                 for c in kept)
    text = line.decode("cp1252", errors="replace")
    for index, char in enumerate(text):
        if ord(char) > 127 and char.isalpha():
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
                return True
    return False


def _whole_lines(sample: bytes, complete: bool) -> list[bytes]:
    """The sample's lines; its last one only when the sample is the whole file (else it may
    end inside a character)."""
    lines = sample.split(b"\n")
    return lines if complete else lines[:-1]


def detect_encoding(sample: bytes, complete: bool = False) -> Encoding:
    """Pick the codec of a file from its first bytes (see the module docstring for the rules).

    ``complete`` says the sample is the whole file, so its last line is whole too.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Encoding(name, len(bom) if name == "utf-8-sig" else 0)
    if (_error_share(sample, "utf-8") <= _UTF8_TOLERANCE or _utf8_lines_prevail(sample, complete=complete)
            or _junk_in_utf8(sample, complete)):
        return Encoding("utf-8", 0)
    if _error_share(sample, "gb18030") == 0:
        if _reads_as_big5(sample):
            return Encoding("big5", 0)
        return Encoding("gb18030", 0)
    # A GBK export with a broken row: most lines still decode, and the row gets quarantined.
    if _utf8_lines_prevail(sample, "gb18030", complete):
        return Encoding("gb18030", 0)
    guess = from_bytes(sample).best()
    if guess is None:
        raise UnknownFormatError(
            "cannot tell the file's text encoding; pass --encoding (e.g. utf-8, gb18030, big5)"
        )
    return Encoding(guess.encoding, 0)


def encoding_by_name(name: str) -> Encoding:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise UnknownFormatError(f"unknown encoding {name!r}; use a name such as utf-8, gb18030 or big5") from None
    return Encoding("utf-8-sig" if codec == "utf-8-sig" else codec, 0)


def read_sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


_REPLACEMENT_HANDLER = "defectradar-count"


class _ReplacementCount(threading.local):
    """Undecodable sequences replaced in this thread since the stream's last read (see below)."""

    count = 0


_replaced = _ReplacementCount()


def _count_and_replace(error: UnicodeDecodeError) -> tuple[str, int]:
    _replaced.count += 1
    return "\ufffd", error.end


codecs.register_error(_REPLACEMENT_HANDLER, _count_and_replace)

@dataclass
class LineTally:
    """Line ends in a byte stream, counted the way CSV readers split lines.

    A line ends at ``\n``, ``\r\n`` or a lone ``\r``.  The reader's row accounting is checked
    against :attr:`lines`.  Counted with numpy: four times faster than ``bytes.count``.
    """

    ends: int = 0
    bytes_seen: int = 0
    carriage_returns: bool = False   # whether any "\r" was seen (most files end lines in "\n" alone)
    _last: int = -1                  # last byte seen, -1 at the start

    def add(self, data: bytes) -> None:
        if not data:
            return
        codes = np.frombuffer(data, dtype=np.uint8)
        ends = int(np.count_nonzero(codes == 10))
        returns = int(np.count_nonzero(codes == 13))
        if returns:
            self.carriage_returns = True
            ends += returns - int(np.count_nonzero((codes[:-1] == 13) & (codes[1:] == 10)))
        if self._last == 13 and codes[0] == 10:
            ends -= 1            # a "\r\n" split between two reads is one line end
        self.ends += ends
        self.bytes_seen += len(data)
        self._last = int(codes[-1])

    @property
    def lines(self) -> int:
        """Lines in the stream, a last line without a line end included."""
        return self.ends + (1 if self._last not in (-1, 10, 13) else 0)

    @property
    def ends_with_line_end(self) -> bool:
        return self._last in (-1, 10, 13)


def line_ends_in(value: bytes | str) -> int:
    """Line ends inside one field value, counted like :class:`LineTally`."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    ends = value.count(b"\n")
    returns = value.count(b"\r")
    return ends + returns - value.count(b"\r\n") if returns else ends


class SourceStream(io.RawIOBase):
    """A text file as a stream of valid UTF-8 bytes, its lines counted on the way.

    Files in another encoding are transcoded; UTF-8 files pass through unchanged, except
    that a byte sequence that is not valid UTF-8 becomes U+FFFD (unless ``validate`` is off).  Either way
    :attr:`replacements` counts what was replaced, so the reader can quarantine the rows that
    hold it (and only then: a file may hold a genuine U+FFFD), and the reader never meets an
    undecodable byte (Arrow's CSV reader fails the whole file on one in an invalid row).
    :attr:`tally` counts the lines of what was handed out, which is what the rows read are
    reconciled against.
    """

    def __init__(self, path: Path, encoding: Encoding, chunk_bytes: int = 1 << 20, validate: bool = True):
        self._source = open(path, "rb")
        self._source.seek(encoding.bom_bytes)
        self._utf8 = encoding.is_utf8
        self._validate = validate
        codec = "utf-8" if self._utf8 else encoding.name
        # UTF-8 is checked by Arrow and passes through untouched; a read that fails the check
        # is decoded with replacement.
        self._lenient = codecs.getincrementaldecoder(codec)(errors=_REPLACEMENT_HANDLER)
        self._chunk = chunk_bytes
        self._buffer = b""
        self._held = b""          # UTF-8 bytes of an incomplete character, awaiting the next read
        self._done = False
        self.consumed = 0         # source bytes read, for progress
        self.replacements = 0     # undecodable sequences replaced by U+FFFD
        self.tally = LineTally()

    def readable(self) -> bool:
        return True

    def _next_block(self) -> bytes:
        raw = self._source.read(self._chunk)
        self.consumed += len(raw)
        final = not raw
        if self._utf8 and not self._validate:
            block = raw
        elif self._utf8:
            data = self._held + raw
            cut = len(data) if final else _complete_utf8_prefix(data)
            body, self._held = data[:cut], data[cut:]
            block = body if body.isascii() or _valid_utf8(body) else self._decode_lenient(body, True)
        else:
            block = self._decode_lenient(raw, final)
        self._done = final
        self.tally.add(block)
        return block

    def _decode_lenient(self, data: bytes, final: bool) -> bytes:
        _replaced.count = 0
        text = self._lenient.decode(data, final=final)
        self.replacements += _replaced.count
        return text.encode("utf-8")

    def readinto(self, target) -> int:  # type: ignore[override]
        while not self._buffer and not self._done:
            self._buffer = self._next_block()
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def close(self) -> None:
        self._source.close()
        super().close()


def _complete_utf8_prefix(data: bytes) -> int:
    """Where a character cut off at the end of ``data`` starts (``len(data)`` if none is)."""
    size = len(data)
    for back in range(1, min(4, size) + 1):
        byte = data[size - back]
        if byte < 0x80:
            return size                   # ASCII: nothing cut
        if byte >= 0xC0:                  # the lead byte of the last character
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return size if back >= needed else size - back
    return size                           # continuation bytes without a lead: invalid anyway


def _valid_utf8(data: bytes) -> bool:
    """Arrow's UTF-8 check (SIMD): about twice as fast as a Python decode on Chinese text."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32).tobytes())
    try:
        pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def open_source(path: Path, encoding: Encoding, validate: bool = True, chunk_bytes: int = 1 << 20
                ) -> io.BufferedReader:
    """A buffered :class:`SourceStream` (``.raw`` holds the counts) for readers and line loops.

    ``validate=False`` passes UTF-8 through unchecked (a reader that checks the values itself
    saves a pass over the file).  ``chunk_bytes`` is how much is read from the file at a time
    (so how finely ``consumed`` moves, for progress).
    """
    return io.BufferedReader(SourceStream(path, encoding, chunk_bytes=chunk_bytes, validate=validate),
                             buffer_size=chunk_bytes)
