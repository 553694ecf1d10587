"""Runtime settings read from `GREENHOUSE_*` environment variables."""

from typing import Literal

from pydantic import Field, PositiveFloat, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of a Greenhouse process. Only entry points build this; libraries take values."""

    model_config = SettingsConfigDict(env_prefix="GREENHOUSE_", extra="ignore")

    database_url: str = "sqlite:///./greenhouse.db"
    broker_url: str | None = None
    blob_root: str = "./.greenhouse/blobs"

    max_upload_bytes: int = Field(default=2 * 1024**3, gt=0)
    lease_seconds: float = Field(default=300.0, gt=0)
    reaper_interval_seconds: float = Field(default=30.0, gt=0)
    stale_queued_seconds: float = Field(default=900.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    broker_visibility_timeout: int = Field(default=3600, gt=0)
    worker_max_tasks_per_child: int = Field(default=500, ge=0)
    auto_migrate: bool = False
    retention_days: float | None = Field(default=None, gt=0)
    """Documents older than this are deleted by the reapers and `greenhouse retention apply`
    (unset: kept until deleted)."""
    retention_days_by_collection: dict[str, PositiveFloat | None] = Field(default_factory=dict)
    """Per-collection overrides as JSON, e.g. {"scratch": 1, "contracts": null}; null: kept."""
    outbox_retry_seconds: float = Field(default=2.0, gt=0)
    """First delay of the API's retry of messages it could not send (doubling to 60 s)."""

    auth: Literal["keys", "disabled"] = "keys"
    """`keys`: every /v1 route needs a bearer key; `serve` refuses `disabled` off loopback."""
    auth_cache_seconds: float = Field(default=2.0, ge=0)
    """How long a verified key is trusted before it is looked up again (revocation delay)."""
    metrics_address: str | None = None
    """host:port of a separate listener serving /metrics without a key (e.g. 10.0.0.5:9100)."""
    webhook_poll_seconds: float = Field(default=5.0, gt=0)
    """How often every worker looks for due webhook deliveries (retries; finishes kick at once)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=10, ge=1)
    webhook_disable_after: int = Field(default=20, ge=1)
    """Deliveries in a row that end dead before their webhook is disabled."""

    vllm_url: str | None = None
    """The MoE tier's vLLM server, or its replicas' URLs separated by commas."""
    vllm_model: str | None = None
    edge_url: str | None = None
    """The edge tier's server, or its replicas' URLs separated by commas."""
    edge_model: str | None = None
    model_max_in_flight: int = Field(default=32, ge=1)
    model_unavailable_after_seconds: float = Field(default=120.0, gt=0)
    model_give_up_after_seconds: float = Field(default=600.0, gt=0)
    model_read_timeout_seconds: float = Field(default=300.0, gt=0)

    isolation: Literal["process", "off"] = "process"
    job_deadline_seconds: float = Field(default=600.0, gt=0)
    chunk_deadline_seconds: float = Field(default=600.0, gt=0)
    child_memory_mb: int = Field(default=4096, ge=256)
    test_hooks: bool = False
    container_max_members: int = Field(default=1000, ge=1)
    """Members an archive or e-mail may hold (past it the container fails `too_large`)."""
    container_max_total_bytes: int = Field(default=2 * 1024**3, gt=0)
    """Uncompressed bytes one container may expand to, declared or actually read."""
    container_max_ratio: float = Field(default=100.0, gt=1)
    """Compression ratio a member, and the container as a whole, may reach (past 1 MiB)."""
    container_max_depth: int = Field(default=3, ge=1)
    """Containers nested deeper than this (a ZIP in a ZIP in a ZIP...) are not expanded."""
    local_run_pages: int = Field(default=16, ge=1)
    """Consecutive local-tier jobs of a document claimed, run and completed together under one
    message (a run); every page keeps its own job row. 1: one message per job."""

    @field_validator("vllm_url", "edge_url")
    @classmethod
    def _url_list(cls, value: str | None) -> str | None:
        """`a, b,` -> `a,b`; no URL at all -> None (the tier is not configured)."""
        urls = [url.strip() for url in (value or "").split(",") if url.strip()]
        return ",".join(urls) or None


def load_settings() -> Settings:
    """Read settings from the environment (entry points only)."""
    return Settings()
