"""What `greenhouse ingest` says about documents an embedded run could not finish."""

import io
from datetime import UTC, datetime

from cli.report import DocumentReport, explain_unfinished, plural
from storage.takeover import HeldLease


def _report(status: str, waiting: int = 0) -> DocumentReport:
    jobs = {"total": 2, "queued": 0, "running": 0, "succeeded": 0, "failed": 0}
    return DocumentReport(
        id=f"id-{status}",
        path=f"{status}.pdf",
        status=status,
        media_type="application/pdf",
        pages=2,
        jobs={**jobs, "waiting": waiting},
        error=None,
        duplicate=False,
    )


def test_finished_documents_need_no_explanation() -> None:
    out = io.StringIO()
    explain_unfinished([_report("done"), _report("failed")], [], out)
    assert out.getvalue() == ""


def test_leases_of_a_live_run_and_waiting_jobs_are_explained() -> None:
    out = io.StringIO()
    leases = [
        HeldLease("embedded/h/7/a", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), is_job=True),
        HeldLease("embedded/h/7/b", datetime(2026, 1, 2, 3, 9, 0, tzinfo=UTC), is_job=True),
        HeldLease("embedded/h/8/c", datetime(2026, 1, 2, 3, 5, 0, tzinfo=UTC), is_job=False),
    ]
    reports = [_report("processing", waiting=3), _report("queued"), _report("done")]
    explain_unfinished(reports, leases, out)
    assert out.getvalue() == (
        "2 documents not finished:\n"
        "  2 jobs and 1 document are held by another live process (embedded/h/7/a, "
        "embedded/h/7/b, embedded/h/8/c) until 2026-01-02 03:09:00 UTC at the latest; run again "
        "when it has finished or its leases have expired\n"
        "  3 jobs wait for a model tier that is not configured or not answering (see each job's "
        "waiting_reason; `greenhouse jobs resume` once it is)\n"
    )


def test_plural() -> None:
    assert [plural(n, "job") for n in (0, 1, 2)] == ["0 jobs", "1 job", "2 jobs"]
