"""A small client of the Greenhouse REST API on httpx.

    with GreenhouseClient("http://127.0.0.1:8000", api_key="gh_...") as greenhouse:
        document_id = greenhouse.upload("invoice.pdf", schema="invoice")
        greenhouse.wait(document_id)
        result = greenhouse.result(document_id)
        with greenhouse.export("jsonl", schema="invoice", since=last_watermark) as export:
            for row in export.rows():
                ...
            last_watermark = export.watermark

Every error answer becomes a `GreenhouseError` carrying the API's error shape (status, code,
message, detail, request id); transport failures stay httpx's exceptions.
"""

import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import httpx

__all__ = ["ExportStream", "GreenhouseClient", "GreenhouseError"]

TERMINAL_STATUSES = frozenset({"done", "partial", "failed"})
WATERMARK_HEADER = "X-Greenhouse-Watermark"
TABLES_HEADER = "X-Greenhouse-Tables"


class GreenhouseError(Exception):
    """An error answer of the API, in its error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.detail = detail

    @classmethod
    def from_response(cls, response: httpx.Response) -> "GreenhouseError":
        """The error a response carries (a body outside the shape keeps its status)."""
        request_id = response.headers.get("X-Request-ID")
        try:
            error = response.json()["error"]
            return cls(
                response.status_code,
                str(error["code"]),
                str(error["message"]),
                error.get("request_id") or request_id,
                error.get("detail"),
            )
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", response.text[:500], request_id)


class ExportStream:
    """One export being received: its watermark and tables are known before the rows."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.watermark = int(response.headers[WATERMARK_HEADER])
        """The next export's `since`."""
        self.tables = response.headers.get(TABLES_HEADER, "main").split(",")
        self.media_type = response.headers.get("content-type", "")

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows of a JSONL export, one at a time."""
        for line in self._response.iter_lines():
            if line:
                yield json.loads(line)

    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        """The raw bytes of any format, as they arrive."""
        yield from self._response.iter_bytes(chunk_size)

    def save(self, target: str | os.PathLike[str] | IO[bytes]) -> int:
        """Write the export to a path or a binary file; the number of bytes written."""
        if isinstance(target, str | os.PathLike):
            with Path(target).open("wb") as stream:
                return self.save(stream)
        written = 0
        for chunk in self.iter_bytes():
            target.write(chunk)
            written += len(chunk)
        return written

    def close(self) -> None:
        """Stop receiving (an unread rest is dropped with the connection)."""
        self._response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class GreenhouseClient:
    """Upload, wait, read results and export, with a bearer key when the API asks for one."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- documents ------------------------------------------------------------------

    def upload(
        self,
        file: str | os.PathLike[str] | bytes,
        *,
        filename: str | None = None,
        collection: str | None = None,
        schema: str | None = None,
        tier: str | None = None,
        budget: int | None = None,
    ) -> str:
        """Upload one file (a path, or bytes with a `filename`); the document's id (an
        existing document's for a duplicate)."""
        fields = {
            name: str(value)
            for name, value in (
                ("collection", collection),
                ("schema", schema),
                ("tier", tier),
                ("budget", budget),
            )
            if value is not None
        }
        if isinstance(file, bytes):
            body = self._request(
                "POST",
                "/v1/documents",
                files={"file": (filename or "upload", file)},
                data=fields,
            )
        else:
            path = Path(file)
            with path.open("rb") as stream:
                body = self._request(
                    "POST",
                    "/v1/documents",
                    files={"file": (filename or path.name, stream)},
                    data=fields,
                )
        return str(body["id"])

    def upload_many(self, files: list[str | os.PathLike[str]], **options: Any) -> list[str]:
        """Upload several files with the same options; their ids in order."""
        return [self.upload(file, **options) for file in files]

    def document(self, document_id: str) -> dict[str, Any]:
        """The document: status, job counts, error."""
        return dict(self._request("GET", f"/v1/documents/{document_id}"))

    def wait(
        self,
        document_id: str,
        timeout: float = 300.0,
        poll: float = 0.2,
        max_poll: float = 2.0,
    ) -> dict[str, Any]:
        """The document once it finished (done, partial or failed) and its result, if it has
        one, is assembled; polls with a doubling interval. TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        interval = poll
        while True:
            document = self.document(document_id)
            if document["status"] in TERMINAL_STATUSES and self._result_settled(document_id):
                return document
            if time.monotonic() + interval > deadline:
                raise TimeoutError(f"document {document_id} is still {document['status']}")
            time.sleep(interval)
            interval = min(interval * 2, max_poll)

    def result(
        self, document_id: str, result_format: str = "json", include_furniture: bool = False
    ) -> Any:
        """The result: the stored JSON as a dict, or Markdown, HTML or text as a string."""
        params = {"format": result_format}
        if include_furniture:
            params["include_furniture"] = "true"
        response = self._send("GET", f"/v1/documents/{document_id}/result", params=params)
        return response.json() if result_format == "json" else response.text

    def results(self, page_size: int = 100, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every result summary matching the filters of `GET /v1/results` (`collection`,
        `schema`, `where` as a list, `q`, ...), following the cursor page by page."""
        params: dict[str, Any] = {"limit": page_size, **_query(filters)}
        while True:
            page = self._request("GET", "/v1/results", params=params)
            yield from page["items"]
            if not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]

    def reprocess(self, document_id: str, **changes: Any) -> dict[str, Any]:
        """Run the document again (`schema`, `schema_version`, `tier`, `budget`)."""
        body = {name: value for name, value in changes.items() if value is not None}
        return dict(self._request("POST", f"/v1/documents/{document_id}/reprocess", json=body))

    def register_schema(
        self, name: str, json_schema: Mapping[str, Any], description: str | None = None
    ) -> dict[str, Any]:
        """Register a schema (a changed one becomes its next version)."""
        body = {"name": name, "json_schema": dict(json_schema), "description": description}
        return dict(self._request("POST", "/v1/schemas", json=body))

    # --- exports --------------------------------------------------------------------

    def export(
        self,
        export_format: str = "jsonl",
        *,
        schema: str | None = None,
        schema_version: int | None = None,
        table: str | None = None,
        collection: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> ExportStream:
        """Start an export (use it in a `with`); `rows()` for JSONL, `iter_bytes()`/`save()`
        for any format, `watermark` for the next `since`."""
        params = _query(
            {
                "format": export_format,
                "schema": schema,
                "schema_version": schema_version,
                "table": table,
                "collection": collection,
                "since": since,
                "until": until,
            }
        )
        request = self._http.build_request("GET", "/v1/exports", params=params)
        response = self._http.send(request, stream=True)
        if response.status_code >= 400:
            response.read()
            response.close()
            raise GreenhouseError.from_response(response)
        return ExportStream(response)

    def export_rows(self, **options: Any) -> Iterator[dict[str, Any]]:
        """The rows of a JSONL export, read to the end."""
        with self.export("jsonl", **options) as export:
            yield from export.rows()

    # --- plumbing -------------------------------------------------------------------

    def _result_settled(self, document_id: str) -> bool:
        """False while a finished document's result is being assembled (409 finalizing)."""
        response = self._http.get(f"/v1/documents/{document_id}/result")
        if response.status_code == 409:
            return False
        if response.status_code in (200, 404):
            return True
        raise GreenhouseError.from_response(response)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise GreenhouseError.from_response(response)
        return response


def _query(values: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as true/false."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else value
        for name, value in values.items()
        if value is not None
    }
