"""The cheap gate before table detection: where on a page do horizontal and vertical rules cross?

One `get_cdrawings()` (the C-built drawing list, cheaper than `get_drawings()`) gives the
page's axis-aligned rules. Rules linked by crossings form groups; a group is a ruled region
when it closes at least two cells (two horizontal rules each crossing the same two vertical
rules, and six crossings or more). Axis ticks, underlines, a single frame and the strokes of
a figure close no two cells, so their pages stop here. The gate also keeps what header
detection reads later: each rule's thickness and the page's filled rectangles.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Any, NamedTuple

import pymupdf

from schemas.blocks import BBox

__all__ = ["Fill", "Rule", "RuledRegion", "find_ruled_regions", "read_rules"]

_THIN = 3.0
"""A rectangle this thin or thinner is drawn as one rule, not four edges."""
_MIN_RULE_LENGTH = 3.0
_TOUCH = 2.0
"""Rules closer than this at their ends still cross."""
_MIN_CROSSINGS = 6
_REGION_PADDING = 2.0
_WHITE = 0.97
_MAX_PAIRED = 24
"""Above this many crossings a rule is paired with its neighbours only, bounding the cost."""


class Rule(NamedTuple):
    """An axis-aligned rule: `horizontal` ones run from x0 to x1 at y; vertical ones the
    other way round (x0 == x1 is their x, y0..y1 their extent). `weight` is its thickness.
    A tuple, not a dataclass: a vector-heavy page has thousands."""

    horizontal: bool
    x0: float
    y0: float
    x1: float
    y1: float
    weight: float


@dataclass(frozen=True)
class Fill:
    """A filled, non-white rectangle (cell or row shading) and its colour."""

    bbox: BBox
    colour: tuple[float, ...]


@dataclass(frozen=True)
class RuledRegion:
    """Rules that close cells: where they are and the rules themselves."""

    bbox: BBox
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class PageRules:
    """A page's drawings reduced to rules and fills."""

    rules: list[Rule]
    fills: list[Fill]


def read_rules(page: pymupdf.Page) -> PageRules:
    """Axis-aligned rules and non-white filled rectangles of a page, from one `get_cdrawings()`."""
    drawings: list[dict[str, Any]] = page.get_cdrawings()
    rules: list[Rule] = []
    fills: list[Fill] = []
    for path in drawings:
        x0, y0, x1, y1 = path["rect"]
        if x1 - x0 < _MIN_RULE_LENGTH and y1 - y0 < _MIN_RULE_LENGTH:
            continue  # a dot or a glyph fragment: no rule in it
        stroke_width = float(path.get("width") or 0.0) if "s" in path["type"] else 0.0
        for item in path["items"]:
            operator = item[0]
            if operator == "l":
                (ax, ay), (bx, by) = item[1], item[2]
                if abs(ay - by) <= 1.0 and abs(ax - bx) >= _MIN_RULE_LENGTH:
                    y = (ay + by) / 2
                    rules.append(Rule(True, min(ax, bx), y, max(ax, bx), y, stroke_width))
                elif abs(ax - bx) <= 1.0 and abs(ay - by) >= _MIN_RULE_LENGTH:
                    x = (ax + bx) / 2
                    rules.append(Rule(False, x, min(ay, by), x, max(ay, by), stroke_width))
            elif operator == "re":
                rules.extend(_rect_rules(item[1], stroke_width))
                _collect_fill(path, item[1], fills)
            elif operator == "qu":
                quad = pymupdf.Quad(item[1])
                if quad.is_rectangular:
                    box = tuple(quad.rect)
                    rules.extend(_rect_rules(box, stroke_width))
                    _collect_fill(path, box, fills)
    return PageRules(rules=rules, fills=fills)


def find_ruled_regions(rules: Sequence[Rule]) -> list[RuledRegion]:
    """Groups of crossing rules that close at least two cells, top to bottom."""
    horizontal = _joined(rule for rule in rules if rule.horizontal)
    vertical = sorted(_joined(rule for rule in rules if not rule.horizontal), key=lambda r: r.x0)
    if len(horizontal) < 2 or len(vertical) < 2:
        return []
    xs = [rule.x0 for rule in vertical]
    parent = list(range(len(horizontal) + len(vertical)))
    crossings_of: dict[int, list[int]] = {}
    for h_index, h_rule in enumerate(horizontal):
        start = bisect_left(xs, h_rule.x0 - _TOUCH)
        end = bisect_right(xs, h_rule.x1 + _TOUCH)
        for v_index in range(start, end):
            v_rule = vertical[v_index]
            if v_rule.y0 - _TOUCH <= h_rule.y0 <= v_rule.y1 + _TOUCH:
                crossings_of.setdefault(h_index, []).append(v_index)
                _union(parent, h_index, len(horizontal) + v_index)
    groups: dict[int, list[int]] = {}
    for h_index in crossings_of:
        groups.setdefault(_find(parent, h_index), []).append(h_index)
    regions: list[RuledRegion] = []
    for members in groups.values():
        crossed = [frozenset(crossings_of[h_index]) for h_index in members]
        if sum(len(v_set) for v_set in crossed) < _MIN_CROSSINGS or not _closes_a_cell(crossed):
            continue
        group_rules = [horizontal[h] for h in members]
        group_rules += [vertical[v] for v in sorted(frozenset().union(*crossed))]
        regions.append(_region(group_rules))
    return sorted(regions, key=lambda region: (region.bbox[1], region.bbox[0]))


def _closes_a_cell(crossed: Sequence[frozenset[int]]) -> bool:
    """Two horizontal rules crossing the same two vertical rules close a cell."""
    seen: set[tuple[int, int]] = set()
    for v_set in crossed:
        if len(v_set) < 2:
            continue
        ordered = sorted(v_set)
        if len(ordered) <= _MAX_PAIRED:
            pairs = set(combinations(ordered, 2))
        else:
            pairs = set(pairwise(ordered))
        if seen & pairs:
            return True
        seen |= pairs
    return False


def _region(rules: Iterable[Rule]) -> RuledRegion:
    members = tuple(rules)
    x0 = min(rule.x0 for rule in members) - _REGION_PADDING
    y0 = min(rule.y0 for rule in members) - _REGION_PADDING
    x1 = max(rule.x1 for rule in members) + _REGION_PADDING
    y1 = max(rule.y1 for rule in members) + _REGION_PADDING
    return RuledRegion(bbox=(x0, y0, x1, y1), rules=members)


def _joined(rules: Iterable[Rule]) -> list[Rule]:
    """Collinear rules that touch end to end (a rule drawn cell by cell) as one rule."""
    joined: list[Rule] = []
    for rule in sorted(rules, key=_line_then_start):
        last = joined[-1] if joined else None
        if last is not None and _line_then_start(last)[0] == _line_then_start(rule)[0]:
            last_end = last.x1 if rule.horizontal else last.y1
            start, end = (rule.x0, rule.x1) if rule.horizontal else (rule.y0, rule.y1)
            if start <= last_end + _TOUCH:
                if rule.horizontal:
                    joined[-1] = Rule(
                        True,
                        last.x0,
                        last.y0,
                        max(last.x1, end),
                        last.y1,
                        max(last.weight, rule.weight),
                    )
                else:
                    joined[-1] = Rule(
                        False,
                        last.x0,
                        last.y0,
                        last.x1,
                        max(last.y1, end),
                        max(last.weight, rule.weight),
                    )
                continue
        joined.append(rule)
    return joined


def _line_then_start(rule: Rule) -> tuple[float, float]:
    """The rule's line (its y or x, rounded to a point) and where along it it starts."""
    if rule.horizontal:
        return (round(rule.y0), rule.x0)
    return (round(rule.x0), rule.y0)


def _rect_rules(box: Sequence[float], stroke_width: float) -> list[Rule]:
    x0, y0, x1, y1 = (
        min(box[0], box[2]),
        min(box[1], box[3]),
        max(box[0], box[2]),
        max(box[1], box[3]),
    )
    width, height = x1 - x0, y1 - y0
    if height <= _THIN and width >= _MIN_RULE_LENGTH:
        y = (y0 + y1) / 2
        return [Rule(True, x0, y, x1, y, max(height, stroke_width))]
    if width <= _THIN and height >= _MIN_RULE_LENGTH:
        x = (x0 + x1) / 2
        return [Rule(False, x, y0, x, y1, max(width, stroke_width))]
    if width < _MIN_RULE_LENGTH or height < _MIN_RULE_LENGTH:
        return []
    return [
        Rule(True, x0, y0, x1, y0, stroke_width),
        Rule(True, x0, y1, x1, y1, stroke_width),
        Rule(False, x0, y0, x0, y1, stroke_width),
        Rule(False, x1, y0, x1, y1, stroke_width),
    ]


def _collect_fill(path: dict[str, Any], box: Sequence[float], fills: list[Fill]) -> None:
    colour = path.get("fill")
    if "f" not in path["type"] or not colour or min(colour) >= _WHITE:
        return
    x0, y0, x1, y1 = (float(value) for value in box)
    if x1 - x0 > _THIN and y1 - y0 > _THIN:
        fills.append(Fill(bbox=(x0, y0, x1, y1), colour=tuple(float(c) for c in colour)))


def _find(parent: list[int], node: int) -> int:
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def _union(parent: list[int], first: int, second: int) -> None:
    parent[_find(parent, first)] = _find(parent, second)
