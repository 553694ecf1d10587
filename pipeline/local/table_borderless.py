"""Borderless tables from alignment, at a cost bounded by one sort of the page's words.

Words are grouped into visual rows and, within a row, into phrases (a column gap is wider
than the line is tall). A candidate is a run of consecutive rows with two or more phrases
where at least three rows have three or more; its columns are the x-ranges that the phrases
of all its rows cover (the white space between them runs through every row). It is a table
when it has three columns or more and one of them is mostly numbers: two-column prose, lists
and three-column text do not pass. A line that only continues cells of the row above (text
in no column the row left empty, no number, and starting lower-case or without the first
column's key) is a cell wrapped onto a second line and joins that row.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from pipeline.local.table_grid import DraftCell, DraftTable, Word, rounded_box, visual_rows
from pipeline.local.table_header import is_numeric
from schemas.blocks import BBox

__all__ = ["find_borderless_tables"]

_COLUMN_GAP = 0.9
"""Words further apart than this many line heights are in different columns."""
_ROW_GAP = 1.2
"""Rows further apart than this many line heights (white space) end a candidate."""
_MIN_ROWS = 3
_MIN_COLUMNS = 3
_NUMERIC_SHARE = 0.6
_MAX_WRAPPED_LINES = 2
"""Consecutive one-phrase lines (a single cell wrapping) that a run of rows carries on over."""


@dataclass(frozen=True)
class _Phrase:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def find_borderless_tables(
    words: Sequence[Word], excluded: Sequence[BBox] = ()
) -> list[DraftTable]:
    """Aligned, partly numeric runs of rows outside the excluded boxes, as grids."""
    free = [word for word in words if not any(_inside(word, box) for box in excluded)]
    rows = [_phrases(row) for row in visual_rows(free)]
    tables: list[DraftTable] = []
    for run in _candidate_runs(rows):
        table = _as_table(run)
        if table is not None:
            tables.append(table)
    return tables


def _phrases(row: Sequence[Word]) -> list[_Phrase]:
    """A row's words joined into phrases where they are closer than a column gap."""
    groups: list[list[Word]] = []
    reach = 0.0  # the right edge of the last group
    for word in row:
        if groups and word[0] - reach < _COLUMN_GAP * (word[3] - word[1]):
            groups[-1].append(word)
            reach = max(reach, word[2])
        else:
            groups.append([word])
            reach = word[2]
    return [_phrase(group) for group in groups]


def _phrase(words: Sequence[Word]) -> _Phrase:
    """Words of one phrase as one: their box (grown word by word) and their text."""
    first = words[0]
    y0, x1, y1 = first[1], first[2], first[3]
    for word in words[1:]:
        y0, x1, y1 = min(y0, word[1]), max(x1, word[2]), max(y1, word[3])
    return _Phrase(first[0], y0, x1, y1, " ".join(word[4] for word in words))


def _candidate_runs(rows: Sequence[list[_Phrase]]) -> list[list[list[_Phrase]]]:
    """Maximal runs of close rows of two or more phrases, with three rows of three or more."""
    runs: list[list[list[_Phrase]]] = []
    run: list[list[_Phrase]] = []
    single = 0
    for row in [*rows, []]:
        single = single + 1 if len(row) == 1 else 0
        wraps = len(row) == 1 and single <= _MAX_WRAPPED_LINES
        if (len(row) >= 2 or (wraps and run)) and (not run or _close(run[-1], row)):
            run.append(row)
            continue
        while run and len(run[-1]) < 2:
            run.pop()
        if sum(1 for member in run if len(member) >= _MIN_COLUMNS) >= _MIN_ROWS:
            runs.append(run)
        run = [row] if len(row) >= 2 else []
    return runs


def _close(upper: Sequence[_Phrase], lower: Sequence[_Phrase]) -> bool:
    height = max(p.y1 - p.y0 for p in upper)
    bottom = max(p.y1 for p in upper)
    top = min(p.y0 for p in lower)
    return top - bottom <= _ROW_GAP * height


def _as_table(run: Sequence[list[_Phrase]]) -> DraftTable | None:
    core = _core(run)
    wide = [row for row in core if len(row) >= _MIN_COLUMNS]
    if len(wide) > _MIN_ROWS:
        wide = wide[1:]  # a header may be aligned otherwise than the numbers below it
    columns = _column_bands([phrase for row in wide for phrase in row])
    if len(columns) < _MIN_COLUMNS:
        return None
    grouped = _joined_continuations(_with_fitting_neighbours(run, core, columns), columns)
    rows = [[phrase for line in group for phrase in line] for group in grouped]
    if not _has_numeric_column(rows, columns):
        return None
    row_edges = [min(p.y0 for p in rows[0])]
    for upper, lower in pairwise(rows):
        row_edges.append((max(p.y1 for p in upper) + min(p.y0 for p in lower)) / 2)
    row_edges.append(max(p.y1 for p in rows[-1]))
    col_edges = [columns[0][0]]
    for (_, left_end), (right_start, _) in pairwise(columns):
        col_edges.append((left_end + right_start) / 2)
    col_edges.append(columns[-1][1])
    col_edges = [round(edge, 2) for edge in col_edges]
    row_edges = [round(edge, 2) for edge in row_edges]
    cells: list[DraftCell] = []
    for row_index, group in enumerate(grouped):
        for col_index, text in enumerate(_cell_texts(group, columns)):
            box = (
                col_edges[col_index],
                row_edges[row_index],
                col_edges[col_index + 1],
                row_edges[row_index + 1],
            )
            cells.append(DraftCell(row=row_index, col=col_index, bbox=box, text=text))
    bbox = rounded_box((col_edges[0], row_edges[0], col_edges[-1], row_edges[-1]))
    return DraftTable(bbox=bbox, col_edges=col_edges, row_edges=row_edges, cells=cells)


def _joined_continuations(
    lines: Sequence[list[_Phrase]], columns: Sequence[tuple[float, float]]
) -> list[list[list[_Phrase]]]:
    """The lines grouped into rows: a continuation line joins the row above it."""
    groups: list[list[list[_Phrase]]] = []
    for line in lines:
        if groups and _continues(groups[-1], line, columns):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _continues(
    group: Sequence[list[_Phrase]], line: Sequence[_Phrase], columns: Sequence[tuple[float, float]]
) -> bool:
    """The line has text only where the row above has, no number, and starts lower-case or
    leaves the first (key) column empty."""
    filled = {_band_of(phrase, columns) for above in group for phrase in above}
    bands = [_band_of(phrase, columns) for phrase in line]
    if not set(bands) <= filled or any(is_numeric(phrase.text) for phrase in line):
        return False
    return line[0].text[:1].islower() or 0 not in bands


def _cell_texts(
    group: Sequence[list[_Phrase]], columns: Sequence[tuple[float, float]]
) -> list[str]:
    """Each column's text in a row: a line's phrases joined by a space, lines by a newline."""
    lines: list[list[str]] = [[] for _ in columns]
    for line in group:
        parts: list[list[str]] = [[] for _ in columns]
        for phrase in line:
            parts[_band_of(phrase, columns)].append(phrase.text)
        for col, texts in enumerate(parts):
            if texts:
                lines[col].append(" ".join(texts))
    return ["\n".join(texts) for texts in lines]


def _core(run: Sequence[list[_Phrase]]) -> list[list[_Phrase]]:
    """The run from its first to its last row of three or more phrases."""
    wide = [index for index, row in enumerate(run) if len(row) >= _MIN_COLUMNS]
    return list(run[wide[0] : wide[-1] + 1])


def _with_fitting_neighbours(
    run: Sequence[list[_Phrase]],
    core: list[list[_Phrase]],
    columns: Sequence[tuple[float, float]],
) -> list[list[_Phrase]]:
    """The core plus the row just above and just below it when every phrase of that row
    stays inside one column (a header, a total)."""
    first = next(index for index, row in enumerate(run) if row is core[0])
    last = first + len(core) - 1
    rows = list(core)
    if first > 0 and _fits(run[first - 1], columns):
        rows.insert(0, run[first - 1])
    if last + 1 < len(run) and _fits(run[last + 1], columns):
        rows.append(run[last + 1])
    return rows


def _fits(row: Sequence[_Phrase], columns: Sequence[tuple[float, float]]) -> bool:
    """Every phrase overlaps at most one column, and no two phrases go to the same one."""
    overlaps = [
        sum(1 for left, right in columns if phrase.x0 < right and left < phrase.x1)
        for phrase in row
    ]
    bands = [_band_of(phrase, columns) for phrase in row]
    return all(count <= 1 for count in overlaps) and len(set(bands)) == len(bands)


def _band_of(phrase: _Phrase, columns: Sequence[tuple[float, float]]) -> int:
    """The column a phrase overlaps most, or else the nearest one."""
    return max(
        range(len(columns)),
        key=lambda i: min(phrase.x1, columns[i][1]) - max(phrase.x0, columns[i][0]),
    )


def _column_bands(phrases: Sequence[_Phrase]) -> list[tuple[float, float]]:
    """The x-ranges covered by phrases, merged where they overlap, left to right."""
    bands: list[tuple[float, float]] = []
    for phrase in sorted(phrases, key=lambda p: p.x0):
        if bands and phrase.x0 <= bands[-1][1]:
            bands[-1] = (bands[-1][0], max(bands[-1][1], phrase.x1))
        else:
            bands.append((phrase.x0, phrase.x1))
    return bands


def _has_numeric_column(
    run: Sequence[list[_Phrase]], columns: Sequence[tuple[float, float]]
) -> bool:
    """Some column's entries are mostly numbers, in at least half of the run's rows."""
    for left, right in columns:
        texts = [p.text for row in run for p in row if left <= p.x0 and p.x1 <= right]
        numbers = sum(1 for text in texts if is_numeric(text))
        if numbers * 2 >= len(run) and numbers >= _NUMERIC_SHARE * len(texts):
            return True
    return False


def _inside(word: Word, box: BBox) -> bool:
    x_mid = (word[0] + word[2]) / 2
    y_mid = (word[1] + word[3]) / 2
    return box[0] <= x_mid <= box[2] and box[1] <= y_mid <= box[3]
