"""Structured extraction into a user's schema on the MoE tier, for a page, image or frame."""

from collections.abc import Callable, Sequence
from typing import Any, Final

from pipeline.model.attempts import VlmEngine, VlmOutcome
from pipeline.model.grounding import Word, ground_fields
from pipeline.model.prompts import custom_schema_prompt
from pipeline.model.render import RenderedImage
from pipeline.model.schema_request import SchemaRequest
from schemas.budget import VisualBudget
from schemas.merge_rules import strip_merge_rules

__all__ = ["SCHEMA_EXTRACTION", "SchemaRequest", "extract_fields", "schema_extraction_data"]

SCHEMA_EXTRACTION: Final = "schema_extraction"


def extract_fields(
    request: SchemaRequest,
    budget: VisualBudget,
    render: Callable[[VisualBudget], RenderedImage],
    engine: VlmEngine,
) -> VlmOutcome:
    """Ask the model to fill the schema from the rendered image (retries and escalation
    included); the outcome's value is None when every attempt failed. Greenhouse's merge
    keywords are stripped first: the model never sees them."""
    schema = strip_merge_rules(request.json_schema)
    prompt = custom_schema_prompt(schema, request.name, request.description)
    return engine.extract_visual(prompt, budget, render)


def schema_extraction_data(
    request: SchemaRequest, outcome: VlmOutcome, text: str, words: Sequence[Word] = ()
) -> dict[str, Any]:
    """The stored `data`: the fields (None after a fallback), the schema's name and version,
    the text the local tier read from the same page (empty for images and frames) and where
    on the page each answered value stands (`grounding`: JSON pointer → bbox)."""
    fields = None if outcome.fell_back else outcome.value
    return {
        "schema": request.name,
        "schema_version": request.version,
        "fields": fields,
        "text": text,
        "grounding": ground_fields(fields, words) if fields is not None else {},
    }
