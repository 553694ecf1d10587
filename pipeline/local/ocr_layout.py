"""Reading order of OCR lines: deskew, split into columns at gutters, group rows into blocks."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from math import atan2, cos, dist, sin

import numpy as np

from schemas.blocks import BBox

__all__ = ["OcrBlock", "OcrLine", "Point", "Quad", "layout_blocks"]

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
_GUTTER_CROSSINGS = 0.25
_MAX_COLUMN_DEPTH = 4
_MIN_GUTTER = 0.35
_MIN_COLUMN_LINES = 3
_MIN_COLUMN_CHARS = 8
_ROW_OVERLAP = 0.5
_BLOCK_GAP = 0.6
_MIN_SKEW_RADIANS = 0.003


@dataclass(frozen=True)
class OcrLine:
    """One recognised text line: text, corner points (clockwise from top-left), confidence."""

    text: str
    quad: Quad
    confidence: float

    @property
    def bbox(self) -> BBox:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return (min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class OcrBlock:
    """Lines read as one block; `rows` are lines side by side on one baseline."""

    rows: tuple[tuple[OcrLine, ...], ...]
    bbox: BBox
    confidence: float

    @property
    def text(self) -> str:
        return "\n".join(" ".join(line.text for line in row) for row in self.rows)


@dataclass(frozen=True)
class _Placed:
    """A line with its box in deskewed layout coordinates."""

    line: OcrLine
    x0: float
    y0: float
    x1: float
    y1: float


def layout_blocks(lines: Sequence[OcrLine]) -> list[OcrBlock]:
    """Group upright lines into blocks in reading order; columns are read one after another."""
    placed = _deskewed(lines)
    if not placed:
        return []
    line_height = statistics.median(p.y1 - p.y0 for p in placed)
    blocks: list[OcrBlock] = []
    for section in _column_sections(placed, line_height):
        blocks.extend(_blocks_of_column(section, line_height))
    return blocks


def _deskewed(lines: Sequence[OcrLine]) -> list[_Placed]:
    angles = [
        atan2(q[1][1] - q[0][1], q[1][0] - q[0][0])
        for q in (line.quad for line in lines)
        if dist(q[0], q[1]) > 2 * dist(q[0], q[3])
    ]
    angle = statistics.median(angles) if angles else 0.0
    if abs(angle) < _MIN_SKEW_RADIANS:
        angle = 0.0
    c, s = cos(-angle), sin(-angle)
    placed = []
    for line in lines:
        xs = [x * c - y * s for x, y in line.quad]
        ys = [x * s + y * c for x, y in line.quad]
        placed.append(_Placed(line, min(xs), min(ys), max(xs), max(ys)))
    return placed


def _column_sections(
    items: list[_Placed], line_height: float, depth: int = 0
) -> list[list[_Placed]]:
    """Split into single-column runs in reading order; lines crossing a gutter separate runs."""
    gutter = _find_gutter(items, line_height) if depth < _MAX_COLUMN_DEPTH else None
    if gutter is None:
        return [items]
    low, high = gutter
    sections: list[list[_Placed]] = []
    left: list[_Placed] = []
    right: list[_Placed] = []
    spanning: list[_Placed] = []

    def flush_columns() -> None:
        for side in (left, right):
            if side:
                sections.extend(_column_sections(list(side), line_height, depth + 1))
                side.clear()

    for item in sorted(items, key=lambda p: p.y0):
        if item.x0 < low and item.x1 > high:
            flush_columns()
            spanning.append(item)
            continue
        if spanning:
            sections.append(list(spanning))
            spanning.clear()
        (left if item.x0 + item.x1 < low + high else right).append(item)
    flush_columns()
    if spanning:
        sections.append(spanning)
    return sections


def _find_gutter(items: list[_Placed], line_height: float) -> tuple[float, float] | None:
    """The widest vertical strip that few lines cross, between two columns of prose lines.

    A strip may be crossed by a title or a footer line (up to a quarter of the lines): those
    lines are read in place, between the column runs above and below them.
    """
    start = min(p.x0 for p in items)
    step = max(line_height / 8, 1.0)
    coverage = np.zeros(int((max(p.x1 for p in items) - start) / step) + 2, dtype=np.int32)
    for p in items:
        coverage[int((p.x0 - start) / step) : int((p.x1 - start) / step) + 1] += 1
    sparse = coverage <= max(2, int(_GUTTER_CROSSINGS * len(items)))
    gaps: list[tuple[float, float]] = []
    run_start: int | None = None
    for index, is_sparse in enumerate(sparse.tolist()):
        if is_sparse and run_start is None:
            run_start = index
        elif not is_sparse and run_start is not None:
            if run_start > 0 and (index - run_start) * step >= _MIN_GUTTER * line_height:
                gaps.append((start + run_start * step, start + index * step))
            run_start = None
    for low, high in sorted(gaps, key=lambda g: g[0] - g[1]):
        inside = [p for p in items if not (p.x0 < low and p.x1 > high)]
        left = [p for p in inside if p.x0 + p.x1 < low + high]
        right = [p for p in inside if p.x0 + p.x1 >= low + high]
        if _is_column(left) and _is_column(right) and _side_by_side(left, right):
            return low, high
    return None


def _is_column(items: list[_Placed]) -> bool:
    return (
        len(items) >= _MIN_COLUMN_LINES
        and statistics.median(len(p.line.text) for p in items) >= _MIN_COLUMN_CHARS
    )


def _side_by_side(left: list[_Placed], right: list[_Placed]) -> bool:
    top = max(min(p.y0 for p in left), min(p.y0 for p in right))
    bottom = min(max(p.y1 for p in left), max(p.y1 for p in right))
    shorter = min(max(p.y1 for p in side) - min(p.y0 for p in side) for side in (left, right))
    return bottom - top >= 0.5 * shorter


def _blocks_of_column(items: list[_Placed], line_height: float) -> list[OcrBlock]:
    blocks: list[OcrBlock] = []
    current: list[list[_Placed]] = []
    for row in _rows(items):
        if current and not _continues(current[-1], row, line_height):
            blocks.append(_make_block(current))
            current = []
        current.append(row)
    if current:
        blocks.append(_make_block(current))
    return blocks


def _rows(items: list[_Placed]) -> list[list[_Placed]]:
    rows: list[list[_Placed]] = []
    for item in sorted(items, key=lambda p: (p.y0 + p.y1) / 2):
        if rows:
            row = rows[-1]
            top, bottom = min(p.y0 for p in row), max(p.y1 for p in row)
            overlap = min(bottom, item.y1) - max(top, item.y0)
            if overlap >= _ROW_OVERLAP * min(bottom - top, item.y1 - item.y0):
                row.append(item)
                continue
        rows.append([item])
    return [sorted(row, key=lambda p: p.x0) for row in rows]


def _continues(previous: list[_Placed], row: list[_Placed], line_height: float) -> bool:
    gap = min(p.y0 for p in row) - max(p.y1 for p in previous)
    overlap = min(max(p.x1 for p in row), max(p.x1 for p in previous)) - max(
        min(p.x0 for p in row), min(p.x0 for p in previous)
    )
    return gap <= _BLOCK_GAP * line_height and overlap > 0


def _make_block(rows: list[list[_Placed]]) -> OcrBlock:
    lines = [p.line for row in rows for p in row]
    boxes = [line.bbox for line in lines]
    weights = [max(len(line.text), 1) for line in lines]
    confidence = sum(line.confidence * w for line, w in zip(lines, weights, strict=True))
    return OcrBlock(
        rows=tuple(tuple(p.line for p in row) for row in rows),
        bbox=(
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ),
        confidence=round(min(1.0, confidence / sum(weights)), 4),
    )
