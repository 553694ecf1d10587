"""The image runs as a non-root user; compose takes its passwords from `.env` and publishes the
API on the host's loopback unless told otherwise."""

import re
from pathlib import Path

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_VARIABLE = re.compile(r"\$\{([A-Z_]+):\?[^}]+\}")


def _stages(dockerfile: str) -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in dockerfile.splitlines():
        if match := re.match(r"FROM \S+ AS (\S+)", line):
            current = stages.setdefault(match.group(1), [])
        elif line and not line.startswith("#"):
            current.append(line)
    return stages


def test_every_runnable_image_target_ends_as_the_greenhouse_user() -> None:
    stages = _stages((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    for target in ("api", "worker", "all"):
        users = [line for line in stages[target] if line.startswith("USER ")]
        assert users == ["USER greenhouse"], target
        position = stages[target].index("USER greenhouse")
        assert stages[target][position + 1].startswith("CMD "), target
    assert "useradd --system --uid 10001" in "\n".join(stages["source"])


def test_compose_passwords_come_from_the_env_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    services = yaml.safe_load(text)["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == (
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    )
    api_environment = services["api"]["environment"]
    assert ":${POSTGRES_PASSWORD:?" in api_environment["GREENHOUSE_DATABASE_URL"]
    assert "redis://:${REDIS_PASSWORD:?" in api_environment["GREENHOUSE_BROKER_URL"]
    assert "--requirepass" in " ".join(services["redis"]["command"])
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert set(REQUIRED_VARIABLE.findall(text)) <= defined
    assert "greenhouse:greenhouse@" not in text


def test_compose_publishes_the_api_on_loopback_by_default() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert services["services"]["api"]["ports"] == ["${GREENHOUSE_API_BIND:-127.0.0.1}:8000:8000"]
    published = [name for name, service in services["services"].items() if "ports" in service]
    assert published == ["api"]
