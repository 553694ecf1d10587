"""GET /v1/documents/{id}/result?format=json|markdown|html|text and `greenhouse show`.

A PDF, an image, an audio file and a video are ingested for real (`greenhouse ingest`,
embedded, into SQLite) and read back over REST in every format; a document with known blocks
and a failed page, completed through the ledger and finalised by the worker code, pins the
exact Markdown, HTML and text.
"""

import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from cli.show import NO_RESULT, show_result
from schemas.api_keys import Scope
from schemas.blocks import Block, BlockKind, GridCell, TableGrid
from schemas.enums import ErrorCategory
from schemas.extractions import PageContentData, PageSize
from schemas.rendering.results import ResultFormat
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory, transaction
from storage.ledger import ExtractionRecord, claim_job, complete_job, fail_job
from tests.integration.ledger_helpers import document_with_jobs
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.keys import bearer, new_token
from tests.support.media import SPEECH_WORDS
from tests.support.workers import REPO_ROOT, worker_environment
from workers.context import CollectingEnqueuer, build_context
from workers.finalize_document import finalize_document

SAMPLES = REPO_ROOT / "samples"
MARKDOWN = "text/markdown; charset=utf-8"
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
BOX = (0.0, 0.0, 100.0, 20.0)
INTERNAL_FAILURE = "render failed at http://vllm-moe:8000/v1: ConnectError"


class RecordingDispatcher:
    def __init__(self) -> None:
        self.dispatched: list[str] = []

    def dispatch_document(self, document_id: str) -> None:
        self.dispatched.append(document_id)


def _get(client: TestClient, document_id: str, result_format: str, **params: str) -> Any:
    return client.get(
        f"/v1/documents/{document_id}/result", params={"format": result_format, **params}
    )


# --- exact formats of a document with known blocks -------------------------------------


def _block(kind: BlockKind, text: str = "", **fields: Any) -> Block:
    return Block.model_validate({"index": 0, "kind": kind, "text": text, "bbox": BOX, **fields})


def _first_page() -> PageContentData:
    table = TableGrid(
        n_rows=3,
        n_cols=2,
        header_rows=1,
        cells=[
            GridCell(row=0, col=0, text="Crop", header=True),
            GridCell(row=0, col=1, text="Kilograms", header=True),
            GridCell(row=1, col=0, text="Tomatoes"),
            GridCell(row=1, col=1, text="1,250"),
            GridCell(row=2, col=0, text="Basil"),
            GridCell(row=2, col=1, text="95"),
        ],
    )
    blocks = [
        _block(BlockKind.PAGE_HEADER, "Greenhouse report"),
        _block(BlockKind.TITLE, "Harvest by crop", level=1),
        _block(BlockKind.PARAGRAPH, "Kilograms picked <per> crop."),
        _block(BlockKind.LIST_ITEM, "Greens", marker="•"),
        _block(BlockKind.LIST_ITEM, "Basil", marker="◦", depth=1),
        _block(BlockKind.TABLE, table=table),
        _block(BlockKind.PAGE_NUMBER, "1"),
    ]
    return PageContentData.from_blocks(blocks, PageSize(width=595, height=842), "test")


def _third_page() -> PageContentData:
    table = TableGrid(
        n_rows=2,
        n_cols=2,
        header_rows=1,
        cells=[
            GridCell(row=0, col=0, col_span=2, text="Season", header=True),
            GridCell(row=1, col=0, text="Spring"),
            GridCell(row=1, col=1, text="Summer"),
        ],
    )
    blocks = [
        _block(BlockKind.SECTION_HEADER, "Seasons", level=2),
        _block(BlockKind.TABLE, table=table),
    ]
    return PageContentData.from_blocks(blocks, PageSize(width=595, height=842), "test")


@pytest.fixture
def known_settings(any_engine: Engine, tmp_path: Path) -> Settings:
    return Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
    )


@pytest.fixture
def known_document(known_settings: Settings) -> Iterator[tuple[TestClient, str, str]]:
    """(client, id of a finished 3-page document whose page 2 failed, id of an unfinished one)."""
    settings = known_settings
    context = build_context(settings, CollectingEnqueuer())
    blobs = BlobStore(Path(settings.blob_root))
    document_id, job_ids = document_with_jobs(context.sessions, blobs, 3)
    unfinished_id, _ = document_with_jobs(context.sessions, blobs, 1, content=b"%PDF-other")
    pages = {0: _first_page(), 2: _third_page()}
    with transaction(context.sessions) as session:
        for seq, job_id in enumerate(job_ids):
            assert claim_job(session, job_id, "worker", 60) is not None
            if seq in pages:
                data = pages[seq].model_dump(mode="json")
                record = ExtractionRecord(kind="page_content", data=data, provenance={})
                complete_job(session, job_id, "worker", record)
            else:
                fail_job(session, job_id, "worker", ErrorCategory.PAGE_ERROR, INTERNAL_FAILURE)
    assert finalize_document(context, document_id)
    context.engine.dispose()
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        yield client, document_id, unfinished_id


def test_markdown_of_a_paged_document_is_exact(
    known_document: tuple[TestClient, str, str],
) -> None:
    client, document_id, _ = known_document
    response = _get(client, document_id, "markdown")
    assert response.status_code == 200
    assert response.headers["content-type"] == MARKDOWN
    assert response.text == (
        "<!-- page 1 -->\n\n"
        "# Harvest by crop\n\n"
        "Kilograms picked \\<per> crop.\n\n"
        "- Greens\n"
        "  - Basil\n\n"
        "| Crop | Kilograms |\n"
        "| --- | --- |\n"
        "| Tomatoes | 1,250 |\n"
        "| Basil | 95 |\n\n"
        "<!-- page 2 -->\n\n"
        "> **Page 2: no content** (failed: page_error)\n\n"
        "<!-- page 3 -->\n\n"
        "## Seasons\n\n"
        '<table><thead><tr><th colspan="2">Season</th></tr></thead>'
        "<tbody><tr><td>Spring</td><td>Summer</td></tr></tbody></table>\n"
    )
    with_furniture = _get(client, document_id, "markdown", include_furniture="true").text
    assert with_furniture.startswith(
        "<!-- page 1 -->\n\nGreenhouse report\n\n# Harvest by crop\n\n"
    )
    assert "| Basil | 95 |\n\n1\n\n<!-- page 2 -->" in with_furniture


def test_html_of_a_paged_document_is_a_standalone_page_built_from_blocks(
    known_document: tuple[TestClient, str, str],
) -> None:
    client, document_id, _ = known_document
    response = _get(client, document_id, "html")
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    body = response.text
    assert body.startswith('<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n')
    assert "<title>x.pdf</title>" in body
    assert body.endswith("</main>\n</body>\n</html>\n")
    main = body[body.index("<main>\n") + len("<main>\n") : body.index("\n</main>")]
    assert main == (
        '<section data-page="1">\n'
        "<h1>Harvest by crop</h1>\n"
        "<p>Kilograms picked &lt;per&gt; crop.</p>\n"
        "<ul><li>Greens<ul><li>Basil</li></ul></li></ul>\n"
        "<table><thead><tr><th>Crop</th><th>Kilograms</th></tr></thead>"
        "<tbody><tr><td>Tomatoes</td><td>1,250</td></tr><tr><td>Basil</td><td>95</td></tr>"
        "</tbody></table>\n"
        "</section>\n"
        '<section data-page="2" data-status="failed">\n'
        '<p class="gap">Page 2: no content (failed: page_error)</p>\n'
        "</section>\n"
        '<section data-page="3">\n'
        "<h2>Seasons</h2>\n"
        '<table><thead><tr><th colspan="2">Season</th></tr></thead>'
        "<tbody><tr><td>Spring</td><td>Summer</td></tr></tbody></table>\n"
        "</section>"
    )
    assert "<script" not in body


def test_text_and_json_of_a_paged_document(known_document: tuple[TestClient, str, str]) -> None:
    client, document_id, _ = known_document
    text = _get(client, document_id, "text")
    assert text.headers["content-type"] == TEXT
    assert text.text == (
        "Harvest by crop\n\nKilograms picked <per> crop.\n\n• Greens\n\n◦ Basil\n\n"
        "Crop\tKilograms\nTomatoes\t1,250\nBasil\t95"
        "\n\f\n"
        "\n\f\n"
        "Seasons\n\nSeason\t\nSpring\tSummer\n"
    )
    as_json = _get(client, document_id, "json")
    assert as_json.headers["content-type"] == "application/json"
    data = as_json.json()["data"]
    assert as_json.json() == client.get(f"/v1/documents/{document_id}/result").json()
    assert data["text"] + "\n" == text.text
    assert data["markdown"] + "\n" == _get(client, document_id, "markdown").text
    assert [block["kind"] for block in data["pages"][0]["blocks"]] == [
        "page_header",
        "title",
        "paragraph",
        "list_item",
        "list_item",
        "table",
        "page_number",
    ]
    assert data["pages"][0]["blocks"][0]["furniture"] is True
    assert data["pages"][0]["markdown"].startswith("# Harvest by crop\n\n")
    assert data["pages"][1]["blocks"] is None
    assert data["failed_pages"] == [2]


def test_an_invalid_format_is_422_and_an_unfinished_document_409_in_every_format(
    known_document: tuple[TestClient, str, str],
) -> None:
    client, document_id, unfinished_id = known_document
    invalid = _get(client, document_id, "pdf")
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_request"
    for result_format in ("json", "markdown", "html", "text"):
        unfinished = _get(client, unfinished_id, result_format)
        assert unfinished.status_code == 409
        assert unfinished.json()["error"]["code"] == "not_finished"
        missing = _get(client, "no-such-document", result_format)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"


def test_failure_messages_reach_non_admin_keys_without_internals(
    known_document: tuple[TestClient, str, str], known_settings: Settings
) -> None:
    _, document_id, _ = known_document
    keyed = known_settings.model_copy(update={"auth": "keys"})
    with TestClient(create_app(keyed, RecordingDispatcher())) as client:
        sessions = client.app.state.greenhouse.sessions  # type: ignore[attr-defined]
        reader = bearer(new_token(sessions, "reader", {Scope.READ}, {"c"}))
        admin = bearer(new_token(sessions, "admin", set(Scope), None))
        url = f"/v1/documents/{document_id}/result"
        shown = client.get(url, headers=reader).json()["data"]["pages"][1]["error"]
        assert shown == {
            "category": "page_error",
            "message": "render failed at <internal address>: <internal error>",
        }
        as_admin = client.get(url, headers=admin).json()["data"]["pages"][1]["error"]
        assert as_admin == {"category": "page_error", "message": INTERNAL_FAILURE}
        markdown = client.get(url, params={"format": "markdown"}, headers=reader).text
        assert "vllm" not in markdown and "ConnectError" not in markdown
        assert client.get(url, params={"format": "markdown"}).status_code == 401


def test_show_result_prints_what_the_api_serves_and_exits_1_without_a_result(
    known_document: tuple[TestClient, str, str], known_settings: Settings
) -> None:
    client, document_id, unfinished_id = known_document
    engine = make_engine(known_settings.database_url)
    sessions = make_session_factory(engine)
    for result_format in ResultFormat:
        out, err = io.StringIO(), io.StringIO()
        code = show_result(
            sessions, document_id, result_format, include_furniture=True, out=out, err=err
        )
        assert (code, err.getvalue()) == (0, "")
        served = _get(client, document_id, result_format.value, include_furniture="true")
        if result_format == ResultFormat.JSON:
            assert json.loads(out.getvalue()) == served.json()
        else:
            assert out.getvalue() == served.text
    err = io.StringIO()
    code = show_result(
        sessions,
        unfinished_id,
        ResultFormat.MARKDOWN,
        include_furniture=False,
        out=io.StringIO(),
        err=err,
    )
    assert code == NO_RESULT
    assert err.getvalue() == (
        f"greenhouse: document {unfinished_id} is still processing; try again when it finishes\n"
    )
    engine.dispose()


# --- real ingestion: a PDF, an image, an audio file and a video --------------------------


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, str], Settings]]:
    """The four samples ingested with `greenhouse ingest` (embedded, SQLite), and the API."""
    root = tmp_path_factory.mktemp("formats")
    inputs = root / "inputs"
    inputs.mkdir()
    for name in ("greenhouse-report.pdf", "scanned-invoice.png", "jfk-speech.ogg", "slides.mp4"):
        shutil.copy(SAMPLES / name, inputs / name)
    settings = Settings(
        database_url=f"sqlite:///{root / 'greenhouse.db'}",
        broker_url=None,
        blob_root=str(root / "blobs"),
    )
    result = ingest_cli(settings, str(inputs), "--json", timeout=600)
    reports = reports_by_name(result.stdout)
    assert {name: report["status"] for name, report in reports.items()} == {
        "greenhouse-report.pdf": "done",
        "scanned-invoice.png": "done",
        "jfk-speech.ogg": "done",
        "slides.mp4": "done",
    }, result.stderr
    ids = {name: str(report["id"]) for name, report in reports.items()}
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        yield client, ids, settings


def _rendered(client: TestClient, document_id: str) -> dict[str, str]:
    formats = {"markdown": MARKDOWN, "html": HTML, "text": TEXT}
    bodies = {}
    for result_format, media_type in formats.items():
        response = _get(client, document_id, result_format)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media_type
        bodies[result_format] = response.text
    assert bodies["html"].startswith("<!DOCTYPE html>\n")
    return bodies


@pytest.mark.models
def test_a_pdf_in_every_format(
    ingested: tuple[TestClient, dict[str, str], Settings],
) -> None:
    client, ids, _ = ingested
    document_id = ids["greenhouse-report.pdf"]
    bodies = _rendered(client, document_id)
    markdown = bodies["markdown"]
    assert re.findall(r"^<!-- page (\d+) -->$", markdown, re.MULTILINE) == ["1", "2", "3", "4"]
    assert re.search(
        r"^<!-- page 2 -->\n\n#{1,6} Harvest by crop\n\n"
        r"The table below lists the harvest of the quarter in kilograms and the revenue\.\n\n"
        r"\| Crop ",
        markdown,
        re.MULTILINE,
    )
    assert (
        "| Crop | Kilograms | Revenue (EUR) |\n"
        "| --- | --- | --- |\n"
        "| Tomatoes | 1,250 | 3,125.00 |\n"
        "| Cucumbers | 830 | 1,494.00 |\n"
        "| Basil | 95 | 712.50 |\n"
        "| Peppers | 410 | 1,230.00 |\n"
    ) in markdown
    assert "This page is stored rotated by 90 degrees in the PDF." in markdown
    html = bodies["html"]
    assert [int(n) for n in re.findall(r'<section data-page="(\d+)">', html)] == [1, 2, 3, 4]
    page_two = html[html.index('<section data-page="2">') : html.index('<section data-page="3">')]
    assert "<thead><tr><th>Crop</th><th>Kilograms</th><th>Revenue (EUR)</th></tr></thead>" in (
        page_two
    )
    assert "<tr><td>Basil</td><td>95</td><td>712.50</td></tr>" in page_two
    data = client.get(f"/v1/documents/{document_id}/result").json()["data"]
    assert bodies["text"] == data["text"] + "\n"
    assert bodies["text"].count("\f") == 3
    assert markdown == data["markdown"] + "\n"
    assert any(block["kind"] == "table" for block in data["pages"][1]["blocks"])


@pytest.mark.models
def test_an_image_in_every_format(
    ingested: tuple[TestClient, dict[str, str], Settings],
) -> None:
    client, ids, _ = ingested
    bodies = _rendered(client, ids["scanned-invoice.png"])
    markdown = bodies["markdown"]
    assert markdown.startswith("<!-- page 1 -->\n\n")
    assert re.search(r"^(#+ )?Invoice 2026-0042$", markdown, re.MULTILINE)
    assert "Total 203.60" in markdown
    assert '<section data-page="1">\n' in bodies["html"]
    assert "Invoice 2026-0042" in bodies["text"]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.mark.models
def test_an_audio_file_as_timestamped_markdown_html_and_text(
    ingested: tuple[TestClient, dict[str, str], Settings],
) -> None:
    client, ids, _ = ingested
    document_id = ids["jfk-speech.ogg"]
    bodies = _rendered(client, document_id)
    data = client.get(f"/v1/documents/{document_id}/result").json()["data"]
    lines = bodies["markdown"].rstrip("\n").split("\n\n")
    assert len(lines) == len(data["segments"]) >= 1
    for line, segment in zip(lines, data["segments"], strict=True):
        minutes, seconds = divmod(int(segment["start"]), 60)
        assert line == f"**[00:{minutes:02d}:{seconds:02d}]** {' '.join(segment['text'].split())}"
    assert lines[0].startswith("**[00:00:00]** ")
    found = _words(bodies["markdown"])
    assert sum(word in found for word in SPEECH_WORDS) / len(SPEECH_WORDS) >= 0.85
    assert '<html lang="en">' in bodies["html"]
    assert re.search(
        r'<p data-start="[\d.]+" data-end="[\d.]+"><time datetime="PT[\d.]+S">'
        r"\[00:00:00\]</time> \w",
        bodies["html"],
    )
    assert bodies["text"] == data["text"] + "\n"
    assert data["markdown"] + "\n" == bodies["markdown"]


@pytest.mark.models
def test_a_video_as_keyframe_sections_and_timestamped_speech(
    ingested: tuple[TestClient, dict[str, str], Settings],
) -> None:
    client, ids, _ = ingested
    document_id = ids["slides.mp4"]
    bodies = _rendered(client, document_id)
    markdown = bodies["markdown"]
    data = client.get(f"/v1/documents/{document_id}/result").json()["data"]
    frame_times = [item["timestamp"] for item in data["items"] if item["kind"] == "frame"]
    headings = re.findall(r"^## \[(\d\d:\d\d:\d\d)\] Keyframe$", markdown, re.MULTILINE)
    assert headings == [f"00:00:{int(t):02d}" for t in frame_times] and len(headings) >= 2
    assert re.search(r"^\*\*\[00:00:00\]\*\* \S", markdown, re.MULTILINE)
    first_frame = markdown.split("## [", 2)[1]
    assert re.search(r"^(#+ )?Greenhouse quarterly report$", first_frame, re.MULTILINE)
    assert all(item["blocks"] for item in data["items"] if item["kind"] == "frame" and item["text"])
    html = bodies["html"]
    assert len(re.findall(r'<section data-timestamp="[\d.]+">\n<h2><time ', html)) == len(headings)
    assert re.search(r'<p data-start="[\d.]+" data-end="[\d.]+"><time datetime="PT', html)
    assert bodies["text"] == data["text"] + "\n"
    assert data["markdown"] + "\n" == markdown


@pytest.mark.models
def test_greenhouse_show_prints_what_the_api_serves(
    ingested: tuple[TestClient, dict[str, str], Settings],
) -> None:
    client, ids, settings = ingested

    def show(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", "show", *args],
            cwd=REPO_ROOT,
            env=worker_environment(settings),
            capture_output=True,
            text=True,
            timeout=120,
            encoding="utf-8",
        )

    for name in ("greenhouse-report.pdf", "jfk-speech.ogg"):
        for result_format in ("markdown", "html", "text"):
            shown = show(ids[name], "--format", result_format)
            assert shown.returncode == 0, shown.stderr
            assert shown.stdout == _get(client, ids[name], result_format).text
    as_json = show(ids["slides.mp4"])
    assert as_json.returncode == 0
    assert '"kind": "video_timeline"' in as_json.stdout
    unknown = show("no-such-document", "--format", "markdown")
    assert unknown.returncode == 2
    assert unknown.stderr == "greenhouse: no document with id 'no-such-document'\n"
