"""POST /v1/schemas refuses what cannot be stored or cannot work at extraction time with a 422
naming the JSON pointer, on PostgreSQL and SQLite; GET /v1/schemas pages names without bodies."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.errors import ApiError
from api.routes_schemas import check_registrable
from schemas.schema_limits import SCHEMA_MAX_BYTES, SCHEMA_MAX_DEPTH, SCHEMA_MAX_PROPERTIES
from schemas.settings import Settings
from tests.api.test_documents_api import RecordingDispatcher
from tests.api.test_hostile_requests import assert_error


@pytest.fixture
def client(any_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
    )
    with TestClient(create_app(settings, RecordingDispatcher())) as test_client:
        yield test_client


def post_raw(client: TestClient, schema_json: str, description: str = '"d"'):
    """POST a body whose json_schema is given as raw JSON text (NaN, lone surrogates...)."""
    body = f'{{"name": "hostile", "json_schema": {schema_json}, "description": {description}}}'
    return client.post("/v1/schemas", content=body, headers={"content-type": "application/json"})


def post(client: TestClient, schema: dict, name: str = "hostile"):
    return client.post("/v1/schemas", json={"name": name, "json_schema": schema})


def obj(**properties: dict) -> dict:
    return {"type": "object", "properties": properties}


@pytest.mark.parametrize(
    ("literal", "shown"),
    [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"), ("1e400", "inf")],
)
def test_non_finite_numbers_are_refused_at_their_pointer(
    client: TestClient, literal: str, shown: str
) -> None:
    schema = (
        f'{{"type": "object", "properties": {{"n": {{"type": "number", "maximum": {literal}}}}}}}'
    )
    error = assert_error(post_raw(client, schema), 422, "invalid_request")
    assert error["detail"] == [
        {
            "loc": ["body", "json_schema", "properties", "n", "maximum"],
            "msg": f"{shown} is not a finite number",
        }
    ]
    assert client.get("/v1/schemas").json()["items"] == []


def test_lone_surrogates_and_nul_in_schema_strings_and_keys_are_refused(
    client: TestClient,
) -> None:
    value = '{"type": "object", "properties": {"a": {"type": "string", "title": "x\\ud800"}}}'
    error = assert_error(post_raw(client, value), 422, "invalid_request")
    assert error["detail"] == [
        {
            "loc": ["body", "json_schema", "properties", "a", "title"],
            "msg": "the string is not valid Unicode (it holds a lone surrogate)",
        }
    ]
    key = '{"type": "object", "properties": {"b\\udfff": {"type": "string"}}}'
    error = assert_error(post_raw(client, key), 422, "invalid_request")
    assert error["detail"] == [
        {
            "loc": ["body", "json_schema", "properties", "b\\udfff"],
            "msg": "the key is not valid Unicode (it holds a lone surrogate)",
        }
    ]
    nul = '{"type": "object", "properties": {"c": {"enum": ["ok", "n\\u0000"]}}}'
    error = assert_error(post_raw(client, nul), 422, "invalid_request")
    assert error["detail"] == [
        {
            "loc": ["body", "json_schema", "properties", "c", "enum", "1"],
            "msg": "the string contains a NUL character",
        }
    ]


@pytest.mark.parametrize("description", ['"nul \\u0000"', '"half \\ud83d"'])
def test_a_description_that_cannot_be_stored_is_refused(
    client: TestClient, description: str
) -> None:
    response = post_raw(client, json.dumps(obj(a={"type": "string"})), description)
    error = assert_error(response, 422, "invalid_request")
    assert error["detail"][0]["loc"] == ["body", "description"]
    assert client.get("/v1/schemas").json()["items"] == []


def test_the_registration_check_itself_refuses_unstorable_values() -> None:
    schema = obj(n={"type": "number", "maximum": float("inf")})
    with pytest.raises(ApiError) as refused:
        check_registrable(schema)
    assert (refused.value.status, refused.value.code) == (422, "invalid_schema")
    assert refused.value.detail == ["#/properties/n/maximum: inf is not a finite number"]


def test_a_schema_over_the_size_cap_is_refused_before_validation(client: TestClient) -> None:
    schema = obj(a={"type": "string", "description": "x" * SCHEMA_MAX_BYTES})
    error = assert_error(post(client, schema), 422, "schema_too_large")
    (line,) = error["detail"]
    assert line.startswith("#: is ") and f"at most {SCHEMA_MAX_BYTES} are accepted" in line


def test_a_schema_nested_past_the_depth_cap_names_where(client: TestClient) -> None:
    schema: dict = {"type": "string"}
    for _ in range(SCHEMA_MAX_DEPTH):
        schema = {"type": "array", "items": schema}
    error = assert_error(post(client, obj(deep=schema)), 422, "schema_too_large")
    (line,) = error["detail"]
    pointer = "/properties/deep" + "/items" * (SCHEMA_MAX_DEPTH - 2)
    assert line == f"#{pointer}: nested deeper than {SCHEMA_MAX_DEPTH} levels of objects and arrays"


def test_a_schema_nested_hundreds_deep_is_refused_not_a_crash(client: TestClient) -> None:
    raw = '{"type": "object", "properties": {"d": ' + '{"not": ' * 500 + "{}" + "}" * 502
    assert_error(post_raw(client, raw), 422, "schema_too_large")


def test_too_many_properties_are_refused(client: TestClient) -> None:
    many = {f"p{i}": {"type": "string"} for i in range(SCHEMA_MAX_PROPERTIES + 1)}
    error = assert_error(post(client, obj(**many)), 422, "schema_too_large")
    assert error["detail"] == [
        f"#: declares {SCHEMA_MAX_PROPERTIES + 1} properties; "
        f"at most {SCHEMA_MAX_PROPERTIES} are accepted"
    ]
    fits = {f"p{i}": {"type": "string"} for i in range(SCHEMA_MAX_PROPERTIES)}
    assert post(client, obj(**fits)).status_code == 201


@pytest.mark.parametrize(
    ("schema", "line"),
    [
        (
            {**obj(a={"$ref": "#/$defs/missing"}), "$defs": {}},
            "#/properties/a: '$ref' '#/$defs/missing' points at nothing in this schema",
        ),
        (
            obj(a={"$ref": "#/required"}, b={"type": "string"}) | {"required": ["b"]},
            "#/properties/a: '$ref' '#/required' does not point at a schema object",
        ),
        (
            obj(a={"$ref": "#anchor"}),
            "#/properties/a: '$ref' '#anchor' is not a JSON pointer ('#/...'); "
            "anchors are not supported",
        ),
        (
            obj(tree={"type": "array", "items": {"$ref": "#/properties/tree"}}),
            "#/properties/tree/items: '$ref' to '#/properties/tree' forms a cycle (recursion)",
        ),
        (
            {
                **obj(a={"$ref": "#/$defs/x"}),
                "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"anyOf": [{"$ref": "#/$defs/x"}]}},
            },
            "#/$defs/y/anyOf/0: '$ref' to '#/$defs/x' forms a cycle (recursion)",
        ),
        (
            obj(a={"type": "string", "pattern": "^(a+)+$"}),
            "#/properties/a: pattern outside the safe subset at offset 6: a repeated group "
            "contains a repeat or an alternation (catastrophic backtracking)",
        ),
        (
            obj(a={"type": "string", "pattern": "(?<=x)y"}),
            "#/properties/a: pattern outside the safe subset at offset 1: lookaround, named "
            "groups and inline flags are not supported",
        ),
    ],
    ids=["dangling", "not-a-schema", "anchor", "self-cycle", "mutual-cycle", "redos", "lookbehind"],
)
def test_refs_and_patterns_that_cannot_work_are_refused_at_their_pointer(
    client: TestClient, schema: dict, line: str
) -> None:
    error = assert_error(post(client, schema), 422, "unsupported_schema")
    assert error["detail"] == [line]


def test_shared_refs_and_safe_patterns_are_accepted(client: TestClient) -> None:
    amount = {"type": "string", "pattern": "^-?\\d{1,12}(\\.\\d{2})?$"}
    schema = {
        **obj(net={"$ref": "#/$defs/amount"}, gross={"$ref": "#/$defs/amount"}),
        "$defs": {"amount": amount},
    }
    assert post(client, schema).status_code == 201


def test_the_listing_is_paginated_by_name_without_bodies(client: TestClient) -> None:
    for name in ("charlie", "alpha", "bravo"):
        assert post(client, obj(a={"type": "string"}), name=name).status_code == 201
    first = client.get("/v1/schemas", params={"limit": 2}).json()
    assert [item["name"] for item in first["items"]] == ["alpha", "bravo"]
    assert all(set(item) == {"name", "description", "created_at"} for item in first["items"])
    second = client.get("/v1/schemas", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [item["name"] for item in second.json()["items"]] == ["charlie"]
    assert second.json()["next_cursor"] is None
    shown = client.get("/v1/schemas/bravo").json()
    assert shown["json_schema"] == obj(a={"type": "string"})
