"""Three fake vLLM replicas behind one tier: one goes down mid-batch and nothing fails."""

import socket
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from PIL import Image

from pipeline.model.attempts import AttemptPolicy, VlmEngine, VlmOutcome
from pipeline.model.client import VlmClient, VlmClientConfig
from pipeline.model.errors import TierUnavailableError
from pipeline.model.prompts import page_content_prompt
from pipeline.model.render import RenderedImage, render_image
from pipeline.model.replicas import ReplicaPolicy
from pipeline.model.retry import RetryPolicy
from tests.fakes.fake_vllm import MOE_MODEL, FakeVllmConfig, running_fake_vllm

JOBS, THREADS, KILL_AFTER, WINDOW = 60, 12, 15, 4
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, unavailable_after=5.0, min_failures=3)
FRAME = render_image(Image.new("RGB", (800, 600), "white"), 70)


def _render(budget: int) -> RenderedImage:
    assert budget == 70
    return FRAME


def test_a_replica_going_down_mid_batch_moves_its_requests_to_the_others():
    with ExitStack() as stack:
        servers = [stack.enter_context(running_fake_vllm(FakeVllmConfig())) for _ in range(2)]
        doomed = running_fake_vllm(FakeVllmConfig())
        servers.insert(1, doomed.__enter__())
        for server, latency in zip(servers, (0.02, 0.04, 0.02), strict=True):
            server.control.request_latency = latency
        urls = [server.base_url for server in servers]
        config = VlmClientConfig(
            base_url=",".join(urls),
            model=MOE_MODEL,
            max_tokens=1500,
            max_in_flight=WINDOW,
            replicas=ReplicaPolicy(recheck_after=60.0, max_recheck_after=60.0),
        )
        client = stack.enter_context(VlmClient(config))
        engine = VlmEngine(client, AttemptPolicy(), FAST_RETRY)
        lock = threading.Lock()
        answered: list[str | None] = []
        killed_at: list[int] = []

        def job(_: int) -> VlmOutcome:
            outcome = engine.extract_visual(page_content_prompt(), 70, _render)
            with lock:
                answered.append(outcome.attempts[-1].replica)
                kill = len(answered) == KILL_AFTER
            if kill:
                doomed.__exit__(None, None, None)  # the server stops listening
                with lock:
                    killed_at.append(len(answered))
            return outcome

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(job, range(JOBS)))

    assert all(outcome.succeeded for outcome in outcomes)
    assert all(a.failure is None for outcome in outcomes for a in outcome.attempts)
    shares = Counter(answered)
    assert set(shares) <= set(urls) and sum(shares.values()) == JOBS
    down = client.pool.replicas[1]
    assert down.draining and down.failed >= 1
    # After it died only requests already in flight there (at most its window) could end there.
    (kill_index,) = killed_at
    assert answered[kill_index:].count(urls[1]) <= WINDOW
    assert shares[urls[0]] + shares[urls[2]] >= JOBS - KILL_AFTER - WINDOW
    moved = sum(outcome.transient_failures for outcome in outcomes)
    assert moved == down.failed  # every failure there was answered at once elsewhere


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


def test_a_tier_whose_replicas_are_all_down_is_unavailable():
    urls = ",".join(_closed_port_url() for _ in range(2))
    config = VlmClientConfig(base_url=urls, model=MOE_MODEL, connect_timeout=1.0)
    time = FakeTime()
    with VlmClient(config) as client:
        engine = VlmEngine(client, retry=FAST_RETRY, sleep=time.sleep, clock=time.clock)
        with pytest.raises(TierUnavailableError, match="server is down"):
            engine.extract_visual(page_content_prompt(), 70, _render)
        assert all(replica.draining for replica in client.pool.replicas)
