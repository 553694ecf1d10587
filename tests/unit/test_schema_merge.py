"""Merging pages' schema answers into the document's, by the schema's rules."""

from typing import Any

import pytest

from pipeline.assemble.schema_merge import PageAnswer, merge_answers
from schemas.merge_rules import (
    MERGE_KEYWORD,
    find_merge_rule_problems,
    strip_merge_rules,
)

INVOICE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "currency": {"type": ["string", "null"], MERGE_KEYWORD: "agree"},
        "vendor": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "city": {"type": ["string", "null"]}},
        },
        "line_items": {
            "type": "array",
            "items": {"$ref": "#/$defs/item"},
        },
        "subtotal": {"type": "number", MERGE_KEYWORD: "sum"},
        "total": {"type": ["number", "null"], MERGE_KEYWORD: "last"},
        "notes": {"type": ["string", "null"], MERGE_KEYWORD: "first"},
        "largest": {"type": "integer", MERGE_KEYWORD: "max"},
    },
    "$defs": {
        "item": {
            "type": "object",
            "properties": {"description": {"type": "string"}, "amount": {"type": "number"}},
        }
    },
}


def _page(page: int, fields: dict[str, Any] | None, **grounding: list[float]) -> PageAnswer:
    return PageAnswer(page, fields, {k.replace("__", "/"): v for k, v in grounding.items()})


def test_pages_merge_by_rule_with_provenance() -> None:
    one = {
        "invoice_number": "INV-7",
        "currency": "EUR",
        "vendor": {"name": "ACME  Ltd", "city": None},
        "line_items": [{"description": "Bolts", "amount": 10.1}],
        "subtotal": 10.1,
        "total": None,
        "notes": None,
        "largest": 3,
    }
    two = {
        "invoice_number": "INV-7",
        "currency": None,
        "vendor": {"name": "ACME Ltd", "city": "Oslo"},
        "line_items": [
            {"description": "Nuts", "amount": 20.2},
            {"description": "Gears", "amount": 5},
        ],
        "subtotal": 25.2,
        "total": 35.3,
        "notes": "net 30",
        "largest": 9,
    }
    merged = merge_answers(
        INVOICE,
        [
            _page(1, one, __invoice_number=[1, 2, 3, 4]),
            _page(2, None),
            _page(3, two, __line_items__1__amount=[5, 6, 7, 8], __total=[9, 9, 9, 9]),
        ],
    )
    assert merged.fields == {
        "invoice_number": "INV-7",
        "currency": "EUR",
        "vendor": {"name": "ACME  Ltd", "city": "Oslo"},
        "line_items": [
            {"description": "Bolts", "amount": 10.1},
            {"description": "Nuts", "amount": 20.2},
            {"description": "Gears", "amount": 5},
        ],
        "subtotal": 35.3,
        "total": 35.3,
        "notes": "net 30",
        "largest": 9,
    }
    assert merged.conflicts == []
    provenance = merged.provenance
    assert provenance["/invoice_number"] == [
        {"page": 1, "bbox": [1, 2, 3, 4]},
        {"page": 3},
    ]
    assert provenance["/line_items/0/amount"] == [{"page": 1}]
    assert provenance["/line_items/2/amount"] == [{"page": 3, "bbox": [5, 6, 7, 8]}]
    assert provenance["/subtotal"] == [{"page": 1}, {"page": 3}]
    assert provenance["/total"] == [{"page": 3, "bbox": [9, 9, 9, 9]}]
    assert provenance["/vendor/city"] == [{"page": 3}]
    assert provenance["/largest"] == [{"page": 3}]
    assert "/currency" in provenance and "/notes" in provenance
    assert len(provenance) == 14


def test_disagreeing_pages_are_a_conflict_never_an_overwrite() -> None:
    merged = merge_answers(
        INVOICE,
        [
            _page(1, {"currency": "EUR", "invoice_number": "A"}),
            _page(2, {"currency": "USD", "invoice_number": "A"}),
            _page(3, {"currency": "EUR", "invoice_number": "A"}),
        ],
    )
    assert merged.fields["currency"] is None
    assert merged.fields["invoice_number"] == "A"
    assert merged.conflicts == [
        {
            "path": "/currency",
            "rule": "agree",
            "values": [
                {"value": "EUR", "page": 1},
                {"value": "USD", "page": 2},
                {"value": "EUR", "page": 3},
            ],
        }
    ]
    assert "/currency" not in merged.provenance


def test_no_answer_gives_every_property_as_null() -> None:
    merged = merge_answers(INVOICE, [_page(1, None)])
    assert merged.fields == dict.fromkeys(INVOICE["properties"])
    assert merged.provenance == {} and merged.conflicts == []


def test_frames_name_their_seconds() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    merged = merge_answers(
        schema,
        [PageAnswer(1, {"title": "Intro"}, {"/title": [0, 0, 1, 1]}, seconds=12.5)],
    )
    assert merged.provenance == {"/title": [{"start_seconds": 12.5, "end_seconds": 12.5}]}


def test_the_model_never_sees_the_merge_keyword() -> None:
    stripped = strip_merge_rules(INVOICE)
    assert MERGE_KEYWORD not in str(stripped)
    assert stripped["properties"]["subtotal"] == {"type": "number"}
    assert list(stripped) == list(INVOICE)
    named = {"type": "object", "properties": {MERGE_KEYWORD: {"type": "string"}}}
    assert strip_merge_rules(named) == named  # a property may be called that


@pytest.mark.parametrize(
    ("node", "problem"),
    [
        ({"type": "string", MERGE_KEYWORD: "sum"}, "needs a number or integer, not string"),
        ({"type": "number", MERGE_KEYWORD: "concat"}, "needs an array, not number"),
        ({"type": "number", MERGE_KEYWORD: "average"}, "must be one of agree, first"),
        ({"type": "number", MERGE_KEYWORD: 3}, "must be one of"),
    ],
)
def test_misused_rules_are_refused(node: dict[str, Any], problem: str) -> None:
    schema = {"type": "object", "properties": {"x": node}}
    (found,) = find_merge_rule_problems(schema)
    assert found.startswith("#/properties/x: ") and problem in found


def test_valid_rules_pass() -> None:
    assert find_merge_rule_problems(INVOICE) == []
