"""Lines rebuilt from position alone, for invisible OCR layers whose fragments come in any
order: fragments sharing a baseline are joined left to right (a wide gap starts another
column's line), and lines that follow each other closely in one column form a block."""

from collections.abc import Sequence

from pipeline.local.structure.lines import TextLine

__all__ = ["COLUMN_GAP", "RELINED_BLOCKS", "mostly_invisible", "reline"]

COLUMN_GAP = 2.0
"""A gap wider than this many font sizes between fragments on a baseline separates columns."""
WORD_GAP = 0.1
LINE_GAP = 0.8
RELINED_BLOCKS = 1_000_000
"""Block numbers given to rebuilt blocks start here (MuPDF's own never reach it)."""


def mostly_invisible(lines: Sequence[TextLine]) -> bool:
    """True when most of the page's characters are invisible (an OCR layer over a scan)."""
    invisible = sum(line.chars for line in lines if line.invisible)
    return invisible * 2 > sum(line.chars for line in lines)


def reline(fragments: Sequence[TextLine]) -> list[TextLine]:
    """The fragments regrouped into lines and blocks by position."""
    lines = [line for row in _rows(fragments) for line in _split_columns(row)]
    return _number_blocks(lines)


def _middle(line: TextLine) -> float:
    return (line.bbox[1] + line.bbox[3]) / 2


def _rows(fragments: Sequence[TextLine]) -> list[list[TextLine]]:
    rows: list[list[TextLine]] = []
    for fragment in sorted(fragments, key=lambda item: (_middle(item), item.bbox[0])):
        if rows:
            anchor = rows[-1][0]
            if abs(_middle(fragment) - _middle(anchor)) <= 0.5 * min(
                fragment.height, anchor.height
            ):
                rows[-1].append(fragment)
                continue
        rows.append([fragment])
    return rows


def _split_columns(row: list[TextLine]) -> list[TextLine]:
    pieces = sorted(row, key=lambda item: item.bbox[0])
    lines: list[TextLine] = []
    current = pieces[0]
    for piece in pieces[1:]:
        gap = piece.bbox[0] - current.bbox[2]
        size = max(piece.size, current.size, 1.0)
        if gap > COLUMN_GAP * size:
            lines.append(current)
            current = piece
            continue
        separator = " " if gap > WORD_GAP * size else ""
        current = current.moved(
            text=current.text + separator + piece.text,
            chars=current.chars + piece.chars,
            bbox=(
                current.bbox[0],
                min(current.bbox[1], piece.bbox[1]),
                max(current.bbox[2], piece.bbox[2]),
                max(current.bbox[3], piece.bbox[3]),
            ),
        )
    lines.append(current)
    return lines


def _number_blocks(lines: list[TextLine]) -> list[TextLine]:
    """Each line joins the block whose last line sits right above it in the same column."""
    last_lines: list[TextLine] = []
    numbered: list[TextLine] = []
    for line in sorted(lines, key=lambda item: (item.bbox[1], item.bbox[0])):
        number = None
        for position, last in enumerate(last_lines):
            overlap = min(last.bbox[2], line.bbox[2]) - max(last.bbox[0], line.bbox[0])
            gap = line.bbox[1] - last.bbox[3]
            if overlap > 0 and -0.5 * line.height <= gap <= LINE_GAP * max(line.size, 1.0):
                number = last.block_number
                last_lines[position] = line.moved(block_number=number)
                break
        if number is None:
            number = RELINED_BLOCKS + len(last_lines)
            last_lines.append(line.moved(block_number=number))
        numbered.append(line.moved(block_number=number))
    return numbered
