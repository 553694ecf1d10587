"""Job runs: consecutive local-tier jobs of a document sent, claimed and completed together.

Every page keeps its own job row (state, attempts, error, extraction); a run only shares the
bookkeeping: one message, one claim, one completion transaction. Grouping is decided once, when
a document's jobs are recorded.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.enums import JobState
from schemas.tasks import LOCAL_QUEUE
from storage.models import new_id

__all__ = ["RecordedChunks", "assign_runs"]


@dataclass(frozen=True)
class RecordedChunks:
    """What recording a document's chunks left to send after the commit: one message per
    ungrouped job, one per run."""

    jobs: list[tuple[str, str]] = field(default_factory=list)
    """(job id, queue) of the runnable jobs outside any run."""
    runs: list[tuple[str, str]] = field(default_factory=list)
    """(run id, queue) of each run."""
    job_ids: list[str] = field(default_factory=list)
    """Every runnable job, grouped or not, in chunk order."""


def assign_runs(job_rows: Sequence[dict[str, Any]], run_pages: int) -> RecordedChunks:
    """Give consecutive queued jobs on the local queue a shared `run_id`, at most `run_pages`
    to a run; a waiting job or a job of another queue ends a run. A run of one is no run."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for row in job_rows:
        if _groupable(row) and run_pages > 1:
            current.append(row)
            if len(current) == run_pages:
                groups.append(current)
                current = []
        else:
            groups.append(current)
            current = []
    groups.append(current)
    runs: list[tuple[str, str]] = []
    for group in groups:
        if len(group) > 1:
            run_id = new_id()
            for row in group:
                row["run_id"] = run_id
            runs.append((run_id, LOCAL_QUEUE))
    queued = [row for row in job_rows if row["state"] == JobState.QUEUED]
    return RecordedChunks(
        jobs=[(row["id"], row["queue"]) for row in queued if row.get("run_id") is None],
        runs=runs,
        job_ids=[row["id"] for row in queued],
    )


def _groupable(row: dict[str, Any]) -> bool:
    return bool(row["state"] == JobState.QUEUED and row["queue"] == LOCAL_QUEUE)
