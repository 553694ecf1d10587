"""Webhook signatures, targets, secrets and the retry schedule: exact decisions."""

import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

import pytest

from schemas.webhook_signature import (
    parse_signature_header,
    signature,
    signature_header,
    verify_signature,
)
from schemas.webhooks import event_of_status, secret_problem, url_problem
from workers.webhooks import DeliveryPolicy, retry_delay

SECRET = "whsec_0123456789abcdef"
BODY = b'{"event":"document.finished"}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1_700_000_000, BODY) == expected
    assert signature_header(SECRET, 1_700_000_000, BODY) == f"t=1700000000,v1={expected}"


def test_verification_accepts_only_the_same_secret_body_and_a_fresh_timestamp() -> None:
    header = signature_header(SECRET, 1_700_000_000, BODY)
    assert verify_signature(SECRET, header, BODY, now=1_700_000_100)
    assert verify_signature(SECRET, header, BODY, now=1_700_000_300)
    assert not verify_signature(SECRET, header, BODY, now=1_700_000_301)  # replayed later
    assert not verify_signature(SECRET, header, BODY + b" ", now=1_700_000_000)
    assert not verify_signature(SECRET + "x", header, BODY, now=1_700_000_000)
    assert not verify_signature(SECRET, "t=1700000000", BODY, now=1_700_000_000)
    assert not verify_signature(SECRET, "garbage", BODY, now=1_700_000_000)
    rotated = f"{header},v1={'0' * 64}"
    assert verify_signature(SECRET, rotated, BODY, now=1_700_000_000)


def test_header_parsing() -> None:
    assert parse_signature_header("t=12,v1=ab,v1=cd") == (12, ["ab", "cd"])
    assert parse_signature_header(" t=12 , v1=ab ") == (12, ["ab"])
    assert parse_signature_header("t=-1,v1=ab") is None
    assert parse_signature_header("t=١٢,v1=ab") is None  # non-ASCII digits
    assert parse_signature_header("v1=ab") is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.lan/greenhouse", None),
        ("http://10.0.0.7:8080/in?x=1", None),
        ("HTTPS://Hooks.Lan/", None),
        ("ftp://hooks.lan/", "must use http or https"),
        ("file:///etc/passwd", "must use http or https"),
        ("javascript:alert(1)", "must use http or https"),
        ("https://user:pw@hooks.lan/", "must not carry credentials (user:password@)"),
        ("https://token@hooks.lan/", "must not carry credentials (user:password@)"),
        ("https:///path", "has no host"),
        ("https://hooks.lan:99999/", "is not a valid URL"),
        ("https://[::1/", "is not a valid URL"),
        ("https://hooks.lan/#frag", "must not have a #fragment"),
        ("https://hooks.lan/a b", "holds spaces or control characters"),
        ("https://hooks.lan/\r\nX-Injected: 1", "holds spaces or control characters"),
        ("https://hooks.lan/" + "a" * 2000, "is longer than 2000 characters"),
    ],
)
def test_webhook_targets(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_secrets() -> None:
    assert secret_problem("a" * 16) is None
    assert secret_problem("a" * 15) == "must be 16 to 256 characters long"
    assert secret_problem("a" * 257) == "must be 16 to 256 characters long"
    assert secret_problem("a" * 15 + " ") == "must be printable ASCII without spaces"
    assert secret_problem("a" * 15 + "é") == "must be printable ASCII without spaces"


def test_events_of_statuses() -> None:
    assert event_of_status("done") == "document.finished"
    assert event_of_status("partial") == "document.finished"
    assert event_of_status("failed") == "document.failed"
    assert event_of_status("processing") is None
    assert event_of_status("queued") is None


def test_retry_delays_double_from_ten_seconds_to_an_hour_with_bounded_jitter() -> None:
    policy = DeliveryPolicy()
    bases = [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
    for attempt, base in enumerate(bases, start=1):
        delays = [retry_delay(policy, f"delivery-{n}", attempt) for n in range(200)]
        assert all(0.8 * base <= delay < 1.2 * base for delay in delays), attempt
        assert max(delays) - min(delays) > 0.3 * base  # spread, not one value
    assert retry_delay(policy, "d", 3) == retry_delay(policy, "d", 3)  # deterministic
    flat = DeliveryPolicy(jitter=0.0)
    assert [retry_delay(flat, "d", n) for n in (1, 2, 3, 10)] == [10.0, 20.0, 40.0, 3600.0]


def test_the_lease_outlasts_every_phase_of_a_request() -> None:
    assert DeliveryPolicy(timeout_seconds=10).lease_seconds == 70.0


def test_the_readmes_verification_snippet_accepts_exactly_our_signatures() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    [snippet] = [
        block.split("```", 1)[0]
        for block in readme.split("```python\n")[1:]
        if "def verify(" in block
    ]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    verify = namespace["verify"]
    header = signature_header(SECRET, int(time.time()), BODY)
    assert verify(SECRET, header, BODY)
    assert not verify(SECRET + "x", header, BODY)
    assert not verify(SECRET, header, BODY + b" ")
    stale = signature_header(SECRET, int(time.time()) - 301, BODY)
    assert not verify(SECRET, stale, BODY)
