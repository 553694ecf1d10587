"""Text bytes into a string: the encoding from a BOM, a declaration, UTF-8, or detection.

The order: a byte-order mark (UTF-8, UTF-16, UTF-32) wins; then an encoding the file declares
(an HTML `<meta charset>`), when Python knows it and it decodes the sample; then ASCII/UTF-8;
then UTF-16 without a BOM (NUL bytes on every other position); then, for bytes that are text at
all (at most 1 % C0 control characters, no NUL), charset-normalizer's best guess, preferring
Windows-1252 among the equally clean guesses (on short Western text it otherwise picks
look-alike code pages: "crème" read as cp1250 is "crčme"). Samples shorter than 16 bytes that
are neither ASCII nor UTF-8 are too short to guess and are not text.

charset-normalizer's exceptions stop here: `detect_encoding` returns None for bytes that are
not text, `decode_text` raises a `SourceError`.
"""

import codecs
from dataclasses import dataclass
from typing import Final

import charset_normalizer

from pipeline.errors import SourceError
from schemas.enums import ErrorCategory

__all__ = [
    "DETECTION_SAMPLE_BYTES",
    "DecodedText",
    "control_share",
    "decode_text",
    "detect_encoding",
    "normalise_codec",
]

DETECTION_SAMPLE_BYTES: Final = 64 * 1024
"""How much of a file charset detection looks at."""
_MIN_GUESS_BYTES: Final = 16
_MAX_CONTROL_SHARE: Final = 0.01
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WESTERN: Final = frozenset({"cp1252", "windows-1252", "latin_1", "iso8859_15"})
_WHATWG_ALIASES: Final = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_1": "cp1252"}
"""Declared labels browsers read as Windows-1252 (the WHATWG Encoding Standard)."""
_CONTROL_BYTES: Final = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}


@dataclass(frozen=True)
class DecodedText:
    """A file's text and the encoding it was read with."""

    text: str
    encoding: str
    """The Python codec name, e.g. 'utf-8', 'utf-16-le', 'cp1252'."""
    bom: bool


def decode_text(data: bytes, declared: str | None = None) -> DecodedText:
    """`data` as text (undecodable bytes beyond the detection sample become U+FFFD); a
    `SourceError` (`unsupported_media`) when the bytes are not text in any encoding."""
    found = _find_encoding(data, declared)
    if found is None:
        raise SourceError(ErrorCategory.UNSUPPORTED_MEDIA, "the file is not text in any encoding")
    encoding, bom_length = found
    text = data[bom_length:].decode(encoding, errors="replace")
    return DecodedText(text=text, encoding=encoding, bom=bom_length > 0)


def detect_encoding(data: bytes, declared: str | None = None) -> str | None:
    """The codec that reads `data` (a head may end inside a character), or None for bytes that
    are not text."""
    found = _find_encoding(data, declared)
    return None if found is None else found[0]


def normalise_codec(label: str) -> str | None:
    """Python's codec name for an encoding label ('ISO-8859-1' → 'cp1252' as browsers read
    it), or None for a label Python does not know."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _WHATWG_ALIASES.get(name.replace("-", "_"), name)


def control_share(text: str) -> float:
    """The share of C0 control characters (tab, newlines, form feed and escape excepted)."""
    if not text:
        return 0.0
    controls = sum(1 for char in text if ord(char) in _CONTROL_BYTES or char == "\x7f")
    return controls / len(text)


def _find_encoding(data: bytes, declared: str | None) -> tuple[str, int] | None:
    sample = data[:DETECTION_SAMPLE_BYTES]
    partial = len(data) > len(sample)
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding, len(bom)
    candidates: list[str | None] = [normalise_codec(declared)] if declared else []
    candidates += ["utf-8", _utf16_without_bom(sample)]
    for candidate in candidates:
        if candidate is not None and _reads_as_text(sample, candidate, partial):
            return candidate, 0
    if b"\x00" in sample or len(sample) < _MIN_GUESS_BYTES:
        return None
    if sum(1 for byte in sample if byte in _CONTROL_BYTES) > _MAX_CONTROL_SHARE * len(sample):
        return None
    guessed = _guess(sample)
    return None if guessed is None else (guessed, 0)


def _reads_as_text(sample: bytes, encoding: str, partial: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        text = decoder.decode(sample, final=not partial)
    except (UnicodeDecodeError, LookupError):
        if partial:
            return False
        # A head cut inside a multi-byte character is still text.
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except (UnicodeDecodeError, LookupError):
            return False
    return control_share(text) <= _MAX_CONTROL_SHARE


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 of mostly Latin text: NUL bytes on one parity of positions, none on the other."""
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= pairs * 0.3 and even_nuls <= pairs * 0.02:
        return "utf-16-le"
    if even_nuls >= pairs * 0.3 and odd_nuls <= pairs * 0.02:
        return "utf-16-be"
    return None


def _guess(sample: bytes) -> str | None:
    try:
        matches = charset_normalizer.from_bytes(sample)
    except (ValueError, LookupError, UnicodeError):
        return None  # the detector failing on the sample: no encoding, so not text
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if match.chaos > best.chaos + 0.01:
            continue
        names = {match.encoding, *match.could_be_from_charset}
        if names & _WESTERN:
            return "cp1252"
    return best.encoding
