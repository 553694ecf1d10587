"""Tables recovered from an engine's page output, as grids of cells with merged cells expanded.

Three notations are read, whichever the engine used: Markdown pipe tables, HTML `<table>`
(rowspan/colspan expanded: every slot a merged cell covers holds that cell), and plain-text
rows whose cells are separated by a tab or by two or more spaces.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from eval.structure_text import fold_characters, normalise

_PIPE_RULE_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
_PIPE_SPLIT = re.compile(r"(?<!\\)\|")
_PLAIN_SPLIT = re.compile(r"\t+| {2,}")
_HTML_TABLE = re.compile(r"<table\b.*?</table>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Slot:
    """One grid position: the normalised text of the cell covering it and that cell's id."""

    text: str
    cell: int


@dataclass
class Grid:
    """A table as rows of slots (a merged cell fills every slot it covers)."""

    rows: list[list[Slot]] = field(default_factory=list)

    def slot(self, row: int, column: int) -> Slot | None:
        if 0 <= row < len(self.rows) and 0 <= column < len(self.rows[row]):
            return self.rows[row][column]
        return None


def tables_in(output: str) -> list[Grid]:
    """Every table found in a page output, in any of the three notations."""
    folded = fold_characters(output)
    html_tables = [_html_grid(match.group(0)) for match in _HTML_TABLE.finditer(folded)]
    rest = _HTML_TABLE.sub("\n", folded)
    return html_tables + _pipe_grids(rest) + _plain_grids(rest)


def _numbered(rows: list[list[str]]) -> Grid:
    grid = Grid()
    cell = 0
    for row in rows:
        slots = []
        for text in row:
            slots.append(Slot(normalise(text), cell))
            cell += 1
        grid.rows.append(slots)
    return grid


def _pipe_grids(output: str) -> list[Grid]:
    grids: list[Grid] = []
    block: list[str] = []
    for line in [*output.splitlines(), ""]:
        if line.strip().startswith("|"):
            block.append(line.strip())
            continue
        if block:
            grids.append(_pipe_grid(block))
            block = []
    return grids


def _pipe_grid(lines: list[str]) -> Grid:
    rows: list[list[str]] = []
    for line in lines:
        cells = _PIPE_SPLIT.split(_outer_pipes_removed(line.strip()))
        if not all(_PIPE_RULE_CELL.match(cell) for cell in cells):
            rows.append(cells)
    return _numbered(rows)


def _outer_pipes_removed(line: str) -> str:
    """The row without its one leading and one trailing pipe (empty edge cells stay)."""
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return line


def _plain_grids(output: str) -> list[Grid]:
    grids: list[Grid] = []
    block: list[list[str]] = []
    for line in [*output.splitlines(), ""]:
        stripped = line.strip()
        cells = [cell for cell in _PLAIN_SPLIT.split(stripped)] if stripped else []
        if len(cells) >= 2 and not stripped.startswith("|"):
            block.append(cells)
            continue
        if len(block) >= 2:
            grids.append(_numbered(block))
        block = []
    return grids


class _HtmlTableParser(HTMLParser):
    """Collects rows of (text, rowspan, colspan) from one `<table>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, int, int]]] = []
        self._cell: list[str] | None = None
        self._spans = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            values = dict(attrs)
            self._cell = []
            self._spans = (_span(values.get("rowspan")), _span(values.get("colspan")))
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(("".join(self._cell), *self._spans))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _span(value: str | None) -> int:
    try:
        return max(1, int(value or "1"))
    except ValueError:
        return 1


def _html_grid(table: str) -> Grid:
    parser = _HtmlTableParser()
    parser.feed(table)
    occupied: dict[tuple[int, int], Slot] = {}
    cell_id = 0
    for row_index, row in enumerate(parser.rows):
        column = 0
        for text, rowspan, colspan in row:
            while (row_index, column) in occupied:
                column += 1
            slot = Slot(normalise(text), cell_id)
            for r in range(row_index, row_index + rowspan):
                for c in range(column, column + colspan):
                    occupied[(r, c)] = slot
            column += colspan
            cell_id += 1
    height = max((r for r, _ in occupied), default=-1) + 1
    width = max((c for _, c in occupied), default=-1) + 1
    empty = Slot("", -1)
    return Grid([[occupied.get((r, c), empty) for c in range(width)] for r in range(height)])
