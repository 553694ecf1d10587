"""Every test under tests/e2e is marked `e2e` here, so `make test-fast` can leave them out."""

from pathlib import Path

import pytest

E2E_ROOT = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest's collection hook sees the whole session's items: mark only the ones below here.
    for item in items:
        if E2E_ROOT in item.path.parents:
            item.add_marker(pytest.mark.e2e)
