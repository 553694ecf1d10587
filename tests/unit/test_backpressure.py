"""The in-flight limiter: Prometheus parsing, the AIMD window, and saturation of the fake."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from pipeline.model.backpressure import (
    BackpressureConfig,
    InFlightLimiter,
    ServerLoad,
    parse_prometheus,
    server_load,
)
from pipeline.model.client import (
    ChatRequest,
    VlmClient,
    VlmClientConfig,
    image_part,
    text_part,
    user_message,
)
from pipeline.model.render import render_image
from tests.fakes.fake_vllm import MOE_MODEL, FakeVllmConfig, running_fake_vllm

METRICS = """\
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="google/gemma-4-26B-A4B-it"} 3.0
vllm:num_requests_waiting{engine="1",model_name="google/gemma-4-26B-A4B-it"} 2.0
vllm:num_requests_running{engine="0",model_name="m"} 7.0 1712345678000
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.42
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.93
vllm:odd{path="a \\"quoted\\" }, value",le="+Inf"} 1e3
vllm:no_labels 5
garbage line without value
vllm:broken{engine="0 1
"""


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_prometheus_text_is_parsed_with_labels_and_timestamps():
    samples = parse_prometheus(METRICS)
    assert [v for _, v in samples["vllm:num_requests_waiting"]] == [3.0, 2.0]
    assert samples["vllm:num_requests_running"] == [({"engine": "0", "model_name": "m"}, 7.0)]
    ((labels, value),) = samples["vllm:odd"]
    assert labels == {"path": 'a "quoted" }, value', "le": "+Inf"}
    assert value == 1000.0
    assert samples["vllm:no_labels"] == [({}, 5.0)]
    assert "vllm:broken" not in samples
    assert "garbage" not in samples


def test_server_load_sums_engines_and_takes_the_fullest_kv_cache():
    assert server_load(METRICS) == ServerLoad(running=7.0, waiting=5.0, kv_cache_usage=0.93)
    assert server_load("") == ServerLoad()
    old = 'vllm:gpu_cache_usage_perc{engine="0"} 0.5\nvllm:num_requests_waiting 0\n'
    assert server_load(old) == ServerLoad(running=None, waiting=0.0, kv_cache_usage=0.5)
    assert server_load("vllm:num_requests_waiting NaN\n").waiting is None


def limiter(cap=16, clock=None, metrics=None, **config):
    settings = {"poll_interval": 1.0} | config
    return InFlightLimiter(
        cap, BackpressureConfig(**settings), metrics or (lambda: ""), clock or FakeClock()
    )


def test_a_long_queue_shrinks_the_window_once_per_cooldown():
    clock = FakeClock()
    lim = limiter(16, clock, waiting_high=4, decrease_factor=0.5)
    lim.observe(ServerLoad(waiting=10))
    assert lim.limit == 8
    lim.observe(ServerLoad(waiting=10))
    assert lim.limit == 8
    clock.now += 1.0
    lim.observe(ServerLoad(waiting=10))
    assert lim.limit == 4
    for _ in range(10):
        clock.now += 1.0
        lim.observe(ServerLoad(waiting=10))
    assert lim.limit == 1  # min_in_flight


def test_503s_shrink_the_window_but_a_burst_counts_once():
    clock = FakeClock()
    lim = limiter(10, clock, decrease_factor=0.5)
    for _ in range(5):
        lim.report_overload()
    assert lim.limit == 5


def test_without_metrics_the_window_is_the_cap():
    lim = InFlightLimiter(6)
    lim.report_overload()
    assert lim.limit == 6


def test_the_window_grows_only_when_used_slow_start_then_additive():
    lim = limiter(64, initial_in_flight=2)
    lim.observe(ServerLoad(waiting=0, kv_cache_usage=0.1))
    assert lim.limit == 2  # nobody used the window
    for expected in (4, 8, 16):
        for _ in range(lim.limit):
            lim.acquire()
        lim.observe(ServerLoad(waiting=0, kv_cache_usage=0.1))
        for _ in range(lim.in_flight):
            lim.release()
        assert lim.limit == expected
    lim.report_overload()
    assert lim.limit == 11
    for expected in (12, 13):
        for _ in range(lim.limit):
            lim.acquire()
        lim.observe(ServerLoad(waiting=1))
        for _ in range(lim.in_flight):
            lim.release()
        assert lim.limit == expected


def test_a_full_kv_cache_with_a_queue_holds_the_window():
    lim = limiter(64, initial_in_flight=8)
    for _ in range(8):
        lim.acquire()
    lim.observe(ServerLoad(waiting=2, kv_cache_usage=0.95))
    assert lim.limit == 8
    lim.observe(ServerLoad(waiting=0, kv_cache_usage=0.95))
    assert lim.limit == 16  # saturated but no queue: still room to grow


def test_the_window_never_exceeds_the_cap():
    lim = limiter(5, initial_in_flight=4)
    for _ in range(4):
        lim.acquire()
    lim.observe(ServerLoad(waiting=0))
    assert lim.limit == 5


def test_acquire_blocks_at_the_limit_and_times_out():
    lim = InFlightLimiter(2)
    assert lim.acquire() and lim.acquire()
    started = time.monotonic()
    assert lim.acquire(timeout=0.05) is False
    assert time.monotonic() - started >= 0.05
    released = threading.Timer(0.05, lim.release)
    released.start()
    assert lim.acquire(timeout=5) is True
    assert lim.in_flight == 2
    with pytest.raises(RuntimeError):
        InFlightLimiter(1).release()


def test_many_threads_never_exceed_the_cap():
    lim = InFlightLimiter(3)
    peak = []
    lock = threading.Lock()
    current = [0]

    def work(_):
        with lim.slot():
            with lock:
                current[0] += 1
                peak.append(current[0])
            time.sleep(0.002)
            with lock:
                current[0] -= 1

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(work, range(120)))
    assert max(peak) == 3
    assert lim.in_flight == 0


def test_metrics_are_polled_at_most_once_per_interval_and_failures_are_tolerated():
    clock = FakeClock()
    calls = []

    def metrics():
        calls.append(clock.now)
        if len(calls) == 2:
            raise ConnectionError("metrics down")
        return "vllm:num_requests_waiting 50\n"

    lim = InFlightLimiter(
        16, BackpressureConfig(poll_interval=2.0, decrease_factor=0.5), metrics, clock
    )
    for step in range(20):
        clock.now = 100.0 + step * 0.5
        with lim.slot():
            pass
    assert calls == [100.0, 102.0, 104.0, 106.0, 108.0]
    assert lim.poll_failures == 1
    assert lim.limit == 1  # 16 -> 8 -> (failed poll) -> 4 -> 2 -> 1
    assert lim.last_load == ServerLoad(waiting=50.0)


def test_config_is_validated():
    with pytest.raises(ValueError, match="decrease_factor"):
        BackpressureConfig(decrease_factor=1.0)
    with pytest.raises(ValueError, match="at least min_in_flight"):
        InFlightLimiter(1, BackpressureConfig(min_in_flight=2))


@pytest.mark.slow
def test_adaptive_backpressure_keeps_the_fake_saturated_with_a_bounded_queue():
    capacity, threads, total = 4, 32, 240
    backpressure = BackpressureConfig(poll_interval=0.05, waiting_high=3)
    with running_fake_vllm(FakeVllmConfig(capacity=capacity)) as (base_url, control):
        control.request_latency = 0.04
        config = VlmClientConfig(
            base_url=base_url, model=MOE_MODEL, max_in_flight=threads, backpressure=backpressure
        )
        url = render_image(Image.new("RGB", (400, 300), "white"), 70).data_url
        schema = {"type": "object", "properties": {"text": {"type": "string"}}}
        message = user_message(image_part(url), text_part("Read the frame."))
        request = ChatRequest((message,), schema, "frame", 0.0, max_soft_tokens=70)
        samples: list[tuple[float, int]] = []
        done = threading.Event()

        def monitor():
            while not done.wait(0.005):
                samples.append((time.monotonic(), control.stats().waiting))

        with VlmClient(config) as client:
            control.reset()
            started = time.monotonic()
            watcher = threading.Thread(target=monitor)
            watcher.start()
            with ThreadPoolExecutor(threads) as pool:
                responses = list(pool.map(lambda _: client.complete(request), range(total)))
            stats = control.stats()
            elapsed = time.monotonic() - started
            done.set()
            watcher.join()
            window = client.limiter.limit
    assert all(r.finish_reason == "stop" for r in responses)
    assert stats.served == total and stats.rejected == 0
    assert stats.max_running == capacity
    # A sanity bound only: the saturation target (>= 0.95) is measured by bench/model_tiers.py.
    assert stats.utilisation >= 0.75, stats
    settled = [waiting for at, waiting in samples if at - started > elapsed / 4]
    # A fixed window of 32 keeps ~28 requests waiting; the adaptive one a few (~2.5 here).
    assert max(settled) <= 4 * backpressure.waiting_high, settled
    assert sum(settled) / len(settled) <= 2 * backpressure.waiting_high, settled
    assert window < threads // 2
