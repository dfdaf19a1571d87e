"""Embeddings from an OpenAI-compatible HTTP endpoint (``POST {base_url}/embeddings``).

For people who already run a model server (llama.cpp, Ollama, vLLM, LocalAI) or want a hosted
model. The request itself, and how the API key is kept safe, is :mod:`newsdesk.ai.http_json`'s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from newsdesk.ai.embedder import REMOTE_BATCH_SIZE, normalize_rows
from newsdesk.ai.http_json import checked_base_url, post_json
from newsdesk.errors import ConfigError, EndpointError

OPENAI_BASE_URL = "https://api.openai.com/v1"
MAX_RESPONSE_BYTES = 256 * 1024 * 1024  # a batch of 2048 vectors of 3072 floats as JSON is ~130 MB


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
        base = checked_base_url(base_url or OPENAI_BASE_URL, "embedding_base_url")
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
        self._model_id = f"openai:{model}{suffix}@{urlsplit(base).netloc}"

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
        body = post_json(
            self.url,
            payload,
            api_key=self._api_key,
            timeout_s=self.timeout_s,
            max_bytes=MAX_RESPONSE_BYTES,
            what="embedding endpoint",
        )
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

    def __repr__(self) -> str:
        return f"OpenAICompatEmbedder(model_id={self._model_id!r}, url={self.url!r})"
