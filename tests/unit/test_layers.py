"""The import direction of DESIGN.md, checked on the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {"schemas", "pipeline", "storage", "workers", "api", "cli", "greenhouse"}
ALLOWED = {
    "schemas": set(),
    "pipeline": {"schemas"},
    "storage": {"schemas"},
    "workers": {"pipeline", "storage", "schemas"},
    "api": {"storage", "schemas"},
    "cli": PROJECT_PACKAGES,
    "greenhouse": set(),
}
FORBIDDEN_THIRD_PARTY = {
    "pipeline": {"celery", "kombu", "sqlalchemy", "alembic", "fastapi", "starlette", "redis"},
    "schemas": {"celery", "sqlalchemy", "fastapi", "pymupdf"},
    "storage": {"celery", "fastapi", "pymupdf"},
    "api": {"pymupdf", "sqlalchemy"},
    "cli": {"sqlalchemy"},
    "greenhouse": {"sqlalchemy", "fastapi", "starlette", "celery", "pydantic"},
}
WORKER_SQLALCHEMY_NAMES = {
    "sqlalchemy.exc": None,  # any exception class: retry and logging policy
    "sqlalchemy": {"Engine"},
    "sqlalchemy.orm": {"Session", "sessionmaker"},
}
"""What workers/ may import from SQLAlchemy (None: anything): errors and the types of the
handles they carry, never a query construct; queries live in storage/."""
QUERY_METHODS = {"execute", "scalar", "scalars", "query", "get"}
QUERY_RECEIVERS = {"session", "connection"}


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


def _sqlalchemy_names(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every import from SQLAlchemy; `import sqlalchemy...` gives name "*"."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, "*") for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found += [(node.module or "", alias.name) for alias in node.names]
    return found


def _queries_run(path: Path) -> list[str]:
    """`session.execute(...)`-like calls: a query run outside storage/."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{node.func.value.id}.{node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in QUERY_RECEIVERS
        and node.func.attr in QUERY_METHODS
    ]


def test_workers_import_only_errors_and_handle_types_from_sqlalchemy() -> None:
    violations = []
    for module in _modules("workers"):
        for imported_from, name in _sqlalchemy_names(module):
            allowed = WORKER_SQLALCHEMY_NAMES.get(imported_from, set())
            if allowed is not None and name not in allowed:
                violations.append(f"{module.relative_to(ROOT)} imports {name} from {imported_from}")
    assert violations == []


@pytest.mark.parametrize("package", ["api", "cli", "workers"])
def test_only_storage_runs_queries(package: str) -> None:
    violations = [
        f"{module.relative_to(ROOT)} calls {call}"
        for module in _modules(package)
        for call in _queries_run(module)
    ]
    assert violations == []


def test_pipeline_never_reads_the_environment() -> None:
    offenders = [
        str(module.relative_to(ROOT))
        for module in _modules("pipeline")
        if "os.environ" in module.read_text() or "getenv" in module.read_text()
    ]
    assert offenders == []
