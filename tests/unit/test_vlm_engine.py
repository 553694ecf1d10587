"""The attempt policy against the fake vLLM over HTTP: every misbehaviour ends in a valid answer,
a recorded fallback, a permanent error or TierUnavailableError, never in silence."""

import json
import socket

import pymupdf
import pytest
from PIL import Image

from pipeline.model.answers import FailureKind
from pipeline.model.attempts import AttemptPolicy, AttemptStep, VlmEngine, attempt_plan
from pipeline.model.client import VlmClient, VlmClientConfig
from pipeline.model.errors import (
    TierUnavailableError,
    TransientVlmError,
    UnsupportedSchemaError,
    VlmRequestRejectedError,
)
from pipeline.model.page_answer import page_content_from_answer
from pipeline.model.pages import extract_page_on_moe
from pipeline.model.prompts import (
    PAGE_CONTENT_SCHEMA,
    custom_schema_prompt,
    page_content_prompt,
    restate_schema,
)
from pipeline.model.render import render_image
from pipeline.model.retry import RetryPolicy
from pipeline.planning.geometry import soft_tokens, target_size
from schemas.blocks import BlockKind
from schemas.budget import VisualBudget
from schemas.extractions import PageSize
from tests.fakes.fake_vllm import MOE_MODEL, Fault, count_tokens, running_fake_vllm

SOURCE = Image.new("RGB", (1000, 1300), "white")
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, unavailable_after=5.0, min_failures=3)


class FakeTime:
    """A clock that moves only when the engine sleeps."""

    def __init__(self, on_sleep=None):
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep()

    def clock(self):
        return self.now


class Renderer:
    def __init__(self):
        self.budgets: list[int] = []

    def __call__(self, budget):
        self.budgets.append(budget)
        return render_image(SOURCE, budget)


@pytest.fixture(scope="module")
def server():
    with running_fake_vllm() as running:
        yield running


@pytest.fixture
def control(server):
    server.control.reset()
    server.control.request_latency = 0.0
    server.control.reject_rate = 0.0
    server.control.healthy = True
    return server.control


def make_engine(base_url, model=MOE_MODEL, retry=FAST_RETRY, time=None, **config):
    time = time or FakeTime()
    client = VlmClient(VlmClientConfig(base_url=base_url, model=model, max_tokens=1500, **config))
    return VlmEngine(client, AttemptPolicy(), retry, sleep=time.sleep, clock=time.clock)


@pytest.fixture
def engine(server, control):
    engine = make_engine(server.base_url)
    yield engine
    engine.client.close()


def kinds(outcome):
    return [a.failure for a in outcome.attempts]


def assert_never_guided_json(control):
    assert control.requests
    assert not any(r.sent_guided_json for r in control.requests)


def test_the_attempt_plan_raises_temperature_then_budget():
    plan = attempt_plan(AttemptPolicy(), 0.1, 280)
    assert [(s.budget, round(s.temperature, 2)) for s in plan] == [
        (280, 0.1),
        (280, 0.4),
        (280, 0.7),
        (560, 0.1),
        (560, 0.4),
    ]
    assert attempt_plan(AttemptPolicy(), 0.0, 1120) == [
        AttemptStep(1120, 0.0),
        AttemptStep(1120, 0.3),
        AttemptStep(1120, 0.6),
    ]
    assert len(attempt_plan(AttemptPolicy(budget_escalations=2), 0.0, 280)) == 7
    assert [s.budget for s in attempt_plan(AttemptPolicy(), 0.0, None)] == [None] * 3


def test_a_good_answer_on_the_first_attempt(engine, control):
    render = Renderer()
    outcome = engine.extract_visual(page_content_prompt(), 280, render)
    assert outcome.succeeded and not outcome.fell_back
    (attempt,) = outcome.attempts
    assert (attempt.budget, attempt.temperature, attempt.failure) == (280, 0.0, None)
    assert render.budgets == [280]
    width, height = target_size(1000, 1300, 280)
    tokens = soft_tokens(width, height)
    assert attempt.image_size == (width, height)
    assert list(outcome.value) == ["blocks"]  # the new schema: no whole-page text
    data = page_content_from_answer(outcome.value, PageSize(width=1000, height=1300), MOE_MODEL)
    assert [block.kind for block in data.blocks] == [
        BlockKind(block["kind"]) for block in outcome.value["blocks"]
    ]
    table = data.blocks[6].table
    assert table is not None and table.has_spans and table.header_rows == 1
    assert data.blocks[2].text == f"fake page {width}x{height} at budget 280 ({tokens} soft tokens)"
    assert data.text.startswith(f"Fake page\n\n{data.blocks[2].text}\n\nSeedlings\n\n")
    assert "Plant\tSpring\tAutumn" in data.text and "Greenhouse fake pages" not in data.text
    (recorded,) = control.requests
    body = recorded.body
    assert body["response_format"]["json_schema"]["schema"] == PAGE_CONTENT_SCHEMA
    assert body["response_format"]["json_schema"]["strict"] is True
    assert restate_schema(PAGE_CONTENT_SCHEMA) in body["messages"][0]["content"][0]["text"]
    assert body["mm_processor_kwargs"] == {"max_soft_tokens": 280}
    assert body["max_tokens"] == 1500
    assert_never_guided_json(control)


def test_usage_and_latency_are_recorded_per_attempt(engine, control):
    control.request_latency = 0.05
    outcome = engine.extract_visual(page_content_prompt(), 140, Renderer())
    (attempt,) = outcome.attempts
    # The fake writes its page as compact JSON, as vLLM does with `disable_any_whitespace`;
    # parsing and dumping again the same way gives the same text.
    compact = json.dumps(outcome.value, ensure_ascii=False, separators=(",", ":"))
    assert attempt.completion_tokens == count_tokens(compact)
    assert attempt.prompt_tokens > 140
    assert attempt.latency_seconds >= 0.05
    assert attempt.model == MOE_MODEL
    assert attempt.replica == engine.client.config.base_url
    assert attempt.to_record()["replica"] == attempt.replica
    assert outcome.prompt_tokens == attempt.prompt_tokens
    assert outcome.completion_tokens == attempt.completion_tokens
    assert outcome.latency_seconds == attempt.latency_seconds
    record = attempt.to_record()
    assert record["failure"] is None and record["budget"] == 140
    assert record["image_size"] == list(target_size(1000, 1300, 140))
    summary = outcome.to_record()
    assert summary["fell_back"] is False
    assert summary["attempts"] == [record]
    assert json.loads(json.dumps(summary)) == summary


def test_a_503_burst_then_success_counts_no_attempt(server, control):
    fake_time = FakeTime()
    engine = make_engine(server.base_url, time=fake_time)
    control.inject(Fault.REJECT_503, times=3)
    outcome = engine.extract_visual(page_content_prompt(), 280, Renderer())
    (attempt,) = outcome.attempts
    assert attempt.failure is None
    assert attempt.transient_failures == 3
    assert outcome.transient_failures == 3
    assert len(control.requests) == 4
    assert [r.status for r in control.requests] == [503, 503, 503, 200]
    assert len(fake_time.sleeps) == 3
    assert fake_time.sleeps[2] > fake_time.sleeps[0]


@pytest.mark.parametrize(
    ("fault", "kind", "finish"),
    [
        (Fault.WHITESPACE_PADDING, FailureKind.PADDING, "length"),
        (Fault.REPETITION_LOOP, FailureKind.REPETITION, "length"),
        (Fault.INVALID_JSON, FailureKind.INVALID_JSON, "stop"),
    ],
)
def test_a_bad_answer_is_retried_at_a_higher_temperature(engine, control, fault, kind, finish):
    control.inject(fault)
    render = Renderer()
    outcome = engine.extract_visual(page_content_prompt(), 280, render)
    assert outcome.succeeded
    failed, good = outcome.attempts
    assert (failed.failure, failed.finish_reason, failed.temperature) == (kind, finish, 0.0)
    assert failed.completion_tokens > 0
    assert (good.failure, good.temperature, good.budget) == (None, 0.3, 280)
    assert [r.body["temperature"] for r in control.requests] == [0.0, 0.3]
    assert render.budgets == [280]  # rendered once, reused
    assert_never_guided_json(control)


def test_padding_runs_to_the_bounded_max_tokens(engine, control):
    control.inject(Fault.WHITESPACE_PADDING)
    outcome = engine.extract_visual(page_content_prompt(), 280, Renderer())
    assert outcome.attempts[0].completion_tokens == 1500


def test_a_dropped_connection_is_retried_without_counting(engine, control):
    control.inject(Fault.DROP_CONNECTION)
    outcome = engine.extract_visual(page_content_prompt(), 280, Renderer())
    (attempt,) = outcome.attempts
    assert (attempt.failure, attempt.transient_failures) == (None, 1)
    assert len(control.requests) == 2


def test_a_read_timeout_is_retried_without_counting(server, control):
    control.request_latency = 1.0
    fake_time = FakeTime(on_sleep=lambda: setattr(control, "request_latency", 0.0))
    engine = make_engine(server.base_url, time=fake_time, read_timeout=0.2)
    outcome = engine.extract_visual(page_content_prompt(), 70, Renderer())
    (attempt,) = outcome.attempts
    assert (attempt.failure, attempt.transient_failures) == (None, 1)


def test_budget_escalation_re_renders_at_the_next_budget(engine, control):
    control.inject(Fault.WHITESPACE_PADDING, times=3)
    render = Renderer()
    outcome = engine.extract_visual(page_content_prompt(), 280, render)
    assert outcome.succeeded
    assert render.budgets == [280, 560]
    assert [(a.budget, a.temperature) for a in outcome.attempts] == [
        (280, 0.0),
        (280, 0.3),
        (280, 0.6),
        (560, 0.0),
    ]
    assert outcome.budget == 560
    sizes = [(i.width, i.height, i.budget) for r in control.requests for i in r.images]
    assert sizes == [(*target_size(1000, 1300, 280), 280)] * 3 + [
        (*target_size(1000, 1300, 560), 560)
    ]
    assert all(r.status == 200 for r in control.requests)  # the fake accepted every geometry
    assert "at budget 560" in outcome.value["blocks"][2]["text"]


def test_all_attempts_failing_falls_back_with_the_history(engine, control):
    faults = [
        Fault.WHITESPACE_PADDING,
        Fault.REPETITION_LOOP,
        Fault.INVALID_JSON,
        Fault.WHITESPACE_PADDING,
        Fault.INVALID_JSON,
    ]
    for fault in faults:
        control.inject(fault)
    render = Renderer()
    outcome = engine.extract_visual(page_content_prompt(), 280, render)
    assert outcome.fell_back and not outcome.succeeded
    assert outcome.value is None
    assert kinds(outcome) == [
        FailureKind.PADDING,
        FailureKind.REPETITION,
        FailureKind.INVALID_JSON,
        FailureKind.PADDING,
        FailureKind.INVALID_JSON,
    ]
    assert [a.number for a in outcome.attempts] == [1, 2, 3, 4, 5]
    assert [a.budget for a in outcome.attempts] == [280, 280, 280, 560, 560]
    assert render.budgets == [280, 560]
    assert outcome.prompt_tokens == sum(a.prompt_tokens for a in outcome.attempts) > 0
    assert all(a.detail for a in outcome.attempts)
    summary = outcome.to_record()
    assert summary["fell_back"] is True
    assert [a["failure"] for a in summary["attempts"]][:2] == ["padding", "repetition"]
    assert len(control.requests) == 5


def test_schema_violations_fail_every_attempt_then_fall_back(engine, control):
    schema = {
        "type": "object",
        "properties": {"invoice_number": {"type": "string", "pattern": "^[0-9]+$"}},
        "required": ["invoice_number"],
    }
    outcome = engine.extract_visual(custom_schema_prompt(schema, "invoice"), 1120, Renderer())
    assert outcome.fell_back
    assert kinds(outcome) == [FailureKind.SCHEMA_VIOLATION] * 3  # no budget above 1120
    assert "does not match '^[0-9]+$'" in outcome.attempts[0].detail
    assert control.requests[0].body["response_format"]["json_schema"]["name"] == "invoice"


def test_a_custom_schema_is_sent_and_answered(engine, control):
    schema = {
        "type": "object",
        "properties": {"total": {"type": "number", "minimum": 0}, "vendor": {"type": "string"}},
        "required": ["total", "vendor"],
        "additionalProperties": False,
    }
    outcome = engine.extract_visual(custom_schema_prompt(schema, "invoice"), 560, Renderer())
    assert outcome.succeeded
    assert set(outcome.value) == {"total", "vendor"}
    assert control.requests[0].body["response_format"]["json_schema"]["schema"] == schema


def test_a_schema_outside_the_subset_is_rejected_before_rendering_or_sending(engine, control):
    schema = {"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 2}}}
    render = Renderer()
    with pytest.raises(UnsupportedSchemaError) as caught:
        engine.extract_visual(custom_schema_prompt(schema), 280, render)
    assert caught.value.problems == ["#/properties/n: 'multipleOf' is not supported by xgrammar"]
    assert render.budgets == []
    assert control.requests == []


def test_an_unknown_model_is_a_permanent_error(server, control):
    fake_time = FakeTime()
    engine = make_engine(server.base_url, model="google/gemma-4-nope", time=fake_time)
    with pytest.raises(VlmRequestRejectedError) as caught:
        engine.extract_visual(page_content_prompt(), 280, Renderer())
    assert caught.value.status == 404
    assert "does not exist" in caught.value.message
    assert len(control.requests) == 1
    assert fake_time.sleeps == []


def test_a_server_down_beyond_the_window_makes_the_tier_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake_time = FakeTime()
    engine = make_engine(f"http://127.0.0.1:{port}", time=fake_time, connect_timeout=0.5)
    with pytest.raises(TierUnavailableError, match="ConnectError"):
        engine.extract_visual(page_content_prompt(), 280, Renderer())
    assert len(fake_time.sleeps) >= FAST_RETRY.min_failures - 1
    assert fake_time.now >= FAST_RETRY.unavailable_after - FAST_RETRY.max_delay


def test_an_unhealthy_server_answering_503_makes_the_tier_unavailable(server, control):
    control.reject_rate = 1.0
    control.healthy = False
    with pytest.raises(TierUnavailableError, match="HTTP 503"):
        make_engine(server.base_url).extract_visual(page_content_prompt(), 280, Renderer())


def test_a_healthy_server_that_keeps_rejecting_is_left_to_the_task_retry(server, control):
    control.reject_rate = 1.0
    retry = RetryPolicy(base_delay=0.5, max_delay=1.0, unavailable_after=2.0, give_up_after=4.0)
    engine = make_engine(server.base_url, retry=retry)
    with pytest.raises(TransientVlmError) as caught:
        engine.extract_visual(page_content_prompt(), 280, Renderer())
    assert caught.value.status == 503


def test_a_render_at_the_wrong_budget_is_a_bug(engine, control):
    with pytest.raises(ValueError, match="returned a 560 image"):
        engine.extract_visual(page_content_prompt(), 280, lambda b: render_image(SOURCE, 560))
    assert control.requests == []


def _prefix_before_the_media(body) -> str:
    """The serialized messages up to the first image or audio part."""
    text = json.dumps(body["messages"], ensure_ascii=False, separators=(",", ":"))
    return text[: text.index('{"type":"image_url"')]


def test_requests_for_different_pages_are_identical_up_to_the_image(engine, control):
    document = pymupdf.open()
    for number, (width, height) in enumerate([(612, 792), (842, 595)], start=1):
        page = document.new_page(width=width, height=height)
        page.insert_text((72, 72), f"Page {number} of the sample", fontsize=14)
    budgets: list[tuple[int, VisualBudget]] = [(0, 280), (1, 560)]
    for index, budget in budgets:
        content, _ = extract_page_on_moe(document, index, budget, engine)
        assert content is not None
    first, second = (recorded.body for recorded in control.requests)
    prefix = _prefix_before_the_media(first)
    assert prefix == _prefix_before_the_media(second)
    # The static part is the system prompt (none), the instructions and the schema.
    assert (
        prefix
        == '[{"role":"user","content":['
        + json.dumps(
            {"type": "text", "text": page_content_prompt().instructions},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + ","
    )
    assert first["messages"] != second["messages"]  # the images differ
    assert first["messages"][0]["content"][-1]["type"] == "image_url"
