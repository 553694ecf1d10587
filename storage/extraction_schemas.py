"""Repository functions for the named extraction schemas."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from storage.models import ExtractionSchema, ExtractionSchemaVersion


class SchemaConflictError(Exception):
    """Another registration of the same name committed first (try again)."""


def register_schema(
    session: Session, name: str, json_schema: dict[str, Any], description: str | None
) -> tuple[ExtractionSchema, bool]:
    """Store a schema: the same schema and description as the latest version is a no-op, a
    changed one becomes the next version (earlier versions stay). Returns (row, created)."""
    existing = session.get(ExtractionSchema, name, with_for_update=True)
    if existing is not None:
        if existing.json_schema == json_schema and existing.description == description:
            return existing, False
        version = existing.version + 1
        try:
            with session.begin_nested():
                session.add(_version_row(name, version, json_schema, description))
        except IntegrityError as exc:
            raise SchemaConflictError(f"schema {name!r} was registered concurrently") from exc
        existing.json_schema = json_schema
        existing.description = description
        existing.version = version
        session.flush()
        return existing, True
    row = ExtractionSchema(name=name, json_schema=json_schema, description=description, version=1)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            session.add(_version_row(name, 1, json_schema, description))
    except IntegrityError as exc:
        raise SchemaConflictError(f"schema {name!r} was registered concurrently") from exc
    return row, True


def _version_row(
    name: str, version: int, json_schema: dict[str, Any], description: str | None
) -> ExtractionSchemaVersion:
    return ExtractionSchemaVersion(
        name=name, version=version, json_schema=json_schema, description=description
    )


def get_schema(session: Session, name: str) -> ExtractionSchema | None:
    """One schema by name (its latest version)."""
    return session.get(ExtractionSchema, name)


def get_schema_version(session: Session, name: str, version: int) -> ExtractionSchemaVersion | None:
    """One version of a schema."""
    return session.get(ExtractionSchemaVersion, (name, version))


def schema_versions(session: Session, name: str) -> list[tuple[int, datetime]]:
    """(version, created_at) of every version of a schema, oldest first."""
    rows = session.execute(
        select(ExtractionSchemaVersion.version, ExtractionSchemaVersion.created_at)
        .where(ExtractionSchemaVersion.name == name)
        .order_by(ExtractionSchemaVersion.version)
    )
    return [(version, created_at) for version, created_at in rows]


def current_schema_version(session: Session, name: str | None) -> int | None:
    """The latest version of the schema named `name` (None: no name, or not registered)."""
    if name is None:
        return None
    return session.scalar(select(ExtractionSchema.version).where(ExtractionSchema.name == name))


def list_schemas(session: Session, *, after: str | None, limit: int) -> list[ExtractionSchema]:
    """Up to `limit` schemas by name, after the name `after`; the schema bodies are not loaded
    (a listing shows names and descriptions; GET /v1/schemas/{name} shows one body)."""
    query = select(ExtractionSchema).options(
        load_only(ExtractionSchema.name, ExtractionSchema.description, ExtractionSchema.created_at)
    )
    if after is not None:
        query = query.where(ExtractionSchema.name > after)
    return list(session.scalars(query.order_by(ExtractionSchema.name).limit(limit)))
