"""The registered schema a document asked for: what a job carries to the schema-filling engine.

Kept apart from `schema_fields` (the model call) so that the ledger side can build one without
importing the model client."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SchemaRequest"]


@dataclass(frozen=True)
class SchemaRequest:
    """The registered schema a document asked for."""

    name: str
    json_schema: Mapping[str, Any]
    description: str | None = None
    version: int | None = None
    """The registered version (None: a schema given directly, as benches do)."""
