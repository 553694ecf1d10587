"""What a caller may ask for a document (collection, tier, visual budget, schema), validated once
for the API and the CLI alike."""

from dataclasses import dataclass
from typing import Any

from schemas.budget import VISUAL_BUDGETS, is_visual_budget
from schemas.enums import Tier
from schemas.text_rules import text_problem

DEFAULT_COLLECTION = "default"
COLLECTION_MAX_LENGTH = 200
SCHEMA_NAME_MAX_LENGTH = 200


class InvalidDocumentOptionsError(ValueError):
    """An option is outside what Greenhouse accepts; the message says which and why."""


@dataclass(frozen=True)
class DocumentOptions:
    """The options of one document; raises InvalidDocumentOptionsError when one is invalid."""

    collection: str = DEFAULT_COLLECTION
    tier: Tier | None = None
    budget: int | None = None
    schema: str | None = None

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem is not None:
            raise InvalidDocumentOptionsError(problem)

    def _problem(self) -> str | None:
        if not 1 <= len(self.collection) <= COLLECTION_MAX_LENGTH:
            return f"collection must be 1 to {COLLECTION_MAX_LENGTH} characters long"
        if self.budget is not None and not is_visual_budget(self.budget):
            return f"budget must be one of {list(VISUAL_BUDGETS)}, not {self.budget}"
        if self.schema is not None and len(self.schema) > SCHEMA_NAME_MAX_LENGTH:
            return f"schema must be at most {SCHEMA_NAME_MAX_LENGTH} characters long"
        for name, text in (("collection", self.collection), ("schema", self.schema)):
            problem = None if text is None else text_problem(text)
            if problem is not None:
                return f"{name} {problem}"
        return None

    def stored(self) -> dict[str, Any]:
        """The options stored with the document (part of its dedupe key): the ones given."""
        pairs = (
            ("tier", self.tier.value if self.tier else None),
            ("budget", self.budget),
            ("schema", self.schema),
        )
        return {key: value for key, value in pairs if value is not None}
