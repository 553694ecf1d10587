"""A redis-server of our own on a free port, that a test or benchmark may kill and restart."""

import shutil
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import redis

from tests.support.services import free_port

START_TIMEOUT_SECONDS = 30


class PrivateRedis:
    """Never the shared server on 6379: killing this one disturbs nobody else."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.root = root
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)

    def start(self) -> None:
        """Start (again, on the same port, empty) and wait until it answers."""
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (Debian: apt-get install redis-server)"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.root)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            with suppress(redis.RedisError):
                client = self.client()
                client.ping()
                client.close()
                return
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: the server and everything it held are gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def lpush_calls(self) -> int:
        """How many LPUSH commands the server has run (every message Celery sends is one)."""
        client = self.client()
        try:
            stats = client.info("commandstats")
        finally:
            client.close()
        return int(stats.get("cmdstat_lpush", {}).get("calls", 0))
