"""The xgrammar subset check: what it refuses, where it points, and what it leaves alone."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.extractions import PageContent
from schemas.json_schema_subset import (
    UNSUPPORTED_KEYWORDS,
    XGRAMMAR_STRING_FORMATS,
    describe_unsupported,
    find_unsupported,
)


def problems(schema):
    return [(p.pointer, p.keyword) for p in find_unsupported(schema)]


def test_the_built_in_page_content_schema_is_accepted():
    assert find_unsupported(PageContent.model_json_schema()) == []


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "multipleOf": 5}, [("", "multipleOf")]),
        (
            {"type": "object", "properties": {"tags": {"type": "array", "uniqueItems": True}}},
            [("/properties/tags", "uniqueItems")],
        ),
        (
            {"type": "array", "items": {"type": "array", "contains": {"const": 1}}},
            [("/items", "contains")],
        ),
        (
            {"type": "array", "minContains": 1, "maxContains": 2},
            [("", "minContains"), ("", "maxContains")],
        ),
        (
            {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
            [("", "patternProperties")],
        ),
        ({"type": "object", "propertyNames": {"maxLength": 3}}, [("", "propertyNames")]),
        ({"type": "string", "format": "binary"}, [("", "format")]),
        ({"format": "credit-card"}, [("", "format")]),
        ({"type": "string", "pattern": "^[a-z]+$", "maxLength": 8}, [("", "maxLength")]),
        ({"type": "string", "format": "date", "minLength": 10}, [("", "minLength")]),
        ({"$ref": "https://example.org/schema.json"}, [("", "$ref")]),
        (
            {"anyOf": [{"type": "null"}, {"type": "number", "multipleOf": 0.5}]},
            [("/anyOf/1", "multipleOf")],
        ),
        (
            {"$defs": {"Row": {"type": "array", "prefixItems": [{"uniqueItems": True}]}}},
            [("/$defs/Row/prefixItems/0", "uniqueItems")],
        ),
        (
            {"type": "object", "properties": {"a/b~c": {"type": "integer", "multipleOf": 2}}},
            [("/properties/a~1b~0c", "multipleOf")],
        ),
        (
            {"if": {"multipleOf": 2}, "then": {"uniqueItems": True}, "not": {"contains": {}}},
            [("/if", "multipleOf"), ("/then", "uniqueItems"), ("/not", "contains")],
        ),
    ],
)
def test_unsupported_features_are_reported_with_their_pointer(schema, expected):
    assert problems(schema) == expected


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^[A-Z]{3}$"},
        {"type": "string", "minLength": 1, "maxLength": 80},
        {"type": "integer", "format": "int32"},
        {"type": "integer", "minimum": 0, "maximum": 10},
        {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        {"$ref": "#/$defs/Row", "$defs": {"Row": {"type": "object"}}},
        {
            "type": "object",
            "properties": {
                "pattern": {"type": "string"},
                "multipleOf": {"type": "integer"},
                "uniqueItems": {"type": "boolean"},
            },
            "required": ["pattern", "multipleOf"],
        },
        {"enum": [{"multipleOf": 3}, {"format": "weird", "maxLength": 1}]},
        {"type": "object", "default": {"uniqueItems": True}, "examples": [{"contains": 1}]},
        {"type": "object", "additionalProperties": False, "properties": {"x": True}},
    ],
)
def test_supported_schemas_pass(schema):
    assert find_unsupported(schema) == []


@pytest.mark.parametrize("fmt", sorted(XGRAMMAR_STRING_FORMATS))
def test_every_supported_string_format_passes(fmt):
    assert find_unsupported({"type": "string", "format": fmt}) == []


@pytest.mark.parametrize("schema", [[], "string", None, True])
def test_a_root_that_is_not_an_object_is_a_problem(schema):
    assert problems(schema) == [("", "type")]


def test_descriptions_name_the_pointer_and_keyword():
    schema = {"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 3}}}
    (line,) = describe_unsupported(schema)
    assert line.startswith("#/properties/n: ")
    assert "multipleOf" in line


# A random tree of supported constructs, then bad keywords injected at random nodes.
leaves = st.sampled_from(
    [{"type": "string"}, {"type": "integer", "minimum": 0}, {"type": "boolean"}, {"const": 1}]
)


def extend(children):
    return st.one_of(
        st.dictionaries(st.text("abp/~", min_size=1, max_size=4), children, max_size=3).map(
            lambda props: {"type": "object", "properties": props}
        ),
        children.map(lambda item: {"type": "array", "items": item}),
        st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options}),
    )


trees = st.recursive(leaves, extend, max_leaves=12)


def nodes(schema, pointer=""):
    yield pointer, schema
    for name, child in schema.get("properties", {}).items():
        escaped = name.replace("~", "~0").replace("/", "~1")
        yield from nodes(child, f"{pointer}/properties/{escaped}")
    if "items" in schema:
        yield from nodes(schema["items"], f"{pointer}/items")
    for index, child in enumerate(schema.get("anyOf", [])):
        yield from nodes(child, f"{pointer}/anyOf/{index}")


@given(tree=trees, data=st.data())
def test_exactly_the_injected_keywords_are_found(tree, data):
    tree = json.loads(json.dumps(tree))  # no shared nodes
    assert find_unsupported(tree) == []
    all_nodes = list(nodes(tree))
    picks = data.draw(st.lists(st.sampled_from(range(len(all_nodes))), max_size=4, unique=True))
    injected = set()
    for index in picks:
        pointer, node = all_nodes[index]
        keyword = data.draw(st.sampled_from(UNSUPPORTED_KEYWORDS))
        node[keyword] = {} if keyword in ("contains", "propertyNames") else 2
        injected.add((pointer, keyword))
    assert set(problems(tree)) == injected
