"""Warm isolated children: one request at a time each, replaced when they die or overrun.

A caller takes an idle child (or starts one), sends its request and waits at most its
deadline. A child that dies (a signal: `crashed`), overruns (killed: `timeout`) or runs out of
its address space (`too_large`) is discarded and the caller gets an `IsolationError`; the next
request starts a fresh child. Children are forks of the pool's zygote
(`workers.isolation.zygote`: a fresh, single-threaded interpreter that imported the pipeline
once), never forks of a threaded worker.
"""

import atexit
import logging
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.errors import PipelineError
from schemas.enums import ErrorCategory
from schemas.settings import Settings
from workers.isolation.messages import (
    READY,
    ChunkingError,
    DocumentPlan,
    IsolationError,
    JobRunRequest,
    PlanRequest,
    Reply,
    RunAnswers,
    RunRequest,
)
from workers.isolation.zygote import OCR_MODULES, Zygote, ZygoteError

__all__ = ["STARTUP_SECONDS", "IsolationPool"]

logger = logging.getLogger(__name__)

STARTUP_SECONDS = 120.0
"""How long a new zygote may take to import the pipeline, and a child to say it is ready."""


class _Child:
    """One child (a fork of the zygote: never of a threaded worker) and the parent's end of
    its socket."""

    def __init__(self, settings_json: str, zygote: Zygote) -> None:
        parent_socket, child_socket = socket.socketpair()
        with child_socket:
            try:
                self.process = zygote.fork(child_socket, STARTUP_SECONDS)
            except ZygoteError as exc:
                parent_socket.close()
                raise IsolationError(
                    ErrorCategory.CRASHED, f"the isolated process did not start: {exc}"
                ) from exc
        self.connection = Connection(parent_socket.detach())
        try:
            self.connection.send(settings_json)
        except OSError as exc:
            raise self._death("starting") from exc
        if not self.connection.poll(STARTUP_SECONDS) or self._receive("starting") != READY:
            self.kill()
            raise IsolationError(ErrorCategory.CRASHED, "the isolated process did not start")

    def ask(self, request: PlanRequest | RunRequest, deadline: float, what: str) -> Reply:
        """Send `request` and wait at most `deadline` seconds for the reply."""
        try:
            self.connection.send(request)
        except OSError as exc:
            raise self._death(what) from exc
        return self._reply(deadline, what)

    def answers(self, request: JobRunRequest, deadline: float, what: str) -> Iterator[Reply]:
        """Send a job run and yield one reply per job, waiting at most `deadline` seconds for
        each."""
        try:
            self.connection.send(request)
        except OSError as exc:
            raise self._death(what) from exc
        for _ in request.jobs:
            yield self._reply(deadline, what)

    def _reply(self, deadline: float, what: str) -> Reply:
        if not self.connection.poll(deadline):
            self.kill()
            raise IsolationError(
                ErrorCategory.TIMEOUT,
                f"{what} ran past its {deadline:g} s deadline; its process was killed",
            )
        reply = self._receive(what)
        if not isinstance(reply, Reply):
            raise IsolationError(ErrorCategory.CRASHED, f"{what}: unexpected reply {reply!r}")
        return reply

    def _receive(self, what: str) -> object:
        try:
            return self.connection.recv()
        except (EOFError, OSError) as exc:
            raise self._death(what) from exc

    def _death(self, what: str) -> IsolationError:
        try:
            code: int | None = self.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        if code is not None and code < 0:
            cause = f"died from {_signal_name(-code)}"
        else:
            cause = f"exited with status {code}"
        return IsolationError(ErrorCategory.CRASHED, f"{what}: its process {cause}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Hang up; the child exits at EOF (killed if it does not)."""
        self.connection.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.connection.close()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class IsolationPool:
    """Runs chunks and plans documents in warm child processes (as many as callers at once)."""

    def __init__(self, settings: Settings) -> None:
        self._settings_json = settings.model_dump_json()
        self._job_deadline = settings.job_deadline_seconds
        self._chunk_deadline = settings.chunk_deadline_seconds
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self._returned = threading.Condition(self._lock)
        self._busy = 0
        self._limit: int | None = None
        self._zygote: Zygote | None = None
        self._zygote_lock = threading.Lock()
        self._preload: tuple[str, ...] = ()
        self._closes_at_exit = False
        self.children_started = 0

    def limit_workers(self, count: int | None) -> None:
        """At most `count` children at work at once (None: one per caller); a caller beyond
        it waits for a child to come back. More callers than children keep every child
        busy: one caller's bookkeeping overlaps the others' work."""
        with self._returned:
            self._limit = None if count is None else max(1, count)
            self._returned.notify_all()

    def prestart(self, zygote: Zygote | None = None, *, preload_ocr: bool = False) -> None:
        """Start the zygote now (or adopt `zygote`, one the caller started earlier), without
        waiting for it: its imports overlap the caller's own start-up (imports, database,
        intake) instead of delaying the first request. `preload_ocr` (a long-lived worker):
        this zygote and any that replaces it also import what a child's first OCR needs."""
        if preload_ocr:
            self._preload = OCR_MODULES
        if zygote is None:
            self._live_zygote()
            return
        with self._zygote_lock:
            if self._zygote is None:
                self._keep(zygote)
                return
        zygote.close()

    def run_chunk(self, job: ChunkJob) -> ExtractionResult:
        """`process_chunk` in a child; failures raise `PipelineError` (`IsolationError` for
        a crash, a deadline or the memory limit)."""
        reply = self._ask(RunRequest(job), self._job_deadline, "the job")
        if reply.category is not None:
            raise PipelineError(reply.category, reply.message)
        result: ExtractionResult = reply.value
        return result

    def run_chunks(self, jobs: Sequence[ChunkJob]) -> RunAnswers:
        """A job run in one child, answered job by job, each within the job deadline: a crash,
        a deadline or the memory limit stops the run at the job it happened in."""
        worker = self._take()
        outcomes: list[ExtractionResult | PipelineError] = []
        limit_hit: IsolationError | None = None
        try:
            for reply in worker.answers(JobRunRequest(list(jobs)), self._job_deadline, "the job"):
                if reply.traceback:
                    logger.error("the job raised in its isolated process:\n%s", reply.traceback)
                if reply.limit_hit:
                    category = reply.category or ErrorCategory.TOO_LARGE
                    limit_hit = IsolationError(category, reply.message)
                    break
                if reply.category is not None:
                    outcomes.append(PipelineError(reply.category, reply.message))
                else:
                    outcomes.append(reply.value)
        except IsolationError as stopped:
            self._discard(worker)
            return RunAnswers(outcomes, stopped)
        except BaseException:
            self._discard(worker)
            raise
        if limit_hit is not None:
            self._discard(worker, stop=True)  # it exits after saying so
            return RunAnswers(outcomes, limit_hit)
        self._give_back(worker)
        return RunAnswers(outcomes)

    def plan_document(self, request: PlanRequest) -> DocumentPlan:
        """Sniff, chunk and plan in a child; failures raise `ChunkingError` or
        `IsolationError`."""
        reply = self._ask(request, self._chunk_deadline, "chunking")
        if reply.category is not None:
            raise ChunkingError(reply.category, reply.message, reply.media_type)
        plan: DocumentPlan = reply.value
        return plan

    def close(self) -> None:
        """Stop the idle children (busy ones are stopped by their callers)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for each in idle:
            each.stop()
        with self._zygote_lock:
            zygote, self._zygote = self._zygote, None
        if zygote is not None:
            zygote.close()

    def _live_zygote(self) -> Zygote:
        """The zygote, started (again, if it died) on first need."""
        with self._zygote_lock:
            if self._zygote is None or not self._zygote.alive():
                if self._zygote is not None:
                    self._zygote.close()
                self._keep(Zygote(self._preload))
            assert self._zygote is not None
            return self._zygote

    def _keep(self, zygote: Zygote) -> None:
        """Make `zygote` the pool's (under the zygote lock)."""
        if not self._closes_at_exit:  # idle children first: they and the zygote then end
            atexit.register(self.close)  # at once, reaped and accounted
            self._closes_at_exit = True
        self._zygote = zygote

    def _ask(self, request: PlanRequest | RunRequest, deadline: float, what: str) -> Reply:
        worker = self._take()
        try:
            reply = worker.ask(request, deadline, what)
        except BaseException:
            self._discard(worker)
            raise
        if reply.traceback:
            logger.error("%s raised in its isolated process:\n%s", what, reply.traceback)
        if reply.limit_hit:
            self._discard(worker, stop=True)
            raise IsolationError(reply.category or ErrorCategory.TOO_LARGE, reply.message)
        self._give_back(worker)
        return reply

    def _take(self) -> _Child:
        """An idle child, or a new one; waits while `limit_workers` children are at work."""
        with self._returned:
            while self._limit is not None and self._busy >= self._limit:
                self._returned.wait()
            self._busy += 1
            while self._idle:
                candidate = self._idle.pop()
                if candidate.alive():
                    return candidate
                candidate.kill()
            self.children_started += 1
        try:
            return _Child(self._settings_json, self._live_zygote())
        except BaseException:
            self._returned_one()
            raise

    def _give_back(self, worker: _Child) -> None:
        """A child that answered: idle again, for the next caller."""
        with self._returned:
            self._idle.append(worker)
            self._busy -= 1
            self._returned.notify()

    def _discard(self, worker: _Child, *, stop: bool = False) -> None:
        """A child that crashed, overran or hit its memory limit: killed (or stopped, when
        it is exiting anyway); the next caller starts a fresh one."""
        try:
            if stop:
                worker.stop()
            else:
                worker.kill()
        finally:
            self._returned_one()

    def _returned_one(self) -> None:
        with self._returned:
            self._busy -= 1
            self._returned.notify()
