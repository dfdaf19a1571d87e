"""Real loopback servers for tests and benchmarks: the shared bench corpus server.

``BenchServer`` generates a deterministic corpus with ``../shared/bench/corpus.py``
(or reuses one) and runs ``../shared/bench/server.py`` on a free port of
127.0.0.1 in a subprocess, with optional fault injection.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_shared_bench() -> None:
    """Skip (in tests) when ../shared/bench is not beside the checkout."""
    missing = [p for p in (SHARED_BENCH / "corpus.py", SHARED_BENCH / "server.py") if not p.exists()]
    if missing:
        import pytest

        pytest.skip(f"shared bench scripts not found: {', '.join(map(str, missing))}")


def make_corpus(out: Path, feeds: int, port: int, seed: int = 42) -> dict[str, Any]:
    """Generate (once) a corpus whose URLs point at 127.0.0.1:port; return its plan."""
    require_shared_bench()
    plan_path = out / "plan.json"
    if not plan_path.exists():
        subprocess.run(
            [
                sys.executable,
                str(SHARED_BENCH / "corpus.py"),
                "--feeds",
                str(feeds),
                "--seed",
                str(seed),
                "--out",
                str(out),
                "--base-url",
                f"http://127.0.0.1:{port}",
            ],
            check=True,
            capture_output=True,
        )
    plan: dict[str, Any] = json.loads(plan_path.read_text())
    return plan


class BenchServer:
    """The shared loopback feed/page server over a generated corpus."""

    def __init__(self, corpus_dir: Path, feeds: int, *, port: int | None = None, **server_args: Any) -> None:
        self.port = port or free_port()
        self.corpus_dir = corpus_dir
        self.plan = make_corpus(corpus_dir, feeds, self.port)
        self.port = int(self.plan["base_url"].rsplit(":", 1)[1])
        self.base_url = self.plan["base_url"]
        self.server_args = server_args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def feed_urls(self) -> list[str]:
        return [self.base_url + f["path"] for f in self.plan["feeds"]]

    @property
    def n_items(self) -> int:
        return int(self.plan["n_items"])

    def start(self) -> BenchServer:
        args = [sys.executable, str(SHARED_BENCH / "server.py"), "--corpus", str(self.corpus_dir)]
        args += ["--port", str(self.port)]
        for key, value in self.server_args.items():
            args += ["--" + key.replace("_", "-"), str(value)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base_url + "/_stats", timeout=1) as r:
                    r.read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("bench server exited") from None
                time.sleep(0.1)
        raise RuntimeError("bench server did not start")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base_url + "/_stats", timeout=5) as r:
            data: dict[str, Any] = json.loads(r.read())
        return data

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextlib.contextmanager
def serving(app: Any, **config: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn on a free loopback port, in a thread; yield its base URL.

    ``config``: more ``uvicorn.Config`` settings (the web fuzzer's room for long request heads).
    """
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def serving_files(files: dict[str, tuple[bytes, str]]) -> Iterator[str]:
    """Serve ``files`` (path → body and content type) on a free loopback port, in a thread; 404 elsewhere.

    The dict is read at each request, so a test changes what the next poll sees by assigning to it.
    Yields the base URL (``http://127.0.0.1:PORT``).
    """
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Files(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, content_type = files.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in files else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
