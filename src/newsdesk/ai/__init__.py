"""Adapters to models: sentence embeddings (local ONNX or an OpenAI-compatible endpoint).

Importing this package is cheap: onnxruntime is imported only when a local model is loaded.
"""

from __future__ import annotations

from newsdesk.ai.embed import (
    DEFAULT_MODEL,
    EMBEDDING_SETTINGS,
    Embedder,
    article_text_for_embedding,
    default_embedder,
    make_embedder,
)

__all__ = [
    "DEFAULT_MODEL",
    "EMBEDDING_SETTINGS",
    "Embedder",
    "article_text_for_embedding",
    "default_embedder",
    "make_embedder",
]
