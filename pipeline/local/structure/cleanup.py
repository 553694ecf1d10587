"""Text clean-up that changes no content: ligatures expanded, Unicode NFC, invisible characters
dropped, spaces collapsed, and words broken at line ends joined again (`irretrie-` + `vably`)."""

import re
import unicodedata
from collections.abc import Iterable, Sequence

from schemas.blocks import TableGrid

__all__ = ["clean_grid", "clean_text", "hyphenated_words", "join_lines"]

_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "ft",
        "\ufb06": "st",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_SPACE_AFTER_LIGATURE = re.compile(r"([\ufb01-\ufb06]) (?=[^\W\d_])")
"""fi, fl, ffi, ffl, ft, st end hardly any word; ff does (`off`, `Stoff`), so it is left out."""
_SOFT_HYPHEN = "\u00ad"
_CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff01-\uff60]"
)
"""Scripts written without spaces between words (or, in Korean, wrapped inside a word): their
lines join without one."""
_HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
_WORD_END = re.compile(r"([^\W\d_][\w-]*)[-\u2010\u00ad]$")
_LINE_END_HYPHENS = ("-", "\u2010", _SOFT_HYPHEN)
_WORD_START = re.compile(r"^([^\W\d_]+)")


def clean_text(text: str) -> str:
    """Ligatures expanded (without the space some layers put after them: `Erﬁ nder`),
    zero-width characters dropped, NFC, runs of whitespace as one space."""
    text = _SPACE_AFTER_LIGATURE.sub(r"\1", text)
    return " ".join(unicodedata.normalize("NFC", text.translate(_LIGATURES)).split())


_PREFIXES = frozenset({"self", "non", "well", "cross", "half", "quasi", "semi", "multi", "post"})
"""Prefixes that keep their hyphen before a line break (`self-` + `publishing`)."""


def clean_grid(grid: TableGrid) -> TableGrid:
    """A table grid with each cell's lines cleaned like body text (line breaks kept)."""
    cells = [
        cell.model_copy(update={"text": "\n".join(map(clean_text, cell.text.splitlines()))})
        for cell in grid.cells
    ]
    return grid.model_copy(update={"cells": cells})


def hyphenated_words(texts: Iterable[str]) -> set[str]:
    """The hyphenated words written inside lines (lower case): `state-of-the-art`, `co-operate`."""
    return {
        match.group(0).lower()
        for text in texts
        if "-" in text  # the pattern needs one; most lines are not scanned
        for match in _HYPHENATED.finditer(text)
    }


def join_lines(lines: Sequence[str], keep_hyphenated: set[str], breaks_words: bool = True) -> str:
    """The lines of one block as one text; a word broken at a line end is joined.

    A line-end hyphen is dropped when the document hyphenates words at line ends
    (`breaks_words`), the next line starts with a lower-case letter, the part before it is
    one plain word (not a compound such as `state-of-the-`, not a prefix that keeps its
    hyphen such as `self-`) and the hyphenated form does not occur elsewhere on the page
    (`keep_hyphenated`); otherwise it stays and the two parts are joined without a space. A
    soft hyphen is always dropped. Lines of Chinese, Japanese or Korean join without a
    space."""
    pieces: list[str] = []
    previous = ""
    for line in lines:
        if pieces:
            drop_last, separator = _joint(previous, line, keep_hyphenated, breaks_words)
            if drop_last:
                pieces[-1] = pieces[-1][:-1]
            pieces.append(separator)
        pieces.append(line)
        previous = line
    return "".join(pieces)


def _joint(
    previous: str, line: str, keep_hyphenated: set[str], breaks_words: bool
) -> tuple[bool, str]:
    """How `line` joins the line before it: drop that line's last character (a hyphen)?
    and the separator."""
    if _CJK.match(previous[-1]) and _CJK.match(line[0]):
        return False, ""
    end = _WORD_END.search(previous) if _may_end_in_hyphen(previous) else None
    if end is None:
        return False, " "
    if previous.endswith(_SOFT_HYPHEN):
        return True, ""
    start = _WORD_START.match(line)
    if not _starts_lower(line) or start is None or "-" in end.group(1):
        return False, ""
    hyphenated = f"{end.group(1)}-{start.group(1)}".lower()
    if not breaks_words or end.group(1).lower() in _PREFIXES or hyphenated in keep_hyphenated:
        return False, ""
    return True, ""


def _may_end_in_hyphen(line: str) -> bool:
    """Can `_WORD_END` match? (Its `$` also matches before a final newline.) Saves scanning
    every line for it."""
    return line.removesuffix("\n").endswith(_LINE_END_HYPHENS)


def _starts_lower(line: str) -> bool:
    return bool(line) and line[0].islower()
