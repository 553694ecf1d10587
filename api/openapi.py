"""The OpenAPI document tells every status code a route can answer, with the error body.

Routes declare their own outcomes with `errors(404, 409, ...)`. What the boundary adds to every
operation is filled in here, from the routes themselves rather than by hand:
- 401 and 403 where a route depends on a key scope (api.auth's Read/Write/AdminCaller),
- 400 and 413 where an operation takes a JSON body (unparseable, e.g. nested past Python's
  recursion limit; larger than api/middleware.py's cap),
- 422 everywhere (a NUL byte in the path or query is refused before routing),
- 500 everywhere (the catch-all still answers in the error shape),
- the error body on a route's declared 4xx/5xx that names no content of its own,
- the `X-Request-ID` header on every response,
- the bearer security scheme on the keyed operations.
"""

import json
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

from api.auth import AdminCaller, ReadCaller, WriteCaller
from api.middleware import JSON_BODY_MAX_BYTES, REQUEST_ID_HEADER
from schemas.api import ErrorBody

ERROR_DESCRIPTIONS = {
    400: "The request is malformed (an invalid cursor, a body that cannot be parsed).",
    401: "No API key, or an invalid or revoked one.",
    403: "The key lacks the scope this route needs.",
    404: "No such resource (or not in the key's collections).",
    409: "Conflicts with the current state.",
    413: "The body is larger than the limit.",
    422: "Invalid input: a field, a NUL byte or invalid Unicode, a schema outside the subset.",
    500: "Unexpected server error; the body carries the request id that the log names.",
    503: "A dependency (database or broker) is unavailable.",
}
_KEYED = {get_args(caller)[1].dependency for caller in (ReadCaller, WriteCaller, AdminCaller)}
_SECURITY_SCHEME = "bearerKey"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that answers these error statuses in the error shape."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


def install_openapi(app: FastAPI) -> None:
    """Replace the app's OpenAPI generator with one that adds the boundary's responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _add_boundary_responses(app, spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_boundary_responses(app: FastAPI, spec: dict[str, Any]) -> None:
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in {**error_schema.pop("$defs", {}), "ErrorBody": error_schema}.items():
        components.setdefault(name, schema)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    spec["components"].setdefault("securitySchemes", {})[_SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: Authorization: Bearer <key> (`greenhouse keys create`).",
    }
    for route in iter_route_contexts(app.routes):
        operations = spec["paths"].get(route.path_format or "", {})
        dependant = getattr(route, "dependant", None)
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None or dependant is None:
                continue
            statuses = [422, 500]
            if _needs_key(dependant):
                statuses += [401, 403]
                operation["security"] = [{_SECURITY_SCHEME: []}]
            if getattr(route, "body_field", None) is not None:
                statuses += [400, 413]
            responses = operation.setdefault("responses", {})
            for status in statuses:
                declared = responses.get(str(status), {})
                if status == 422 or not declared:
                    responses[str(status)] = {
                        "description": ERROR_DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": error_ref}},
                    }
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "content" not in response:
                    response["content"] = {"application/json": {"schema": error_ref}}
                response.setdefault("headers", {})[REQUEST_ID_HEADER] = {
                    "description": "The request's id (the client's, when it sent a sane one).",
                    "schema": {"type": "string"},
                }
    spec["info"]["x-json-body-max-bytes"] = JSON_BODY_MAX_BYTES
    _drop_unused(components, ("HTTPValidationError", "ValidationError"), spec)


def _drop_unused(components: dict[str, Any], names: tuple[str, ...], spec: dict[str, Any]) -> None:
    """Remove FastAPI's default 422 schemas once no response refers to them."""
    for name in names:
        held = components.pop(name, None)
        if held is not None and f"#/components/schemas/{name}" in json.dumps(spec):
            components[name] = held


def _needs_key(dependant: Dependant) -> bool:
    return any(sub.call in _KEYED or _needs_key(sub) for sub in dependant.dependencies)
