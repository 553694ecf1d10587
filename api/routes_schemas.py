"""/v1/schemas: the named JSON schemas documents can be extracted into."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from jsonschema import SchemaError
from jsonschema.validators import validator_for

from api.auth import AdminCaller, ReadCaller
from api.errors import ApiError, not_found
from api.openapi import errors
from api.pagination import decode_name_cursor, encode_name_cursor
from api.state import ApiState, api_state
from schemas.api import (
    SchemaIn,
    SchemaOut,
    SchemaPage,
    SchemaSummary,
    SchemaVersionOut,
    SchemaVersionSummary,
)
from schemas.json_schema_subset import describe_unsupported
from schemas.merge_rules import find_merge_rule_problems
from schemas.schema_limits import find_oversized, find_unstorable
from storage.database import transaction
from storage.extraction_schemas import (
    SchemaConflictError,
    get_schema,
    get_schema_version,
    list_schemas,
    register_schema,
    schema_versions,
)
from storage.models import ExtractionSchema

router = APIRouter(prefix="/v1/schemas", tags=["schemas"])
State = Annotated[ApiState, Depends(api_state)]


@router.post(
    "",
    status_code=201,
    response_model=SchemaOut,
    responses={
        200: {"model": SchemaOut, "description": "The same schema was already registered."},
        **errors(409),
    },
)
def create(body: SchemaIn, response: Response, state: State, caller: AdminCaller) -> SchemaOut:
    """Register a schema: 201 for a new name (version 1) or a changed schema under a known name
    (the next version; earlier versions stay readable), 200 when the latest version is
    registered again; 409 when another registration of the name committed at the same time;
    422 when the schema is too large or too deep, holds values a
    JSON column cannot store, is invalid, or is outside what structured output can enforce
    (unsupported keywords, `$ref` cycles or dangling `$ref`s, unsafe `pattern`s) or misuses
    `x-greenhouse-merge`, with the offending JSON pointers in `detail`."""
    del caller
    check_registrable(body.json_schema)
    try:
        with transaction(state.sessions) as session:
            row, created = register_schema(session, body.name, body.json_schema, body.description)
            out = _out(row, schema_versions(session, row.name))
    except SchemaConflictError as exc:
        raise ApiError(409, "schema_exists", str(exc)) from exc
    if not created:
        response.status_code = 200
    return out


@router.get("", response_model=SchemaPage, responses=errors(400))
def list_all(
    state: State,
    caller: ReadCaller,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> SchemaPage:
    """Names and descriptions by name, `limit` at a time; pass `next_cursor` back as `cursor`.
    GET /v1/schemas/{name} shows a schema's body."""
    del caller
    after = decode_name_cursor(cursor) if cursor else None
    with transaction(state.sessions) as session:
        rows = list_schemas(session, after=after, limit=limit + 1)
        page, more = rows[:limit], len(rows) > limit
        items = [
            SchemaSummary(name=row.name, description=row.description, created_at=row.created_at)
            for row in page
        ]
    next_cursor = encode_name_cursor(page[-1].name) if more and page else None
    return SchemaPage(items=items, next_cursor=next_cursor)


@router.get("/{name}", response_model=SchemaOut, responses=errors(404))
def show(name: str, state: State, caller: ReadCaller) -> SchemaOut:
    """One schema: its latest version's body, and the list of its versions."""
    del caller
    with transaction(state.sessions) as session:
        row = get_schema(session, name)
        if row is None:
            raise not_found("schema", name)
        return _out(row, schema_versions(session, name))


@router.get("/{name}/versions/{version}", response_model=SchemaVersionOut, responses=errors(404))
def show_version(
    name: str, version: Annotated[int, Path(ge=1, le=2**31 - 1)], state: State, caller: ReadCaller
) -> SchemaVersionOut:
    """One version of a schema, as it was registered."""
    del caller
    with transaction(state.sessions) as session:
        row = get_schema_version(session, name, version)
        if row is None:
            raise not_found("schema version", f"{name} {version}")
        return SchemaVersionOut(
            name=row.name,
            json_schema=row.json_schema,
            description=row.description,
            version=row.version,
            created_at=row.created_at,
        )


def check_registrable(schema: dict[str, Any]) -> None:
    """422 unless the schema is within the limits, storable, valid and enforceable; the cheap
    bounded checks run first, so `check_schema` only ever sees a schema of bounded size."""
    oversized = find_oversized(schema)
    if oversized:
        raise ApiError(
            422, "schema_too_large", "the schema exceeds a limit", detail=list(map(str, oversized))
        )
    unstorable = find_unstorable(schema)
    if unstorable:
        raise ApiError(
            422,
            "invalid_schema",
            "the schema holds values that cannot be stored",
            detail=list(map(str, unstorable)),
        )
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        raise ApiError(422, "invalid_schema", f"not a valid JSON schema: {exc.message}") from exc
    problems = describe_unsupported(schema) + find_merge_rule_problems(schema)
    if schema.get("type") != "object":
        problems.append("#: the schema must describe an object (type: object)")
    if problems:
        raise ApiError(
            422,
            "unsupported_schema",
            "the schema uses features structured output cannot enforce",
            detail=problems,
        )


def _out(row: ExtractionSchema, versions: list[tuple[int, datetime]]) -> SchemaOut:
    return SchemaOut(
        name=row.name,
        json_schema=row.json_schema,
        description=row.description,
        created_at=row.created_at,
        version=row.version,
        versions=[SchemaVersionSummary(version=v, created_at=at) for v, at in versions],
    )
