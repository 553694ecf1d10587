"""Signing webhook deliveries, and checking a signature as a receiver should.

A delivery carries `Greenhouse-Signature: t=<unix seconds>,v1=<hex>`, where the hex is
HMAC-SHA256 with the webhook's secret over `f"{t}.{body}"` (the raw body bytes). A receiver
recomputes it over the bytes it read, compares in constant time, and refuses a timestamp too far
from its clock (a replayed request). Pure functions: the workers sign with them, receivers may
verify with them.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Greenhouse-Signature"
EVENT_HEADER = "Greenhouse-Event"
DELIVERY_HEADER = "Greenhouse-Delivery"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the Greenhouse-Signature header."""
    return f"t={timestamp},{SIGNATURE_VERSION}={signature(secret, timestamp, body)}"


def parse_signature_header(value: str) -> tuple[int, list[str]] | None:
    """(timestamp, v1 signatures) of a header value; None when it is malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        name, _, field = part.strip().partition("=")
        if name == "t" and field.isascii() and field.isdigit():
            timestamp = int(field)
        elif name == SIGNATURE_VERSION and field:
            signatures.append(field)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within tolerance."""
    parsed = parse_signature_header(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
