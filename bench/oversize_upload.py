"""Peak server memory and disk while a client streams a huge upload against a small limit.

Run on demand from the repository root (not a test; about half a minute at the defaults):

    .venv/bin/python bench/oversize_upload.py [--upload-mb 1536] [--limit-mb 1]

Starts the API (`uvicorn api.app:create_app --factory`, SQLite, no broker) in a subprocess
with `MAX_UPLOAD_BYTES` at `--limit-mb` and its own TMPDIR, streams a multipart body of
`--upload-mb` with httpx from a generator (chunked transfer: no Content-Length, so only the
streaming limit can stop it), and samples the server's RSS and the bytes held under its blob
root and TMPDIR every 10 ms. Baseline measured in the same run: the server's RSS after it
accepted a 1 KB upload. Prints the status, the bytes the client got to send before the 413,
peak RSS growth over the baseline, and peak disk as a ratio to the limit.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.services import free_port

MB = 1024 * 1024
BOUNDARY = "greenhouse-bench-boundary"
PIECE_BYTES = 256 * 1024
SAMPLE_SECONDS = 0.01


def _folder_bytes(*roots: Path) -> int:
    total = 0
    for root in roots:
        for path in root.rglob("*"):
            try:
                if path.is_file():
                    total += path.stat().st_size
            except FileNotFoundError:
                continue
    return total


def rss_bytes(pid: int) -> int:
    """The resident set size of a process (Linux: VmRSS in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class Sampler:
    """Peak RSS of a process and peak bytes under some folders, sampled from a thread."""

    def __init__(self, pid: int, *roots: Path) -> None:
        self._pid = pid
        self._roots = roots
        self.peak_rss = 0
        self.peak_disk = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak_rss = max(self.peak_rss, rss_bytes(self._pid))
            self.peak_disk = max(self.peak_disk, _folder_bytes(*self._roots))


class CountingBody:
    """A multipart body with a `file` part of `size` bytes, generated piece by piece."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        head = (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="huge.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        yield head
        piece = b"%PDF-" + b"\0" * (PIECE_BYTES - 5)
        left = self.size
        while left > 0:
            chunk = piece[: min(left, PIECE_BYTES)]
            left -= len(chunk)
            self.sent += len(chunk)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _start_server(work: Path, limit: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    (work / "tmp").mkdir()
    env = {
        **os.environ,
        "GREENHOUSE_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "GREENHOUSE_BLOB_ROOT": str(work / "blobs"),
        "GREENHOUSE_MAX_UPLOAD_BYTES": str(limit),
        "GREENHOUSE_AUTO_MIGRATE": "true",
        "GREENHOUSE_AUTH": "disabled",
        "TMPDIR": str(work / "tmp"),
    }
    env.pop("GREENHOUSE_BROKER_URL", None)
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[1])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the API did not start")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mb", type=int, default=1536)
    parser.add_argument("--limit-mb", type=float, default=1.0)
    arguments = parser.parse_args()
    limit = int(arguments.limit_mb * MB)
    with tempfile.TemporaryDirectory(prefix="greenhouse-oversize-") as folder:
        work = Path(folder)
        server, url = _start_server(work, limit)
        try:
            small = httpx.post(
                f"{url}/v1/documents",
                files={"file": ("small.pdf", b"%PDF-" + b"s" * 1019, "application/pdf")},
                timeout=60,
            )
            assert small.status_code == 202, small.text
            baseline_rss = rss_bytes(server.pid)
            body = CountingBody(arguments.upload_mb * MB)
            roots = (work / "blobs", work / "tmp")
            disk_before = _folder_bytes(*roots)
            started = time.monotonic()
            with Sampler(server.pid, *roots) as sampler:
                response = httpx.post(
                    f"{url}/v1/documents",
                    content=iter(body),
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                    timeout=600,
                )
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    disk_growth = max(0, sampler.peak_disk - disk_before)
    print(f"upload {arguments.upload_mb} MB streamed chunked against a limit of {limit} bytes")
    print(f"status                      {response.status_code} {response.json()['error']['code']}")
    print(f"client bytes sent           {body.sent / MB:.1f} MB in {elapsed:.2f} s")
    print(f"server RSS baseline         {baseline_rss / MB:.1f} MB (after a 1 KB upload)")
    print(
        f"server RSS peak             {sampler.peak_rss / MB:.1f} MB "
        f"(+{(sampler.peak_rss - baseline_rss) / MB:.1f} MB, "
        f"x{sampler.peak_rss / baseline_rss:.3f} of baseline)"
    )
    print(
        f"blob root + TMPDIR growth   {disk_growth / MB:.2f} MB peak "
        f"(x{disk_growth / limit:.2f} of the limit)"
    )
    return 0 if response.status_code == 413 else 1


if __name__ == "__main__":
    sys.exit(main())
