"""Sentence embeddings for a second, semantic stage of retrieval, and how to fuse rankings.

Three embedders behind one interface: ``SentenceEmbedder`` runs a small sentence encoder
offline (all-MiniLM-L6-v2, whose weights ship in a wheel; ``notes_app.sentence_model``), the
default; ``StaticEmbedder`` averages the static word vectors the ``wordllama`` package ships
(instant, and weaker: the fallback); ``EndpointEmbedder`` asks an OpenAI-compatible
``/v1/embeddings`` endpoint (OpenAI, Ollama, llama.cpp server, ...). All return unit-length rows,
so a dot product is the cosine similarity. A sentence model reads the question as asked; word
vectors read its topic words (``query_text``). ``reciprocal_rank_fusion`` merges rankings by
rank alone (retrieval fuses scores by weight; RRF is its rank-only alternative).
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
    vectors would change. ``sentences``: it reads whole sentences (a question is embedded as
    asked), not a bag of words (it is given the question's topic words)."""

    name: str
    sentences: bool

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def reads_sentences(embedder: Embedder | None) -> bool:
    """Whether ``embedder`` reads whole sentences (an embedder without the attribute, such as a
    test's wrapper, is taken for word vectors)."""
    return bool(getattr(embedder, "sentences", False))


def query_text(embedder: Embedder, question: str, words: Sequence[str]) -> str:
    """What to embed for a question: the question itself for a sentence model (its framing
    and word order carry meaning: all-MiniLM on QMSum, recall@5 0.81 against 0.78 with the
    topic words alone), its topic words for averaged word vectors (framing words would
    dilute the average)."""
    if reads_sentences(embedder):
        return question.strip() or " ".join(words)
    return " ".join(words)


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
    sentences = False
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
        # Kept in half precision (as shipped): 16 MB, not 32; the rows a text uses are widened.
        self._table = np.ascontiguousarray(table, dtype=np.float16)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._table is None:
            self._load()
        assert self._table is not None
        out = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for n, enc in enumerate(
            self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ):
            if enc.ids:
                rows = self._table[np.minimum(enc.ids, len(self._table) - 1)]
                out[n] = rows.astype(np.float32).mean(axis=0)
        return _unit(out)


class EndpointEmbedder:
    """Embeddings from the configured OpenAI-compatible endpoint.

    ``client`` is an ``openai.OpenAI`` (or anything with ``embeddings.create``), injected.
    """

    def __init__(self, client: Any, model: str, *, batch: int = 64) -> None:
        self.client = client
        self.model = model
        self.name = f"endpoint:{model}"
        self.sentences = True  # embedding endpoints serve sentence models
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


class SentenceEmbedder:
    """all-MiniLM-L6-v2 run offline with numpy (``notes_app.sentence_model``): 384 dimensions,
    trained on sentence pairs, so "who are we hiring" lands near "Dana will interview the two
    candidates" even with no word in common. Slower to embed than word vectors (a one-hour
    meeting takes some seconds, once; the vectors are stored), far better at meaning."""

    name = "all-minilm-l6-v2"
    sentences = True

    def __init__(self) -> None:
        from notes_app.sentence_model import SentenceEncoder, model_dir

        path = model_dir()
        if path is None:
            raise FileNotFoundError("The sentence model's package is not installed.")
        self._encoder = SentenceEncoder(path)

    @staticmethod
    def available() -> bool:
        from notes_app.sentence_model import model_dir

        return model_dir() is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return _unit(self._encoder.encode(texts))


@functools.lru_cache(maxsize=1)
def default_embedder() -> Embedder | None:
    """The offline sentence model when its package is installed, else the static word vectors,
    else None (words only).

    Loaded once per process: the window asks many questions, each would reload the weights.
    """
    if SentenceEmbedder.available():
        return SentenceEmbedder()
    return fallback_embedder()


# Texts a sentence model may embed to answer one question (about ten seconds on two cores):
# more than that (a first question across a whole library, a share of 20,000 turns) is answered
# with the instant word vectors instead.
EMBED_AT_ONCE = 1500


def affordable(embedder: Embedder, texts: int) -> Embedder:
    """``embedder``, or the instant one when it is a (slow) sentence model and ``texts`` more
    texts than ``EMBED_AT_ONCE`` would have to be embedded before the answer."""
    if texts <= EMBED_AT_ONCE or not reads_sentences(embedder):
        return embedder
    if isinstance(embedder, EndpointEmbedder):
        return embedder  # the endpoint's own hardware does the work
    return fallback_embedder() or embedder


@functools.lru_cache(maxsize=1)
def fallback_embedder() -> Embedder | None:
    """The instant embedder (static word vectors), for when the sentence model would take too
    long: many meetings with no stored vectors yet."""
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
