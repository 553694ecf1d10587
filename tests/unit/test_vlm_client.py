"""The vLLM client: request shape, usage and latency, and how it classifies failures."""

import json
import socket

import httpx
import pytest
from PIL import Image

from pipeline.model.backpressure import BackpressureConfig
from pipeline.model.client import (
    ChatRequest,
    VlmClient,
    VlmClientConfig,
    audio_part,
    check_schema,
    image_part,
    schema_name,
    text_part,
    user_message,
)
from pipeline.model.errors import (
    TransientVlmError,
    UnsupportedSchemaError,
    VlmRequestRejectedError,
)
from pipeline.model.prompts import PAGE_CONTENT_SCHEMA
from pipeline.model.render import render_image
from schemas.enums import ErrorCategory
from tests.fakes.fake_vllm import MOE_MODEL, Fault, count_tokens, running_fake_vllm

BAD_SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer", "multipleOf": 5}, "tags": {"uniqueItems": True}},
}


@pytest.fixture(scope="module")
def server():
    with running_fake_vllm() as running:
        yield running


@pytest.fixture
def fake(server):
    server.control.reset()
    server.control.request_latency = 0.0
    config = VlmClientConfig(base_url=server.base_url, model=MOE_MODEL, max_tokens=2000)
    with VlmClient(config) as client:
        yield client, server.control


@pytest.fixture(scope="module")
def page_url():
    return render_image(Image.new("RGB", (1000, 1300), "white"), 140).data_url


def request(url, schema=PAGE_CONTENT_SCHEMA, budget=140, **extra):
    message = user_message(image_part(url), text_part("Extract the page."))
    return ChatRequest((message,), schema, "page content!", 0.2, max_soft_tokens=budget, **extra)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_request_follows_the_vllm_contract(fake, page_url):
    client, control = fake
    response = client.complete(request(page_url))
    (recorded,) = control.requests
    body = recorded.body
    assert recorded.status == 200
    assert not recorded.sent_guided_json
    assert set(body) == {
        "model",
        "messages",
        "temperature",
        "max_tokens",
        "stream",
        "response_format",
        "mm_processor_kwargs",
    }
    assert body["model"] == MOE_MODEL
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 2000
    assert body["mm_processor_kwargs"] == {"max_soft_tokens": 140}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "page_content_", "schema": PAGE_CONTENT_SCHEMA, "strict": True},
    }
    image, text = body["messages"][0]["content"]
    assert image == {"type": "image_url", "image_url": {"url": page_url}}
    assert text == {"type": "text", "text": "Extract the page."}
    assert recorded.images[0].budget == 140
    assert response.finish_reason == "stop"
    assert response.model == MOE_MODEL
    assert response.completion_tokens == count_tokens(response.content)
    assert response.prompt_tokens > recorded.images[0].width * recorded.images[0].height // 48**2
    assert response.latency_seconds > 0
    assert response.queue_seconds >= 0


def test_latency_covers_the_servers_generation_time(fake, page_url):
    client, control = fake
    control.request_latency = 0.15
    response = client.complete(request(page_url))
    assert 0.15 <= response.latency_seconds < 5


def test_max_tokens_per_request_overrides_the_default(fake, page_url):
    client, control = fake
    client.complete(request(page_url, max_tokens=123))
    assert control.requests[0].body["max_tokens"] == 123


def test_a_schema_outside_the_subset_is_refused_before_sending(fake, page_url):
    client, control = fake
    with pytest.raises(UnsupportedSchemaError) as caught:
        client.complete(request(page_url, schema=BAD_SCHEMA))
    assert caught.value.category is ErrorCategory.INVALID_OPTIONS
    assert caught.value.problems == [
        "#/properties/n: 'multipleOf' is not supported by xgrammar",
        "#/properties/tags: 'uniqueItems' is not supported by xgrammar",
    ]
    assert control.requests == []


def test_an_invalid_schema_is_refused_before_sending(fake, page_url):
    client, control = fake
    with pytest.raises(UnsupportedSchemaError, match="is not valid under any of the given"):
        client.complete(request(page_url, schema={"type": "objekt"}))
    assert control.requests == []


def test_check_schema_accepts_the_page_content_schema():
    check_schema(PAGE_CONTENT_SCHEMA)


def test_an_unknown_model_is_rejected_with_vllms_message(server, page_url):
    config = VlmClientConfig(base_url=server.base_url, model="google/gemma-9")
    with VlmClient(config) as client, pytest.raises(VlmRequestRejectedError) as caught:
        client.complete(request(page_url))
    assert caught.value.status == 404
    assert "The model `google/gemma-9` does not exist." in caught.value.message


def test_a_bad_request_is_rejected_with_vllms_message(fake, page_url):
    client, _ = fake
    with pytest.raises(VlmRequestRejectedError) as caught:
        client.complete(request(page_url, max_tokens=40_000))
    assert caught.value.status == 400
    assert "maximum context length" in caught.value.server_message


def test_a_503_is_transient_and_shrinks_the_window(server, page_url):
    config = VlmClientConfig(
        base_url=server.base_url,
        model=MOE_MODEL,
        max_in_flight=10,
        backpressure=BackpressureConfig(poll_interval=60),
    )
    server.control.reset()
    server.control.inject(Fault.REJECT_503)
    with VlmClient(config) as client:
        with pytest.raises(TransientVlmError) as caught:
            client.complete(request(page_url))
        assert caught.value.status == 503
        assert caught.value.category is ErrorCategory.TRANSIENT
        assert client.limiter.limit < 10
        assert client.limiter.in_flight == 0


def test_a_dropped_connection_is_transient(fake, page_url):
    client, control = fake
    control.inject(Fault.DROP_CONNECTION)
    with pytest.raises(TransientVlmError, match="RemoteProtocolError"):
        client.complete(request(page_url))
    assert client.complete(request(page_url)).finish_reason == "stop"
    assert client.limiter.in_flight == 0


def test_a_read_timeout_is_transient(server, page_url):
    server.control.reset()
    server.control.request_latency = 1.0
    config = VlmClientConfig(base_url=server.base_url, model=MOE_MODEL, read_timeout=0.2)
    try:
        with VlmClient(config) as client, pytest.raises(TransientVlmError, match="ReadTimeout"):
            client.complete(request(page_url))
    finally:
        server.control.request_latency = 0.0


def test_a_refused_connection_is_transient_and_unhealthy(page_url):
    config = VlmClientConfig(base_url=closed_port_url(), model=MOE_MODEL, connect_timeout=1)
    with VlmClient(config) as client:
        with pytest.raises(TransientVlmError, match="ConnectError"):
            client.complete(request(page_url))
        assert client.health() is False


def test_health_and_metrics_of_the_fake(fake):
    client, control = fake
    assert client.health() is True
    assert "vllm:num_requests_waiting" in client.fetch_metrics()
    control.healthy = False
    try:
        assert client.health() is False
    finally:
        control.healthy = True


def answer_with(status, body=None, headers=None, text=None):
    def handler(request):
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    config = VlmClientConfig(base_url="http://vllm.test", model=MOE_MODEL)
    return VlmClient(config, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [(429, {"Retry-After": "7"}, 7.0), (500, None, None), (502, None, None), (408, None, None)],
)
def test_throttling_and_server_errors_are_transient(status, headers, retry_after):
    body = {"error": {"message": "busy", "type": "x", "param": None, "code": status}}
    with answer_with(status, body, headers) as client, pytest.raises(TransientVlmError) as caught:
        client.complete(request("data:image/png;base64,AA=="))
    assert (caught.value.status, caught.value.retry_after) == (status, retry_after)
    assert "busy" in caught.value.message


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"error": {"message": "bad image"}}, "bad image"),
        (422, {"detail": [{"msg": "field required"}]}, "field required"),
        (501, {"object": "error", "message": "not base64"}, "not base64"),
        (413, None, "Too Large"),
    ],
)
def test_other_client_errors_are_permanent(status, body, message):
    with answer_with(status, body) as client, pytest.raises(VlmRequestRejectedError) as caught:
        client.complete(request("data:image/png;base64,AA=="))
    assert caught.value.status == status
    assert message in caught.value.server_message


@pytest.mark.parametrize("text", ["<html>proxy</html>", json.dumps({"choices": []})])
def test_an_unreadable_200_is_transient(text):
    with answer_with(200, text=text) as client, pytest.raises(TransientVlmError):
        client.complete(request("data:image/png;base64,AA=="))


def test_a_null_content_and_missing_usage_read_as_empty():
    body = {"choices": [{"message": {"content": None}, "finish_reason": "stop"}]}
    with answer_with(200, body) as client:
        response = client.complete(request("data:image/png;base64,AA=="))
    assert (response.content, response.prompt_tokens, response.completion_tokens) == ("", 0, 0)
    assert response.model == MOE_MODEL


def test_parts_and_names():
    assert audio_part(b"RIFF") == {
        "type": "input_audio",
        "input_audio": {"data": "UklGRg==", "format": "wav"},
    }
    assert schema_name("my schema/v2") == "my_schema_v2"
    assert schema_name("") == "extraction"
    assert len(schema_name("x" * 100)) == 64


def test_requests_without_a_budget_send_no_processor_kwargs():
    config = VlmClientConfig(base_url="http://vllm.test", model=MOE_MODEL)
    with VlmClient(config) as client:
        body = client.build_body(ChatRequest((user_message(text_part("hi")),), {}, "n", 0.0))
    assert "mm_processor_kwargs" not in body
    assert "guided_json" not in body


def test_config_is_validated():
    with pytest.raises(ValueError, match="required"):
        VlmClientConfig(base_url="", model=MOE_MODEL)
    with pytest.raises(ValueError, match="at least 1"):
        VlmClientConfig(base_url="http://x", model=MOE_MODEL, max_in_flight=0)
