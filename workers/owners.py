"""Lease owners name their kind, host and process, so a dead owner is known.

`embedded/<hostname>/<pid>/<random>` for embedded runs, `celery/<hostname>/<pid>/<task id>` for
Celery pool processes: a later run, or the reaper of a worker on the same host, takes over the
leases of an owner whose process is gone instead of waiting for them to expire.
"""

import os
import socket
import uuid
from pathlib import Path

EMBEDDED_PREFIX = "embedded"
CELERY_PREFIX = "celery"

_run_pid: int | None = None
"""The embedded run a pool process works for (set by its initializer); None: this process."""


def join_run(run_pid: int) -> None:
    """Make this pool process's leases name the run's process: when that process is gone, the
    run is over, whatever its pool processes still do."""
    global _run_pid
    _run_pid = run_pid


def embedded_owner() -> str:
    """A fresh lease owner for one claim by this process, naming its embedded run."""
    pid = os.getpid() if _run_pid is None else _run_pid
    return f"{embedded_owner_prefix(socket.gethostname())}{pid}/{uuid.uuid4().hex[:12]}"


def celery_owner(task_id: str | None) -> str:
    """The lease owner of one Celery task run by this process."""
    prefix = owner_prefix(CELERY_PREFIX, socket.gethostname())
    return f"{prefix}{os.getpid()}/{task_id or 'no-task-id'}"


def owner_prefix(kind: str, hostname: str) -> str:
    """What every owner of `kind` (embedded, celery) on `hostname` starts with."""
    return f"{kind}/{hostname}/"


def embedded_owner_prefix(hostname: str) -> str:
    """What every embedded owner on `hostname` starts with."""
    return owner_prefix(EMBEDDED_PREFIX, hostname)


def owner_pid(owner: str, prefix: str) -> int | None:
    """The process id named by an owner starting with `prefix`; None for any other owner."""
    if not owner.startswith(prefix):
        return None
    pid, _, _ = owner[len(prefix) :].partition("/")
    return int(pid) if pid.isdigit() else None


def process_is_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # The state follows the parenthesised command name, which may itself hold spaces.
        state = stat.read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
