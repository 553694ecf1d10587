"""PDFs with known content, generated for tests and benchmarks."""

import random
from pathlib import Path

import pymupdf

WORDS = [
    "greenhouse",
    "ledger",
    "harvest",
    "orchard",
    "invoice",
    "receipt",
    "ventilation",
    "seedling",
    "trellis",
    "compost",
    "irrigation",
    "season",
    "tomato",
    "cucumber",
    "basil",
    "pepper",
    "shipment",
    "quarterly",
    "revenue",
    "warehouse",
    "pallet",
    "humidity",
    "sensor",
    "firmware",
    "calibration",
    "temperature",
    "schedule",
    "contract",
    "signature",
    "approval",
]

TABLE_HEADER = ["Item", "Quantity", "Price"]
TABLE_ROWS = [
    ["Tomato seeds", "12", "4.50"],
    ["Trellis net", "3", "19.90"],
    ["Compost", "40", "2.25"],
]


def page_sentence(page_number: int, words: int = 8) -> str:
    """A deterministic sentence unique to a page number."""
    rng = random.Random(page_number)
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return f"Page {page_number} says {body}."


def page_lines(page_number: int, lines: int = 3) -> list[str]:
    """The known lines written on page `page_number`."""
    return [page_sentence(page_number * 100 + i) for i in range(lines)]


def make_text_pdf(
    path: Path,
    pages: int,
    *,
    lines_per_page: int = 3,
    table_on_page: int | None = None,
    rotated_page: int | None = None,
    table_on_every_page: bool = False,
) -> list[list[str]]:
    """Write a native-text PDF; returns the lines of each page (1-based page i at index i-1)."""
    document = pymupdf.open()
    written: list[list[str]] = []
    for number in range(1, pages + 1):
        page = document.new_page(width=612, height=792)
        lines = page_lines(number, lines_per_page)
        for index, line in enumerate(lines):
            page.insert_text((72, 90 + 28 * index), line, fontsize=11, fontname="helv")
        if number == table_on_page or table_on_every_page:
            draw_table(page, top=300)
        if number == rotated_page:
            page.set_rotation(90)
        written.append(lines)
    document.save(path, garbage=3, deflate=True)
    document.close()
    return written


def draw_table(page: pymupdf.Page, top: float) -> None:
    """A ruled 4x3 table with TABLE_HEADER and TABLE_ROWS."""
    left, col_width, row_height = 72.0, 150.0, 24.0
    rows = [TABLE_HEADER, *TABLE_ROWS]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            rect = pymupdf.Rect(
                left + c * col_width,
                top + r * row_height,
                left + (c + 1) * col_width,
                top + (r + 1) * row_height,
            )
            page.draw_rect(rect, color=(0, 0, 0), width=0.8)
            page.insert_text((rect.x0 + 6, rect.y1 - 8), value, fontsize=10, fontname="helv")


def make_two_column_pdf(path: Path) -> tuple[list[str], list[str]]:
    """A page with a left and a right column of several lines each; returns both columns."""
    left = [f"Left column line {i} about {WORDS[i]}" for i in range(8)]
    right = [f"Right column line {i} about {WORDS[-i - 1]}" for i in range(8)]
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        page.insert_text((54, 100 + 40 * i), a, fontsize=10)
        page.insert_text((330, 100 + 40 * i), b, fontsize=10)
    document.save(path)
    document.close()
    return left, right


def make_encrypted_pdf(path: Path) -> None:
    """A PDF that needs a user password."""
    document = pymupdf.open()
    document.new_page().insert_text((72, 72), "a secret page")
    document.save(
        path,
        encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]
        user_pw="user-secret",
        owner_pw="owner",
    )
    document.close()


def make_truncated_pdf(path: Path, keep_fraction: float = 0.3) -> None:
    """A PDF cut short so that no page tree can be recovered."""
    source = path.with_suffix(".full.pdf")
    make_text_pdf(source, 10)
    data = source.read_bytes()
    source.unlink()
    path.write_bytes(data[: int(len(data) * keep_fraction)])


def make_damaged_pdf(path: Path, keep_fraction: float = 0.6) -> None:
    """A PDF cut short so that the first pages survive repair and the last ones are lost."""
    document = pymupdf.open()
    for number in range(1, 11):
        page = document.new_page()
        page.insert_text((72, 72), f"Surviving text of page {number} " * 3)
    data = document.tobytes(garbage=3, deflate=True)
    document.close()
    path.write_bytes(data[: int(len(data) * keep_fraction)])
