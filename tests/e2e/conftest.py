"""Every test under tests/e2e is marked `e2e` here, so `make test-fast` can leave them out;
and the API client fixture of the modules that define a `settings` fixture."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from schemas.settings import Settings

E2E_ROOT = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest's collection hook sees the whole session's items: mark only the ones below here.
    for item in items:
        if E2E_ROOT in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """The REST API on the test module's `settings`, with its lifespan."""
    with TestClient(create_app(settings)) as client:
        yield client
