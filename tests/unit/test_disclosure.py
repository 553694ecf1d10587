"""What a non-admin caller sees of operator messages, and where keyless serving is refused."""

import pytest

from api.auth import auth_refusal, is_loopback
from api.disclosure import message_for, public_json, public_text
from cli.metrics_listener import InvalidAddressError, parse_address
from schemas.settings import Settings


@pytest.mark.parametrize(
    ("operator_text", "public"),
    [
        (
            "connect talking to http://vllm-moe:8000/v1: ConnectError('refused')",
            "connect talking to <internal address>: <internal error>('refused')",
        ),
        (
            "httpx.ReadTimeout from 10.0.0.5:8000 and redis:6379",
            "<internal error> from <internal address> and <internal address>",
        ),
        ("sqlalchemy.exc.OperationalError", "<internal error>"),
        (
            "tier 'moe' is not configured: set GREENHOUSE_VLLM_URL and GREENHOUSE_VLLM_MODEL",
            "tier 'moe' is not configured: set GREENHOUSE_VLLM_URL and GREENHOUSE_VLLM_MODEL",
        ),
        ("page 3 of 12 timed out at 10:30.", "page 3 of 12 timed out at 10:30."),
    ],
)
def test_public_text_hides_addresses_and_exception_classes(operator_text: str, public: str) -> None:
    assert public_text(operator_text) == public


def test_admin_keys_get_the_operator_message() -> None:
    text = "down: http://edge:8000"
    assert message_for(text, reveal_internals=True) == text
    assert message_for(text, reveal_internals=False) == "down: <internal address>"
    assert message_for(None, reveal_internals=False) is None
    calls = {"attempts": [{"detail": "ReadTimeout at https://x.internal/v1", "n": 2}], "ok": True}
    assert public_json(calls) == {
        "attempts": [{"detail": "<internal error> at <internal address>", "n": 2}],
        "ok": True,
    }


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("api.example.org", False),
    ],
)
def test_only_loopback_hosts_may_serve_without_keys(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    refusal = auth_refusal(Settings(auth="disabled"), host)
    if loopback:
        assert refusal is None
    else:
        assert refusal == (
            f"GREENHOUSE_AUTH=disabled is refused on {host}: without keys the API may only "
            "bind to loopback (127.0.0.1, ::1)"
        )
    assert auth_refusal(Settings(auth="keys"), host) is None


def test_metrics_addresses_are_host_and_port() -> None:
    assert parse_address("10.0.0.5:9100") == ("10.0.0.5", 9100)
    assert parse_address("[::1]:9100") == ("::1", 9100)
    for wrong in ("9100", "host:", ":9100", "host:port", "host:70000"):
        with pytest.raises(InvalidAddressError):
            parse_address(wrong)
