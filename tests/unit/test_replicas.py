"""The replica pool: least-loaded choice, draining, re-checks and failover, on an injected clock."""

import threading

import httpx
import pytest

from pipeline.model.backpressure import BackpressureConfig
from pipeline.model.client import (
    ChatRequest,
    VlmClient,
    VlmClientConfig,
    replica_urls,
    text_part,
    user_message,
)
from pipeline.model.errors import TransientVlmError
from pipeline.model.replicas import ReplicaPolicy, ReplicaPool
from schemas.settings import Settings

URLS = ("http://a", "http://b", "http://c")


def metrics(running: float, waiting: float, kv: float = 0.0) -> str:
    labels = '{engine="0",model_name="m"}'
    return (
        f"vllm:num_requests_running{labels} {running}\n"
        f"vllm:num_requests_waiting{labels} {waiting}\n"
        f"vllm:kv_cache_usage_perc{labels} {kv}\n"
    )


class Servers:
    """What each fake replica answers to /health and /metrics, and when it was asked."""

    def __init__(self) -> None:
        self.now = 0.0
        self.up = dict.fromkeys(URLS, True)
        self.pages = dict.fromkeys(URLS, metrics(0, 0))
        self.probes: list[tuple[float, str]] = []
        self.scrapes: list[tuple[float, str]] = []

    def clock(self) -> float:
        return self.now

    def probe(self, url: str) -> bool:
        self.probes.append((self.now, url))
        return self.up[url]

    def scrape(self, url: str) -> str:
        self.scrapes.append((self.now, url))
        if not self.up[url]:
            raise ConnectionError(url)
        return self.pages[url]

    def pool(self, max_in_flight: int = 8, **policy: float) -> ReplicaPool:
        return ReplicaPool(
            URLS,
            max_in_flight,
            None,
            self.probe,
            self.scrape,
            ReplicaPolicy(**policy),  # type: ignore[arg-type]
            clock=self.clock,
            spawn=lambda task: task(),
        )


def take(pool, count: int, exclude=()) -> list[str]:
    return [pool.acquire(exclude).url[-1] for _ in range(count)]


def test_requests_go_to_the_least_loaded_replica():
    servers = Servers()
    servers.pages = {
        "http://a": metrics(4, 2),
        "http://b": metrics(1, 0),
        "http://c": metrics(0, 0, kv=0.5),
    }
    pool = servers.pool()
    # Pressure = (other clients' requests + ours) / window of 8: a carries 6 others, b 1.
    # Ties go to the emptier KV cache (b's 0.0 before c's 0.5), then to the lower index.
    assert take(pool, 8) == ["c", "b", "c", "b", "c", "b", "c", "b"]
    assert [replica.limiter.in_flight for replica in pool.replicas] == [0, 4, 4]
    assert take(pool, 3) == ["c", "b", "c"]  # then all three at 6/8: a by its empty cache
    assert take(pool, 1) == ["a"]


def test_metrics_are_scraped_once_per_interval_and_our_own_requests_subtracted():
    servers = Servers()
    pool = servers.pool(metrics_interval=1.0)
    assert take(pool, 2) == ["a", "b"]
    assert [url for _, url in servers.scrapes] == list(URLS)
    servers.pages["http://a"] = metrics(1, 0)  # our own request
    servers.pages["http://b"] = metrics(3, 0)  # ours and two of another client
    servers.now = 0.5
    assert take(pool, 1) == ["c"]
    assert len(servers.scrapes) == 3
    servers.now = 1.0
    assert take(pool, 1) == ["a"]  # a: 0 others + 1 ours; b: 2 others + 1; c: 1
    assert [r.load and r.load.running for r in pool.replicas] == [1.0, 3.0, 0.0]
    assert [replica.own_at_scrape for replica in pool.replicas] == [1, 1, 1]


def test_a_refused_connection_drains_at_once_and_503s_after_a_burst():
    servers = Servers()
    pool = servers.pool(drain_after=3)
    a, b, _ = pool.replicas
    pool.report_failure(a, connect=True)
    assert (a.draining, a.next_check) == (True, 2.0)
    for _ in range(2):
        pool.report_failure(b, connect=False)
    pool.report_answer(b)  # an answer in between: the burst starts again
    for _ in range(2):
        pool.report_failure(b, connect=False)
    assert not b.draining
    pool.report_failure(b, connect=False)
    assert b.draining
    assert take(pool, 3) == ["c", "c", "c"]


def test_a_drained_replica_is_rechecked_with_backoff_and_comes_back():
    servers = Servers()
    pool = servers.pool(recheck_after=2.0, max_recheck_after=5.0)
    a = pool.replicas[0]
    servers.up["http://a"] = False
    pool.report_failure(a, connect=True)
    servers.now = 1.9
    assert take(pool, 1) == ["b"]
    assert servers.probes == []
    servers.now = 2.0
    assert take(pool, 1) == ["c"]
    assert servers.probes == [(2.0, "http://a")]
    assert a.next_check == 6.0  # 2.0 + min(5, 2 * 2)
    servers.now = 5.0
    take(pool, 1)
    assert len(servers.probes) == 1
    servers.up["http://a"] = True
    servers.now = 6.0
    assert take(pool, 1) == ["a"]  # back, scraped and empty
    assert not a.draining and servers.probes[-1] == (6.0, "http://a")


def test_with_every_replica_down_the_one_that_failed_longest_ago_is_tried():
    servers = Servers()
    pool = servers.pool()
    a, b, c = pool.replicas
    for at, replica in [(1.0, b), (2.0, a), (3.0, c)]:
        servers.now = at
        pool.report_failure(replica, connect=True)
    servers.now = 3.5
    chosen = pool.acquire()
    assert chosen is b
    pool.release(b)
    # A request that already failed on a replica does not go on to the draining ones.
    assert pool.acquire([b]) is None
    pool.report_answer(b)  # it answered after all: healthy again
    assert not b.draining and take(pool, 2) == ["b", "b"]


def test_a_failed_request_moves_to_a_replica_it_has_not_tried():
    servers = Servers()
    pool = servers.pool()
    a, b, c = pool.replicas
    assert pool.acquire([a]) is b
    assert pool.acquire([a, b]) is c
    assert pool.acquire([a, b, c]) is None


def test_health_checks_drain_and_restore():
    servers = Servers()
    pool = servers.pool()
    a = pool.replicas[0]
    servers.up["http://a"] = False
    assert pool.check(a) is False and a.draining
    servers.up["http://a"] = True
    assert pool.check(a) is True and not a.draining


def test_a_caller_waits_while_every_window_is_full():
    servers = Servers()
    pool = servers.pool(max_in_flight=1, slot_wait=0.01)
    assert take(pool, 3) == ["a", "b", "c"]
    got = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire()))
    waiter.start()
    b = pool.replicas[1]
    pool.release(b)
    waiter.join(timeout=10)
    assert got == [b]


def test_each_replica_has_its_own_adaptive_window():
    pool = ReplicaPool(
        URLS[:2],
        16,
        BackpressureConfig(initial_in_flight=4, poll_interval=0.5, waiting_high=4),
        lambda url: True,
        lambda url: metrics(1, 10 if url == "http://a" else 0),
        clock=lambda: 0.0,
        spawn=lambda task: task(),
    )
    a, b = pool.replicas
    assert pool.acquire() is b  # a's queue of 10 weighs on it
    assert pool.acquire([b]) is a
    # a's window read a's queue and shrank (4 * 0.7); b's did not.
    assert (a.limiter.limit, b.limiter.limit) == (2, 4)


def test_urls_and_settings_take_a_comma_separated_list(monkeypatch):
    assert replica_urls("http://a:8000/, http://b:8000,") == ("http://a:8000", "http://b:8000")
    assert VlmClientConfig(base_url="http://a:8000", model="m").urls == ("http://a:8000",)
    with pytest.raises(ValueError, match="twice"):
        VlmClientConfig(base_url="http://a,http://a/", model="m")
    with pytest.raises(ValueError, match="required"):
        VlmClientConfig(base_url=" , ", model="m")
    monkeypatch.setenv("GREENHOUSE_VLLM_URL", " http://a:8000 , http://b:8000,")
    monkeypatch.setenv("GREENHOUSE_EDGE_URL", " , ")
    settings = Settings()
    assert (settings.vllm_url, settings.edge_url) == ("http://a:8000,http://b:8000", None)


def answering(statuses: dict[str, list[int | Exception]]) -> VlmClient:
    """A client of replicas a, b, c answering each request with the next status or error."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/v1/chat/completions":
            return httpx.Response(200, text=metrics(0, 0))
        outcome = statuses[f"http://{request.url.host}"].pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome != 200:
            return httpx.Response(outcome, json={"error": {"message": "busy"}})
        body = {"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}]}
        return httpx.Response(200, json=body)

    config = VlmClientConfig(base_url=",".join(URLS), model="m")
    return VlmClient(config, transport=httpx.MockTransport(handler))


REQUEST = ChatRequest((user_message(text_part("hi")),), {"type": "object"}, "n", 0.0)


def test_the_client_fails_over_to_another_replica():
    refused = httpx.ConnectError("refused")
    with answering({"http://a": [503], "http://b": [refused], "http://c": [200]}) as client:
        response = client.complete(REQUEST)
        a, b, c = client.pool.replicas
        assert (response.replica, response.failovers) == ("http://c", 2)
        assert [(r.failed, r.answered, r.draining) for r in (a, b, c)] == [
            (1, 0, False),
            (1, 0, True),
            (0, 1, False),
        ]
        assert [r.limiter.in_flight for r in (a, b, c)] == [0, 0, 0]


def test_throttling_moves_the_request_without_counting_against_the_replica():
    with answering({"http://a": [429], "http://b": [200], "http://c": []}) as client:
        response = client.complete(REQUEST)
        assert (response.replica, response.failovers) == ("http://b", 1)
        assert [(r.failed, r.answered) for r in client.pool.replicas] == [(0, 1), (0, 1), (0, 0)]


def test_the_last_error_propagates_when_every_replica_failed():
    statuses: dict[str, list[int | Exception]] = {url: [503] for url in URLS}
    statuses["http://c"] = [502]
    with answering(statuses) as client, pytest.raises(TransientVlmError) as caught:
        client.complete(REQUEST)
    assert caught.value.status == 502
    assert [r.failed for r in client.pool.replicas] == [1, 1, 1]


def test_a_rejected_request_is_not_sent_elsewhere():
    with answering({"http://a": [400], "http://b": [], "http://c": []}) as client:
        with pytest.raises(Exception, match="busy"):
            client.complete(REQUEST)
        assert [r.answered for r in client.pool.replicas] == [1, 0, 0]
