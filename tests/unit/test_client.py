"""greenhouse.client against a scripted transport: what it sends, how it pages, waits and
turns error answers into GreenhouseError (the live API is exercised in
tests/e2e/test_client_exports.py)."""

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from greenhouse.client import GreenhouseClient, GreenhouseError

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> GreenhouseClient:
    return GreenhouseClient(
        "http://greenhouse.test/", api_key="gh_secret", transport=httpx.MockTransport(handler)
    )


def test_upload_sends_the_file_and_options_with_the_key(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"id": "doc-1"})

    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(b"%PDF-1.7 fake")
    with _client(handler) as client:
        assert client.upload(pdf, schema="invoice", budget=280) == "doc-1"
        assert client.upload(b"raw", filename="raw.txt") == "doc-1"
    first, second = seen
    assert (first.method, first.url.path) == ("POST", "/v1/documents")
    assert first.headers["Authorization"] == "Bearer gh_secret"
    body = first.read()
    assert b'name="schema"\r\n\r\ninvoice' in body
    assert b'name="budget"\r\n\r\n280' in body
    assert b'filename="invoice.pdf"' in body and b"%PDF-1.7 fake" in body
    assert b'name="collection"' not in body
    assert b'filename="raw.txt"' in second.read()


def test_results_follow_the_cursor_to_the_last_page() -> None:
    cursors: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        cursors.append(cursor)
        assert request.url.params.get_list("where") == ["total>100", "paid=true"]
        if cursor is None:
            return httpx.Response(200, json={"items": [{"n": 1}, {"n": 2}], "next_cursor": "c2"})
        return httpx.Response(200, json={"items": [{"n": 3}], "next_cursor": None})

    with _client(handler) as client:
        items = list(client.results(page_size=2, where=["total>100", "paid=true"]))
    assert items == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert cursors == [None, "c2"]


def test_wait_polls_until_finished_and_the_result_is_assembled() -> None:
    answers = iter(
        [
            ("document", {"status": "processing"}),
            ("document", {"status": "done"}),
            ("result", 409),
            ("document", {"status": "done"}),
            ("result", 200),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        kind, answer = next(answers)
        if kind == "document":
            assert request.url.path == "/v1/documents/doc-1"
            return httpx.Response(200, json={"id": "doc-1", **answer})  # type: ignore[dict-item]
        assert request.url.path == "/v1/documents/doc-1/result"
        return httpx.Response(answer, json={})  # type: ignore[arg-type]

    with _client(handler) as client:
        assert client.wait("doc-1", timeout=10, poll=0.001)["status"] == "done"
    assert next(answers, None) is None


def test_wait_gives_up_after_its_timeout() -> None:
    queued = _client(lambda request: httpx.Response(200, json={"status": "queued"}))
    with queued as client, pytest.raises(TimeoutError, match="still queued"):
        client.wait("doc-1", timeout=0.05, poll=0.01)


def test_error_answers_become_greenhouse_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/exports":
            body = {
                "error": {
                    "code": "invalid_query",
                    "message": "this export has no table 'x'",
                    "detail": {"parameter": "table"},
                    "request_id": "req-7",
                }
            }
            return httpx.Response(400, json=body)
        return httpx.Response(502, text="<html>bad gateway</html>", headers={"X-Request-ID": "r9"})

    with _client(handler) as client:
        with pytest.raises(GreenhouseError) as refused:
            client.export("csv", table="x")
        assert (refused.value.status, refused.value.code, refused.value.request_id) == (
            400,
            "invalid_query",
            "req-7",
        )
        assert refused.value.detail == {"parameter": "table"}
        with pytest.raises(GreenhouseError) as proxy:
            client.document("doc-1")
        assert (proxy.value.status, proxy.value.code, proxy.value.request_id) == (
            502,
            "http_error",
            "r9",
        )


def test_an_export_streams_rows_with_its_watermark_known_first() -> None:
    lines = [{"document_id": "a", "watermark": 4}, {"document_id": "b", "watermark": 9}]

    def handler(request: httpx.Request) -> httpx.Response:
        assert dict(request.url.params) == {"format": "jsonl", "since": "3", "schema": "inv"}
        return httpx.Response(
            200,
            content="".join(json.dumps(line) + "\n" for line in lines).encode(),
            headers={"X-Greenhouse-Watermark": "9", "X-Greenhouse-Tables": "main,line_items"},
        )

    with _client(handler) as client:
        with client.export("jsonl", schema="inv", since=3) as export:
            assert (export.watermark, export.tables) == (9, ["main", "line_items"])
            assert list(export.rows()) == lines
        assert list(client.export_rows(schema="inv", since=3)) == lines
