"""The embedding port: texts in, L2-normalised float32 vectors out, with the id of the model that made them.

Every later stage of story intelligence (clustering, related articles, categories) works on
L2-normalised float32 vectors, so a dot product is a cosine. An :class:`Embedder` turns texts
into such vectors and names the model that made them (``model_id``): the id is stored with every
vector, and a different id means "re-embed", so it changes whenever the weights change (it ends
with the model file's sha256 prefix). Implementations: :mod:`newsdesk.ai.local_model` (ONNX on
the CPU, the default) and :mod:`newsdesk.ai.endpoint` (an OpenAI-compatible ``/embeddings``);
:mod:`newsdesk.ai.embed` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # numpy is imported where vectors are made: a command that embeds nothing never loads it
    import numpy as np
    from numpy.typing import NDArray

LOCAL_BATCH_SIZE = 8
"""Texts per call of a local model. Measured on the default (``bench/embed_speed.py``): 4–8 give the
most articles per CPU-second; larger batches pad every text to the longest and are slower (64: −30 %)."""
REMOTE_BATCH_SIZE = 64
"""Texts per request to an endpoint: fewer round trips; every API takes far more (OpenAI: 2048)."""


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape ``(len(texts), dim)``.

    ``model_id`` names the exact model (weights included): vectors with different ids are not
    comparable, and a change of id means the stored vectors must be recomputed. ``model_id`` never
    costs anything; ``dim`` may cost one request for an endpoint whose size is not configured.
    (Not ``runtime_checkable``: on Python 3.11 ``isinstance`` would evaluate ``dim``.)
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def normalize_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Rows scaled to unit length (an all-zero row stays zero)."""
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: NDArray[np.float32] = (vectors / np.where(norms == 0.0, 1.0, norms)).astype(np.float32, copy=False)
    return result
