"""One webhook POST: the signed body out, the status back; httpx's boundary for webhooks.

Only http(s) targets (checked again here, whatever the ledger says), redirects are not followed
(a 3xx is a failure: a receiver that moved must be registered again), and at most
RESPONSE_BYTES_KEPT bytes of an error answer are read, for the log; a 2xx's body is not read.
"""

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from schemas.text_rules import printable
from schemas.webhook_signature import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from schemas.webhooks import url_problem

RESPONSE_BYTES_KEPT = 512
USER_AGENT = "Greenhouse-Webhooks/1"


@dataclass(frozen=True)
class AttemptResult:
    """The receiver's status (None when none came back) and, unless it was a 2xx, why not."""

    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


def delivery_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON with sorted keys."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")


def make_client(timeout_seconds: float) -> httpx.Client:
    """The HTTP client of a deliverer: no redirects, a timeout on every phase."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
    )


def post_delivery(
    client: httpx.Client,
    *,
    url: str,
    secret: str,
    event: str,
    delivery_id: str,
    payload: dict[str, Any],
    timestamp: int | None = None,
) -> AttemptResult:
    """POST the signed payload to `url`; never raises for the receiver's or network's faults."""
    problem = url_problem(url)
    if problem is not None:
        return AttemptResult(None, f"refused target: the url {problem}")
    body = delivery_body(payload)
    signed_at = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(secret, signed_at, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            if 200 <= status < 300:
                return AttemptResult(status, None)
            snippet = _read_capped(response)
            location = response.headers.get("location")
    except httpx.HTTPError as exc:
        return AttemptResult(None, printable(f"{type(exc).__name__}: {exc}"))
    if 300 <= status < 400:
        return AttemptResult(
            status, printable(f"HTTP {status}: redirects are not followed (to {location})")
        )
    return AttemptResult(status, printable(f"HTTP {status}: {snippet}".rstrip(": ")))


def _read_capped(response: httpx.Response) -> str:
    """At most RESPONSE_BYTES_KEPT bytes of the body, as text."""
    kept = b""
    for chunk in response.iter_raw():
        kept += chunk
        if len(kept) >= RESPONSE_BYTES_KEPT:
            break
    return kept[:RESPONSE_BYTES_KEPT].decode("utf-8", "replace").replace("\x00", "")
