"""PDF pages on the MoE tier through the real pipeline, against the fake vLLM server."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from sqlalchemy import select

from pipeline.planning.geometry import target_size
from schemas.reprocess import ReprocessIn
from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.extraction_schemas import register_schema
from storage.migrate import upgrade_to_head
from storage.models import Extraction, Job
from storage.reprocess import Reprocessed, reprocess_document
from tests.fakes.fake_vllm import MOE_MODEL, Fault, running_fake_vllm
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.documents import make_text_pdf
from tests.support.services import free_port
from tests.support.workers import REPO_ROOT, worker_environment


def _ingest(settings: Settings, *args: str) -> tuple[int, dict]:
    result = ingest_cli(settings, *args, "--json")
    reports = list(reports_by_name(result.stdout).values())
    assert len(reports) == 1, result.stderr
    return result.returncode, reports[0]


def _jobs(settings: Settings) -> list[tuple[Job, Extraction | None]]:
    sessions = make_session_factory(make_engine(settings.database_url))
    with transaction(sessions) as session:
        rows = session.execute(
            select(Job, Extraction)
            .outerjoin(Extraction, Extraction.job_id == Job.id)
            .order_by(Job.seq)
        )
        return [(job, extraction) for job, extraction in rows]


def _moe_settings(settings: Settings, url: str, **extra: object) -> Settings:
    return settings.model_copy(update={"vllm_url": url, "vllm_model": MOE_MODEL, **extra})


def test_pages_go_to_the_model_with_their_budget_and_usage(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    pdf = tmp_path / "moe.pdf"
    make_text_pdf(pdf, 3)
    with running_fake_vllm() as fake:
        code, report = _ingest(
            _moe_settings(sqlite_settings, fake.base_url), str(pdf), "--tier", "moe"
        )
        requests = fake.control.requests
    assert code == 0, report
    assert report["status"] == "done"
    assert len(requests) == 3
    assert not any(request.sent_guided_json for request in requests)
    for job, extraction in _jobs(sqlite_settings):
        assert job.tier == "moe"
        # Its smallest font is 11 pt: on Letter an em reaches 12 px at 280 (12.4 px), not at 140.
        assert job.budget == 280
        assert job.model == MOE_MODEL
        assert job.tokens_in and job.tokens_in > 0
        assert job.tokens_out and job.tokens_out > 0
        assert job.fell_back is False
        assert job.model_calls is not None and len(job.model_calls["attempts"]) == 1
        assert extraction is not None and extraction.engine == f"vllm:{MOE_MODEL}"
        assert extraction.data["page"]["width"] == 612
        # The fake's page as typed blocks; text and Markdown derived, furniture left out.
        kinds = [block["kind"] for block in extraction.data["blocks"]]
        assert kinds[:3] == ["page_header", "title", "paragraph"]
        assert extraction.data["text"].startswith("Fake page\n\nfake page ")
        assert extraction.data["markdown"].startswith("# Fake page\n\n")
        assert "Greenhouse fake pages" not in extraction.data["text"]


def test_a_cpu_tier_document_moved_to_the_model_chooses_its_budget_when_it_runs(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    pdf = tmp_path / "local.pdf"
    make_text_pdf(pdf, 2)
    code, report = _ingest(sqlite_settings, str(pdf))  # no model configured: the CPU tier
    assert (code, report["status"]) == (0, "done")
    assert [(job.tier, job.budget) for job, _ in _jobs(sqlite_settings)] == [("local", None)] * 2
    sessions = make_session_factory(make_engine(sqlite_settings.database_url))
    with transaction(sessions) as session:
        moved = reprocess_document(
            session, report["id"], ReprocessIn.model_validate({"tier": "moe"})
        )
    assert isinstance(moved, Reprocessed) and len(moved.jobs) == 2

    with running_fake_vllm() as fake:  # the embedded executor runs the queued jobs
        code, again = _ingest(_moe_settings(sqlite_settings, fake.base_url), str(pdf))
        requests = fake.control.requests
    assert (code, again["id"], again["status"]) == (0, report["id"], "done")
    # Its smallest font is 11 pt: 280 tokens, as if it had been planned for the model.
    assert [(image.budget, image.width, image.height) for r in requests for image in r.images] == [
        (280, *target_size(612, 792, 280))
    ] * 2
    for job, extraction in _jobs(sqlite_settings):
        assert (job.tier, job.state, job.budget, job.fell_back) == ("moe", "succeeded", 280, False)
        assert job.model_calls is not None
        assert [attempt["budget"] for attempt in job.model_calls["attempts"]] == [280]
        assert extraction is not None and extraction.engine == f"vllm:{MOE_MODEL}"


def test_bad_answers_are_retried_then_fall_back_to_the_local_tier(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    pdf = tmp_path / "flaky.pdf"
    lines = make_text_pdf(pdf, 1)
    with running_fake_vllm() as fake:
        fake.control.inject(Fault.WHITESPACE_PADDING, times=1)
        fake.control.inject(Fault.REJECT_503, times=2)
        fake.control.inject(Fault.REPETITION_LOOP, times=1)
        fake.control.inject(Fault.INVALID_JSON, times=10)
        code, report = _ingest(
            _moe_settings(sqlite_settings, fake.base_url), str(pdf), "--tier", "moe"
        )
    assert code == 0, report
    ((job, extraction),) = _jobs(sqlite_settings)
    assert job.fell_back is True
    assert job.model_calls is not None
    failures = [attempt["failure"] for attempt in job.model_calls["attempts"]]
    assert failures == ["padding", "repetition", "invalid_json", "invalid_json", "invalid_json"]
    assert all(failure is not None for failure in failures)
    assert job.model_calls["transient_failures"] >= 2
    budgets = [attempt["budget"] for attempt in job.model_calls["attempts"]]
    assert budgets[-1] > budgets[0], "the last attempts escalate the budget"
    assert extraction is not None and extraction.engine == "pymupdf-text"
    assert [line for line in extraction.data["text"].splitlines() if line] == lines[0]


def test_a_server_that_stays_down_parks_jobs_as_waiting(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    pdf = tmp_path / "parked.pdf"
    make_text_pdf(pdf, 2)
    down = _moe_settings(
        sqlite_settings,
        f"http://127.0.0.1:{free_port()}",
        model_unavailable_after_seconds=1.0,
        model_give_up_after_seconds=5.0,
    )
    code, report = _ingest(down, str(pdf), "--tier", "moe")
    assert code == 1
    assert report["status"] == "processing"
    assert report["jobs"]["waiting"] == 2
    jobs = _jobs(sqlite_settings)
    assert all(job.state == "waiting" for job, _ in jobs)
    assert all("the server is down" in (job.waiting_reason or "") for job, _ in jobs)

    with running_fake_vllm() as fake:
        resumed = subprocess.run(
            [sys.executable, "-m", "cli.main", "jobs", "resume", "--tier", "moe"],
            cwd=REPO_ROOT,
            env=worker_environment(_moe_settings(sqlite_settings, fake.base_url)),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed 2" in resumed.stdout
    assert {job.state for job, _ in _jobs(sqlite_settings)} == {"succeeded"}


INVOICE_SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "total": {"type": "number"},
    },
    "required": ["invoice_number", "total"],
}


def test_a_registered_schema_is_filled_page_by_page(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_settings.database_url)
    upgrade_to_head(engine)
    with transaction(make_session_factory(engine)) as session:
        register_schema(session, "invoice", INVOICE_SCHEMA, "the invoice number and total")
    pdf = tmp_path / "invoices.pdf"
    make_text_pdf(pdf, 2)
    with running_fake_vllm() as fake:
        code, report = _ingest(
            _moe_settings(sqlite_settings, fake.base_url), str(pdf), "--schema", "invoice"
        )
        bodies = [request.body for request in fake.control.requests]
    assert code == 0, report
    assert len(bodies) == 2
    for body in bodies:
        assert body["response_format"]["json_schema"]["schema"] == INVOICE_SCHEMA
        prompt = json.dumps(body["messages"])
        assert "invoice_number" in prompt  # the schema is restated in the prompt
    for job, extraction in _jobs(sqlite_settings):
        assert job.tier == "moe" and job.fell_back is False
        assert extraction is not None and extraction.kind == "schema_extraction"
        assert extraction.data["schema"] == "invoice"
        jsonschema.validate(extraction.data["fields"], INVOICE_SCHEMA)
        assert extraction.data["text"].startswith(f"Page {job.seq + 1}00 says")


def test_an_unknown_schema_is_a_usage_error(sqlite_settings: Settings, tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    make_text_pdf(pdf, 1)
    result = ingest_cli(sqlite_settings, str(pdf), "--schema", "nope", timeout=120)
    assert result.returncode == 2
    assert "no schema is registered as 'nope'" in result.stderr
