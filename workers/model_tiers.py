"""The model-tier engines of a worker process, built once from settings and shared by threads."""

import threading

from pipeline.model.attempts import VlmEngine
from pipeline.model.backpressure import BackpressureConfig
from pipeline.model.client import VlmClient, VlmClientConfig
from pipeline.model.retry import RetryPolicy
from pipeline.run import ModelEngines
from schemas.settings import Settings

INITIAL_IN_FLIGHT = 8
_lock = threading.Lock()
_engines: dict[str, ModelEngines] = {}


def model_engines(settings: Settings) -> ModelEngines:
    """This process's engines for the tiers `settings` configure (one client per tier)."""
    key = settings.model_dump_json()
    with _lock:
        engines = _engines.get(key)
        if engines is None:
            engines = ModelEngines(
                moe=_engine(settings, settings.vllm_url, settings.vllm_model),
                edge=_engine(settings, settings.edge_url, settings.edge_model),
            )
            _engines[key] = engines
        return engines


def forget_engines() -> None:
    """Drop the engines (after a fork: connections must not be shared with the parent)."""
    with _lock:
        for engines in _engines.values():
            for engine in (engines.moe, engines.edge):
                if engine is not None:
                    engine.client.close()
        _engines.clear()


def _engine(settings: Settings, url: str | None, model: str | None) -> VlmEngine | None:
    if not (url and model):
        return None
    client = VlmClient(
        VlmClientConfig(
            base_url=url,
            model=model,
            read_timeout=settings.model_read_timeout_seconds,
            max_in_flight=settings.model_max_in_flight,
            # Start small and grow while the window fills: a burst at the cap would queue at
            # the server before the first /metrics poll could shrink it.
            backpressure=BackpressureConfig(
                initial_in_flight=min(INITIAL_IN_FLIGHT, settings.model_max_in_flight)
            ),
        )
    )
    retry = RetryPolicy(
        unavailable_after=settings.model_unavailable_after_seconds,
        give_up_after=max(
            settings.model_give_up_after_seconds, settings.model_unavailable_after_seconds
        ),
    )
    return VlmEngine(client, retry=retry)


def tier_is_healthy(engines: ModelEngines, tier: str) -> bool:
    """True when `tier` is configured here and its server says it is up."""
    engine = {"moe": engines.moe, "edge": engines.edge}.get(tier)
    return engine is not None and engine.client.health()
