"""Several replicas per tier: share of requests per replica and throughput against capacity.

Run on demand from the repository root (not a test; about 20 s at the defaults):

    .venv/bin/python bench/replicas.py [--requests 1200] [--threads 48] [--capacity 4]
        [--service 0.05] [--slowdowns 1,2,4] [--max-in-flight 32] [--fixed] [--kill-after N]
        [--out r.json]

Three fake vLLM servers (`tests.fakes.fake_vllm`) each run `--capacity` requests at a time and
answer each after `--service` seconds times their slowdown (1x, 2x, 4x by default): replica i
serves at most capacity / (service * slowdown_i) requests/s, and the sum of those is the ceiling.
One `VlmClient` over the three (as a worker builds it: adaptive windows starting at 8, capped
at `--max-in-flight` per replica; `--fixed`: fixed windows at the cap) is driven by `--threads`
threads sending `--requests` requests (a 70-token frame with a small schema). Reported per
replica: the share of requests, the share its capacity would give, its utilisation and its
final window; overall: requests/s between the first request and the last answer, as a ratio to
the ceiling. `--kill-after N` stops replica 1 once N answers are in: then reported are the
failovers, whether anything failed, and the shares of the answers that came after.
"""

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from pipeline.model.backpressure import BackpressureConfig
from pipeline.model.client import (
    ChatRequest,
    ChatResponse,
    VlmClient,
    VlmClientConfig,
    image_part,
    text_part,
    user_message,
)
from pipeline.model.render import render_image
from tests.fakes.fake_vllm import MOE_MODEL, FakeVllmConfig, running_fake_vllm

INITIAL_IN_FLIGHT = 8  # as workers/model_tiers.py


def run(args: argparse.Namespace) -> dict[str, Any]:
    slowdowns = [float(s) for s in args.slowdowns.split(",")]
    frame = render_image(Image.new("RGB", (800, 600), "white"), 70).data_url
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    message = user_message(text_part("Read the frame."), image_part(frame))
    request = ChatRequest((message,), schema, "frame", 0.0, max_tokens=64, max_soft_tokens=70)
    with ExitStack() as stack:
        config = FakeVllmConfig(capacity=args.capacity)
        contexts = [running_fake_vllm(config) for _ in slowdowns]
        servers = [context.__enter__() for context in contexts]
        for context in contexts:
            stack.push(context)
        for server, slowdown in zip(servers, slowdowns, strict=True):
            server.control.request_latency = args.service * slowdown
        backpressure = None
        if not args.fixed:
            backpressure = BackpressureConfig(
                initial_in_flight=min(INITIAL_IN_FLIGHT, args.max_in_flight)
            )
        client_config = VlmClientConfig(
            base_url=",".join(server.base_url for server in servers),
            model=MOE_MODEL,
            max_in_flight=args.max_in_flight,
            backpressure=backpressure,
        )
        client = stack.enter_context(VlmClient(client_config))
        for server in servers:
            server.control.reset()
        lock = threading.Lock()
        order: list[str] = []
        killed_at: list[int] = []

        def send(_: int) -> ChatResponse:
            answer = client.complete(request)
            with lock:
                order.append(answer.replica)
                kill = len(order) == args.kill_after
            if kill:
                contexts[1].__exit__(None, None, None)
                with lock:
                    killed_at.append(len(order))
            return answer

        started = time.monotonic()
        with ThreadPoolExecutor(args.threads) as pool:
            answers = list(pool.map(send, range(args.requests)))
        elapsed = time.monotonic() - started
        stats = [server.control.stats() for server in servers]
        urls = [server.base_url for server in servers]
    capacities = [args.capacity / (args.service * slowdown) for slowdown in slowdowns]
    ceiling = sum(capacities)
    replicas = []
    for index, (server, stat, capacity) in enumerate(zip(servers, stats, capacities, strict=True)):
        served = sum(1 for answer in answers if answer.replica == server.base_url)
        replicas.append(
            {
                "replica": index,
                "slowdown": slowdowns[index],
                "capacity_rps": round(capacity, 1),
                "share": round(served / len(answers), 3),
                "capacity_share": round(capacity / ceiling, 3),
                "utilisation": round(stat.slot_seconds / (args.capacity * elapsed), 3),
                "window": client.pool.replicas[index].limiter.limit,
            }
        )
    throughput = len(answers) / elapsed
    after = order[killed_at[0] :] if killed_at else []
    killed = {
        "killed_after": killed_at[0] if killed_at else None,
        "shares_after_kill": [round(after.count(url) / len(after), 3) for url in urls]
        if after
        else None,
    }
    return {
        "requests": len(answers),
        "threads": args.threads,
        "adaptive": not args.fixed,
        "elapsed_seconds": round(elapsed, 2),
        "throughput_rps": round(throughput, 1),
        "ceiling_rps": round(ceiling, 1),
        "ratio": round(throughput / ceiling, 3),
        "failovers": sum(answer.failovers for answer in answers),
        "replicas": replicas,
        **killed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--threads", type=int, default=48)
    parser.add_argument("--capacity", type=int, default=4)
    parser.add_argument("--service", type=float, default=0.05)
    parser.add_argument("--slowdowns", default="1,2,4")
    parser.add_argument("--max-in-flight", type=int, default=32)
    parser.add_argument("--fixed", action="store_true")
    parser.add_argument("--kill-after", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args)
    print(
        f"{result['requests']} requests, {result['threads']} threads, "
        f"{'adaptive' if result['adaptive'] else 'fixed'} windows: "
        f"{result['throughput_rps']} req/s of a {result['ceiling_rps']} req/s ceiling "
        f"({result['ratio']:.0%}), {result['failovers']} failovers"
    )
    for replica in result["replicas"]:
        print(
            f"  replica {replica['replica']} ({replica['slowdown']:g}x, "
            f"{replica['capacity_rps']} req/s): share {replica['share']:.1%} "
            f"(capacity share {replica['capacity_share']:.1%}), "
            f"utilisation {replica['utilisation']:.0%}, window {replica['window']}"
        )
    if result["killed_after"] is not None:
        shares = ", ".join(f"{share:.1%}" for share in result["shares_after_kill"])
        print(f"  replica 1 stopped after {result['killed_after']} answers; after it: {shares}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
