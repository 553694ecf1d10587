"""Grounding answered values in the page's words."""

from pipeline.model.grounding import Word, ground_fields, words_in_rows


def _line(y: float, *texts: str) -> list[Word]:
    words, x = [], 10.0
    for text in texts:
        words.append(Word(x, y, x + 10 * len(text), y + 10, text, line=int(y)))
        x += 10 * len(text) + 5
    return words


WORDS = [
    *_line(0, "Invoice", "INV-1001,"),
    *_line(20, "ACME", "Widgets", "Ltd."),
    *_line(40, "Date:", "31/01/2024"),
    *_line(60, "Qty", "2", "10.00"),
    *_line(80, "Total", "$", "1,234.50"),
    *_line(100, "Paid", "Jan", "5,", "2024"),
    *_line(120, "Net", "1.234,50", "EUR"),
]


def test_values_are_found_with_their_boxes() -> None:
    fields = {
        "number": "inv-1001",
        "vendor": "ACME   widgets ltd",
        "date": "2024-01-31",
        "paid": "2024-01-05",
        "total": 1234.5,
        "items": [{"qty": 2, "price": 10}],
        "missing": "Globex",
        "flag": True,
        "nothing": None,
    }
    found = ground_fields(fields, WORDS)
    assert found == {
        "/number": [85.0, 0.0, 175.0, 10.0],
        "/vendor": [10.0, 20.0, 170.0, 30.0],
        "/date": [65.0, 40.0, 165.0, 50.0],
        "/paid": [55.0, 100.0, 155.0, 110.0],
        "/total": [65.0, 80.0, 160.0, 90.0],
        "/items/0/qty": [45.0, 60.0, 55.0, 70.0],
        "/items/0/price": [60.0, 60.0, 110.0, 70.0],
    }


def test_two_numbers_side_by_side_are_not_read_as_one() -> None:
    assert ground_fields({"n": 210}, WORDS) == {}


def test_a_page_without_words_grounds_nothing() -> None:
    assert ground_fields({"a": "x"}, []) == {}


def test_a_repeated_value_is_placed_on_the_line_naming_its_key() -> None:
    words = [*_line(0, "Compost", "x", "3", "19.95"), *_line(20, "Page", "subtotal", "19.95")]
    found = ground_fields({"amount": 19.95, "page_subtotal": 19.95}, words)
    assert found == {
        "/amount": [115.0, 0.0, 165.0, 10.0],
        "/page_subtotal": [140.0, 20.0, 190.0, 30.0],
    }


def test_words_drawn_apart_on_one_row_share_it() -> None:
    words = words_in_rows(
        [
            (60, 100, 90, 114, "Page"),
            (95, 100, 150, 114, "subtotal"),
            (60, 125, 110, 139, "Invoice"),
            (420, 100.5, 460, 114.5, "19.95"),  # drawn after the next row, by another call
        ]
    )
    assert [word.line for word in words] == [0, 0, 1, 0]


def test_dot_leaders_do_not_break_a_phrase() -> None:
    words = _line(0, "Human", "resources", "example", ".", ".", ".", "22")
    found = ground_fields({"entry": "Human resources example . . . 22"}, words)
    assert found == {"/entry": [10.0, 0.0, 300.0, 10.0]}
