"""The isolation pool: warm children that run chunks and plan documents, and what a crash, a
hang or a memory blow-up inside one becomes (test hooks trigger them on purpose)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.engines.base import ChunkJob
from pipeline.engines.catalog import default_registry
from pipeline.engines.resources import EngineResources
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType, Tier
from schemas.settings import Settings
from tests.support.documents import make_text_pdf
from tests.support.isolation import children_at_work
from tests.support.workers import REPO_ROOT
from workers.isolation.hooks import hook_marker
from workers.isolation.messages import ChunkingError, IsolationError, PlanRequest
from workers.isolation.pool import IsolationPool
from workers.isolation.runners import InProcessRunner
from workers.isolation.work import plan_document

pytestmark = pytest.mark.slow

DEADLINE_SECONDS = 2.0


@pytest.fixture
def pool() -> Iterator[IsolationPool]:
    isolation = IsolationPool(
        Settings(
            test_hooks=True,
            job_deadline_seconds=DEADLINE_SECONDS,
            chunk_deadline_seconds=DEADLINE_SECONDS,
            child_memory_mb=768,
        )
    )
    yield isolation
    isolation.close()


def _pdf(path: Path, pages: int, *markers: bytes) -> Path:
    make_text_pdf(path, pages)
    with path.open("ab") as stream:
        for marker in markers:
            stream.write(marker)
    return path


def _plan_request(path: Path) -> PlanRequest:
    return PlanRequest(path, RoutingRequest(), None, ConfiguredTiers(moe=False, edge=False))


def _page_job(path: Path, seq: int) -> ChunkJob:
    chunk = ChunkDescriptor(seq=seq, kind=ChunkKind.PDF_PAGE, page_number=seq + 1)
    return ChunkJob(path=path, chunk=chunk, tier=Tier.LOCAL)


def test_a_warm_child_plans_and_runs_like_the_worker_itself(
    pool: IsolationPool, tmp_path: Path
) -> None:
    path = _pdf(tmp_path / "three.pdf", 3)
    isolated = pool.plan_document(_plan_request(path))
    assert isolated == plan_document(_plan_request(path))
    assert isolated.media_type is MediaType.PDF
    assert [plan.chunk.page_number for plan in isolated.plans] == [1, 2, 3]
    lines = make_text_pdf(tmp_path / "same.pdf", 3)
    isolated_results = [pool.run_chunk(_page_job(path, seq)) for seq in range(3)]
    in_process = InProcessRunner(EngineResources(), default_registry())
    assert isolated_results == [in_process.run_chunk(_page_job(path, seq)) for seq in range(3)]
    texts = [[line for line in r.data["text"].splitlines() if line] for r in isolated_results]
    assert texts == lines
    assert pool.children_started == 1  # one child served all four requests


def test_pipeline_errors_come_back_as_data(pool: IsolationPool, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(ChunkingError) as raised:
        pool.plan_document(_plan_request(empty))
    assert raised.value.category is ErrorCategory.EMPTY_FILE
    assert not isinstance(raised.value, IsolationError)
    assert pool.children_started == 1


def test_a_segfault_costs_one_request_and_the_child_is_replaced(
    pool: IsolationPool, tmp_path: Path
) -> None:
    path = _pdf(tmp_path / "crash.pdf", 3, hook_marker("segfault", "seq-1"))
    assert pool.run_chunk(_page_job(path, 0)).data["text"]
    with pytest.raises(IsolationError) as raised:
        pool.run_chunk(_page_job(path, 1))
    assert raised.value.category is ErrorCategory.CRASHED
    assert "SIGSEGV" in raised.value.message
    assert pool.run_chunk(_page_job(path, 2)).data["text"]
    assert pool.children_started == 2


def test_a_hang_is_killed_at_the_deadline(pool: IsolationPool, tmp_path: Path) -> None:
    path = _pdf(tmp_path / "hang.pdf", 2, hook_marker("hang", "seq-0"))
    pool.run_chunk(_page_job(path, 1))  # warm: the deadline does not include the start
    started = time.monotonic()
    with pytest.raises(IsolationError) as raised:
        pool.run_chunk(_page_job(path, 0))
    elapsed = time.monotonic() - started
    assert raised.value.category is ErrorCategory.TIMEOUT
    assert DEADLINE_SECONDS <= elapsed < DEADLINE_SECONDS + 3
    assert pool.run_chunk(_page_job(path, 1)).data["text"]


def test_unbounded_allocation_hits_the_address_space_limit(
    pool: IsolationPool, tmp_path: Path
) -> None:
    path = _pdf(tmp_path / "greedy.pdf", 2, hook_marker("allocate", "seq-0"))
    with pytest.raises(IsolationError) as raised:
        pool.run_chunk(_page_job(path, 0))
    assert raised.value.category is ErrorCategory.TOO_LARGE
    assert pool.run_chunk(_page_job(path, 1)).data["text"]
    assert pool.children_started == 2  # the child that hit its limit was not reused


def test_a_pool_limited_to_one_child_queues_its_callers_and_gets_the_slot_back_after_failures(
    pool: IsolationPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = (hook_marker("segfault", "seq-1"), hook_marker("allocate", "seq-2"))
    path = _pdf(tmp_path / "limited.pdf", 4, *marks)
    pool.limit_workers(1)
    most_at_work = children_at_work(monkeypatch)
    for seq, category in ((1, ErrorCategory.CRASHED), (2, ErrorCategory.TOO_LARGE)):
        with pytest.raises(IsolationError) as raised:
            pool.run_chunk(_page_job(path, seq))
        assert raised.value.category is category
    with ThreadPoolExecutor(max_workers=3) as callers:
        answers = [callers.submit(pool.run_chunk, _page_job(path, seq)) for seq in (0, 3, 0)]
        texts = [answer.result(timeout=60).data["text"] for answer in answers]
    assert all(texts)
    assert most_at_work == [1]  # three callers, one child answering at a time
    assert pool.children_started == 3  # one per failed child, then one for all three


def test_chunking_crashes_in_its_child(pool: IsolationPool, tmp_path: Path) -> None:
    path = _pdf(tmp_path / "chunk-crash.pdf", 2, hook_marker("segfault", "chunking"))
    with pytest.raises(IsolationError) as raised:
        pool.plan_document(_plan_request(path))
    assert raised.value.category is ErrorCategory.CRASHED


def test_hooks_are_ignored_unless_enabled(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "inert.pdf", 1, hook_marker("segfault", "seq-0"))
    isolation = IsolationPool(Settings(test_hooks=False))
    try:
        assert isolation.run_chunk(_page_job(path, 0)).data["text"]
    finally:
        isolation.close()


def test_a_hung_child_does_not_outlive_its_worker(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "hang.pdf", 1, hook_marker("hang", "seq-0"))
    script = (
        "import sys; from pathlib import Path; "
        "from pipeline.sources.mupdf import prepare_mupdf; prepare_mupdf(); "
        "from tests.unit.test_isolation import _page_job; "
        "from schemas.settings import Settings; "
        "from workers.isolation.pool import IsolationPool; "
        "pool = IsolationPool(Settings(test_hooks=True)); "
        "pool.run_chunk(_page_job(Path(sys.argv[1]), 0))"
    )
    worker = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=REPO_ROOT)
    try:
        child_pid = _wait_for_child(worker.pid)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _exists(child_pid):
            time.sleep(0.2)
        assert not _exists(child_pid)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def _wait_for_child(pid: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            time.sleep(3)  # set up, and hung on its request
            return int(children[0])
        time.sleep(0.2)
    raise AssertionError("the worker started no isolated child")


def _exists(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status
