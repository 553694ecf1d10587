"""The OpenAPI spec is honest: every status code a route answers is documented with the error
body, enums are declared, /docs and /redoc load nothing from the internet; and a property-based
run (schemathesis) against the spec finds no server error and no undocumented status code."""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Engine

from api.app import create_app
from schemas.api_keys import Scope
from schemas.budget import VISUAL_BUDGETS
from schemas.enums import Tier
from schemas.settings import Settings
from tests.api.test_documents_api import RecordingDispatcher
from tests.support.keys import new_token

EXAMPLES_PER_OPERATION = 25
"""Hypothesis examples per operation and generation mode: the whole run stays well under a
minute on two cores. Checks: every schemathesis check but `positive_data_acceptance`, since a
schema-valid request may still be refused on meaning (an unregistered schema name is a 422)."""


@pytest.fixture
def app(postgres_engine: Engine, tmp_path: Path) -> FastAPI:
    settings = Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        max_upload_bytes=100_000,
        auth="keys",
    )
    return create_app(settings, RecordingDispatcher())


@pytest.fixture
def admin_token(app: FastAPI) -> str:
    return new_token(app.state.greenhouse.sessions, "contract", set(Scope), None)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def operations(spec: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_with_the_error_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        errors = {status for status in responses if status.startswith(("4", "5"))}
        assert {"422", "500"} <= errors, (path, method)
        if path.startswith("/v1/"):
            assert {"401", "403"} <= errors, (path, method)
            assert operation["security"] == [{"bearerKey": []}]
        for status in errors:
            schema = responses[status]["content"]["application/json"]["schema"]
            if (path, status) == ("/readyz", "503"):
                assert schema == {"$ref": "#/components/schemas/ReadinessOut"}
            else:
                assert schema == error_ref, (path, method, status)
        for response in responses.values():
            assert "X-Request-ID" in response["headers"]
    error_info = spec["components"]["schemas"]["ErrorInfoOut"]
    assert set(error_info["required"]) == {"code", "message", "request_id"}


def test_route_specific_statuses_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    def documented(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"202", "200", "413"} <= documented("/v1/documents", "post")
    assert "400" in documented("/v1/documents", "get")
    assert "400" in documented("/v1/extractions", "get")
    assert {"400", "413"} <= documented("/v1/schemas", "post")
    assert {"200", "201", "409"} <= documented("/v1/schemas", "post")
    assert "400" in documented("/v1/schemas", "get")
    assert "404" in documented("/v1/schemas/{name}", "get")
    assert "404" in documented("/v1/jobs/{job_id}", "get")
    assert "404" in documented("/v1/documents/{document_id}", "get")
    assert "503" in documented("/readyz", "get")


def test_tier_and_budget_are_enums(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    upload = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    fields = upload["multipart/form-data"]["schema"]["properties"]
    assert fields["budget"]["enum"] == list(VISUAL_BUDGETS)
    assert fields["tier"]["enum"] == [tier.value for tier in Tier]


def test_docs_pages_load_only_local_assets(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        assert "http://" not in html.text and "https://" not in html.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        assert assets, page
        for asset in assets:
            fetched = client.get(asset)
            assert fetched.status_code == 200, asset
            assert b"fonts.googleapis.com" not in fetched.content, asset
    assert '"validatorUrl": null' in client.get("/docs").text


def test_generated_requests_find_no_server_error_or_undocumented_status(
    app: FastAPI, admin_token: str
) -> None:
    """Every operation, positive and negative examples (none for an operation without inputs),
    with an admin key; prints the figures."""
    config = SchemathesisConfig.from_dict(
        {"auth": {"openapi": {"bearerKey": {"bearer": admin_token}}}}
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    tally = Tally()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        for mode in schemathesis.GenerationMode:
            try:
                run_examples(operation, mode, tally)
            except Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    total = sum(tally.cases.values())
    print(f"\nschemathesis: {total} cases over {len(tally.cases)} operations, ", end="")
    print(f"{len(tally.failures)} failures; statuses {dict(sorted(tally.statuses.items()))}")
    print("\n".join(tally.failures))
    assert tally.failures == []
    assert tally.statuses[500] == 0
    assert len(tally.cases) >= 15


@dataclass
class Tally:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def run_examples(
    operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode, tally: Tally
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        tally.cases[operation.label] += 1
        response = case.call()
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
        except (Failure, FailureGroup) as exc:
            tally.failures.append(f"{operation.label} [{mode.value}]: {exc!r}"[:2000])

    run()
