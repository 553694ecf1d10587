"""Keeps a worker process alive: runs it as a child and starts it again when it exits unasked.

The restart policy is a pure function of the exit history (`restart_delay`): exponential
backoff with jitter over the consecutive short-lived runs, capped, reset by a run that lasted
long enough to count as healthy. `Supervisor` runs the child, forwards SIGTERM/SIGINT to it and
does not restart it after a requested stop.
"""

import logging
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

logger = logging.getLogger(__name__)

FATAL_EXIT_CODES = frozenset({2, 64})
"""Exit codes of a wrong command line (argparse, click, Celery's EX_USAGE): restarting is futile."""


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff between restarts: `initial_delay` doubling to `max_delay`, each delay drawn in
    [delay * (1 - jitter), delay]; a run of `healthy_after` seconds or more resets it."""

    initial_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.5
    healthy_after: float = 60.0


@dataclass(frozen=True)
class ChildExit:
    """One run of the child: how long it lived and how it ended (negative: killed by signal)."""

    duration: float
    returncode: int


def consecutive_failures(history: Sequence[ChildExit], policy: RestartPolicy) -> int:
    """How many runs at the end of `history` died before they counted as healthy."""
    count = 0
    for run in reversed(history):
        if run.duration >= policy.healthy_after:
            break
        count += 1
    return count


def restart_delay(
    history: Sequence[ChildExit], policy: RestartPolicy, uniform: Callable[[float, float], float]
) -> float:
    """Seconds to wait before starting the child again after the last exit in `history`.

    No wait after a healthy run; otherwise `initial_delay` doubled per earlier short run,
    capped at `max_delay`, with jitter drawn by `uniform(low, high)`.
    """
    failures = consecutive_failures(history, policy)
    if failures == 0:
        return 0.0
    ceiling = min(policy.max_delay, policy.initial_delay * 2 ** (failures - 1))
    return uniform(ceiling * (1.0 - policy.jitter), ceiling)


def describe_exit(returncode: int) -> str:
    """'exit code 1' or 'killed by signal SIGKILL'."""
    if returncode < 0:
        try:
            return f"killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class Supervisor:
    """Runs `command` as a child process until asked to stop; see the module docstring."""

    command: Sequence[str]
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    uniform: Callable[[float, float], float] = random.uniform
    name: str = "worker"
    _child: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _stopping: bool = field(default=False, init=False)

    def run(self) -> int:
        """Supervise until a requested stop; returns the last child's exit code (or the fatal
        code of a wrong command line)."""
        previous = {
            signum: signal.signal(signum, self._forward)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            return self._loop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Ask the child to stop (warm shutdown) and do not start it again."""
        self._stopping = True
        child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    def _forward(self, signum: int, _frame: FrameType | None) -> None:
        logger.info(
            "%s: %s received, stopping the %s", self.name, signal.Signals(signum).name, self.name
        )
        self.stop(signum)

    def _loop(self) -> int:
        history: list[ChildExit] = []
        while True:
            started = time.monotonic()
            child = self._start()
            returncode = child.wait()
            self._child = None
            history.append(ChildExit(time.monotonic() - started, returncode))
            if self._stopping:
                return returncode
            if returncode in FATAL_EXIT_CODES:
                logger.error(
                    "%s exited with %s (a usage error): not restarting",
                    self.name,
                    describe_exit(returncode),
                )
                return returncode
            delay = restart_delay(history, self.policy, self.uniform)
            logger.warning(
                "%s (pid %d) exited unexpectedly with %s after %.1f s; restarting in %.1f s "
                "(%d short-lived run(s) in a row)",
                self.name,
                child.pid,
                describe_exit(returncode),
                history[-1].duration,
                delay,
                consecutive_failures(history, self.policy),
            )
            if not self._sleep(delay):
                return returncode

    def _start(self) -> subprocess.Popen[bytes]:
        # Its own process group: a terminal's Ctrl-C reaches only us, and we forward it once
        # (a second SIGINT would make Celery shut down cold).
        child = subprocess.Popen(list(self.command), process_group=0, preexec_fn=_die_with_parent)
        self._child = child
        if self._stopping:
            child.send_signal(signal.SIGTERM)
        logger.info("%s started (pid %d)", self.name, child.pid)
        return child

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless asked to stop; False when a stop was requested meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            time.sleep(min(0.2, remaining))
        return False


def _die_with_parent() -> None:
    """In the child before exec (Linux): get SIGTERM when the supervisor dies, even by SIGKILL."""
    if not os.path.exists("/proc/self"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass
