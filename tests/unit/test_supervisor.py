"""The supervisor's restart policy, and a supervised child started again until asked to stop."""

import signal
import sys
import threading
import time
from pathlib import Path

from workers.supervisor import (
    ChildExit,
    RestartPolicy,
    Supervisor,
    consecutive_failures,
    describe_exit,
    restart_delay,
)

POLICY = RestartPolicy(initial_delay=1.0, max_delay=60.0, jitter=0.5, healthy_after=60.0)


def _highest(low: float, high: float) -> float:
    return high


def _lowest(low: float, high: float) -> float:
    return low


def _short(returncode: int = 1) -> ChildExit:
    return ChildExit(duration=2.0, returncode=returncode)


def test_backoff_doubles_per_short_run_up_to_the_cap() -> None:
    delays = [restart_delay([_short()] * n, POLICY, _highest) for n in range(1, 10)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_jitter_draws_between_half_and_the_full_delay() -> None:
    seen: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        seen.append((low, high))
        return (low + high) / 2

    assert restart_delay([_short()] * 4, POLICY, record) == 6.0
    assert seen == [(4.0, 8.0)]
    assert restart_delay([_short()] * 4, POLICY, _lowest) == 4.0


def test_a_healthy_run_resets_the_backoff() -> None:
    history = [_short()] * 6 + [ChildExit(duration=600.0, returncode=-9)]
    assert consecutive_failures(history, POLICY) == 0
    assert restart_delay(history, POLICY, _highest) == 0.0
    assert restart_delay([*history, _short()], POLICY, _highest) == 1.0
    assert restart_delay([*history, _short(), _short()], POLICY, _highest) == 2.0


def test_exits_are_described_by_code_or_signal() -> None:
    assert describe_exit(1) == "exit code 1"
    assert describe_exit(-signal.SIGKILL) == "killed by signal SIGKILL"
    assert describe_exit(-signal.SIGSEGV) == "killed by signal SIGSEGV"


CHILD = """
import pathlib, signal, sys, time
runs = pathlib.Path(sys.argv[1])
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
if len(runs.read_text()) < 3:
    sys.exit(7)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
time.sleep(60)
sys.exit(5)
"""


def test_a_dying_child_is_restarted_and_a_stop_is_final(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    supervisor = Supervisor(
        [sys.executable, "-c", CHILD, str(runs)],
        RestartPolicy(initial_delay=0.05, max_delay=0.1, healthy_after=60.0),
        name="test child",
    )

    def stop_once_running_for_good() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if runs.exists() and len(runs.read_text()) == 3:
                time.sleep(0.3)  # the third run installs its SIGTERM handler
                supervisor.stop()
                return
            time.sleep(0.02)

    stopper = threading.Thread(target=stop_once_running_for_good)
    stopper.start()
    started = time.monotonic()
    returncode = supervisor.run()
    stopper.join()
    assert returncode == 0  # the third run stopped cleanly on SIGTERM
    assert runs.read_text() == "xxx"  # two unexpected exits, two restarts, none after the stop
    assert time.monotonic() - started < 20


def test_a_usage_error_is_not_restarted(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = "import pathlib, sys; p = pathlib.Path(sys.argv[1]); p.write_text('x'); sys.exit(64)"
    supervisor = Supervisor([sys.executable, "-c", script, str(runs)], name="test child")
    assert supervisor.run() == 64
    assert runs.read_text() == "x"
