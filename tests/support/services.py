"""Real PostgreSQL and Redis for the tests: the running ones, or throwaway ones we start.

Order of preference: an explicit URL in GREENHOUSE_TEST_POSTGRES_URL / GREENHOUSE_TEST_REDIS_URL;
the servers on 127.0.0.1's standard ports; a throwaway server started from the installed
binaries in a temporary folder. If none of these works the tests fail with what to install.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import redis

START_TIMEOUT_SECONDS = 30


class ServiceUnavailableError(RuntimeError):
    """Neither a running server nor the binaries to start one were found."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def _redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
    except redis.RedisError:
        return False
    return True


def _find_binary(name: str, extra_globs: tuple[str, ...] = ()) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_globs:
        matches = sorted(glob.glob(pattern))
        if matches:
            return matches[-1]
    return None


def _unprivileged_user() -> str | None:
    """initdb and postgres refuse to run as root: pick a user to run them as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServiceUnavailableError("running as root and no 'postgres' or 'nobody' user exists")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a libpq URL (without database) of a reachable PostgreSQL server."""
    explicit = os.environ.get("GREENHOUSE_TEST_POSTGRES_URL")
    if explicit:
        if not _postgres_answers(explicit):
            raise ServiceUnavailableError(
                f"GREENHOUSE_TEST_POSTGRES_URL={explicit} does not answer"
            )
        yield explicit
        return
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if _postgres_answers(local):
        yield local
        return
    with _throwaway_postgres() as url:
        yield url


@contextmanager
def _throwaway_postgres() -> Iterator[str]:
    bin_globs = ("/usr/lib/postgresql/*/bin/{}",)
    initdb = _find_binary("initdb", tuple(g.format("initdb") for g in bin_globs))
    pg_ctl = _find_binary("pg_ctl", tuple(g.format("pg_ctl") for g in bin_globs))
    if not initdb or not pg_ctl:
        raise ServiceUnavailableError(
            "PostgreSQL is not running on 127.0.0.1:5432 and its server binaries (initdb, pg_ctl) "
            "are not installed: install PostgreSQL (Debian: apt-get install postgresql) or set "
            "GREENHOUSE_TEST_POSTGRES_URL"
        )
    user = _unprivileged_user()
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="greenhouse-pg-"))
    data = root / "data"
    if user:
        shutil.chown(root, user=user)
    prefix = ["runuser", "-u", user, "--"] if user else []
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix,
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT_SECONDS,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield a redis:// URL (without database number) of a reachable Redis server."""
    explicit = os.environ.get("GREENHOUSE_TEST_REDIS_URL")
    if explicit:
        if not _redis_answers(explicit):
            raise ServiceUnavailableError(f"GREENHOUSE_TEST_REDIS_URL={explicit} does not answer")
        yield explicit.rstrip("/")
        return
    local = "redis://127.0.0.1:6379"
    if _redis_answers(local):
        yield local
        return
    binary = _find_binary("redis-server")
    if binary is None:
        raise ServiceUnavailableError(
            "Redis is not running on 127.0.0.1:6379 and redis-server is not installed: install "
            "Redis (Debian: apt-get install redis-server) or set GREENHOUSE_TEST_REDIS_URL"
        )
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="greenhouse-redis-"))
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _redis_answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise ServiceUnavailableError("a throwaway redis-server did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create a database and return its SQLAlchemy URL."""
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = server_url.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def drop_database(server_url: str, name: str) -> None:
    """Drop a database, disconnecting anyone still on it."""
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
