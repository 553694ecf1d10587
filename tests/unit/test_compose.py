"""docker-compose.yml as the README documents it: the CPU stack never routes to a model tier.

A service that knows a model URL routes scans, images, frames or speech to that tier's queue;
only the `gpu` profile runs the vLLM servers and the workers that read those queues. The YAML
is checked with Python (merge keys resolved by PyYAML); where the `docker-compose` binary is
installed, it must also accept the file and resolve it the same way.
"""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
MODEL_VARIABLES = (
    "GREENHOUSE_VLLM_URL",
    "GREENHOUSE_VLLM_MODEL",
    "GREENHOUSE_EDGE_URL",
    "GREENHOUSE_EDGE_MODEL",
)
LEDGER_VARIABLES = ("GREENHOUSE_DATABASE_URL", "GREENHOUSE_BROKER_URL", "GREENHOUSE_BLOB_ROOT")


def _services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = document["services"]
    return services


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # `docker-compose config` may print KEY=VALUE items
        return dict(item.split("=", 1) for item in environment)
    return {str(key): str(value) for key, value in environment.items()}


def _cpu_stack_services() -> list[str]:
    """The services of the README's `docker compose up -d ...` command for the CPU stack."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"`docker compose up -d ([a-z0-9 -]+)` runs the CPU stack", readme)
    assert match is not None, "the README no longer documents the CPU stack command"
    return match.group(1).split()


def _with_dependencies(names: list[str], services: dict[str, dict[str, Any]]) -> set[str]:
    started: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in started:
            started.add(name)
            pending.extend(services[name].get("depends_on") or {})
    return started


def _check_resolved(services: dict[str, dict[str, Any]]) -> None:
    cpu_stack = _with_dependencies(_cpu_stack_services(), services)
    assert cpu_stack == {"api", "worker-cpu", "migrate", "postgres", "redis"}
    for name in cpu_stack:
        assert "gpu" not in (services[name].get("profiles") or []), name
        present = [key for key in MODEL_VARIABLES if key in _environment(services[name])]
        assert present == [], f"{name} would route to a model tier: {present}"
    for name, service in services.items():
        environment = _environment(service)
        if any(key in environment for key in MODEL_VARIABLES):
            assert "gpu" in (service.get("profiles") or []), name
    for name in ("api", "worker-cpu", "worker-vlm", "worker-asr"):
        environment = _environment(services[name])
        assert all(key in environment for key in LEDGER_VARIABLES), name
    for name in ("worker-vlm", "worker-asr"):
        environment = _environment(services[name])
        assert environment["GREENHOUSE_VLLM_URL"] == "http://vllm-moe:8000"
        assert environment["GREENHOUSE_EDGE_URL"] == "http://vllm-edge:8000"
        assert services[name]["profiles"] == ["gpu"]


def test_only_gpu_profile_services_know_the_model_tiers() -> None:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    _check_resolved(_services(document))


def test_the_cpu_worker_reads_every_queue_a_cpu_stack_routes_to() -> None:
    services = _services(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")))
    command = services["worker-cpu"]["command"]
    queues = set(command[command.index("--queues") + 1].split(","))
    assert queues == {"ingest", "local", "asr"}


def test_docker_compose_accepts_and_resolves_the_file_the_same_way() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:  # the YAML checks above still ran; the binary is an extra check
        return
    run = [binary, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE), "config"]
    quiet = subprocess.run([*run, "-q"], capture_output=True, text=True, timeout=60, check=False)
    assert quiet.returncode == 0, quiet.stderr
    resolved = subprocess.run(run, capture_output=True, text=True, timeout=60, check=True)
    _check_resolved(_services(yaml.safe_load(resolved.stdout)))
