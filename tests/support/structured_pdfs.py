"""Generated PDFs whose structure is known: headings at three levels, lists, a figure with its
caption, two columns, running headers and footers, banners, accents drawn as separate glyphs,
a text layer without spaces, and an invisible OCR layer written in scrambled order."""

import random
from collections.abc import Sequence
from pathlib import Path

import pymupdf

__all__ = [
    "ACCENT_FONT",
    "ARXIV_STAMP",
    "BANNER",
    "FOOTNOTE",
    "RUNNING_HEADER",
    "make_accents_pdf",
    "make_banner_page_pdf",
    "make_book_pdf",
    "make_cjk_sections_pdf",
    "make_footnote_pdf",
    "make_ocr_layer_pdf",
    "make_outlined_pdf",
    "make_run_together_pdf",
    "make_running_furniture_pdf",
    "make_sections_pdf",
    "make_tab_stop_list_pdf",
    "make_two_column_structured_pdf",
]

ACCENT_FONT = "cjk"
"""MuPDF's built-in Droid Sans Fallback: it has the spacing accents, combining marks and
ligature glyphs the Base-14 fonts lack."""

_BODY = 11.0
_LEADING = 14.0


def _write_lines(
    page: pymupdf.Page,
    x: float,
    y: float,
    lines: Sequence[str],
    *,
    size: float = _BODY,
    font: str = "helv",
) -> float:
    """Write lines one below the other from baseline `y`; returns the next free baseline."""
    for line in lines:
        page.insert_text((x, y), line, fontsize=size, fontname=font)
        y += _LEADING if size <= _BODY else size * 1.3
    return y


def _grey_pixmap(width: int, height: int) -> pymupdf.Pixmap:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    pixmap.clear_with(200)
    return pixmap


def make_sections_pdf(path: Path) -> None:
    """One page: a title, sections at three levels (16 pt, 13 pt, bold 11 pt), paragraphs (one
    with words broken at line ends), a bulleted list with a nested item, a numbered list and
    a figure with its caption (a bold label, then the text on the same line)."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font(ACCENT_FONT).buffer)
    y = _write_lines(page, 72, 80, ["Growing Under Glass"], size=24, font="hebo")
    y = _write_lines(page, 72, y + 12, ["1 Introduction"], size=16, font="hebo")
    y = _write_lines(
        page,
        72,
        y + 4,
        [
            "Records kept in the archive are irretrie-",
            "vably lost once deleted; the state-of-the-",
            "art design lets the teams co-",
            "operate, and co-operate is how the guide spells it.",
        ],
    )
    y = _write_lines(page, 72, y + 10, ["1.1 Background"], size=13, font="hebo")
    y = _write_lines(page, 72, y + 4, ["Glasshouses keep the heat of the sun inside."])
    y = _write_lines(page, 72, y + 10, ["Watering schedule"], font="hebo")
    y = _write_lines(page, 72, y + 4, ["The plants are watered twice a day."])
    y += 10
    for marker, x, text in [
        ("\u2022", 80, "Tomatoes need warmth"),
        ("\u2022", 96, "and a lot of light"),
        ("\u2022", 80, "Lettuce prefers shade"),
    ]:
        page.insert_text((x, y), marker, fontsize=_BODY, fontname="F0")
        page.insert_text((x + 10, y), text, fontsize=_BODY, fontname="helv")
        y += _LEADING
    y = _write_lines(page, 80, y + 10, ["1. Sow the seeds", "2. Water the trays"])
    figure = pymupdf.Rect(72, y + 10, 272, y + 110)
    page.insert_image(figure, pixmap=_grey_pixmap(40, 20))
    label = "Figure 1:"
    page.insert_text((72, figure.y1 + 16), label, fontsize=9, fontname="hebo")
    after = 72 + pymupdf.get_text_length(label, fontname="hebo", fontsize=9) + 9
    page.insert_text((after, figure.y1 + 16), "Seedlings under glass.", fontsize=9, fontname="helv")
    document.save(path)
    document.close()


TWO_COLUMN_LEFT = (
    ("The left column starts with its first", "paragraph, written over two lines."),
    ("Its second paragraph follows after", "a gap and also takes two lines."),
)
TWO_COLUMN_RIGHT = (
    ("The right column is read only after", "the whole left column is done."),
    ("Its last paragraph closes the page", "with two more lines of text."),
)


def make_two_column_structured_pdf(path: Path) -> None:
    """A full-width heading over two columns of two paragraphs each."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    _write_lines(page, 72, 80, ["Two Columns of Notes"], size=18, font="hebo")
    for x, column in ((72, TWO_COLUMN_LEFT), (320, TWO_COLUMN_RIGHT)):
        y = 130.0
        for paragraph in column:
            y = _write_lines(page, x, y, paragraph) + 12
    document.save(path)
    document.close()


RUNNING_HEADER = "Greenhouse Quarterly Report"


def make_running_furniture_pdf(path: Path, pages: int = 3, rotation: int = 0) -> None:
    """Pages with the same running header, a `Page N of M` footer and their own body text
    (displayed turned by `rotation` degrees)."""
    document = pymupdf.open()
    for number in range(1, pages + 1):
        page = document.new_page(width=612, height=792)
        page.insert_text((72, 72), RUNNING_HEADER, fontsize=9, fontname="helv")
        page.insert_text((270, 765), f"Page {number} of {pages}", fontsize=9, fontname="helv")
        _write_lines(page, 72, 110, [f"Body text of page {number} talks about crop {number}."])
        page.set_rotation(rotation)
    document.save(path)
    document.close()


BANNER = "Downloaded from https://example.org/archive on 1 May 2026"
ARXIV_STAMP = "arXiv:2605.01234v1 [cs.CL] 1 May 2026"


def make_banner_page_pdf(path: Path) -> None:
    """A one-page document with a download banner at the top, a bare page number below and an
    arXiv stamp set vertically in the left margin."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    page.insert_text((72, 30), BANNER, fontsize=8, fontname="helv")
    _write_lines(page, 72, 110, ["A single page about orchids."])
    page.insert_text((300, 770), "7", fontsize=9, fontname="helv")
    page.insert_text((30, 500), ARXIV_STAMP, fontsize=10, fontname="helv", rotate=90)
    document.save(path)
    document.close()


def make_accents_pdf(path: Path) -> None:
    """Accents drawn as separate glyphs over their letters (`J\u00b4an Min\u00b4a\u02c7c`, as
    TeX writes them), a combining acute after its letter, ligature glyphs and a drop cap."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    font = pymupdf.Font(ACCENT_FONT)
    page.insert_font(fontname="F0", fontbuffer=font.buffer)
    x, y = 72.0, 100.0
    for letter, accent in [
        ("J", None), ("a", "\u00b4"), ("n", None), (" ", None),
        ("M", None), ("i", None), ("n", None), ("a", "\u00b4"), ("c", "\u02c7"),
        (" ", None), ("w", None), ("r", None), ("o", None), ("t", None), ("e", None),
    ]:  # fmt: skip
        if accent is not None:
            offset = (font.text_length(letter, _BODY) - font.text_length(accent, _BODY)) / 2
            page.insert_text((x + offset, y - 1), accent, fontsize=_BODY, fontname="F0")
        page.insert_text((x, y), letter, fontsize=_BODY, fontname="F0")
        x += font.text_length(letter, _BODY)
    page.insert_text((72, 140), "Cafe\u0301 \ufb01nal o\ufb03ce", fontsize=_BODY, fontname="F0")
    page.insert_text((72, 210), "G", fontsize=40, fontname="helv")
    _write_lines(page, 106, 182, ["reen plants grow towards", "the light of the window."])
    document.save(path)
    document.close()


RUN_TOGETHER_WORDS = ("Composition", "of", "the", "pretraining", "data", "for", "the", "model")


def make_run_together_pdf(path: Path) -> None:
    """A line whose words are placed with small gaps and no space characters (MuPDF inserts
    none below about 0.15 of the font size)."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    x = 72.0
    for word in RUN_TOGETHER_WORDS:
        page.insert_text((x, 100), word, fontsize=_BODY, fontname="helv")
        x += pymupdf.get_text_length(word, fontname="helv", fontsize=_BODY) + 1.3
    _write_lines(page, 72, 140, ["A normal line follows it."])
    document.save(path)
    document.close()


OCR_PARAGRAPHS = (
    (
        "Invoice 4711 covers the spring delivery of seedlings",
        "shipped to the northern greenhouse on the first of May",
        "together with forty bags of soil and two rolls of fleece",
        "packed on pallets and checked by the receiving team",
    ),
    (
        "The total amount due for this delivery is 1200 euros",
        "payable within thirty days to the account shown below",
        "quoting the invoice number and the customer reference",
        "late payments are charged interest at the legal rate",
    ),
)


def make_ocr_layer_pdf(path: Path, seed: int = 7) -> None:
    """A scanned page (an image over the whole page) with an invisible text layer whose words
    are written in scrambled order, as OCR tools emit them."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    page.insert_image(page.rect, pixmap=_grey_pixmap(100, 130))
    words: list[tuple[float, float, str]] = []
    y = 120.0
    for paragraph in OCR_PARAGRAPHS:
        for line in paragraph:
            x = 72.0
            for word in line.split():
                words.append((x, y, word))
                x += pymupdf.get_text_length(word + " ", fontname="helv", fontsize=12)
            y += 16
        y += 30
    random.Random(seed).shuffle(words)
    for x, y, word in words:
        page.insert_text((x, y), word, fontsize=12, fontname="helv", render_mode=3)
    document.save(path)
    document.close()


def make_outlined_pdf(path: Path) -> None:
    """Headings all set in bold body type (fonts cannot rank them) and an outline (bookmarks)
    that gives their levels; one outline entry names a line set as plain text."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    y = _write_lines(page, 72, 80, ["Scope"], font="hebo")
    y = _write_lines(page, 72, y + 4, ["This standard covers glasshouses."])
    y = _write_lines(page, 72, y + 10, ["Terms used"], font="hebo")
    y = _write_lines(page, 72, y + 4, ["A bay is the space between two trusses."])
    y = _write_lines(page, 72, y + 10, ["Annex"])
    _write_lines(page, 72, y + 4, ["The annex lists the suppliers."])
    document.set_toc([[1, "Scope", 1], [2, "Terms used", 1], [1, "Annex", 1]])
    document.save(path)
    document.close()


FOOTNOTE = "1 The survey ran from May to June."


def make_footnote_pdf(path: Path) -> None:
    """Body text with a note mark and, at the foot of the page in small type, its footnote."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    _write_lines(page, 72, 100, ["Most growers water by hand.1"])
    page.insert_text((72, 700), FOOTNOTE, fontsize=8, fontname="helv")
    document.save(path)
    document.close()


def make_tab_stop_list_pdf(path: Path) -> None:
    """A bulleted list as word processors lay it out: each bullet alone at its tab stop, the
    item's text further right, wrapped onto a second line; one item opens with a bold lead-in
    that runs on into plain text."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font(ACCENT_FONT).buffer)
    y = 100.0
    for lead, rest in [
        ("Glass:", "lets the light in and keeps the warmth of the day inside the house"),
        ("", "Vents let the hot air out on summer afternoons when the sun is high"),
    ]:
        page.insert_text((90, y), "\u2022", fontsize=_BODY, fontname="F0")
        x = 108.0
        words = rest.split()
        if lead:
            page.insert_text((x, y), lead, fontsize=_BODY, fontname="hebo")
            x += pymupdf.get_text_length(lead + " ", fontname="hebo", fontsize=_BODY)
        first, second = " ".join(words[:7]), " ".join(words[7:])
        page.insert_text((x, y), first, fontsize=_BODY, fontname="helv")
        page.insert_text((108, y + _LEADING), second, fontsize=_BODY, fontname="helv")
        y += 2 * _LEADING + 6
    document.save(path)
    document.close()


_BOOK_BODY = [
    "Glasshouses keep the heat of the day for the night.",
    "Vents open when the air inside grows too warm.",
]


def make_book_pdf(path: Path) -> None:
    """Nine pages: a cover with the title (30 pt), a title page repeating it, a preface page
    whose 20 pt `Preface` and 14 pt `Authors` are the only headings of their page and 20 pt
    is used nowhere else, numbered sections (14 pt, 12 pt) on the body pages and a back
    cover in 26 pt display type. A sample of six pages would miss the preface page."""
    document = pymupdf.open()
    for number in range(9):
        page = document.new_page(width=612, height=792)
        if number == 0:
            _write_lines(page, 72, 200, ["Greenhouse Handbook"], size=30)
            continue
        if number == 1:
            _write_lines(page, 72, 100, ["Greenhouse Handbook"], size=30)
            _write_lines(page, 72, 300, _BOOK_BODY)
            continue
        if number == 8:
            _write_lines(page, 72, 300, ["Grow more"], size=26)
            _write_lines(page, 72, 400, _BOOK_BODY)
            continue
        if number == 3:
            y = _write_lines(page, 72, 100, ["Preface"], size=20)
            y = _write_lines(page, 72, y + 6, _BOOK_BODY * 3)
            y = _write_lines(page, 72, y + 10, ["Authors"], size=14)
            _write_lines(page, 72, y + 6, _BOOK_BODY * 3)
            continue
        y = _write_lines(page, 72, 100, [f"{number}.1 Climate"], size=14)
        y = _write_lines(page, 72, y + 6, _BOOK_BODY * 3)
        y = _write_lines(page, 72, y + 10, [f"{number}.1.1 Vents"], size=12, font="hebo")
        _write_lines(page, 72, y + 6, _BOOK_BODY * 3)
    document.save(path)
    document.close()


def make_cjk_sections_pdf(path: Path) -> None:
    """Chinese and Korean sections whose headings are body-size plain lines opening with a
    section mark (`一、`, `(一)` in full-width brackets, `제1장`, `Ⅱ.`), and a `(二)` item that
    is a sentence."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    rows = [
        ("一、总体要求", 10),
        ("温室应当保持适宜的温度和湿度\uff0c以利于作物生长。", 4),
        ("\uff08一\uff09通风管理", 10),
        ("白天气温升高时应及时打开通风口。", 4),
        ("\uff08二\uff09各地要按照要求做好温室的日常维护工作。", 10),
        ("제1장 서론", 10),
        ("온실은 작물을 기르기 위한 시설이다.", 4),
        ("Ⅱ. 연구 방법", 10),
        ("온도와 습도를 매일 기록하였다.", 4),
    ]
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font(ACCENT_FONT).buffer)
    y = 100.0
    for text, gap in rows:
        y = _write_lines(page, 72, y + gap, [text], font="F0")
    document.save(path)
    document.close()
