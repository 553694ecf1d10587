"""Which model tiers this process's settings configure."""

from pipeline.planning.routing import ConfiguredTiers
from schemas.settings import Settings


def configured_tiers(settings: Settings) -> ConfiguredTiers:
    """A tier is configured when both its server URL and its model name are set."""
    return ConfiguredTiers(
        moe=bool(settings.vllm_url and settings.vllm_model),
        edge=bool(settings.edge_url and settings.edge_model),
    )
