"""Test hooks: make an isolated child segfault, hang or allocate without bound on purpose.

Only a child started with `GREENHOUSE_TEST_HOOKS=1` looks for them. A file asks for one with a
marker in its last KiB (a PDF comment after `%%EOF` changes nothing for parsers):
`greenhouse-test-hook:<action>:<target>`, where the action is `segfault`, `hang`, `allocate`
or `spawn` (start a process that sleeps, leave a temporary file, then hang: what a child leaves
behind when it is killed) and the target `chunking` (the document's chunking) or `seq-<n>` (the
job of chunk `n`).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["HOOK_ACTIONS", "hook_marker", "trigger_hook"]

HOOK_ACTIONS = ("segfault", "hang", "allocate", "spawn")
_TAIL_BYTES = 1024
_MARKER = re.compile(rb"greenhouse-test-hook:(segfault|hang|allocate|spawn):(chunking|seq-\d+)")
_ALLOCATION_STEP = 64 * 1024 * 1024


def hook_marker(action: str, target: str) -> bytes:
    """The bytes to append to a file to ask for `action` on `target`."""
    if action not in HOOK_ACTIONS:
        raise ValueError(f"unknown test hook action {action!r}")
    return b"\n%greenhouse-test-hook:" + action.encode() + b":" + target.encode() + b"\n"


def trigger_hook(path: Path, target: str) -> None:
    """Run the action the file asks for on `target` (returns when it asks for none)."""
    for action, marked in _MARKER.findall(_tail(path)):
        if marked.decode() == target:
            _ACTIONS[action.decode()]()


def _tail(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            stream.seek(max(0, path.stat().st_size - _TAIL_BYTES))
            return stream.read()
    except OSError:
        return b""


def _segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(60)  # the signal is delivered before this returns


def _hang() -> None:
    while True:
        time.sleep(3600)


def _allocate() -> None:
    blocks: list[bytes] = []
    while True:
        blocks.append(bytes(_ALLOCATION_STEP))  # calloc: address space, little RAM


def _spawn() -> None:
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    descriptor, _ = tempfile.mkstemp(prefix="greenhouse-test-hook-")
    os.close(descriptor)
    _hang()


_ACTIONS = {"segfault": _segfault, "hang": _hang, "allocate": _allocate, "spawn": _spawn}
