"""Grounding a schema answer's values in the words of the page they were read from. Pure.

Every non-null scalar leaf (string, number; booleans are never grounded) is looked up in the
page's words (text layer, reading order, each with its box) and gets the union box of the
first run of consecutive words that matches:

- strings: NFKC, case folded, punctuation at the edges of each word dropped (`"ACME,"` is
  `acme`; words of punctuation alone, such as dot leaders, are skipped), compared as word
  sequences, so line breaks and repeated spaces do not matter;
- numbers: a run of one to three words read as a number, currency signs, spaces and grouping
  dropped, `1.234,56` and `1,234.56` both read; equal within half a cent;
- dates: an ISO value (`2024-01-31`) also matches `31/01/2024`, `01/31/2024`, `31.01.2024`,
  `31 January 2024`, `Jan 31, 2024` and the like.

A value printed several times is placed where its line names the leaf's key (the value
`19.95` of `page_subtotal` on the line `Page subtotal 19.95`, not on an item's line), else at
its first occurrence in reading order; a short number (a quantity `3`) may so land on another
`3` of the page. A value found nowhere on the page stays ungrounded (its provenance names the
page only).
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from schemas.schema_walk import escape_token

__all__ = ["Word", "ground_fields", "scalar_leaves", "words_in_rows"]

MAX_NUMBER_WORDS = 3
_EDGE_PUNCTUATION = "\"'`.,;:!?()[]{}<>«»“”\u2018\u2019*"
_CURRENCY = re.compile(r"[\s$€£¥₹¢]+|usd|eur|gbp|chf", re.IGNORECASE)
_MONTHS = {
    name: index + 1
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class Word(NamedTuple):
    """One word of the page's text layer, in page coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    line: int = 0
    """Words printed on one row share it (`words_in_rows`)."""


def words_in_rows(
    boxes: Iterable[tuple[float, float, float, float, str]],
) -> tuple[Word, ...]:
    """The page's words (in reading order) with a row number each: words whose vertical
    middles lie within half a word's height of each other print on one row, whatever blocks
    the PDF drew them in (a label at the left margin and its amount in a column)."""
    listed = list(boxes)
    order = sorted(range(len(listed)), key=lambda i: (listed[i][1] + listed[i][3]) / 2)
    rows = [0] * len(listed)
    row, middle = -1, float("-inf")
    for index in order:
        _, y0, _, y1, _ = listed[index]
        centre, half = (y0 + y1) / 2, max(y1 - y0, 1.0) / 2
        if centre - middle > half:
            row, middle = row + 1, centre
        rows[index] = row
    return tuple(
        Word(x0, y0, x1, y1, text, rows[i]) for i, (x0, y0, x1, y1, text) in enumerate(listed)
    )


def scalar_leaves(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every non-null scalar leaf of an answer with its JSON pointer, in document order."""
    if isinstance(value, Mapping):
        for name, child in value.items():
            yield from scalar_leaves(child, f"{pointer}/{escape_token(name)}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from scalar_leaves(child, f"{pointer}/{index}")
    elif value is not None:
        yield pointer, value


def ground_fields(fields: Any, words: Sequence[Word]) -> dict[str, list[float]]:
    """JSON pointer → [x0, y0, x1, y1] for each leaf found among the page's words."""
    words = [word for word in words if _token(word.text)]  # dot leaders, lone punctuation
    if not words:
        return {}
    page = _Page(words)
    found: dict[str, list[float]] = {}
    for pointer, value in scalar_leaves(fields):
        span = page.find(value, _key_words(pointer))
        if span is not None:
            found[pointer] = _union(words[span[0] : span[1]])
    return found


Span = tuple[int, int]


class _Page:
    def __init__(self, words: Sequence[Word]) -> None:
        self.words = words
        self.tokens = [_token(word.text) for word in words]
        self.numbers = [_number(word.text) for word in words]
        lines: dict[int, set[str]] = {}
        for word, token in zip(words, self.tokens, strict=True):
            lines.setdefault(word.line, set()).add(token)
        self.lines = {line: frozenset(tokens) for line, tokens in lines.items()}

    def find(self, value: Any, key_words: frozenset[str]) -> Span | None:
        """The match whose line names the leaf's key (`Page subtotal 19.95` for
        `page_subtotal`), else the first match in reading order."""
        spans = list(self._spans(value))
        for span in spans:
            if key_words & self.lines.get(self.words[span[0]].line, frozenset()):
                return span
        return spans[0] if spans else None

    def _spans(self, value: Any) -> Iterator[Span]:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            yield from self._number(float(value))
            return
        if not isinstance(value, str):
            return
        spans = list(self._sequence(_tokens(value)))
        number = _number(value)
        if not spans and number is not None:
            spans = list(self._number(number))
        if not spans:
            spans = list(self._date(value))
        yield from spans

    def _sequence(self, wanted: list[str]) -> Iterator[Span]:
        size = len(wanted)
        for start in range(len(self.tokens) - size + 1 if wanted else 0):
            if self.tokens[start : start + size] == wanted:
                yield start, start + size

    def _number(self, wanted: float) -> Iterator[Span]:
        for start in range(len(self.tokens)):
            for size in range(1, MAX_NUMBER_WORDS + 1):
                if start + size > len(self.tokens):
                    break
                run = self.tokens[start : start + size]
                if size > 1 and not _joinable(run):
                    break
                read = self.numbers[start] if size == 1 else _number("".join(run))
                if read is not None and abs(read - wanted) < 0.005:
                    yield start, start + size
                    break

    def _date(self, value: str) -> Iterator[Span]:
        match = _ISO_DATE.match(value.strip())
        if match is None:
            return
        try:
            wanted = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return
        for start in range(len(self.tokens)):
            for size in (1, 2, 3):
                if _date_of(self.tokens[start : start + size]) == wanted:
                    yield start, start + size
                    break


def _key_words(pointer: str) -> frozenset[str]:
    """The words of a leaf's key (`/page_subtotal` → page, subtotal), three letters or more."""
    tokens = [token for token in pointer.split("/") if token and not token.isdigit()]
    if not tokens:
        return frozenset()
    parts = re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", tokens[-1].replace("~1", "/"))
    return frozenset(part.casefold() for part in parts if len(part) >= 3)


def _token(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip(_EDGE_PUNCTUATION)


def _tokens(text: str) -> list[str]:
    return [token for token in (_token(part) for part in text.split()) if token]


def _number(text: str) -> float | None:
    """A printed amount as a number: `$1,234.50`, `1.234,50`, `-12`, `(12.00)` is -12."""
    cleaned = _CURRENCY.sub("", unicodedata.normalize("NFKC", text)).strip(".:;")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    if not re.fullmatch(r"[-+]?\d[\d.,']*", cleaned):
        return None
    cleaned = cleaned.replace("'", "")
    last_dot, last_comma = cleaned.rfind("."), cleaned.rfind(",")
    if last_comma > last_dot and len(cleaned) - last_comma - 1 in (1, 2):
        cleaned = cleaned.replace(".", "").replace(",", ".")  # 1.234,56
    else:
        cleaned = cleaned.replace(",", "")
    if cleaned.count(".") > 1:
        return None
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return -number if negative else number


def _joinable(run: list[str]) -> bool:
    """Words that print one amount: a currency sign or code beside it, or groups of three
    digits after the first (`1 234,50`); never two separate numbers (`2` `10.00`)."""
    digits = [token for token in run if not _CURRENCY.fullmatch(token)]
    if not digits:
        return False
    return all(re.fullmatch(r"\d{3}([.,]\d+)?", token) for token in digits[1:])


def _date_of(tokens: list[str]) -> date | None:
    """A date printed as one to three words (day-first preferred over month-first)."""
    if len(tokens) == 1:
        parts = re.split(r"[/.\-]", tokens[0])
        if len(parts) == 3 and all(part.isdigit() for part in parts):
            first, second, year = (int(part) for part in parts)
            if len(parts[0]) == 4:
                return _safe_date(first, second, year)
            for day, month in ((first, second), (second, first)):
                found = _safe_date(year, month, day)
                if found is not None:
                    return found
        return None
    if len(tokens) == 3:
        day_first = (tokens[0], tokens[1], tokens[2])
        month_first = (tokens[1], tokens[0], tokens[2])
        for day_text, month_text, year_text in (day_first, month_first):
            if day_text.isdigit() and month_text in _MONTHS and year_text.isdigit():
                found = _safe_date(int(year_text), _MONTHS[month_text], int(day_text))
                if found is not None:
                    return found
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _union(words: Sequence[Word]) -> list[float]:
    return [
        round(min(word.x0 for word in words), 1),
        round(min(word.y0 for word in words), 1),
        round(max(word.x1 for word in words), 1),
        round(max(word.y1 for word in words), 1),
    ]
