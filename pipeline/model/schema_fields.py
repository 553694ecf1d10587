"""Structured extraction into a user's schema on the MoE tier, for a page, image or frame."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pipeline.model.attempts import VlmEngine, VlmOutcome
from pipeline.model.prompts import custom_schema_prompt
from pipeline.model.render import RenderedImage
from schemas.budget import VisualBudget

__all__ = ["SCHEMA_EXTRACTION", "SchemaRequest", "extract_fields", "schema_extraction_data"]

SCHEMA_EXTRACTION: Final = "schema_extraction"


@dataclass(frozen=True)
class SchemaRequest:
    """The registered schema a document asked for."""

    name: str
    json_schema: Mapping[str, Any]
    description: str | None = None


def extract_fields(
    request: SchemaRequest,
    budget: VisualBudget,
    render: Callable[[VisualBudget], RenderedImage],
    engine: VlmEngine,
) -> VlmOutcome:
    """Ask the model to fill the schema from the rendered image (retries and escalation
    included); the outcome's value is None when every attempt failed."""
    prompt = custom_schema_prompt(request.json_schema, request.name, request.description)
    return engine.extract_visual(prompt, budget, render)


def schema_extraction_data(
    request: SchemaRequest, outcome: VlmOutcome, text: str
) -> dict[str, Any]:
    """The stored `data`: the fields (None after a fallback), the schema's name and the text
    the local tier read from the same page (empty for images and frames)."""
    return {
        "schema": request.name,
        "fields": None if outcome.fell_back else outcome.value,
        "text": text,
    }
