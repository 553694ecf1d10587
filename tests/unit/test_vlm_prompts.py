"""Prompts and schemas of the visual tier: subset-compliant, restated, convertible."""

import json

import pytest

from pipeline.model.answers import meta_schema_errors, schema_errors
from pipeline.model.page_answer import page_content_from_answer
from pipeline.model.prompts import (
    PAGE_CONTENT_SCHEMA,
    custom_schema_prompt,
    page_content_prompt,
    restate_schema,
)
from schemas.blocks import BlockKind
from schemas.extractions import PageContent, PageContentData, PageSize, Provenance
from schemas.json_schema_subset import find_unsupported
from tests.fakes.schema_instance import schema_instance
from tests.fakes.vllm_pages import page_answer

ANSWER = {
    "blocks": [
        {"kind": "page_header", "bbox": [100, 10, 900, 30], "text": "ACME Ltd"},
        {"kind": "title", "bbox": [100, 50, 400, 80], "text": "Invoice 42", "level": 1},
        {"kind": "list_item", "bbox": [100, 90, 900, 100], "text": "Paid", "marker": "•"},
        {
            "kind": "table",
            "bbox": [100, 200, 900, 400],
            "text": "",
            "table": {"header_rows": 1, "rows": [["Item", "Price"], ["Tea", "3.50"]]},
        },
        {"kind": "formula", "bbox": [100, 500, 900, 550], "text": "t = 3.50"},
        {"kind": "page_number", "bbox": [900, 980, 100, 950], "text": "1"},
    ]
}
LETTER = PageSize(width=612, height=792)


def test_the_page_content_schema_is_valid_and_inside_the_xgrammar_subset():
    assert meta_schema_errors(PAGE_CONTENT_SCHEMA) == []
    assert find_unsupported(PAGE_CONTENT_SCHEMA) == []
    assert schema_errors(ANSWER, PAGE_CONTENT_SCHEMA) == []
    block = PAGE_CONTENT_SCHEMA["properties"]["blocks"]["items"]
    assert block["properties"]["kind"]["enum"] == [kind.value for kind in BlockKind]
    assert block["required"] == ["kind", "bbox", "text"]
    assert list(PAGE_CONTENT_SCHEMA["properties"]) == ["blocks"]


def block_with(**changes):
    return {"blocks": [{"kind": "paragraph", "bbox": [0, 0, 10, 10], "text": "x"} | changes]}


@pytest.mark.parametrize(
    "answer",
    [
        block_with(bbox=[0, 0, 1001, 5]),
        block_with(bbox=[0, 0, 5]),
        block_with(kind="heading"),
        block_with(level=7),
        block_with(depth=-1),
        block_with(style="bold"),
        block_with(table={"rows": [["a", None]]}),
        block_with(table={"rows": [["a"]], "spans": [[0, 0, 2]]}),
        block_with(table={"header_rows": 1}),
        {"blocks": [{"kind": "paragraph", "bbox": [0, 0, 10, 10]}]},
        ANSWER | {"text": "the whole page again"},
    ],
    ids=[
        "box-out-of-range",
        "short-box",
        "unknown-kind",
        "level-7",
        "negative-depth",
        "extra-key",
        "null-cell",
        "short-span",
        "no-rows",
        "no-text",
        "whole-page-text",
    ],
)
def test_the_page_content_schema_refuses_what_the_model_must_not_write(answer):
    assert schema_errors(answer, PAGE_CONTENT_SCHEMA) != []


def test_the_page_content_prompt_restates_its_schema():
    prompt = page_content_prompt()
    assert prompt.schema is PAGE_CONTENT_SCHEMA
    assert prompt.name == "page_content"
    assert prompt.instructions.endswith(restate_schema(PAGE_CONTENT_SCHEMA))
    assert "reading order" in prompt.instructions
    for kind in BlockKind:
        assert kind.value in prompt.instructions.split("It must follow")[0]
    assert "LaTeX" in prompt.instructions
    assert json.loads(restate_schema(PAGE_CONTENT_SCHEMA)) == PAGE_CONTENT_SCHEMA


def test_an_answer_becomes_typed_blocks_in_page_units_with_derived_text():
    data = page_content_from_answer(ANSWER, LETTER, "google/gemma-4-26B-A4B-it")
    assert data.engine == "google/gemma-4-26B-A4B-it"
    assert [(b.index, b.kind) for b in data.blocks] == [
        (0, BlockKind.PAGE_HEADER),
        (1, BlockKind.TITLE),
        (2, BlockKind.LIST_ITEM),
        (3, BlockKind.TABLE),
        (4, BlockKind.FORMULA),
        (5, BlockKind.PAGE_NUMBER),
    ]
    assert data.blocks[1].bbox == pytest.approx((61.2, 39.6, 244.8, 63.36))
    assert data.blocks[5].bbox == pytest.approx((61.2, 752.4, 550.8, 776.16))  # put in order
    assert (data.blocks[1].level, data.blocks[2].marker, data.blocks[2].depth) == (1, "•", 0)
    table = data.blocks[3].table
    assert table is not None
    assert (table.n_rows, table.n_cols, table.header_rows) == (2, 2, 1)
    assert table.rows() == [["Item", "Price"], ["Tea", "3.50"]]
    assert [c.header for c in table.cells] == [True, True, False, False]
    assert data.blocks[3].text == ""
    assert data.text == "Invoice 42\n\n• Paid\n\nItem\tPrice\nTea\t3.50\n\nt = 3.50"
    assert data.markdown == (
        "# Invoice 42\n\n- Paid\n\n| Item | Price |\n| --- | --- |\n| Tea | 3.50 |"
        "\n\n$$\nt = 3.50\n$$"
    )
    page = PageContent(data=data, provenance=Provenance(page_number=1, bbox=(0, 0, 612, 792)))
    assert PageContentData.model_validate(page.model_dump()["data"]) == data


def test_an_empty_page_converts():
    data = page_content_from_answer({"blocks": []}, PageSize(width=800, height=600, unit="px"), "m")
    assert (data.blocks, data.text, data.markdown) == ([], "", "")


def test_the_fakes_page_is_valid_and_converts_to_blocks_text_and_markdown():
    answer = page_answer("fake page 10x20")
    assert schema_errors(answer, PAGE_CONTENT_SCHEMA) == []
    data = page_content_from_answer(answer, PageSize(width=1000, height=2000, unit="px"), "m")
    assert [b.kind.value for b in data.blocks] == [b["kind"] for b in answer["blocks"]]
    assert data.blocks[5].depth == 1 and data.blocks[5].marker == "a)"
    assert data.blocks[0].bbox == (80.0, 40.0, 920.0, 80.0)
    assert data.text.split("\n\n")[:3] == ["Fake page", "fake page 10x20", "Seedlings"]
    assert "Greenhouse fake pages" not in data.text  # furniture stays in the blocks only
    assert data.markdown.startswith("# Fake page\n\nfake page 10x20\n\n## Seedlings\n\n- Water")


def test_a_server_generated_instance_converts():
    instance = schema_instance(PAGE_CONTENT_SCHEMA, "fake page")
    # The generic generator: the first enum value, every optional key, one item per array.
    assert instance == {
        "blocks": [
            {
                "kind": "title",
                "bbox": [0, 0, 0, 0],
                "text": "fake page",
                "level": 1,
                "marker": "fake page",
                "depth": 0,
                "table": {"header_rows": 0, "rows": [["fake page"]], "spans": [[0, 0, 0, 0]]},
            }
        ]
    }
    assert schema_errors(instance, PAGE_CONTENT_SCHEMA) == []
    data = page_content_from_answer(instance, LETTER, "m")
    assert [(b.kind, b.text, b.level) for b in data.blocks] == [(BlockKind.TITLE, "fake page", 1)]
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
