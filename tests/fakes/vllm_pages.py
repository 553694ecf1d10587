"""The fake vLLM's answer to a page_content request: a realistic page as typed blocks.

Written out literally (not built with the code under test): a running header, a title, a
paragraph naming what the fake received, a section with a nested list, a table with a header
row and a merged cell, its caption, a formula and a page number. It is used when the request's
schema has a `blocks` array and accepts this page; any other schema gets a generic instance.
"""

from collections.abc import Mapping
from typing import Any

from jsonschema import validators

__all__ = ["PAGE_TABLE_ROWS", "page_answer", "page_answer_fits"]

PAGE_TABLE_ROWS = [
    ["Plant", "Spring", "Autumn"],
    ["Tomato", "12", "8"],
    ["Basil", "5 all year", ""],
]
"""The table's grid as the fake writes it: the last row's second cell spans two columns."""


def page_answer(description: str) -> dict[str, Any]:
    """The page, its paragraph saying `description`."""
    table = {"header_rows": 1, "rows": PAGE_TABLE_ROWS, "spans": [[2, 1, 1, 2]]}
    return {
        "blocks": [
            {"kind": "page_header", "bbox": [80, 20, 920, 40], "text": "Greenhouse fake pages"},
            {"kind": "title", "bbox": [80, 60, 920, 110], "text": "Fake page", "level": 1},
            {"kind": "paragraph", "bbox": [80, 130, 920, 200], "text": description},
            {
                "kind": "section_header",
                "bbox": [80, 230, 500, 260],
                "text": "Seedlings",
                "level": 2,
            },
            {
                "kind": "list_item",
                "bbox": [100, 270, 900, 300],
                "text": "Water daily.",
                "marker": "•",
            },
            {
                "kind": "list_item",
                "bbox": [130, 310, 900, 340],
                "text": "Not in frost.",
                "marker": "a)",
                "depth": 1,
            },
            {"kind": "table", "bbox": [80, 370, 920, 560], "text": "", "table": table},
            {"kind": "caption", "bbox": [80, 570, 920, 600], "text": "Table 1: Seedlings."},
            {"kind": "formula", "bbox": [300, 630, 700, 680], "text": r"n = \frac{s}{t}"},
            {"kind": "page_number", "bbox": [480, 950, 520, 975], "text": "1"},
        ]
    }


def page_answer_fits(schema: Mapping[str, Any], description: str) -> bool:
    """True when `schema` asks for a `blocks` array and accepts the fake's page."""
    if "blocks" not in schema.get("properties", {}):
        return False
    validator = validators.validator_for(schema)(schema)
    return bool(validator.is_valid(page_answer(description)))
