"""Expanding the ingest arguments into files."""

from collections.abc import Iterator, Sequence
from pathlib import Path


def expand_paths(paths: Sequence[Path]) -> Iterator[Path]:
    """Files as given, folders walked recursively in name order; hidden entries skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in relative.parts):
                    yield child
        elif path.exists():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
