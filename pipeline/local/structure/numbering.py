"""Section numbering at the start of a heading and its depth: `2`, `2.1.3`, `A.1`, `B.`; and
the section marks of Chinese, Japanese and Korean documents: `第三章` / `제3장` (chapter),
`第二节` / `제2절` (section), `一、`, `(一)` (also in full-width brackets), and Roman
numerals `Ⅱ.`."""

import re

__all__ = ["is_numbered", "numbering_depth", "section_mark_depth"]

_NUMBERING = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2}){0,4}\.?|[A-Z](?:\.\d{1,2}){1,4}\.?|[A-Z]\.)\s+[^\W\d_]"
)
_HAN_DIGITS = "一二三四五六七八九十百零〇两"
_COUNT = rf"[{_HAN_DIGITS}\d\uff10-\uff19]{{1,4}}"
_SECTION_MARKS = (
    (re.compile(rf"^第\s*{_COUNT}\s*(?:章|篇|部分|编|編)"), 1),
    (re.compile(r"^제\s*\d{1,3}\s*(?:장|편|부)(?![가-힣])"), 1),
    (re.compile(r"^[\u2160-\u216b]\s*[.\uff0e、]?\s*\S"), 1),
    (re.compile(rf"^第\s*{_COUNT}\s*(?:节|節)"), 2),
    (re.compile(r"^제\s*\d{1,3}\s*절(?![가-힣])"), 2),
    (re.compile(rf"^[{_HAN_DIGITS}]{{1,3}}\s*[、\uff0e]"), 1),
    (re.compile(rf"^[\uff08(]\s*[{_HAN_DIGITS}]{{1,3}}\s*[\uff09)]"), 2),
)
"""Each mark with its depth: a chapter above its sections; `一、` above `(一)` (documents
number either with chapters or with `一、`, rarely both at one size)."""


def numbering_depth(text: str) -> int:
    """How many components the heading's number has (`2.1.3` → 3; a section mark: its
    depth); 1 when it has none, as unnumbered headings (Abstract, References) usually stand
    at the top."""
    mark = section_mark_depth(text)
    if mark is not None:
        return mark
    match = _NUMBERING.match(text)
    if match is None:
        return 1
    number = match.group(0)[:-1].strip().rstrip(".")
    return number.count(".") + 1


def is_numbered(text: str) -> bool:
    """Does the heading start with a section number or mark?"""
    return _NUMBERING.match(text) is not None or section_mark_depth(text) is not None


def section_mark_depth(text: str) -> int | None:
    """The depth of the CJK or Roman-numeral section mark the text starts with, if any."""
    for pattern, depth in _SECTION_MARKS:
        if pattern.match(text):
            return depth
    return None
