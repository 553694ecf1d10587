"""The cost of API key checking per request: p50 latency with keys against auth disabled.

Run on demand from the repository root (not a test):

    .venv/bin/python bench/key_check_overhead.py [--requests 2000] [--database-url URL]

Three apps on one migrated database (default: a fresh SQLite file; pass a PostgreSQL URL to
measure there) serve `GET /v1/documents/{id}` for one stored document through Starlette's
TestClient, in rounds that alternate between them so drift hits all three alike:

- **disabled**: GREENHOUSE_AUTH=disabled, the same header, ignored (the baseline);
- **keys, trusted**: a bearer key, verified keys trusted for the default 2 s (the steady state
  of a client sending the same key: a digest and a dictionary look-up);
- **keys, looked up**: a bearer key, `auth_cache_seconds=0`: every request reads the key row
  and compares digests (a client whose key was just seen for the first time).

Requests go one at a time, rotating between the apps. The figures: each p50 in microseconds,
the p50 overhead of key checking (p50 with keys minus p50 disabled) and the ratio of each p50
to the baseline's; then the p50 of the key check alone (`KeyVerifier.verify`, trusted and
looked up), which the request figures bury in the TestClient's own cost.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from api.app import create_app
from api.state import ApiState
from schemas.api_keys import Scope
from schemas.settings import Settings
from storage.api_keys import create_key
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory, transaction
from storage.intake import take_in
from storage.migrate import upgrade_to_head

WARMUP_REQUESTS = 100


class NoDispatch:
    """Nothing is uploaded through the apps; a dispatcher is still required."""

    def dispatch_document(self, document_id: str) -> None:
        del document_id


def _prepare(database_url: str, blob_root: Path) -> tuple[str, str]:
    """A migrated database with one document and one read key: (document id, token)."""
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)
    intake = take_in(
        sessions,
        BlobStore(blob_root),
        io.BytesIO(b"%PDF- key check bench"),
        filename="bench.pdf",
        collection="bench",
        options={},
    )
    with transaction(sessions) as session:
        token = create_key(session, "bench", frozenset({Scope.READ}), frozenset({"bench"})).token
    engine.dispose()
    return intake.document.id, token


def _timed(client: TestClient, path: str, headers: dict[str, str], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"bench request failed: {response.status_code} {response.text}")
    return samples


def _timed_checks(client: TestClient, token: str, count: int) -> list[float]:
    """The key check alone (the app's verifier on the token), `count` times."""
    state: ApiState = client.app.state.greenhouse  # type: ignore[attr-defined]
    assert state.keys is not None
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        caller = state.keys.verify(token)
        samples.append(time.perf_counter() - started)
        assert caller is not None
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per app")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = arguments.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        blob_root = Path(folder) / "blobs"
        document_id, token = _prepare(database_url, blob_root)

        def settings(auth: Literal["keys", "disabled"], trust_seconds: float = 2.0) -> Settings:
            return Settings(
                database_url=database_url,
                blob_root=str(blob_root),
                broker_url=None,
                auth=auth,
                auth_cache_seconds=trust_seconds,
            )

        with_key = {"Authorization": f"Bearer {token}"}
        variants = {
            "disabled": (settings("disabled"), with_key),
            "keys, trusted": (settings("keys"), with_key),
            "keys, looked up": (settings("keys", trust_seconds=0), with_key),
        }
        path = f"/v1/documents/{document_id}"
        clients = {
            name: TestClient(create_app(settings, NoDispatch()))
            for name, (settings, _) in variants.items()
        }
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for name, client in clients.items():
            _timed(client, path, variants[name][1], WARMUP_REQUESTS)
        names = list(clients)
        for index in range(arguments.requests):
            for name in names[index % 3 :] + names[: index % 3]:
                samples[name] += _timed(clients[name], path, variants[name][1], 1)
        checks = {
            name: _timed_checks(clients[name], token, arguments.requests)
            for name in ("keys, trusted", "keys, looked up")
        }
        for client in clients.values():
            client.close()
    p50 = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
    baseline = p50["disabled"]
    print(
        f"GET /v1/documents/{{id}}, {len(samples['disabled'])} requests per app, "
        f"{database_url.split(':')[0]}"
    )
    for name, value in p50.items():
        overhead = value - baseline
        print(
            f"{name:16} p50 {value:8.0f} µs   overhead {overhead:+7.0f} µs   "
            f"{value / baseline:.3f} x disabled"
        )
    for name, values in checks.items():
        print(f"{name:16} the key check alone: p50 {statistics.median(values) * 1e6:8.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
