"""CPU cost of the POST /v1/schemas checks: bounded by the caps, whatever the client sends.

Run on demand from the repository root (a few seconds):

    .venv/bin/python bench/schema_check_cost.py [--repeat 3] [--huge-mb 5.7]

Baseline, measured in the same run: `jsonschema` `check_schema` alone on a schema just under
the size cap (SCHEMA_MAX_BYTES): what registration cost before the checks, for a schema that
is still accepted. Every other figure is a ratio to it:
- the full registration check (`api.routes_schemas.check_registrable`: caps, storable values,
  check_schema, xgrammar subset, `$ref`s, patterns) on the same schema;
- the same with a safe `pattern` on every property (the regex subset parser);
- the full check on a schema of `--huge-mb` MB (refused by the size cap: the iterative walk
  and one `json.dumps`, never `check_schema`);
- `check_schema` alone on that huge schema: what the server paid before the cap.
Each figure is the minimum of `--repeat` runs.
"""

import argparse
import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jsonschema.validators import validator_for

from api.errors import ApiError
from api.routes_schemas import check_registrable
from schemas.schema_limits import SCHEMA_MAX_BYTES


def schema_of_size(
    target_bytes: int, properties: int = 500, with_patterns: bool = False
) -> dict[str, Any]:
    """An object schema of `properties` string properties (in groups of 50) whose descriptions
    bring it close under `target_bytes` of compact JSON."""
    prop: dict[str, Any] = {"type": "string", "description": ""}
    if with_patterns:
        prop["pattern"] = r"^[A-Z]{2}-\d{4,6}(\.\d{1,2})?$"
    bare = {"type": "object", "properties": {f"p{i:04d}": prop for i in range(properties)}}
    spare = target_bytes - len(json.dumps(bare, separators=(",", ":"))) - 40 * properties // 50
    filler = "x" * max(0, spare // properties)
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    for group in range(0, properties, 50):
        members = {f"p{i:04d}": {**prop, "description": filler} for i in range(group, group + 50)}
        schema["properties"][f"g{group}"] = {"type": "object", "properties": members}
    return schema


def compact_size(schema: dict[str, Any]) -> int:
    return len(json.dumps(schema, separators=(",", ":")))


def best_of(repeat: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def registration(schema: dict[str, Any]) -> str:
    try:
        check_registrable(schema)
    except ApiError as exc:
        return f"{exc.status} {exc.code}"
    return "accepted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--huge-mb", type=float, default=5.7)
    args = parser.parse_args()
    capped = schema_of_size(SCHEMA_MAX_BYTES - 512)
    patterned = schema_of_size(SCHEMA_MAX_BYTES - 512, with_patterns=True)
    huge = schema_of_size(int(args.huge_mb * 1024 * 1024), properties=50_000)
    print(
        f"schemas: capped {compact_size(capped)} B, patterned {compact_size(patterned)} B,"
        f" huge {compact_size(huge)} B"
    )
    baseline = best_of(args.repeat, lambda: validator_for(capped).check_schema(capped))
    print(f"baseline check_schema, capped schema: {baseline * 1000:.1f} ms")
    rows = [
        ("full check, capped schema", capped),
        ("full check, capped schema with patterns", patterned),
        ("full check, huge schema", huge),
    ]
    for label, schema in rows:
        seconds = best_of(args.repeat, functools.partial(registration, schema))
        print(
            f"{label}: {seconds * 1000:.1f} ms = {seconds / baseline:.2f} x baseline "
            f"({registration(schema)})"
        )
    unbounded = best_of(1, lambda: validator_for(huge).check_schema(huge))
    print(
        f"check_schema alone, huge schema (before the cap): {unbounded * 1000:.0f} ms = "
        f"{unbounded / baseline:.1f} x baseline"
    )


if __name__ == "__main__":
    main()
