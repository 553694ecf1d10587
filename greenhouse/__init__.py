"""The Python client of Greenhouse's REST API (`greenhouse.client`). It imports nothing of the
server: install httpx and call the API the way any program would."""

from greenhouse.client import ExportStream, GreenhouseClient, GreenhouseError

__all__ = ["ExportStream", "GreenhouseClient", "GreenhouseError"]
