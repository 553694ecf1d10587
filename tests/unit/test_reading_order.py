from pipeline.local.reading_order import reading_order


def test_two_columns_are_read_column_by_column() -> None:
    boxes = []
    names = []
    for row in range(4):
        boxes.append((50.0, 100.0 + 20 * row, 280.0, 112.0 + 20 * row))
        names.append(f"L{row}")
        boxes.append((320.0, 100.0 + 20 * row, 560.0, 112.0 + 20 * row))
        names.append(f"R{row}")
    assert reading_order(names, boxes) == ["L0", "L1", "L2", "L3", "R0", "R1", "R2", "R3"]


def test_full_width_title_comes_before_the_columns_and_footer_after() -> None:
    boxes = [
        (50.0, 700.0, 560.0, 712.0),  # footer
        (320.0, 100.0, 560.0, 400.0),  # right column
        (50.0, 40.0, 560.0, 60.0),  # title
        (50.0, 100.0, 280.0, 400.0),  # left column
    ]
    names = ["footer", "right", "title", "left"]
    assert reading_order(names, boxes) == ["title", "left", "right", "footer"]


def test_rows_of_a_single_column_are_top_to_bottom() -> None:
    boxes = [(50.0, 300.0, 500.0, 310.0), (50.0, 100.0, 500.0, 110.0), (50.0, 200.0, 500.0, 210.0)]
    assert reading_order(["c", "a", "b"], boxes) == ["a", "b", "c"]


def test_short_side_by_side_labels_stay_in_rows() -> None:
    # A key/value row with a gap: not tall enough to be columns, so read row by row.
    boxes = [
        (50.0, 100.0, 120.0, 110.0),
        (300.0, 100.0, 400.0, 110.0),
        (50.0, 130.0, 120.0, 140.0),
        (300.0, 130.0, 400.0, 140.0),
        (50.0, 160.0, 500.0, 400.0),
    ]
    names = ["k1", "v1", "k2", "v2", "body"]
    assert reading_order(names, boxes) == ["k1", "v1", "k2", "v2", "body"]


def test_empty_and_single() -> None:
    assert reading_order([], []) == []
    assert reading_order(["x"], [(0.0, 0.0, 1.0, 1.0)]) == ["x"]
