"""Reading results over the API the way a client should."""

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

FINALIZING_WAIT_SECONDS = 30


def document_result(api: TestClient, document_id: str) -> dict[str, Any]:
    """The document's result; a 409 `finalizing` may precede it for a moment after it finishes."""
    deadline = time.monotonic() + FINALIZING_WAIT_SECONDS
    while (response := api.get(f"/v1/documents/{document_id}/result")).status_code == 409:
        assert response.json()["error"]["code"] == "finalizing", response.text
        assert time.monotonic() < deadline, "the result was never assembled"
        time.sleep(0.1)
    assert response.status_code == 200, response.text
    return dict(response.json())


def upload(api: TestClient, path: Path) -> str:
    """POST a file to /v1/documents; returns the new document's id."""
    with path.open("rb") as stream:
        response = api.post("/v1/documents", files={"file": (path.name, stream)})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def wait_until_finished(api: TestClient, document_id: str, seconds: float) -> dict[str, Any]:
    """The document once it is done, partial or failed; fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    document: dict[str, Any] = {}
    while time.monotonic() < deadline:
        document = dict(api.get(f"/v1/documents/{document_id}").json())
        if document["status"] in ("done", "partial", "failed"):
            return document
        time.sleep(0.3)
    raise AssertionError(f"document {document_id} did not finish: {document}")
