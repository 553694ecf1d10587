"""A schema answerer for the fake vLLM server that reads the generated invoices
(tests/support/invoices.py) from the request's image, as a model would: every value is what
OCR reads in the pixels, null where the page does not print it."""

import re
from typing import Any

from tests.fakes.page_reader import image_of_request, read_lines

_NUMBER = re.compile(r"^Invoice (?P<number>\S+) Page \d+/\d+$")
_CURRENCY = re.compile(r"^Currency (?P<currency>[A-Z]{3})$")
_ITEM = re.compile(r"^(?P<description>.+?) x (?P<quantity>\d+) (?P<amount>\d+\.\d{2})$")
_SUBTOTAL = re.compile(r"^Page subtotal (?P<amount>\d+\.\d{2})$")
_TOTAL = re.compile(r"^Invoice total (?P<amount>\d+\.\d{2})$")


def read_invoice(schema: dict[str, Any], body: Any) -> dict[str, Any] | None:
    """The invoice schema's answer for the page in the request; None for other schemas."""
    if "line_items" not in schema.get("properties", {}):
        return None
    image = image_of_request(body)
    lines = read_lines(image) if image is not None else []
    answer: dict[str, Any] = {
        "invoice_number": None,
        "currency": None,
        "line_items": [],
        "page_subtotal": None,
        "total": None,
    }
    for line in lines:
        if match := _NUMBER.match(line):
            answer["invoice_number"] = match["number"]
        elif match := _CURRENCY.match(line):
            answer["currency"] = match["currency"]
        elif match := _SUBTOTAL.match(line):
            answer["page_subtotal"] = float(match["amount"])
        elif match := _TOTAL.match(line):
            answer["total"] = float(match["amount"])
        elif match := _ITEM.match(line):
            answer["line_items"].append(
                {
                    "description": match["description"],
                    "quantity": int(match["quantity"]),
                    "amount": float(match["amount"]),
                }
            )
    return answer
