"""Drop caps: a single large initial set beside a paragraph is joined to the word it starts."""

from pipeline.local.structure.lines import TextLine

__all__ = ["DROP_CAP_RATIO", "join_drop_caps"]

DROP_CAP_RATIO = 1.8
"""An initial at least this many times the size of the text beside it is a drop cap."""


def join_drop_caps(lines: list[TextLine]) -> list[TextLine]:
    """The lines with each drop cap prefixed to the first line beside it."""
    caps = [line for line in lines if len(line.text) == 1 and line.text.isalpha()]
    if not caps:
        return lines
    result = list(lines)
    for cap in caps:
        beside = [
            (position, line)
            for position, line in enumerate(result)
            if line is not cap
            and 0 <= line.bbox[0] - cap.bbox[2] <= cap.size
            and cap.bbox[1] - 2 <= line.bbox[1] <= cap.bbox[3]
            and cap.size >= DROP_CAP_RATIO * line.size
        ]
        if not beside:
            continue
        position, first = min(beside, key=lambda item: item[1].bbox[1])
        result[position] = first.moved(text=cap.text + first.text)
        result = [line for line in result if line is not cap]
    return result
