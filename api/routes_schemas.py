"""/v1/schemas: the named JSON schemas documents can be extracted into."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from jsonschema import SchemaError
from jsonschema.validators import validator_for

from api.auth import AdminCaller, ReadCaller
from api.errors import ApiError, not_found
from api.state import ApiState, api_state
from schemas.api import SchemaIn, SchemaOut
from schemas.json_schema_subset import describe_unsupported
from storage.database import transaction
from storage.extraction_schemas import (
    SchemaConflictError,
    get_schema,
    list_schemas,
    register_schema,
)
from storage.models import ExtractionSchema

router = APIRouter(prefix="/v1/schemas", tags=["schemas"])
State = Annotated[ApiState, Depends(api_state)]


@router.post("", status_code=201, response_model=SchemaOut)
def create(body: SchemaIn, response: Response, state: State, caller: AdminCaller) -> SchemaOut:
    """Register a schema: 201, or 200 when the same schema is registered again; 409 when the
    name holds a different one; 422 when the schema is invalid or outside xgrammar's subset."""
    del caller
    try:
        validator_for(body.json_schema).check_schema(body.json_schema)
    except SchemaError as exc:
        raise ApiError(422, "invalid_schema", f"not a valid JSON schema: {exc.message}") from exc
    problems = describe_unsupported(body.json_schema)
    if body.json_schema.get("type") != "object":
        problems.append("#: the schema must describe an object (type: object)")
    if problems:
        raise ApiError(
            422,
            "unsupported_schema",
            "the schema uses features structured output cannot enforce",
            detail=problems,
        )
    try:
        with transaction(state.sessions) as session:
            row, created = register_schema(session, body.name, body.json_schema, body.description)
            out = _out(row)
    except SchemaConflictError as exc:
        raise ApiError(409, "schema_exists", str(exc)) from exc
    if not created:
        response.status_code = 200
    return out


@router.get("", response_model=list[SchemaOut])
def list_all(state: State, caller: ReadCaller) -> list[SchemaOut]:
    """Every registered schema."""
    del caller
    with transaction(state.sessions) as session:
        return [_out(row) for row in list_schemas(session)]


@router.get("/{name}", response_model=SchemaOut)
def show(name: str, state: State, caller: ReadCaller) -> SchemaOut:
    """One schema."""
    del caller
    with transaction(state.sessions) as session:
        row = get_schema(session, name)
        if row is None:
            raise not_found("schema", name)
        return _out(row)


def _out(row: ExtractionSchema) -> SchemaOut:
    return SchemaOut(
        name=row.name,
        json_schema=row.json_schema,
        description=row.description,
        created_at=row.created_at,
    )
