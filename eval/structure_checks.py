"""The five kinds of page-level check and how one page output is scored against them.

A check file is JSON Lines; each line is one check on one page:

    {"pdf": "pdf/docling/multi_page.pdf", "page": 2, "kind": "present", "text": "..."}
    {"pdf": ..., "page": ..., "kind": "absent", "text": "...", "line": true}
    {"pdf": ..., "page": ..., "kind": "order", "before": "...", "after": "..."}
    {"pdf": ..., "page": ..., "kind": "neighbour", "cell": "...", "direction": "left",
     "neighbour": "..."}
    {"pdf": ..., "page": ..., "kind": "heading", "text": "...", "level": 2}

`pdf` is relative to the corpus folder, or `generated:NAME` for a page of eval/structure_pages;
`page` is 1-based. The rules are in eval/README.md ("Structure evaluation").
"""

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eval.structure_tables import Grid, Slot, tables_in
from eval.structure_text import (
    allowed_edits,
    best_substring_match,
    body_lines,
    body_text,
    fold_characters,
    fuzzy_find,
    normalise,
)

Kind = Literal["present", "absent", "order", "neighbour", "heading"]
KINDS: tuple[Kind, ...] = ("present", "absent", "order", "neighbour", "heading")
DIRECTIONS = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}
_HEADING_LINE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Check:
    """One hand-written check on one page; `fields` holds the kind's own keys."""

    pdf: str
    page: int
    kind: Kind
    fields: dict[str, Any]
    source: str

    @property
    def page_key(self) -> tuple[str, int]:
        return (self.pdf, self.page)

    def text(self, key: str) -> str:
        value = self.fields[key]
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{self.source}: '{key}' must be a non-empty string")
        return value


def load_checks(folder: Path, pattern: str = "*.jsonl") -> list[Check]:
    """Every check of every file in `folder` matching `pattern` (sorted by file name)."""
    checks: list[Check] = []
    for path in sorted(folder.glob(pattern)):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("//"):
                checks.append(parse_check(json.loads(line), f"{path.name}:{number}"))
    return checks


def parse_check(raw: dict[str, Any], source: str) -> Check:
    """A check from its JSON object; unknown kinds and missing keys are errors."""
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{source}: unknown kind {kind!r}")
    fields = {k: v for k, v in raw.items() if k not in ("pdf", "page", "kind")}
    check = Check(str(raw["pdf"]), int(raw["page"]), kind, fields, source)
    required = {
        "present": ("text",),
        "absent": ("text",),
        "order": ("before", "after"),
        "neighbour": ("cell", "direction", "neighbour"),
        "heading": ("text",),
    }[kind]
    for key in required:
        check.text(key)
    if kind == "neighbour" and check.fields["direction"] not in (*DIRECTIONS, "header"):
        raise ValueError(f"{source}: unknown direction {check.fields['direction']!r}")
    if kind == "heading" and not isinstance(check.fields.get("level"), int):
        raise ValueError(f"{source}: a heading check needs an integer 'level'")
    return check


@dataclass
class PageOutput:
    """One engine's output for one page, parsed once for all checks on that page."""

    raw: str
    body: str
    lines: list[str]
    tables: list[Grid]
    headings: list[tuple[int, str]]

    @classmethod
    def of(cls, raw: str) -> "PageOutput":
        return cls(raw, body_text(raw), body_lines(raw), tables_in(raw), markdown_headings(raw))


def markdown_headings(output: str) -> list[tuple[int, str]]:
    """(number of `#`, normalised text) of every ATX heading line."""
    headings = []
    for line in fold_characters(output).splitlines():
        match = _HEADING_LINE.match(line)
        if match and match.group(2):
            headings.append((len(match.group(1)), normalise(match.group(2))))
    return headings


def passes(check: Check, page: PageOutput, page_checks: Sequence[Check]) -> bool:
    """Whether the page output satisfies the check (`page_checks`: all checks of its page)."""
    if check.kind == "present":
        return _present(check, page)
    if check.kind == "absent":
        return _absent(check, page)
    if check.kind == "order":
        return _in_order(normalise(check.text("before")), normalise(check.text("after")), page)
    if check.kind == "neighbour":
        return _has_neighbour(check, page.tables)
    return _heading_holds(check, page, page_checks)


def _present(check: Check, page: PageOutput) -> bool:
    text = normalise(check.text("text"))
    if "max_edits" not in check.fields:
        return fuzzy_find(text, page.body) is not None
    match = best_substring_match(text, page.body)
    return match is not None and match.distance <= int(check.fields["max_edits"])


def _absent(check: Check, page: PageOutput) -> bool:
    """Exact (normalised) text nowhere in the body; with `line`, no line equal to it."""
    text = normalise(check.text("text"))
    if check.fields.get("line"):
        return text not in page.lines
    return text not in page.body


def _in_order(before: str, after: str, page: PageOutput) -> bool:
    first = fuzzy_find(before, page.body)
    second = fuzzy_find(after, page.body)
    return first is not None and second is not None and first.start < second.start


def cell_matches(expected: str, slot: Slot) -> bool:
    """Exact after normalisation; cells of 12 characters or more may differ by 5 %."""
    if slot.text == expected:
        return True
    if len(expected) < 12:
        return False
    match = best_substring_match(expected, slot.text)
    return (
        match is not None
        and abs(len(slot.text) - len(expected)) <= allowed_edits(expected)
        and match.distance <= max(1, len(expected) // 20)
    )


def _has_neighbour(check: Check, tables: Iterable[Grid]) -> bool:
    cell = normalise(check.text("cell"))
    neighbour = normalise(check.text("neighbour"))
    direction = str(check.fields["direction"])
    for grid in tables:
        for row_index, row in enumerate(grid.rows):
            for column, slot in enumerate(row):
                if not cell_matches(cell, slot):
                    continue
                if direction == "header":
                    if _header_holds(_column_headers(grid, row_index, column, slot), neighbour):
                        return True
                    continue
                other = _step(grid, row_index, column, slot, DIRECTIONS[direction])
                if other is not None and cell_matches(neighbour, other):
                    return True
    return False


def _step(grid: Grid, row: int, column: int, origin: Slot, delta: tuple[int, int]) -> Slot | None:
    """The first slot from (row, column) in a direction that belongs to another cell."""
    while True:
        row, column = row + delta[0], column + delta[1]
        slot = grid.slot(row, column)
        if slot is None or slot.cell != origin.cell:
            return slot


def _header_holds(above: Sequence[Slot], text: str) -> bool:
    """The expected header, as whole words, in one cell above or in the cells above read
    top to bottom (a header stacked in one cell, or split over two header rows)."""
    stacked = " ".join(slot.text for slot in above)
    return any(f" {text} " in f" {slot.text} " for slot in above) or f" {text} " in f" {stacked} "


def _column_headers(grid: Grid, row: int, column: int, origin: Slot) -> list[Slot]:
    """The distinct non-empty cells above the cell in its column, top to bottom."""
    above: list[Slot] = []
    for r in range(row):
        slot = grid.slot(r, column)
        if slot is not None and slot.text and slot.cell != origin.cell and slot not in above:
            above.append(slot)
    return above


def heading_level(text: str, page: PageOutput) -> int | None:
    """The `#` count of the heading line that best matches `text`, if one does."""
    best: tuple[int, int] | None = None
    for hashes, heading in page.headings:
        match = best_substring_match(text, heading)
        if match is None or match.distance > allowed_edits(text):
            continue
        if abs(len(heading) - len(text)) > allowed_edits(text) + 3:
            continue
        if best is None or match.distance < best[0]:
            best = (match.distance, hashes)
    return None if best is None else best[1]


def _heading_holds(check: Check, page: PageOutput, page_checks: Sequence[Check]) -> bool:
    """A `#` line, ranked against the page's other checked headings as the check says.

    Levels are compared relatively: for every other heading check of the page whose heading
    the output also marks, the `#` counts must order the two as the checks' levels do."""
    own = heading_level(normalise(check.text("text")), page)
    if own is None:
        return False
    level = int(check.fields["level"])
    for other in page_checks:
        if other.kind != "heading" or other is check:
            continue
        other_hashes = heading_level(normalise(other.text("text")), page)
        if other_hashes is None:
            continue
        other_level = int(other.fields["level"])
        if _sign(level - other_level) != _sign(own - other_hashes):
            return False
    return True


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)
