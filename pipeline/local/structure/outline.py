"""The document's outline (bookmarks), when it has one: the level its author gave each heading,
by page and title. It overrides the levels guessed from fonts and numbering."""

from collections.abc import Iterable, Sequence

__all__ = ["heading_key", "outline_levels"]

_TRAILING = " .:\u00a0"


def heading_key(text: str) -> str:
    """A heading's text as outline titles are compared: lower case, spaces collapsed, without
    trailing dots or colons."""
    return " ".join(text.lower().split()).rstrip(_TRAILING)


def outline_levels(entries: Iterable[Sequence[object]]) -> dict[int, dict[str, int]]:
    """Page index → heading key → level, from `get_toc()` rows (level, title, 1-based page);
    rows pointing nowhere are skipped, the first row wins for a page and title."""
    levels: dict[int, dict[str, int]] = {}
    for level, title, page, *_rest in entries:
        if not isinstance(level, int) or not isinstance(title, str) or not isinstance(page, int):
            continue
        if page < 1 or not title.strip():
            continue
        levels.setdefault(page - 1, {}).setdefault(heading_key(title), level)
    return levels
