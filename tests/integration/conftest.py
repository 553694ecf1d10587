"""Fixtures of the integration tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.private_redis import PrivateRedis


@pytest.fixture
def stopped_broker(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis of our own, not started: the broker is down until the test starts it."""
    server = PrivateRedis(tmp_path)
    yield server
    server.kill()
