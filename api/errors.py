"""Errors as JSON with one stable shape: {"error": {"code", "message", "detail", "request_id"}}.

Unexpected exceptions are turned into the same shape by api/middleware.py, which sits outside
these handlers."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.text_rules import printable


class ApiError(Exception):
    """An error the API reports to the client."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers


def error_body(
    code: str, message: str, detail: Any = None, request_id: str | None = None
) -> dict[str, Any]:
    """The JSON body of an error response (schemas.api.ErrorBody)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    if request_id is not None:
        body["request_id"] = request_id
    return {"error": body}


def request_id_of(request: Request) -> str | None:
    """The id api/middleware.py gave this request."""
    request_id: str | None = getattr(request.state, "request_id", None)
    return request_id


def not_found(kind: str, identifier: str) -> ApiError:
    """404 for an unknown id."""
    return ApiError(404, "not_found", f"no {kind} with id {identifier!r}")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the stable shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.detail, request_id_of(request)),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {
                "loc": [
                    printable(part) if isinstance(part, str) else part for part in error["loc"]
                ],
                "msg": printable(error["msg"]),
                "type": error["type"],
            }
            for error in exc.errors()
        ]
        return JSONResponse(
            error_body(
                "invalid_request", "the request is not valid", detail, request_id_of(request)
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            400: "invalid_body",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
        }.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse(
            error_body(code, str(exc.detail), request_id=request_id_of(request)),
            status_code=exc.status_code,
            headers=headers or None,
        )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's own 405 names only the first
    route's, though GET and POST /v1/schemas are two routes)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        path_regex = getattr(route, "path_regex", None)
        if route.methods and path_regex is not None and path_regex.match(request.url.path):
            methods.update(route.methods)
    return sorted(methods)
