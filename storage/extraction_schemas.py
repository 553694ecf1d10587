"""Repository functions for the named extraction schemas."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from storage.models import ExtractionSchema


class SchemaConflictError(Exception):
    """A different schema already has this name (schemas are immutable once registered)."""


def register_schema(
    session: Session, name: str, json_schema: dict[str, Any], description: str | None
) -> tuple[ExtractionSchema, bool]:
    """Store a schema; registering the same schema again is a no-op. Returns (row, created)."""
    existing = session.get(ExtractionSchema, name)
    if existing is not None:
        if existing.json_schema != json_schema or existing.description != description:
            raise SchemaConflictError(f"a different schema is already registered as {name!r}")
        return existing, False
    row = ExtractionSchema(name=name, json_schema=json_schema, description=description)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise SchemaConflictError(f"schema {name!r} was registered concurrently") from exc
    return row, True


def get_schema(session: Session, name: str) -> ExtractionSchema | None:
    """One schema by name."""
    return session.get(ExtractionSchema, name)


def list_schemas(session: Session, *, after: str | None, limit: int) -> list[ExtractionSchema]:
    """Up to `limit` schemas by name, after the name `after`; the schema bodies are not loaded
    (a listing shows names and descriptions; GET /v1/schemas/{name} shows one body)."""
    query = select(ExtractionSchema).options(
        load_only(ExtractionSchema.name, ExtractionSchema.description, ExtractionSchema.created_at)
    )
    if after is not None:
        query = query.where(ExtractionSchema.name > after)
    return list(session.scalars(query.order_by(ExtractionSchema.name).limit(limit)))
