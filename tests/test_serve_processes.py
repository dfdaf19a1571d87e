"""``newsdesk serve`` with ``web_processes`` = 2: the real command, two uvicorn workers on one socket, each with
its own facade and ranking worker, migrated once before they start; pages answered, a reader's change made
through one process seen through the other, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from newsdesk.config import load_settings
from newsdesk.core import make_newsdesk
from tests.loopback import free_port
from tests.test_pages import build
from tests.test_personal import PASSWORD


def _wait(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server stopped"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout_s} s")


def test_two_web_processes_serve_share_the_database_and_stop_cleanly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        "NEWSDESK_DB": f"sqlite:///{tmp_path / 'news.db'}",
        "NEWSDESK_WEB_PROCESSES": "2",
        "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "true",
    }
    desk = make_newsdesk(load_settings(env=env))
    try:
        build(desk)
        desk.create_user("ann", PASSWORD)
    finally:
        desk.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        _wait(url + "/api/v1/health", server)
        found = subprocess.run(["pgrep", "-P", str(server.pid)], check=False, capture_output=True, text=True)
        workers = found.stdout.split()
        assert len(workers) >= 2  # the two web processes (their ranking workers are their own children)
        assert "/stories/story-a" in httpx.get(url + "/?tab=latest").text  # the test news is old: the latest
        # a reader signs in and mutes a source; every request opens a new connection, so the kernel hands them
        # to either process: the mute is seen whichever answers (users.personal_version)
        with httpx.Client(base_url=url, follow_redirects=False, timeout=20, headers={"Connection": "close"}) as ann:
            page = ann.get("/sign-in")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            assert (
                ann.post("/sign-in", data={"csrf_token": token, "name": "ann", "password": PASSWORD}).status_code == 303
            )
            account = ann.get("/account").text
            form = account.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            muted = ann.post(
                "/follow", data={"csrf_token": form, "kind": "tag", "key": "#EmmanuelMacron", "mode": "mute"}
            )
            assert muted.status_code == 303
            for _ in range(10):
                assert "/stories/story-a" not in ann.get("/?tab=latest").text
            assert "/stories/story-a" in httpx.get(url + "/?tab=latest").text  # anonymous readers still see it
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        finally:
            log.close()
    assert code == 0, (tmp_path / "server.log").read_text()
    assert "Traceback" not in (tmp_path / "server.log").read_text()
