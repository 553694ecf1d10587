"""A worker is warm before its first task: the isolation zygote of each process that runs tasks
(each prefork pool child, or the worker itself with a threads pool) is already importing the
pipeline when the worker says it is ready, not started by its first document."""

import time
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import Engine

from schemas.settings import Settings
from tests.support.workers import celery_worker

pytestmark = pytest.mark.slow

ZYGOTE_MODULE = "workers.isolation.zygote"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _is_zygote(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return False
    return ZYGOTE_MODULE in command


def _own_zygotes(pid: int) -> list[int]:
    return [child for child in _children(pid) if _is_zygote(child)]


def _preloads_ocr(zygote: int) -> bool:
    """Whether the zygote was asked to import RapidOCR's module (a long-lived worker's is)."""
    return b"\0rapidocr.main\0" in Path(f"/proc/{zygote}/cmdline").read_bytes()


def _zygotes_of_pool(worker_pid: int) -> dict[int, list[int]]:
    """Each pool child of the worker, with its zygotes."""
    return {child: _own_zygotes(child) for child in _children(worker_pid) if not _is_zygote(child)}


@pytest.mark.parametrize(("isolation", "zygotes"), [("process", 1), ("off", 0)])
def test_each_pool_child_starts_its_zygote_before_any_task(
    postgres_engine: Engine,
    broker_url: str,
    tmp_path: Path,
    isolation: Literal["process", "off"],
    zygotes: int,
) -> None:
    settings = Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        isolation=isolation,
    )
    with celery_worker(settings, tmp_path, concurrency=2) as worker:
        deadline = time.monotonic() + 20
        pool = _zygotes_of_pool(worker.process.pid)
        while time.monotonic() < deadline and (
            len(pool) != 2 or any(len(found) != zygotes for found in pool.values())
        ):
            time.sleep(0.2)
            pool = _zygotes_of_pool(worker.process.pid)
        if isolation == "off":
            time.sleep(2)  # long enough for a zygote that should not exist to appear
            pool = _zygotes_of_pool(worker.process.pid)
        assert len(pool) == 2, worker.log()[-2000:]
        assert all(len(found) == zygotes for found in pool.values()), pool
        assert all(_preloads_ocr(zygote) for found in pool.values() for zygote in found)
        assert (
            _own_zygotes(worker.process.pid) == []
        )  # the worker's own process runs no task: no zygote of its own


def test_a_threads_worker_starts_its_own_zygote_before_any_task(
    postgres_engine: Engine, broker_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
    )
    with celery_worker(settings, tmp_path, concurrency=2, pool="threads") as worker:
        deadline = time.monotonic() + 20
        own = _own_zygotes(worker.process.pid)
        while time.monotonic() < deadline and not own:
            time.sleep(0.2)
            own = _own_zygotes(worker.process.pid)
        assert len(own) == 1, worker.log()[-2000:]
        assert _preloads_ocr(own[0])
        assert _children(worker.process.pid) == own  # no pool processes: threads only
