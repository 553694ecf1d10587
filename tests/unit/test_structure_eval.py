"""The structure evaluation's scorer on small hand-made outputs (no corpus, no engines)."""

from pathlib import Path
from typing import Any

import pytest

from eval.structure_checks import Check, PageOutput, load_checks, parse_check, passes
from eval.structure_eval import EngineScore, score_engine
from eval.structure_tables import tables_in
from eval.structure_text import best_substring_match, body_text, normalise

SENTENCE = "The committee met on twelve February to review the winter water budget of the farm."


def check(kind: str, **fields: Any) -> Check:
    return parse_check({"pdf": "generated:test", "page": 1, "kind": kind, **fields}, "test")


def holds(item: Check, output: str, others: tuple[Check, ...] = ()) -> bool:
    return passes(item, PageOutput.of(output), (item, *others))


def test_normalise_folds_ligatures_accents_markdown_and_spaces() -> None:
    decomposed = "Mina\u0301c\u030c"
    output = f"**\ufb01ne**  _cafe_\n{decomposed} \\[1\\] [link](http://x)"
    assert normalise(output) == "fine cafe Min\u00e1\u010d [1] link"


def test_body_text_drops_markdown_structure() -> None:
    output = "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- item one\n2. second"
    assert body_text(output) == "Title a b 1 2 item one 2. second"


def test_best_substring_match_reports_distance_and_span() -> None:
    match = best_substring_match("water budget", "review the winter watr budget now")
    assert match is not None
    assert (match.distance, match.start, match.end) == (1, 18, 29)


def test_present_allows_two_typos() -> None:
    typos = SENTENCE.replace("committee", "comittee").replace("winter", "wintr")
    assert holds(check("present", text=SENTENCE), f"Minutes\n\n{typos}\n")


def test_present_fails_with_twenty_edits() -> None:
    garbled = "".join("#" if i % 4 == 0 and i < 80 else c for i, c in enumerate(SENTENCE))
    assert garbled.count("#") == 20
    assert not holds(check("present", text=SENTENCE), garbled)


def test_present_fails_on_lost_spaces() -> None:
    squeezed = "Figure2:CompositionoftheharvestsampleforWestland"
    text = "Figure 2: Composition of the harvest sample for Westland"
    assert not holds(check("present", text=text), squeezed)
    assert holds(check("present", text=text), text.replace(" ", "  "))


def test_present_with_max_edits_zero_catches_a_broken_word() -> None:
    item = check("present", text="measurements are irretrievably gone", max_edits=0)
    assert not holds(item, "the measurements are irretrie- vably gone")
    assert holds(item, "the measurements are irretrievably gone")


def test_absent_is_exact_and_line_mode_matches_whole_lines() -> None:
    banner = check("absent", text="Downloaded from https://example.org on 3 March 2026")
    assert not holds(banner, "Body text.\nDownloaded from https://example.org on 3 March 2026\n")
    assert holds(banner, "Body text only.")
    page_number = check("absent", text="17", line=True)
    assert not holds(page_number, "Some text about 17 plants.\n\n17\n")
    assert holds(page_number, "Some text about 17 plants.\n")


def test_order_passes_in_reading_order_and_fails_reversed() -> None:
    item = check("order", before="first column ends here", after="second column starts here")
    assert holds(item, "first column ends here. Then second column starts here.")
    assert not holds(item, "second column starts here. Then first column ends here.")
    assert not holds(item, "first column ends here only.")


MARKDOWN_TABLE = """
| Region | 2025 | 2026 |
|---|---|---|
| Westland | 41.2 | 44.8 |
| Almeria | 27.5 | 29.1 |
"""

HTML_TABLE = """
<table>
<tr><th rowspan="2">Region</th><th colspan="2">Yield (t/ha)</th></tr>
<tr><th>2025</th><th>2026</th></tr>
<tr><td rowspan="2">South</td><td>27.5</td><td>29.1</td></tr>
<tr><td>30.2</td><td>31.0</td></tr>
</table>
"""


@pytest.mark.parametrize(
    ("cell", "direction", "neighbour", "expected"),
    [
        ("41.2", "right", "44.8", True),
        ("41.2", "left", "Westland", True),
        ("27.5", "up", "41.2", True),
        ("41.2", "down", "27.5", True),
        ("29.1", "header", "2026", True),
        ("41.2", "right", "Westland", False),
        ("27.5", "header", "2026", False),
    ],
)
def test_neighbour_in_markdown_table(
    cell: str, direction: str, neighbour: str, expected: bool
) -> None:
    item = check("neighbour", cell=cell, direction=direction, neighbour=neighbour)
    assert holds(item, MARKDOWN_TABLE) is expected


@pytest.mark.parametrize(
    ("cell", "direction", "neighbour", "expected"),
    [
        ("30.2", "left", "South", True),  # through the rowspan
        ("31.0", "header", "Yield (t/ha)", True),  # through the colspan
        ("2026", "left", "2025", True),
        ("2025", "up", "Yield (t/ha)", True),
        ("South", "up", "Region", True),  # the spanned header covers two rows
        ("30.2", "up", "27.5", True),
        ("30.2", "left", "Region", False),
    ],
)
def test_neighbour_in_html_table_with_merged_cells(
    cell: str, direction: str, neighbour: str, expected: bool
) -> None:
    item = check("neighbour", cell=cell, direction=direction, neighbour=neighbour)
    assert holds(item, HTML_TABLE) is expected


def test_pipe_rows_keep_empty_edge_cells() -> None:
    output = "|| 2025 | 2026 |\n|---|---|---|\n| Westland | 41.2 | 44.8 |\n||| 29.1 |\n"
    [grid] = tables_in(output)
    assert [[slot.text for slot in row] for row in grid.rows] == [
        ["", "2025", "2026"],
        ["Westland", "41.2", "44.8"],
        ["", "", "29.1"],
    ]
    assert holds(check("neighbour", cell="29.1", direction="header", neighbour="2026"), output)


def test_header_split_over_two_rows_is_read_top_to_bottom() -> None:
    output = "| Inference | mAP |\n|---|---|\n| time (secs) | (0.75) |\n| 2.73 | 0.88 |\n"
    split = check("neighbour", cell="0.88", direction="header", neighbour="mAP (0.75)")
    assert holds(split, output)
    wrong_column = check("neighbour", cell="2.73", direction="header", neighbour="mAP (0.75)")
    assert not holds(wrong_column, output)


def test_html_grid_expands_spans() -> None:
    [grid] = tables_in(HTML_TABLE)
    texts = [[slot.text for slot in row] for row in grid.rows]
    assert texts == [
        ["Region", "Yield (t/ha)", "Yield (t/ha)"],
        ["Region", "2025", "2026"],
        ["South", "27.5", "29.1"],
        ["South", "30.2", "31.0"],
    ]


def test_neighbour_in_tab_and_space_separated_text() -> None:
    output = "Prose line.\nItem\tQty\tPrice\nSeeds\t12\t4.50\nNet    3    19.90\n"
    assert holds(check("neighbour", cell="12", direction="header", neighbour="Qty"), output)
    assert holds(check("neighbour", cell="19.90", direction="left", neighbour="3"), output)
    one_cell_per_line = "Item\nQty\nSeeds\n12\n"
    assert not holds(
        check("neighbour", cell="12", direction="header", neighbour="Qty"), one_cell_per_line
    )


def test_heading_must_be_a_hash_line_ranked_like_the_checks() -> None:
    title = check("heading", text="Seasonal Yield", level=1)
    section = check("heading", text="1 Introduction", level=2)
    both = (title, section)
    assert holds(section, "# **Seasonal Yield**\n\n## 1 Introduction\n", both)
    assert holds(section, "## Seasonal Yield\n\n#### 1 Introduction\n", both)
    assert not holds(section, "## Seasonal Yield\n\n## 1 Introduction\n", both)
    assert not holds(section, "### Seasonal Yield\n\n## 1 Introduction\n", both)
    assert not holds(section, "Seasonal Yield\n\n1 Introduction\n", both)
    assert holds(section, "Seasonal Yield\n\n### 1 Introduction\n", both)


def test_parse_check_rejects_unknown_kinds_and_directions() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        parse_check({"pdf": "x", "page": 1, "kind": "font"}, "t")
    with pytest.raises(ValueError, match="unknown direction"):
        check("neighbour", cell="a", direction="diagonal", neighbour="b")
    with pytest.raises(ValueError, match="integer 'level'"):
        check("heading", text="Intro")


def test_score_engine_counts_per_kind(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"pdf": "generated:x", "page": 1, "kind": "present", "text": "alpha beta gamma"}\n'
        '{"pdf": "generated:x", "page": 1, "kind": "absent", "text": "Page 1 of 9"}\n'
        '{"pdf": "generated:x", "page": 2, "kind": "present", "text": "delta epsilon"}\n',
        encoding="utf-8",
    )
    checks = load_checks(tmp_path)
    outputs = {("generated:x", 1): "alpha beta gamma\nPage 1 of 9", ("generated:x", 2): ""}
    score: EngineScore = score_engine("fake", checks, outputs, 0.0)
    assert (score.passed["present"], score.total["present"]) == (1, 2)
    assert (score.passed["absent"], score.total["absent"]) == (0, 1)
    assert round(score.rate(), 1) == 33.3
