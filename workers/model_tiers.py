"""The model-tier engines of a worker process, built from settings by its entry point."""

from typing import TYPE_CHECKING

from pipeline.engines.resources import EngineResources
from schemas.settings import Settings

if TYPE_CHECKING:
    from pipeline.model.attempts import VlmEngine

INITIAL_IN_FLIGHT = 8


def engine_resources(settings: Settings) -> EngineResources:
    """A process's engine resources, with a client per model tier that `settings` configure
    (over all of the tier's replicas; shared by the process's threads; close them with
    `EngineResources.close`)."""
    return EngineResources(
        moe=_engine(settings, settings.vllm_url, settings.vllm_model),
        edge=_engine(settings, settings.edge_url, settings.edge_model),
    )


def _engine(settings: Settings, url: str | None, model: str | None) -> "VlmEngine | None":
    if not (url and model):
        return None
    # The model tier's client (httpx, jsonschema) loads only where a tier is configured.
    from pipeline.model.attempts import VlmEngine
    from pipeline.model.backpressure import BackpressureConfig
    from pipeline.model.client import VlmClient, VlmClientConfig
    from pipeline.model.retry import RetryPolicy

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


def tier_is_healthy(resources: EngineResources, tier: str) -> bool:
    """True when `tier` is configured here and one of its replicas says it is up."""
    engine = {"moe": resources.moe, "edge": resources.edge}.get(tier)
    return engine is not None and engine.client.health()
