"""Embeddings from an OpenAI-compatible HTTP endpoint (``POST {base_url}/embeddings``).

For people who already run a model server (llama.cpp, Ollama, vLLM, LocalAI) or want a hosted
model. Synchronous on purpose: embedding is a background batch step that runs off the event loop,
and the standard library's urllib is enough for one JSON POST (httpx is not a dependency).

Safety of the API key: it is sent only in the ``Authorization`` header, never put in a URL, a log
line, an error message or a ``repr``; redirects are not followed (urllib would forward the header
to whatever host a redirect names), and an error body that echoes the key is masked.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Sequence
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from newsdesk.ai.embedder import REMOTE_BATCH_SIZE, normalize_rows
from newsdesk.errors import ConfigError, EndpointError

OPENAI_BASE_URL = "https://api.openai.com/v1"
MAX_RESPONSE_BYTES = 256 * 1024 * 1024  # a batch of 2048 vectors of 3072 floats as JSON is ~130 MB
_ERROR_SNIPPET = 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a 3xx becomes an HTTPError, and the key never leaves for another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class OpenAICompatEmbedder:
    """An :class:`~newsdesk.ai.embedder.Embedder` backed by ``/embeddings`` of an OpenAI-compatible API.

    ``model_id`` is ``openai:MODEL@HOST`` (plus ``/dN`` when ``dimensions`` is asked), so the same
    model name on another server counts as another model. ``dim`` is ``dimensions`` when given,
    else learnt from the first response (asking once with a probe text if needed).
    """

    __slots__ = ("_api_key", "_dim", "_model_id", "batch_size", "dimensions", "model", "timeout_s", "url")

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        batch_size: int = REMOTE_BATCH_SIZE,
        dimensions: int | None = None,
    ) -> None:
        base = (base_url or OPENAI_BASE_URL).rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"embedding_base_url must be an http(s) URL, got {base!r}")
        if parts.username or parts.password:
            raise ConfigError("embedding_base_url must not carry credentials; set embedding_api_key")
        if timeout_s <= 0:
            raise ConfigError(f"embedding_timeout_s must be positive, got {timeout_s}")
        self.model = model
        self.url = base + "/embeddings"
        self._api_key = api_key or None
        self.timeout_s = timeout_s
        self.batch_size = batch_size
        self.dimensions = dimensions
        self._dim: int | None = dimensions
        suffix = f"/d{dimensions}" if dimensions else ""
        self._model_id = f"openai:{model}{suffix}@{parts.netloc}"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._request(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors for ``texts``, in order, one request per ``batch_size`` texts.

        Raises :class:`EndpointError` when the endpoint cannot be reached, answers with an error
        status, times out, or returns something that is not one vector per text.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        batches = [self._request(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        return normalize_rows(np.concatenate(batches))

    def _request(self, texts: list[str]) -> NDArray[np.float32]:
        payload: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.dimensions:
            payload["dimensions"] = self.dimensions
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        body_out = json.dumps(payload).encode()
        # S310: the scheme was checked to be http(s) in __init__, so no file: or custom scheme is opened.
        request = urllib.request.Request(self.url, data=body_out, headers=headers, method="POST")  # noqa: S310
        try:
            with _OPENER.open(request, timeout=self.timeout_s) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as err:
            with err:
                detail = self._error_detail(err.read(64 * 1024))
            raise EndpointError(
                self.url,
                f"embedding endpoint answered HTTP {err.code}{detail}",
                status=err.code,
                retry_after=_retry_after(err.headers),
            ) from None
        except TimeoutError as err:
            raise EndpointError(self.url, f"embedding endpoint timed out after {self.timeout_s:g} s") from err
        except urllib.error.URLError as err:
            reason = "timed out" if isinstance(err.reason, TimeoutError) else str(err.reason)
            raise EndpointError(self.url, f"cannot reach embedding endpoint {self.url}: {reason}") from err
        except OSError as err:  # connection reset mid-response, and the like
            raise EndpointError(self.url, f"embedding endpoint connection failed: {err}") from err
        if len(body) > MAX_RESPONSE_BYTES:
            raise EndpointError(self.url, f"embedding response larger than {MAX_RESPONSE_BYTES} bytes")
        return self._parse(body, len(texts))

    def _parse(self, body: bytes, expected: int) -> NDArray[np.float32]:
        try:
            data = json.loads(body)["data"]
            items = sorted(data, key=lambda item: item.get("index", 0)) if all("index" in d for d in data) else data
            vectors = np.array([item["embedding"] for item in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise EndpointError(self.url, f"embedding endpoint returned an unreadable response: {err}") from err
        if vectors.ndim != 2 or vectors.shape[0] != expected or vectors.shape[1] == 0:
            raise EndpointError(
                self.url, f"embedding endpoint returned vectors of shape {vectors.shape} for {expected} texts"
            )
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise EndpointError(
                self.url, f"embedding endpoint returned {vectors.shape[1]}-d vectors, expected {self._dim}"
            )
        if not np.isfinite(vectors).all():
            raise EndpointError(self.url, "embedding endpoint returned non-finite values")
        self._dim = int(vectors.shape[1])
        return vectors

    def _error_detail(self, body: bytes) -> str:
        """The server's error message, short, with the API key masked if the server echoed it."""
        text = body.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
            err = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
            message = err.get("message", text) if isinstance(err, dict) else str(err)
        except ValueError:
            message = text
        message = " ".join(str(message).split())[:_ERROR_SNIPPET]
        if self._api_key:
            message = message.replace(self._api_key, "***")
        return f": {message}" if message else ""

    def __repr__(self) -> str:
        return f"OpenAICompatEmbedder(model_id={self._model_id!r}, url={self.url!r})"


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare for APIs; the caller backs off on its own
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
