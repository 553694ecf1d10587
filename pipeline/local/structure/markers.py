"""List markers set apart from their text: a line that is only a bullet or an item number is
joined to the line beside it on the same row (Word places the bullet at its own tab stop, and
MuPDF gives it a line, even a block, of its own). A lone glyph the text layer cannot name
(a Symbol-font bullet without a Unicode mapping) counts as a bullet."""

from pipeline.local.structure.lines import TextLine
from pipeline.local.structure.lists import list_start

__all__ = ["MARKER_REACH", "UNKNOWN_BULLET", "join_lone_markers"]

MARKER_REACH = 4.0
"""The item's text starts at most this many font sizes right of its marker."""
UNKNOWN_BULLET = "\u2022"
"""What a lone unmapped glyph at the head of a row is taken for."""


def join_lone_markers(lines: list[TextLine]) -> list[TextLine]:
    """The lines with each lone marker prefixed to the text on its row."""
    markers = [line for line in lines if _lone_marker(line.text) or _unmapped_glyph(line.text)]
    if not markers:
        return lines
    result = list(lines)
    for marker in markers:
        beside = [
            (position, line)
            for position, line in enumerate(result)
            if line is not marker and _beside(marker, line)
        ]
        if not beside:
            continue
        position, item = min(beside, key=lambda pair: pair[1].bbox[0])
        result[position] = item.moved(
            text=f"{UNKNOWN_BULLET if _unmapped_glyph(marker.text) else marker.text} {item.text}",
            bbox=(
                marker.bbox[0],
                min(marker.bbox[1], item.bbox[1]),
                item.bbox[2],
                max(marker.bbox[3], item.bbox[3]),
            ),
            chars=item.chars + marker.chars,
        )
        result = [line for line in result if line is not marker]
    return result


def _unmapped_glyph(text: str) -> bool:
    """One glyph the text layer could not name (U+FFFD or private use: a Symbol-font bullet)."""
    return len(text) == 1 and (text == "\ufffd" or "\ue000" <= text <= "\uf8ff")


def _lone_marker(text: str) -> bool:
    return list_start(f"{text} x") is not None and " " not in text.strip()


def _beside(marker: TextLine, line: TextLine) -> bool:
    overlap = min(marker.bbox[3], line.bbox[3]) - max(marker.bbox[1], line.bbox[1])
    if overlap < 0.5 * min(marker.height, line.height):
        return False
    gap = line.bbox[0] - marker.bbox[2]
    return 0 <= gap <= MARKER_REACH * max(marker.size, line.size, 1.0)
