"""The import direction of DESIGN.md, checked on the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {"schemas", "pipeline", "storage", "workers", "api", "cli"}
ALLOWED = {
    "schemas": set(),
    "pipeline": {"schemas"},
    "storage": {"schemas"},
    "workers": {"pipeline", "storage", "schemas"},
    "api": {"storage", "schemas"},
    "cli": PROJECT_PACKAGES,
}
FORBIDDEN_THIRD_PARTY = {
    "pipeline": {"celery", "kombu", "sqlalchemy", "alembic", "fastapi", "starlette", "redis"},
    "schemas": {"celery", "sqlalchemy", "fastapi", "pymupdf"},
    "storage": {"celery", "fastapi", "pymupdf"},
    "api": {"pymupdf"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layer_imports_follow_the_design(package: str) -> None:
    violations = []
    for module in _modules(package):
        imported = _imports(module)
        project = (imported & PROJECT_PACKAGES) - {package}
        for name in project - ALLOWED[package]:
            violations.append(f"{module.relative_to(ROOT)} imports {name}")
        for name in imported & FORBIDDEN_THIRD_PARTY.get(package, set()):
            violations.append(f"{module.relative_to(ROOT)} imports {name}")
    assert violations == []


def test_pipeline_never_reads_the_environment() -> None:
    offenders = [
        str(module.relative_to(ROOT))
        for module in _modules("pipeline")
        if "os.environ" in module.read_text() or "getenv" in module.read_text()
    ]
    assert offenders == []
