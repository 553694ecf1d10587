"""Prompts and response schemas for the visual model tier.

A `StructuredPrompt` is what the engine needs: the JSON schema sent as `response_format` (the
model does not see it there, so every prompt restates it), its name, the instructions, and an
optional extra check of a schema-valid answer.

`PAGE_CONTENT_SCHEMA` is what the model fills for a page_content extraction: text in reading
order, blocks and tables, with boxes as [x0, y0, x1, y1] in 0..1000 of the image's width and
height. `page_content_from_answer` turns such an answer into `PageContentData` (boxes in the
page's own unit, block and table indices, table cells), adding what the model cannot know.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.model.answers import ContentCheck
from schemas.blocks import Block, BlockKind, GridCell, TableGrid
from schemas.extractions import PageContentData, PageSize

__all__ = [
    "CUSTOM_SCHEMA_INSTRUCTIONS",
    "NORMALISED_EXTENT",
    "PAGE_CONTENT_INSTRUCTIONS",
    "PAGE_CONTENT_SCHEMA",
    "StructuredPrompt",
    "custom_schema_prompt",
    "page_content_from_answer",
    "page_content_prompt",
    "restate_schema",
]

NORMALISED_EXTENT = 1000
"""Boxes the model returns are in 0..NORMALISED_EXTENT of the image's width and height."""


@dataclass(frozen=True)
class StructuredPrompt:
    """Instructions plus the schema the answer must follow."""

    name: str
    schema: Mapping[str, Any]
    instructions: str
    system: str | None = None
    extra_check: ContentCheck | None = None
    max_tokens: int | None = None
    """A bound for this kind of answer; None: the engine's policy or the client's default."""


_BOX: dict[str, Any] = {
    "type": "array",
    "description": "[x0, y0, x1, y1], left-top to right-bottom, in 0..1000 of the image size",
    "items": {"type": "integer", "minimum": 0, "maximum": NORMALISED_EXTENT},
    "minItems": 4,
    "maxItems": 4,
}
_CELL: dict[str, Any] = {"type": ["string", "null"]}

PAGE_CONTENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {
            "type": "string",
            "description": "All text of the page in reading order, blocks separated by blank lines",
        },
        "blocks": {
            "type": "array",
            "description": "Text blocks (headings, paragraphs, list items, captions, notes) "
            "in reading order",
            "items": {
                "type": "object",
                "properties": {"text": {"type": "string"}, "bbox": _BOX},
                "required": ["text", "bbox"],
                "additionalProperties": False,
            },
        },
        "tables": {
            "type": "array",
            "description": "Tables in reading order",
            "items": {
                "type": "object",
                "properties": {
                    "bbox": _BOX,
                    "header": {
                        "type": "array",
                        "description": "Column titles; empty when the table has none",
                        "items": _CELL,
                    },
                    "rows": {
                        "type": "array",
                        "description": "Body rows, each a list of cell texts (null: empty cell)",
                        "items": {"type": "array", "items": _CELL},
                    },
                },
                "required": ["bbox", "header", "rows"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["text", "blocks", "tables"],
    "additionalProperties": False,
}

PAGE_CONTENT_INSTRUCTIONS = """\
Extract everything written on this page image.
- "text": all text of the page in natural reading order (columns left to right, each column \
top to bottom; headers first, footnotes and page footers last). Transcribe exactly as printed: \
do not summarise, translate, correct or invent. Separate blocks with a blank line.
- "blocks": every heading, paragraph, list item, caption and note, in the same reading order, \
each with its text and its bounding box.
- "tables": every table with its bounding box, its header row (column titles, [] if none) and \
its body rows as lists of cell texts, null for an empty cell. Table text also appears in "text".
Bounding boxes are [x0, y0, x1, y1] integers from 0 to 1000: x across the image width, \
y down the image height, (0, 0) the top-left corner.
If the page has no text, answer with empty strings and lists.
Answer with one JSON object and nothing else. It must follow this JSON schema:
"""

CUSTOM_SCHEMA_INSTRUCTIONS = """\
Extract the information this JSON schema asks for from the image. Use only what is visible in \
the image: transcribe values exactly as printed; where the schema allows null and the value is \
missing, use null; never invent values.
"""


def restate_schema(schema: Mapping[str, Any]) -> str:
    """The schema as compact JSON for a prompt."""
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def page_content_prompt() -> StructuredPrompt:
    """The prompt of a page_content extraction of a page, image or video frame."""
    instructions = PAGE_CONTENT_INSTRUCTIONS + restate_schema(PAGE_CONTENT_SCHEMA)
    return StructuredPrompt("page_content", PAGE_CONTENT_SCHEMA, instructions)


def custom_schema_prompt(
    schema: Mapping[str, Any], name: str = "extraction", description: str | None = None
) -> StructuredPrompt:
    """The prompt of an extraction into a user's schema (`description`: what the user wants)."""
    parts = [CUSTOM_SCHEMA_INSTRUCTIONS]
    if description:
        parts.append(f"What to extract: {description.strip()}\n")
    parts.append("Answer with one JSON object and nothing else. It must follow this JSON schema:\n")
    parts.append(restate_schema(schema))
    return StructuredPrompt(name, schema, "".join(parts))


def page_content_from_answer(
    answer: Mapping[str, Any], page: PageSize, engine: str
) -> PageContentData:
    """A page_content answer (valid against PAGE_CONTENT_SCHEMA) as PageContentData.

    Boxes are scaled from 0..1000 to `page`'s width and height (its unit: PDF points for pages,
    pixels for images) and put in order (x0 <= x1, y0 <= y1). As in the local engine, a
    table's `rows` start with its header row when it has one.
    """
    blocks = [
        Block(
            index=index,
            kind=BlockKind.PARAGRAPH,
            text=block["text"],
            bbox=_scale_box(block["bbox"], page),
        )
        for index, block in enumerate(answer["blocks"])
    ]
    blocks += [_table(table, page) for table in answer["tables"]]
    return PageContentData.from_blocks(blocks, page, engine)


def _table(table: Mapping[str, Any], page: PageSize) -> Block:
    header: list[str | None] = list(table["header"])
    rows: list[list[str | None]] = [list(row) for row in table["rows"]]
    grid = ([header] if header else []) + rows
    cells = [
        GridCell(row=r, col=c, text=text or "", header=bool(header) and r == 0)
        for r, row in enumerate(grid)
        for c, text in enumerate(row)
    ]
    return Block(
        index=0,
        kind=BlockKind.TABLE,
        bbox=_scale_box(table["bbox"], page),
        table=TableGrid(
            n_rows=len(grid),
            n_cols=max((len(row) for row in grid), default=0),
            header_rows=1 if header else 0,
            cells=cells,
        ),
    )


def _scale_box(box: Sequence[float], page: PageSize) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (min(max(float(v), 0.0), NORMALISED_EXTENT) for v in box)
    sx, sy = page.width / NORMALISED_EXTENT, page.height / NORMALISED_EXTENT
    return (min(x0, x1) * sx, min(y0, y1) * sy, max(x0, x1) * sx, max(y0, y1) * sy)
