"""Prompts and schemas of the visual tier: subset-compliant, restated, convertible."""

import json

import pytest

from pipeline.model.answers import meta_schema_errors, schema_errors
from pipeline.model.prompts import (
    PAGE_CONTENT_SCHEMA,
    custom_schema_prompt,
    page_content_from_answer,
    page_content_prompt,
    restate_schema,
)
from schemas.extractions import PageContent, PageContentData, PageSize, Provenance
from schemas.json_schema_subset import find_unsupported
from tests.fakes.schema_instance import schema_instance

ANSWER = {
    "text": "Invoice 42\n\nItem  Price\nTea  3.50",
    "blocks": [
        {"text": "Invoice 42", "bbox": [100, 50, 400, 80]},
        {"text": "Footer", "bbox": [900, 980, 100, 950]},
    ],
    "tables": [
        {
            "bbox": [100, 200, 900, 400],
            "header": ["Item", "Price"],
            "rows": [["Tea", "3.50"], ["Cake", None]],
        }
    ],
}
LETTER = PageSize(width=612, height=792)


def test_the_page_content_schema_is_valid_and_inside_the_xgrammar_subset():
    assert meta_schema_errors(PAGE_CONTENT_SCHEMA) == []
    assert find_unsupported(PAGE_CONTENT_SCHEMA) == []
    assert schema_errors(ANSWER, PAGE_CONTENT_SCHEMA) == []


def test_the_page_content_schema_refuses_boxes_out_of_range_and_extra_fields():
    bad_box = ANSWER | {"blocks": [{"text": "x", "bbox": [0, 0, 1001, 5]}]}
    short_box = ANSWER | {"blocks": [{"text": "x", "bbox": [0, 0, 5]}]}
    extra = ANSWER | {"summary": "an invoice"}
    for value in (bad_box, short_box, extra):
        assert schema_errors(value, PAGE_CONTENT_SCHEMA) != []


def test_the_page_content_prompt_restates_its_schema():
    prompt = page_content_prompt()
    assert prompt.schema is PAGE_CONTENT_SCHEMA
    assert prompt.name == "page_content"
    assert prompt.instructions.endswith(restate_schema(PAGE_CONTENT_SCHEMA))
    assert "reading order" in prompt.instructions
    assert json.loads(restate_schema(PAGE_CONTENT_SCHEMA)) == PAGE_CONTENT_SCHEMA


def test_an_answer_becomes_page_content_data_in_page_units():
    data = page_content_from_answer(ANSWER, LETTER, "google/gemma-4-26B-A4B-it")
    assert data.text == ANSWER["text"]
    assert data.engine == "google/gemma-4-26B-A4B-it"
    assert [b.index for b in data.blocks] == [0, 1]
    assert data.blocks[0].bbox == pytest.approx((61.2, 39.6, 244.8, 63.36))
    assert data.blocks[1].bbox == pytest.approx((61.2, 752.4, 550.8, 776.16))  # put in order
    (table,) = data.tables
    assert (table.n_rows, table.n_cols) == (3, 2)
    assert table.header == ["Item", "Price"]
    assert table.rows == [["Item", "Price"], ["Tea", "3.50"], ["Cake", None]]
    assert [(c.row, c.col, c.text) for c in table.cells][-2:] == [(2, 0, "Cake"), (2, 1, None)]
    page = PageContent(data=data, provenance=Provenance(page_number=1, bbox=(0, 0, 612, 792)))
    assert PageContentData.model_validate(page.model_dump()["data"]) == data


def test_an_empty_page_and_a_headerless_table_convert():
    answer = {
        "text": "",
        "blocks": [],
        "tables": [{"bbox": [0, 0, 10, 10], "header": [], "rows": []}],
    }
    data = page_content_from_answer(answer, PageSize(width=800, height=600, unit="px"), "m")
    (table,) = data.tables
    assert (table.n_rows, table.n_cols, table.rows, table.cells) == (0, 0, [], [])
    assert table.bbox == (0.0, 0.0, 8.0, 6.0)


def test_a_server_generated_instance_converts():
    instance = schema_instance(PAGE_CONTENT_SCHEMA, "fake page")
    assert schema_errors(instance, PAGE_CONTENT_SCHEMA) == []
    data = page_content_from_answer(instance, LETTER, "m")
    assert data.text == "fake page"


def test_a_custom_schema_prompt_restates_the_users_schema_and_description():
    schema = {
        "type": "object",
        "properties": {"total": {"type": "number"}, "vendor": {"type": ["string", "null"]}},
        "required": ["total", "vendor"],
    }
    prompt = custom_schema_prompt(schema, "invoice", "the invoice total and vendor")
    assert prompt.schema == schema
    assert prompt.name == "invoice"
    assert restate_schema(schema) in prompt.instructions
    assert "What to extract: the invoice total and vendor" in prompt.instructions
    assert "What to extract" not in custom_schema_prompt(schema).instructions
