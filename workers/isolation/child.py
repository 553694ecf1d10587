"""The isolated child: process setup, an address-space limit, then requests until EOF.

Forked by the pool's zygote (`workers.isolation.zygote`); it keeps its engine resources (open
PDFs, RapidOCR, Moonshine, model clients) warm across requests. Imports nothing heavy at the
top: PyMuPDF must be set up (`prepare_mupdf`) before the pipeline is imported.
"""

import os
import resource
import shutil
import signal
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import PipelineError
from schemas.enums import ErrorCategory
from workers.isolation.messages import (
    READY,
    ChunkingError,
    JobRunRequest,
    PlanRequest,
    Reply,
    RunRequest,
)

if TYPE_CHECKING:
    from pipeline.engines.registry import EngineRegistry
    from pipeline.engines.resources import EngineResources

__all__ = ["leave", "limit_address_space", "main", "serve"]


ORPHAN_CHECK_SECONDS = 1.0


def main(descriptor: int, workdir: Path | None = None) -> None:
    """Entry of a forked child: the parent's socket, the settings as its first message.
    `workdir`: the child's own temporary folder, removed by the zygote when the child ends (or
    by the child itself if orphaned)."""
    _exit_when_orphaned(os.getppid(), workdir)
    connection = Connection(descriptor)
    try:
        settings_json = connection.recv()
    except EOFError:
        return
    serve(connection, settings_json)


def limit_address_space(megabytes: int) -> None:
    """Cap this process's address space (the soft limit; allocations past it fail)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def serve(connection: Connection, settings_json: str) -> None:
    """The child's life: set up, say ready, answer requests until the parent hangs up."""
    from pipeline.sources.mupdf import prepare_mupdf

    prepare_mupdf()
    from pipeline.engines.catalog import default_registry
    from schemas.settings import Settings
    from workers.model_tiers import engine_resources

    settings = Settings.model_validate_json(settings_json)
    limit_address_space(settings.child_memory_mb)
    resources = engine_resources(settings)
    registry = default_registry()
    connection.send(READY)
    try:
        while True:
            try:
                request = connection.recv()
            except EOFError:
                return
            if isinstance(request, JobRunRequest):
                if not _answer_run(connection, request, resources, registry, settings.test_hooks):
                    return
                continue
            reply = _answer(request, resources, registry, settings.test_hooks)
            connection.send(reply)
            if reply.limit_hit:
                return
    finally:
        resources.close()


def _exit_when_orphaned(parent: int, workdir: Path | None) -> None:
    """A child busy (or hung) when its worker dies must not outlive it: a watcher thread
    ends the process once it is re-parented."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_SECONDS)
        leave(workdir, orphaned=True)
        os._exit(1)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def leave(workdir: Path | None, *, orphaned: bool) -> None:
    """What a child does last: remove its temporary folder and, when orphaned (its zygote,
    which would end them, is gone), end what it started, itself with them when it leads its
    own process group."""
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    if orphaned and os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)


def _answer(
    request: PlanRequest | RunRequest,
    resources: "EngineResources",
    registry: "EngineRegistry",
    test_hooks: bool,
) -> Reply:
    from workers.isolation.work import plan_document, run_chunk

    try:
        if isinstance(request, PlanRequest):
            if test_hooks:
                _trigger(request.path, "chunking")
            return Reply(value=plan_document(request))
        if test_hooks:
            _trigger(request.job.path, f"seq-{request.job.chunk.seq}")
        return Reply(value=run_chunk(request, resources, registry))
    except ChunkingError as error:
        return Reply(category=error.category, message=error.message, media_type=error.media_type)
    except PipelineError as error:
        return Reply(category=error.category, message=error.message)
    except MemoryError:
        return Reply(
            category=ErrorCategory.TOO_LARGE,
            message="the work ran out of its address space (GREENHOUSE_CHILD_MEMORY_MB)",
            limit_hit=True,
        )
    except Exception as exc:
        return Reply(
            category=ErrorCategory.INTERNAL,
            message=f"unexpected {type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )


def _answer_run(
    connection: Connection,
    request: JobRunRequest,
    resources: "EngineResources",
    registry: "EngineRegistry",
    test_hooks: bool,
) -> bool:
    """One reply per job of the run, sent as each finishes, its PDF kept open across them;
    False when the child must exit (a job hit the memory limit)."""
    from workers.isolation.work import pinned_document

    with pinned_document(request.jobs, resources):
        for job in request.jobs:
            reply = _answer(RunRequest(job), resources, registry, test_hooks)
            connection.send(reply)
            if reply.limit_hit:
                return False
    return True


def _trigger(path: object, target: str) -> None:
    from pathlib import Path

    from workers.isolation.hooks import trigger_hook

    trigger_hook(Path(str(path)), target)
