"""Sentence embeddings for a second, semantic stage of retrieval, and how to fuse rankings.

Two embedders behind one interface: ``StaticEmbedder`` runs offline on the static word vectors
the ``wordllama`` package ships in its wheel (averaged token vectors; no torch, nothing fetched
at run time), and ``EndpointEmbedder`` asks an OpenAI-compatible ``/v1/embeddings`` endpoint
(OpenAI, Ollama, llama.cpp server, ...). Both return unit-length rows, so a dot product is the
cosine similarity. ``reciprocal_rank_fusion`` merges rankings by rank alone (retrieval fuses
scores by weight; RRF is its rank-only alternative).
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
from collections.abc import Hashable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from notes_app.errors import LLMError

K = TypeVar("K", bound=Hashable)


class Embedder(Protocol):
    """Turns texts into unit-length vectors. ``name`` keys stored vectors: change it when the
    vectors would change."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32)


class StaticEmbedder:
    """The 256-dimension WordLlama vectors bundled in the ``wordllama`` wheel.

    The files are read straight from the installed package: the package's own loader looks
    for the tokenizer under another folder name and then tries to download it.
    """

    name = "wordllama-l2-supercat-256"
    _WEIGHTS = ("weights", "l2_supercat_256.safetensors")
    _TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")

    def __init__(self) -> None:
        self._table: np.ndarray | None = None
        self._tokenizer: Any = None

    @staticmethod
    def available() -> bool:
        return importlib.util.find_spec("wordllama") is not None

    def _load(self) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = importlib.resources.files("wordllama")
        # One part per joinpath call: Python 3.10 takes no more.
        weights = root.joinpath(self._WEIGHTS[0]).joinpath(self._WEIGHTS[1])
        table = load_file(str(weights))["embedding.weight"]
        tokenizer = root.joinpath(self._TOKENIZER[0]).joinpath(self._TOKENIZER[1])
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._table = np.ascontiguousarray(table, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._table is None:
            self._load()
        assert self._table is not None
        out = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for n, enc in enumerate(
            self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ):
            if enc.ids:
                out[n] = self._table[np.minimum(enc.ids, len(self._table) - 1)].mean(axis=0)
        return _unit(out)


class EndpointEmbedder:
    """Embeddings from the configured OpenAI-compatible endpoint.

    ``client`` is an ``openai.OpenAI`` (or anything with ``embeddings.create``), injected.
    """

    def __init__(self, client: Any, model: str, *, batch: int = 64) -> None:
        self.client = client
        self.model = model
        self.name = f"endpoint:{model}"
        self.batch = batch

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch):
            chunk = [t or " " for t in texts[start : start + self.batch]]
            try:
                reply = self.client.embeddings.create(model=self.model, input=chunk)
                data = sorted(reply.data, key=lambda d: d.index)  # servers may answer unordered
            except Exception as e:  # openai's errors, or a reply that is no embeddings list
                from notes_app.enhance.llm import embeddings_error

                raise embeddings_error(e, self.client, self.model) from None
            if len(data) != len(chunk):
                raise LLMError(
                    f"The embeddings endpoint returned {len(data)} vectors for {len(chunk)} texts."
                )
            rows.extend(d.embedding for d in data)
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return _unit(np.asarray(rows, dtype=np.float32))


@functools.lru_cache(maxsize=1)
def default_embedder() -> Embedder | None:
    """The offline embedder when its package is installed, else None (FTS only).

    Loaded once per process: the window asks many questions, each would reload the vectors.
    """
    return StaticEmbedder() if StaticEmbedder.available() else None


def reciprocal_rank_fusion(rankings: Sequence[Sequence[K]], k: int = 60) -> list[tuple[K, float]]:
    """Merge best-first rankings: each item scores the sum of 1 / (k + rank) over the lists.

    k = 60 is the constant from the original paper (Cormack et al., 2009); ties keep the order
    in which items were first seen, so the first ranking wins them.
    """
    scores: dict[K, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def embedder_for(llm_settings: Any) -> Embedder | None:
    """The endpoint's embeddings when ``llm.embed_model`` names a model there, else the bundled
    offline vectors (or None when those are not installed either)."""
    if llm_settings.base_url and llm_settings.embed_model:
        from notes_app.enhance.llm import openai_from_settings

        return EndpointEmbedder(openai_from_settings(llm_settings), llm_settings.embed_model)
    return default_embedder()
