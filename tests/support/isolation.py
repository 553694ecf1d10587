"""Watching an isolation pool's children from the worker's side."""

import threading
from typing import Any

import pytest

from workers.isolation import pool as isolation_pool

__all__ = ["children_at_work"]


def children_at_work(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The most single requests (`_Child.ask`: a plan or a job) isolated children were
    answering at once, kept up to date in the one-item list returned."""
    lock = threading.Lock()
    busy = [0]
    most = [0]
    real_ask = isolation_pool._Child.ask

    def ask(child: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        try:
            return real_ask(child, *args, **kwargs)
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(isolation_pool._Child, "ask", ask)
    return most
