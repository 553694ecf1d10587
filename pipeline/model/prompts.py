"""Prompts and response schemas for the visual model tier.

A `StructuredPrompt` is what the engine needs: the JSON schema sent as `response_format` (the
model does not see it there, so every prompt restates it), its name, the instructions, and an
optional extra check of a schema-valid answer.

`PAGE_CONTENT_SCHEMA` is what the model fills for a page_content extraction: the page as typed
blocks in reading order (the twelve `BlockKind`s), each with its box as [x0, y0, x1, y1] in
0..1000 of the image's width and height and its text written once. There is no whole-page
text: the page's text and Markdown are derived from the blocks (`pipeline/model/page_answer.py`).
Keys that apply to some kinds only (`level`, `marker`, `depth`, `table`) are optional rather
than required-and-null, so a paragraph costs no output tokens for them; `additionalProperties:
false` keeps guided decoding from inventing others.

A table is `{"header_rows": n, "rows": [[cell, ...], ...], "spans": [[row, col, rows, cols]]}`:
the full grid row by row, one string per column, a merged cell written once at its top-left
position with "" where it covers, and listed in the optional `spans`. This form costs about
three characters per cell (`"…",`) against nine or more for HTML (`<td>…</td>`, plus
`rowspan="2"` escaped inside a JSON string); merges, which are rare, cost one short integer
quadruple each; and guided decoding enforces the grid's shape (an array of arrays of strings)
where an HTML string would be unchecked free text.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.model.answers import ContentCheck
from schemas.blocks import MAX_HEADING_LEVEL, BlockKind

__all__ = [
    "CUSTOM_SCHEMA_INSTRUCTIONS",
    "NORMALISED_EXTENT",
    "PAGE_CONTENT_INSTRUCTIONS",
    "PAGE_CONTENT_SCHEMA",
    "StructuredPrompt",
    "custom_schema_prompt",
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
    """Sent before the media; the same for every request of a kind (prefix caching)."""
    system: str | None = None
    details: str | None = None
    """Text about this one request (a clip's duration...), sent after the media."""
    extra_check: ContentCheck | None = None
    max_tokens: int | None = None
    """A bound for this kind of answer; None: the engine's policy or the client's default."""


def _quadruple(minimum: int, maximum: int | None = None) -> dict[str, Any]:
    bounds = {"minimum": minimum} | ({} if maximum is None else {"maximum": maximum})
    return {"type": "array", "items": {"type": "integer", **bounds}, "minItems": 4, "maxItems": 4}


# No descriptions: PAGE_CONTENT_INSTRUCTIONS defines every key, and the schema restated after
# them stays short (it is part of every request's prompt).
_TABLE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "header_rows": {"type": "integer", "minimum": 0},
        "rows": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        "spans": {"type": "array", "items": _quadruple(0)},
    },
    "required": ["rows"],
    "additionalProperties": False,
}
_BLOCK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": [kind.value for kind in BlockKind]},
        "bbox": _quadruple(0, NORMALISED_EXTENT),
        "text": {"type": "string"},
        "level": {"type": "integer", "minimum": 1, "maximum": MAX_HEADING_LEVEL},
        "marker": {"type": "string"},
        "depth": {"type": "integer", "minimum": 0},
        "table": _TABLE,
    },
    "required": ["kind", "bbox", "text"],
    "additionalProperties": False,
}
PAGE_CONTENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"blocks": {"type": "array", "items": _BLOCK}},
    "required": ["blocks"],
    "additionalProperties": False,
}

PAGE_CONTENT_INSTRUCTIONS = """\
Transcribe this page image as a list of blocks in natural reading order: columns left to \
right, each column top to bottom; a running header first, footnotes and the running footer \
last. Transcribe exactly as printed: do not summarise, translate, correct or invent. Write each \
piece of text once, in the one block it belongs to.
Each block has:
- "kind": title (the document's title), section_header (a heading), paragraph, list_item, \
caption (of a figure or table), table, formula, figure, footnote, page_header (a running head \
repeated on every page), page_footer (a running foot), page_number.
- "bbox": [x0, y0, x1, y1] integers from 0 to 1000: x across the image width, y down the \
image height, (0, 0) the top-left corner.
- "text": the block's text, the lines of a paragraph joined with a space; for a formula its \
LaTeX without $ delimiters; for a figure the text printed inside it, or ""; for a table "" \
(its text goes in the cells, nowhere else).
- "level": titles and section headers only: 1 for the top level, 2 for a section, 3 for a \
subsection, up to 6.
- "marker", "depth": list items only: the bullet or number as printed (e.g. "•", "2.", "a)"), \
kept out of "text"; depth 0 for a top-level item, 1 for an item nested in it, and so on.
- "table": tables only. "rows": the grid row by row, one string per column, "" for an empty \
cell. "header_rows": how many top rows are column headers. A cell merged across rows or \
columns is written once at its top-left position, with "" at the positions it covers, and \
listed in "spans" as [row, column, rows spanned, columns spanned], counted from 0.
Leave out "level", "marker", "depth" and "table" where they do not apply, "depth" when it is \
0, "header_rows" and "spans" when there are none. If the page has no text, answer \
{"blocks":[]}.
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
