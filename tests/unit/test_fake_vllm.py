"""The fake vLLM server, spoken to over real loopback HTTP with httpx."""

import base64
import io
import json
import time
import wave
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image

from pipeline.model.answers import schema_errors
from pipeline.model.prompts import PAGE_CONTENT_SCHEMA
from pipeline.model.render import render_image
from pipeline.model.repetition import find_loop, find_padding
from pipeline.planning.geometry import soft_tokens, target_size
from schemas.budget import VisualBudget
from schemas.extractions import PageContent
from schemas.transcript import Transcript
from tests.fakes.fake_vllm import (
    EDGE_MODEL,
    MOE_MODEL,
    FakeVllmConfig,
    Fault,
    audio_tokens,
    count_tokens,
    running_fake_vllm,
)
from tests.fakes.vllm_pages import PAGE_TABLE_ROWS

PAGE_SCHEMA = PageContent.model_json_schema()


@pytest.fixture(scope="module")
def server():
    with running_fake_vllm() as running:
        yield running


@pytest.fixture
def fake(server):
    server.control.reset()
    server.control.reject_rate = 0.0
    server.control.healthy = True
    server.control.kv_cache_usage = None
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client, server.control


def page_url(budget: VisualBudget = 280, size: tuple[int, int] = (1000, 1300)) -> str:
    return render_image(Image.new("RGB", size, "white"), budget).data_url


def chat_body(*parts, model=MOE_MODEL, budget=280, schema=PAGE_SCHEMA, **extra):
    content = [{"type": "text", "text": "Extract the page as JSON."}, *parts]
    body = {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "mm_processor_kwargs": {"max_soft_tokens": budget},
        "temperature": 0.1,
        "max_tokens": 4000,
    }
    if schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "page_content", "schema": schema},
        }
    return body | extra


def image_part(url: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def wav_part(seconds: float, rate: int = 16_000, channels: int = 1) -> dict:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * channels * int(seconds * rate))
    data = base64.b64encode(buffer.getvalue()).decode()
    return {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}


def content_of(response: httpx.Response) -> str:
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def assert_vllm_error(response: httpx.Response, status: int, err_type: str, fragment: str):
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == status
    assert error["type"] == err_type
    assert fragment in error["message"]


def metric(text: str, name: str) -> float:
    (line,) = [ln for ln in text.splitlines() if ln.startswith(name + "{")]
    return float(line.rsplit(" ", 1)[1])


# Plain endpoints


def test_health_follows_the_control_handle(fake):
    client, control = fake
    assert client.get("/health").status_code == 200
    control.healthy = False
    assert client.get("/health").status_code == 503


def test_models_lists_the_served_model(fake):
    client, _ = fake
    (card,) = client.get("/v1/models").json()["data"]
    assert card["id"] == MOE_MODEL
    assert card["object"] == "model"
    assert card["max_model_len"] == FakeVllmConfig().max_model_len


def test_metrics_are_prometheus_gauges(fake):
    client, control = fake
    text = client.get("/metrics").text
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting"):
        assert f"# TYPE {name} gauge" in text
        assert metric(text, name) == 0.0
    control.kv_cache_usage = 0.83
    assert metric(client.get("/metrics").text, "vllm:kv_cache_usage_perc") == 0.83


# A well-formed request


def test_a_page_request_gets_schema_valid_json_describing_the_image(fake):
    client, control = fake
    response = client.post("/v1/chat/completions", json=chat_body(image_part(page_url(280))))
    assert response.status_code == 200
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    page = PageContent.model_validate_json(choice["message"]["content"])
    width, height = target_size(1000, 1300, 280)
    assert f"{width}x{height} at budget 280" in page.data.text
    assert (page.data.page.width, page.data.page.height) == (width, height)
    usage = response.json()["usage"]
    assert usage["completion_tokens"] == count_tokens(choice["message"]["content"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    (recorded,) = control.requests
    assert (recorded.images[0].width, recorded.images[0].height) == (width, height)
    assert not recorded.sent_guided_json


def test_a_page_content_request_gets_a_page_of_typed_blocks(fake):
    client, _ = fake
    body = chat_body(image_part(page_url(280)), schema=PAGE_CONTENT_SCHEMA)
    content = content_of(client.post("/v1/chat/completions", json=body))
    assert ", " not in content and ": " not in content.replace("Table 1: ", "")  # compact
    answer = json.loads(content)
    assert schema_errors(answer, PAGE_CONTENT_SCHEMA) == []
    assert [block["kind"] for block in answer["blocks"]] == [
        "page_header",
        "title",
        "paragraph",
        "section_header",
        "list_item",
        "list_item",
        "table",
        "caption",
        "formula",
        "page_number",
    ]
    width, height = target_size(1000, 1300, 280)
    tokens = soft_tokens(width, height)
    assert answer["blocks"][2]["text"] == (
        f"fake page {width}x{height} at budget 280 ({tokens} soft tokens)"
    )
    assert answer["blocks"][6]["table"] == {
        "header_rows": 1,
        "rows": PAGE_TABLE_ROWS,
        "spans": [[2, 1, 1, 2]],
    }


def test_a_blocks_schema_that_refuses_the_page_gets_a_generic_instance(fake):
    client, _ = fake
    schema = {
        "type": "object",
        "properties": {"blocks": {"type": "array", "items": {"type": "string"}}},
        "required": ["blocks"],
    }
    body = chat_body(image_part(page_url(280)), schema=schema)
    answer = json.loads(content_of(client.post("/v1/chat/completions", json=body)))
    width, height = target_size(1000, 1300, 280)
    tokens = soft_tokens(width, height)
    assert answer == {
        "blocks": [f"fake page {width}x{height} at budget 280 ({tokens} soft tokens)"]
    }


def test_prompt_tokens_count_the_image_soft_tokens_and_wrappers(fake):
    client, _ = fake
    usage = {}
    for budget in (70, 1120):
        body = chat_body(image_part(page_url(budget)), budget=budget)
        usage[budget] = client.post("/v1/chat/completions", json=body).json()["usage"]
    small, large = (soft_tokens(*target_size(1000, 1300, b)) for b in (70, 1120))
    assert usage[1120]["prompt_tokens"] - usage[70]["prompt_tokens"] == large - small
    text_only = client.post("/v1/chat/completions", json=chat_body(budget=70)).json()["usage"]
    assert usage[70]["prompt_tokens"] - text_only["prompt_tokens"] == small + 2


def test_json_object_and_plain_text_formats(fake):
    client, _ = fake
    body = chat_body(image_part(page_url()), schema=None)
    plain = content_of(client.post("/v1/chat/completions", json=body))
    assert "at budget 280" in plain
    body["response_format"] = {"type": "json_object"}
    as_json = json.loads(content_of(client.post("/v1/chat/completions", json=body)))
    assert "at budget 280" in as_json["text"]


def test_guided_json_is_accepted_but_recorded(fake):
    client, control = fake
    body = chat_body(image_part(page_url()), guided_json=PAGE_SCHEMA)
    assert client.post("/v1/chat/completions", json=body).status_code == 200
    assert [r.sent_guided_json for r in control.requests] == [True]


# Validation


def test_an_unknown_model_is_a_404_in_vllm_shape(fake):
    client, _ = fake
    response = client.post("/v1/chat/completions", json=chat_body(model="gpt-4o"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "The model `gpt-4o` does not exist.",
            "type": "NotFoundError",
            "param": "model",
            "code": 404,
        }
    }


@pytest.mark.parametrize(
    ("url", "status", "err_type", "fragment"),
    [
        ("data:image/png;base64", 400, "BadRequestError", "missing ',' separator"),
        ("data:image/png,rawbytes", 501, "NotImplementedError", "Only base64 data URLs"),
        ("data:image/png;base64,@@not base64@@", 400, "BadRequestError", ""),
        (
            "data:image/png;base64," + base64.b64encode(b"not an image").decode(),
            400,
            "BadRequestError",
            "cannot identify image file",
        ),
        ("https://example.org/page.png", 400, "BadRequestError", "data URLs"),
    ],
)
def test_bad_image_urls_are_rejected(fake, url, status, err_type, fragment):
    client, control = fake
    response = client.post("/v1/chat/completions", json=chat_body(image_part(url)))
    assert_vllm_error(response, status, err_type, fragment)
    assert control.stats().failed == 1


@pytest.mark.parametrize("budget", [0, 100, 300, 2240, "280"])
def test_budgets_outside_the_five_are_rejected(fake, budget):
    client, _ = fake
    body = chat_body(image_part(page_url()), budget=budget)
    response = client.post("/v1/chat/completions", json=body)
    assert_vllm_error(response, 400, "BadRequestError", "Unsupported max_soft_tokens value")


def test_more_images_than_the_limit_are_rejected(fake):
    client, _ = fake
    body = chat_body(image_part(page_url()), image_part(page_url()))
    response = client.post("/v1/chat/completions", json=body)
    assert_vllm_error(response, 400, "BadRequestError", "At most 1 image(s) may be provided")


def raw_png_url(size: tuple[int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("url", "budget"),
    [(page_url(280), 560), (raw_png_url((1000, 1300)), 280)],
    ids=["rendered for another budget", "not resized at all"],
)
def test_images_not_rendered_at_the_budget_geometry_are_rejected(fake, url, budget):
    client, _ = fake
    response = client.post("/v1/chat/completions", json=chat_body(image_part(url), budget=budget))
    assert_vllm_error(response, 400, "BadRequestError", "not a native size")


def test_schemas_outside_the_xgrammar_subset_are_rejected(fake):
    client, _ = fake
    schema = {"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 2}}}
    response = client.post("/v1/chat/completions", json=chat_body(schema=schema))
    assert_vllm_error(response, 400, "BadRequestError", "not supported by xgrammar")


def test_max_tokens_beyond_the_context_is_rejected(fake):
    client, _ = fake
    body = chat_body(max_tokens=FakeVllmConfig().max_model_len)
    response = client.post("/v1/chat/completions", json=body)
    assert_vllm_error(response, 400, "BadRequestError", "'max_tokens' or 'max_completion_tokens'")


def test_a_body_that_is_not_json_is_rejected(fake):
    client, _ = fake
    response = client.post("/v1/chat/completions", content=b"{not json")
    assert_vllm_error(response, 400, "BadRequestError", "JSON object")


def test_a_small_max_tokens_truncates_with_finish_reason_length(fake):
    client, _ = fake
    response = client.post("/v1/chat/completions", json=chat_body(max_tokens=12))
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert response.json()["usage"]["completion_tokens"] == 12
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice["message"]["content"])


# Misbehaviour


def test_503_rejections_n_times_then_service(fake):
    client, control = fake
    control.inject(Fault.REJECT_503, times=2)
    statuses = [client.post("/v1/chat/completions", json=chat_body()).status_code for _ in "abc"]
    assert statuses == [503, 503, 200]
    control.inject(Fault.REJECT_503)
    response = client.post("/v1/chat/completions", json={})
    assert_vllm_error(response, 503, "ServiceUnavailableError", "overloaded")
    assert control.stats().rejected == 3


def test_503_rejections_at_a_rate(fake):
    client, control = fake
    control.reject_rate = 0.5
    statuses = [
        client.post("/v1/chat/completions", json=chat_body()).status_code for _ in range(40)
    ]
    assert set(statuses) == {200, 503}
    assert control.stats().rejected == statuses.count(503)


def test_whitespace_padding_runs_to_max_tokens(fake):
    client, control = fake
    control.inject(Fault.WHITESPACE_PADDING)
    response = client.post("/v1/chat/completions", json=chat_body(max_tokens=900))
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert response.json()["usage"]["completion_tokens"] == 900
    PageContent.model_validate_json(choice["message"]["content"].rstrip())
    padding = find_padding(choice["message"]["content"])
    assert padding is not None
    assert padding.trailing


def test_repetition_loops_are_cut_at_max_tokens(fake):
    client, control = fake
    control.inject(Fault.REPETITION_LOOP)
    response = client.post("/v1/chat/completions", json=chat_body(max_tokens=500))
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "length"
    loop = find_loop(choice["message"]["content"])
    assert loop is not None
    assert loop.at_end
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice["message"]["content"])


def test_invalid_json_with_finish_reason_stop(fake):
    client, control = fake
    control.inject(Fault.INVALID_JSON)
    response = client.post("/v1/chat/completions", json=chat_body())
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice["message"]["content"])


def test_a_dropped_connection_then_normal_service(fake):
    client, control = fake
    control.inject(Fault.DROP_CONNECTION)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/chat/completions", json=chat_body())
    assert client.post("/v1/chat/completions", json=chat_body()).status_code == 200
    stats = control.stats()
    assert (stats.dropped, stats.served) == (1, 1)
    assert [r.fault for r in control.requests] == [Fault.DROP_CONNECTION, None]


def test_faults_wait_for_a_request_that_passes_validation(fake):
    client, control = fake
    control.inject(Fault.INVALID_JSON)
    assert client.post("/v1/chat/completions", json=chat_body(model="x")).status_code == 404
    content = content_of(client.post("/v1/chat/completions", json=chat_body()))
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


# Latency and capacity


def post_many(base_url: str, bodies: list[dict]) -> list[httpx.Response]:
    def post(body):
        with httpx.Client(base_url=base_url, timeout=20) as client:
            return client.post("/v1/chat/completions", json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_capacity_queues_the_excess_and_counts_busy_time():
    with running_fake_vllm(FakeVllmConfig(capacity=2)) as (base_url, control):
        control.request_latency = 0.3
        started = time.monotonic()
        responses = post_many(base_url, [chat_body() for _ in range(4)])
        elapsed = time.monotonic() - started
        stats = control.stats()
    assert [r.status_code for r in responses] == [200] * 4
    assert elapsed >= 0.58  # two waves of 0.3 s
    assert stats.max_running == 2
    assert stats.served == 4
    assert stats.slot_seconds >= 4 * 0.3
    assert 2 * 0.3 <= stats.busy_seconds <= stats.elapsed_seconds
    assert stats.slot_seconds <= stats.capacity * stats.busy_seconds + 1e-6
    assert 0 < stats.utilisation <= 1


def test_metrics_show_running_and_waiting_requests():
    with running_fake_vllm(FakeVllmConfig(capacity=1)) as (base_url, control):
        control.request_latency = 0.5
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(post_many, base_url, [chat_body() for _ in range(3)])
            seen = set()
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and (1.0, 2.0) not in seen:
                text = httpx.get(base_url + "/metrics").text
                running = metric(text, "vllm:num_requests_running")
                seen.add((running, metric(text, "vllm:num_requests_waiting")))
                time.sleep(0.02)
            pending.result()
    assert (1.0, 2.0) in seen


def test_token_latency_scales_with_the_completion():
    with running_fake_vllm() as (base_url, control):
        control.token_latency = 0.002
        control.inject(Fault.WHITESPACE_PADDING)
        started = time.monotonic()
        httpx.post(base_url + "/v1/chat/completions", json=chat_body(max_tokens=300), timeout=10)
        assert time.monotonic() - started >= 0.6


# The edge speech model


def test_audio_gets_a_transcript_with_vllm_audio_token_counts():
    with running_fake_vllm(FakeVllmConfig.edge()) as (base_url, _):
        usage, transcripts = {}, {}
        for seconds in (2.0, 5.0):
            body = chat_body(wav_part(seconds), model=EDGE_MODEL, schema=None)
            response = httpx.post(base_url + "/v1/chat/completions", json=body)
            usage[seconds] = response.json()["usage"]["prompt_tokens"]
            transcripts[seconds] = json.loads(content_of(response))
        schema = Transcript.model_json_schema()
        body = chat_body(wav_part(3.0), model=EDGE_MODEL, schema=schema)
        typed = Transcript.model_validate_json(
            content_of(httpx.post(base_url + "/v1/chat/completions", json=body))
        )
    assert usage[5.0] - usage[2.0] == audio_tokens(80_000) - audio_tokens(32_000)
    assert transcripts[5.0]["segments"][0]["end"] == 5.0
    assert "5.00 s of 16000 Hz mono audio" in transcripts[5.0]["text"]
    assert typed.data.segments[0].end == 3.0


def test_audio_on_a_model_without_an_audio_tower_is_rejected(fake):
    client, _ = fake
    response = client.post("/v1/chat/completions", json=chat_body(wav_part(1.0)))
    assert_vllm_error(response, 400, "BadRequestError", "does not have an audio tower")


def test_undecodable_audio_is_rejected():
    with running_fake_vllm(FakeVllmConfig.edge()) as (base_url, _):
        part = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
        body = chat_body(part, model=EDGE_MODEL)
        response = httpx.post(base_url + "/v1/chat/completions", json=body)
    assert_vllm_error(response, 400, "BadRequestError", "Invalid audio")


def test_audio_tokens_follow_the_40_ms_frame_rate():
    assert audio_tokens(30 * 16_000) == 750
    assert audio_tokens(60 * 16_000) == 750  # capped
    assert audio_tokens(0) == 0
    assert audio_tokens(16_000) == pytest.approx(25, abs=1)
