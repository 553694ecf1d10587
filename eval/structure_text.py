"""Text normalisation and fuzzy substring search for the structure evaluation.

Every engine's page output and every check's expected text pass through `normalise` before
they are compared, so that formatting an engine is free to choose (Markdown emphasis and
escapes, ligature glyphs, composed or decomposed accents, line breaks and runs of spaces)
never decides a check. What normalisation does *not* repair — words broken at line ends,
accents printed as separate marks, lost spaces — is what the checks are there to catch.
"""

import re
import unicodedata
from dataclasses import dataclass

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_LIGATURE_TABLE = str.maketrans(LIGATURES)
_QUOTES_TABLE = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\u00ad": ""}
)

_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_MD_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_MD_STRIKE = re.compile(r"~~(.+?)~~")
_MD_CODE = re.compile(r"`+")
_MD_LINE_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_WHITESPACE = re.compile(r"\s+")


def fold_characters(text: str) -> str:
    """NFC, ligatures expanded, typographic quotes and no-break spaces made plain."""
    return unicodedata.normalize("NFC", text).translate(_LIGATURE_TABLE).translate(_QUOTES_TABLE)


def strip_inline_markdown(text: str) -> str:
    """Emphasis, code spans, links, images, escapes and HTML tags removed; their text kept."""
    text = _HTML_TAG.sub(" ", text)
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    for pattern in (_MD_STRONG, _MD_STRIKE):
        text = pattern.sub(lambda match: match.group(match.lastindex or 0), text)
    text = _MD_EMPHASIS_STAR.sub(r"\1", text)
    text = _MD_EMPHASIS_UNDERSCORE.sub(r"\1", text)
    text = _MD_CODE.sub("", text)
    return _MD_ESCAPE.sub(r"\1", text)


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def normalise(text: str) -> str:
    """A short string (a check's text, a table cell, a heading) ready for comparison."""
    return collapse_whitespace(strip_inline_markdown(fold_characters(text)))


def body_line(line: str) -> str:
    """One output line as plain text: heading, bullet and quote markers and table pipes removed.

    List numbers stay: they are printed on the page and checks may quote them."""
    if _TABLE_RULE.match(line) and "-" in line:
        return ""
    line = _MD_LINE_PREFIX.sub("", line)
    if line.lstrip().startswith("|"):
        line = line.replace("|", " ")
    return line


def body_text(output: str) -> str:
    """A whole page output as one normalised line of plain text."""
    folded = fold_characters(output)
    lines = [body_line(line) for line in folded.splitlines()]
    return normalise("\n".join(lines))


def body_lines(output: str) -> list[str]:
    """The page output's lines, each normalised as plain text (empty lines dropped)."""
    lines = (normalise(body_line(line)) for line in fold_characters(output).splitlines())
    return [line for line in lines if line]


def allowed_edits(text: str) -> int:
    """Edits a fuzzy match may need: max(2, 5 % of the normalised length)."""
    return max(2, len(text) // 20)


@dataclass(frozen=True)
class Match:
    """Where a pattern best matches in a text: its edit distance and span (end exclusive)."""

    distance: int
    start: int
    end: int


def best_substring_match(pattern: str, text: str) -> Match | None:
    """The substring of `text` closest to `pattern` by Levenshtein distance.

    Myers' bit-parallel approximate search (free start in the text, so any substring may
    match). The start is recovered by aligning the pattern backwards from the best end."""
    m = len(pattern)
    if m == 0 or not text:
        return None
    masks: dict[str, int] = {}
    for i, char in enumerate(pattern):
        masks[char] = masks.get(char, 0) | (1 << i)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    plus, minus, score = full, 0, m
    best_score, best_end = m + 1, -1
    for position, char in enumerate(text):
        eq = masks.get(char, 0)
        xv = eq | minus
        xh = ((((eq & plus) + plus) & full) ^ plus) | eq
        h_plus = minus | (~(xh | plus) & full)
        h_minus = plus & xh
        if h_plus & last:
            score += 1
        elif h_minus & last:
            score -= 1
        h_plus = (h_plus << 1) & full
        h_minus = (h_minus << 1) & full
        plus = h_minus | (~(xv | h_plus) & full)
        minus = h_plus & xv
        if score < best_score:
            best_score, best_end = score, position + 1
    if best_end < 0:
        return None
    start = _best_start(pattern, text, best_end, best_score)
    return Match(distance=best_score, start=start, end=best_end)


def _best_start(pattern: str, text: str, end: int, distance: int) -> int:
    """The start of a substring ending at `end` whose distance to `pattern` is `distance`.

    One dynamic programme over the reversed pattern and the reversed text before `end`: its
    last row holds the distance of the whole pattern to every suffix length."""
    window = text[max(0, end - len(pattern) - distance) : end][::-1]
    row = list(range(len(window) + 1))
    for char in reversed(pattern):
        previous, row = row, [row[0] + 1]
        for j, window_char in enumerate(window, start=1):
            substitution = previous[j - 1] + (char != window_char)
            row.append(min(previous[j] + 1, row[j - 1] + 1, substitution))
    lengths = [length for length, cost in enumerate(row) if cost == distance]
    return end - (max(lengths) if lengths else len(pattern))


def fuzzy_find(pattern: str, text: str) -> Match | None:
    """The best match of a normalised pattern in a normalised text, if within allowed edits."""
    match = best_substring_match(pattern, text)
    if match is None or match.distance > allowed_edits(pattern):
        return None
    return match
