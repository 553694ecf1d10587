"""Real `celery worker` processes for the distributed tests."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schemas.settings import Settings

READY_TIMEOUT_SECONDS = 60
REPO_ROOT = Path(__file__).resolve().parents[2]


def worker_environment(settings: Settings) -> dict[str, str]:
    """The process environment that hands `settings` to a worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENHOUSE_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"GREENHOUSE_{name.upper()}"] = str(value)
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


class WorkerProcess:
    """A running `celery worker` in its own process group."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill_hard(self) -> None:
        """SIGKILL the worker and its pool children at once (a machine losing power)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@contextmanager
def celery_worker(
    settings: Settings,
    log_dir: Path,
    queues: str = "ingest,local",
    concurrency: int = 2,
    pool: str = "prefork",
) -> Iterator[WorkerProcess]:
    """Start a worker, wait until it consumes, stop it on exit."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    log_path = log_dir / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.celery_main",
        "worker",
        "-Q",
        queues,
        "--concurrency",
        str(concurrency),
        "--pool",
        pool,
        "--loglevel",
        "INFO",
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=worker_environment(settings),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process, log_path)
    try:
        _wait_ready(worker)
        yield worker
    finally:
        worker.stop()


def _wait_ready(worker: WorkerProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if " ready." in worker.log():
            return
        if worker.process.poll() is not None:
            raise RuntimeError(f"the celery worker exited early:\n{worker.log()}")
        time.sleep(0.2)
    raise RuntimeError(f"the celery worker did not become ready:\n{worker.log()}")
