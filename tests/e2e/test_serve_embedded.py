"""`greenhouse serve` without a broker: uploads are processed by the embedded executor."""

import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from schemas.settings import Settings
from tests.support.api import document_result
from tests.support.documents import make_text_pdf
from workers.embedded_dispatch import EmbeddedDispatcher


def test_uploads_are_processed_without_a_broker(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'serve.db'}",
        blob_root=str(tmp_path / "blobs"),
        auto_migrate=True,
    )
    pdf = tmp_path / "three.pdf"
    lines = make_text_pdf(pdf, 3)
    with TestClient(create_app(settings, EmbeddedDispatcher(settings))) as client:
        with pdf.open("rb") as stream:
            document_id = client.post(
                "/v1/documents", files={"file": ("three.pdf", stream)}
            ).json()["id"]
        deadline = time.monotonic() + 120
        while (status := client.get(f"/v1/documents/{document_id}").json()["status"]) != "done":
            assert status in ("queued", "processing"), status
            assert time.monotonic() < deadline
            time.sleep(0.2)
        result = document_result(client, document_id)
    texts = [page["text"] for page in result["data"]["pages"]]
    assert [[line for line in text.splitlines() if line] for text in texts] == lines
