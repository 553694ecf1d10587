"""Cells of ruled tables straight from the gate's rules, without `find_tables`.

The rules of a ruled region are snapped (rules within a few points of one line share it) and
joined end to end; every crossing of a horizontal and a vertical rule is a corner. A cell is
the smallest rectangle whose four corners are crossings and whose four sides run along rules.
Cells sharing corners form one table. This is the lines strategy `find_tables` follows, minus
its character extraction (a Python loop over every glyph of the page, 80 % of its cost), which
the output never uses: the cells' text comes from the words the caller already has.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence

from pipeline.local.table_gate import Rule
from schemas.blocks import BBox

__all__ = ["table_cell_boxes"]

_SNAP = 3.0
"""Rules this close to one line are on it (`find_tables`' snap tolerance)."""
_JOIN = 3.0
"""Collinear rules with a gap this small are one rule (its join tolerance)."""
_CROSS = 3.0
"""A rule ending this short of another still meets it (its intersection tolerance)."""
_MIN_CELL = 1.0

_Point = tuple[float, float]


def table_cell_boxes(rules: Sequence[Rule]) -> list[list[BBox]]:
    """Cell boxes per table, tables top to bottom; each table has two cells or more."""
    members = [*rules, *_frame(rules)]
    horizontal = _snapped_and_joined([r for r in members if r.horizontal], horizontal=True)
    vertical = _snapped_and_joined([r for r in members if not r.horizontal], horizontal=False)
    h_rules_at: dict[_Point, set[int]] = defaultdict(set)
    v_rules_at: dict[_Point, set[int]] = defaultdict(set)
    xs = [x for x, _, _ in vertical]  # sorted: _snapped_and_joined sorts by position
    for h_index, (y, x0, x1) in enumerate(horizontal):
        for v_index in range(bisect_left(xs, x0 - _CROSS), bisect_right(xs, x1 + _CROSS)):
            x, y0, y1 = vertical[v_index]
            if y0 - _CROSS <= y <= y1 + _CROSS:
                h_rules_at[x, y].add(h_index)
                v_rules_at[x, y].add(v_index)
    points_on_h: dict[int, list[_Point]] = defaultdict(list)
    points_on_v: dict[int, list[_Point]] = defaultdict(list)
    for point in h_rules_at:
        for h_index in h_rules_at[point]:
            points_on_h[h_index].append(point)
        for v_index in v_rules_at[point]:
            points_on_v[v_index].append(point)
    for points in points_on_h.values():
        points.sort()
    for points in points_on_v.values():
        points.sort(key=lambda p: p[1])
    cells = [
        cell
        for point in sorted(h_rules_at, key=lambda p: (p[1], p[0]))
        if (cell := _cell_from(point, h_rules_at, v_rules_at, points_on_h, points_on_v))
    ]
    return _grouped(cells)


def _frame(rules: Sequence[Rule]) -> list[Rule]:
    """The rectangle around the rules, as four rules: tables ruled inside but open at their
    sides (rules between the columns, none at the edges) still close their outer cells."""
    if not rules:
        return []
    x0, y0 = min(r.x0 for r in rules), min(r.y0 for r in rules)
    x1, y1 = max(r.x1 for r in rules), max(r.y1 for r in rules)
    return [
        Rule(True, x0, y0, x1, y0, 0.0),
        Rule(True, x0, y1, x1, y1, 0.0),
        Rule(False, x0, y0, x0, y1, 0.0),
        Rule(False, x1, y0, x1, y1, 0.0),
    ]


def _snapped_and_joined(
    rules: Sequence[Rule], horizontal: bool
) -> list[tuple[float, float, float]]:
    """Rules as (position, start, end): positions within the snap tolerance take their mean,
    then collinear rules closer than the join tolerance merge."""
    segments = sorted((r.y0, r.x0, r.x1) if horizontal else (r.x0, r.y0, r.y1) for r in rules)
    snapped: list[tuple[float, float, float]] = []
    cluster: list[tuple[float, float, float]] = []
    for segment in [*segments, None]:
        if cluster and (segment is None or segment[0] - cluster[0][0] > _SNAP):
            position = sum(item[0] for item in cluster) / len(cluster)
            snapped.extend((position, start, end) for _, start, end in cluster)
            cluster = []
        if segment is not None:
            cluster.append(segment)
    joined: list[tuple[float, float, float]] = []
    for position, start, end in sorted(snapped):
        if joined and joined[-1][0] == position and start <= joined[-1][2] + _JOIN:
            joined[-1] = (position, joined[-1][1], max(end, joined[-1][2]))
        else:
            joined.append((position, start, end))
    return [(position, start, end) for position, start, end in joined if end - start >= _JOIN]


def _cell_from(
    corner: _Point,
    h_rules_at: dict[_Point, set[int]],
    v_rules_at: dict[_Point, set[int]],
    points_on_h: dict[int, list[_Point]],
    points_on_v: dict[int, list[_Point]],
) -> BBox | None:
    """The smallest cell whose top-left corner is `corner`, if any."""
    x, y = corner
    below = sorted(
        {p for v in v_rules_at[corner] for p in points_on_v[v] if p[1] > y + _MIN_CELL},
        key=lambda p: p[1],
    )
    right = sorted({p for h in h_rules_at[corner] for p in points_on_h[h] if p[0] > x + _MIN_CELL})
    for lower in below:
        for side in right:
            far = (side[0], lower[1])
            if far not in h_rules_at:
                continue
            if h_rules_at[far] & h_rules_at[lower] and v_rules_at[far] & v_rules_at[side]:
                return (x, y, side[0], lower[1])
    return None


def _grouped(cells: Sequence[BBox]) -> list[list[BBox]]:
    """Cells that share a corner belong to one table; a group of one column (stacked boxes,
    underlines) is no table."""
    parent = list(range(len(cells)))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    owner: dict[_Point, int] = {}
    for index, (x0, y0, x1, y1) in enumerate(cells):
        for point in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            if point in owner:
                parent[find(index)] = find(owner[point])
            else:
                owner[point] = index
    groups: dict[int, list[BBox]] = defaultdict(list)
    for index, cell in enumerate(cells):
        groups[find(index)].append(cell)
    tables = [
        group
        for group in groups.values()
        if len({cell[0] for cell in group}) >= 2 and len({cell[2] for cell in group}) >= 2
    ]
    return sorted(tables, key=lambda group: min((c[1], c[0]) for c in group))
