"""Multi-page invoices with known values: line items split across pages, a page subtotal on
every page, the total on the last page."""

from dataclasses import dataclass
from pathlib import Path

import pymupdf

FONT_SIZE = 14
LEFT, AMOUNT_X = 60, 420


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: int
    amount: float


@dataclass(frozen=True)
class InvoicePage:
    currency: str
    items: tuple[LineItem, ...]

    @property
    def subtotal(self) -> float:
        return round(sum(item.amount for item in self.items), 2)


def make_invoice_pdf(path: Path, number: str, pages: list[InvoicePage]) -> None:
    """One page per `InvoicePage`: the number, the currency, its line items and subtotal; the
    last page also prints the total of every page."""
    document = pymupdf.open()
    total = round(sum(page.subtotal for page in pages), 2)
    for index, content in enumerate(pages):
        page = document.new_page(width=612, height=792)
        y = 80.0
        y = _line(page, y, f"Invoice {number}", f"Page {index + 1}/{len(pages)}")
        y = _line(page, y + 6, f"Currency {content.currency}", "")
        y += 18
        for item in content.items:
            y = _line(page, y, f"{item.description} x {item.quantity}", f"{item.amount:.2f}")
        y = _line(page, y + 12, "Page subtotal", f"{content.subtotal:.2f}")
        if index == len(pages) - 1:
            _line(page, y + 12, "Invoice total", f"{total:.2f}")
    document.save(path)
    document.close()


def _line(page: pymupdf.Page, y: float, left: str, right: str) -> float:
    page.insert_text((LEFT, y), left, fontsize=FONT_SIZE, fontname="helv")
    if right:
        page.insert_text((AMOUNT_X, y), right, fontsize=FONT_SIZE, fontname="helv")
    return y + FONT_SIZE * 1.8
