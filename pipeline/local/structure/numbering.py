"""Section numbering at the start of a heading: `2`, `2.1.3`, `A.1`, `B.` and its depth."""

import re

__all__ = ["is_numbered", "numbering_depth"]

_NUMBERING = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2}){0,4}\.?|[A-Z](?:\.\d{1,2}){1,4}\.?|[A-Z]\.)\s+[^\W\d_]"
)


def numbering_depth(text: str) -> int:
    """How many components the heading's number has (`2.1.3` → 3); 1 when it has none, as
    unnumbered headings (Abstract, References) usually stand at the top."""
    match = _NUMBERING.match(text)
    if match is None:
        return 1
    number = match.group(0)[:-1].strip().rstrip(".")
    return number.count(".") + 1


def is_numbered(text: str) -> bool:
    """Does the heading start with a section number?"""
    return _NUMBERING.match(text) is not None
