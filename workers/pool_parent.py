"""Pool processes belong to the embedded run that started them.

Their leases name the run's process (so a later run takes them over as soon as that process is
gone), and they exit when it is gone instead of idling forever as orphans: a kill -9 of
`greenhouse ingest` leaves no process behind.
"""

import os
import threading
import time

from workers import owners, pool_process

__all__ = ["initialise"]

WATCH_SECONDS = 1.0
EXIT_ORPHANED = 70


def initialise(run_pid: int, settings_json: str) -> None:
    """Pool initializer: join the run, watch its process, then the pool process's own setup."""
    owners.join_run(run_pid)
    threading.Thread(target=_exit_with, args=(run_pid,), name="run-watch", daemon=True).start()
    pool_process.initialise(settings_json)


def _exit_with(run_pid: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != run_pid:
            os._exit(EXIT_ORPHANED)
