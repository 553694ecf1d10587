"""Reading results over the API the way a client should."""

import time
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
