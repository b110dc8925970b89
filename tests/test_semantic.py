"""The semantic retrieval stage: bundled offline embeddings, an /v1/embeddings endpoint, stored
vectors, and fusion with FTS."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import openai
import pytest

from notes_app.ask import retrieve_from_store
from notes_app.domain import Segment
from notes_app.errors import LLMError
from notes_app.semantic import (
    EndpointEmbedder,
    StaticEmbedder,
    default_embedder,
    reciprocal_rank_fusion,
)
from notes_app.store.search import Filters

SEGMENTS = [
    "We should start with the roadmap for next quarter",
    "The invoice came in much higher than we planned for",
    "Lunch will be at the Italian place on Friday",
    "Dana is going to interview the two candidates",
    "The laptop battery dies after two hours",
    "Let's recap the action items before we close",
]


@pytest.fixture(scope="module")
def static():
    return StaticEmbedder()


class Counting:
    """Our own seam: passes through to a real embedder and records what it was asked."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.asked: list[str] = []

    def embed(self, texts):
        self.asked.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture
def office(repo):
    segs = [Segment(i, i * 10.0, i * 10.0 + 9.0, t, "them", 1) for i, t in enumerate(SEGMENTS)]
    return repo.create_meeting("Office", started_at="2024-05-01T09:00:00+00:00", segments=segs)


def test_static_embedder_ships_its_weights_and_groups_related_words(static):
    assert default_embedder() is not None
    vectors = static.embed(SEGMENTS)
    assert vectors.shape == (6, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for question, expected in [("hiring", 3), ("power", 4), ("food", 2)]:
        assert int(np.argmax(vectors @ static.embed([question])[0])) == expected, question
    assert not np.isnan(static.embed([""])).any()  # no words: a zero vector, not NaN


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "d", "a"]], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63)


def test_semantic_stage_finds_what_the_words_alone_miss(repo, office, static):
    only_words = retrieve_from_store(repo, "who are we hiring?", Filters(meeting_id=office), k=2)
    assert only_words == []  # no segment says "hiring"
    fused = retrieve_from_store(
        repo, "who are we hiring?", Filters(meeting_id=office), k=2, context=0, embedder=static
    )
    assert fused[0].segment == 3 and fused[0].meeting_id == office
    assert fused[0].text == "Them: Dana is going to interview the two candidates"
    assert fused[0].title == "Office"


def test_fusion_keeps_the_exact_word_hit_on_top(repo, office, static):
    fused = retrieve_from_store(
        repo, "the laptop battery", Filters(meeting_id=office), k=3, context=0, embedder=static
    )
    assert fused[0].segment == 4
    assert len({p.segment for p in fused}) == 3


def test_vectors_are_stored_once_and_dropped_when_a_segment_changes(repo, office, static):
    counting = Counting(static)
    retrieve_from_store(repo, "food", Filters(meeting_id=office), embedder=counting)
    assert sorted(counting.asked) == sorted([*SEGMENTS, "food"])
    counting.asked.clear()
    retrieve_from_store(repo, "power", Filters(meeting_id=office), embedder=counting)
    assert counting.asked == ["power"]  # the segments' vectors came from the store
    edited = [Segment(i, i * 10.0, i * 10.0 + 9.0, t, "them", 1) for i, t in enumerate(SEGMENTS)]
    edited[2] = Segment(2, 20.0, 29.0, "Dinner is at the pizza place", "me", 0)
    repo.replace_segments(office, edited)  # the transcript was corrected
    counting.asked.clear()
    passages = retrieve_from_store(
        repo, "food", Filters(meeting_id=office), k=1, context=0, embedder=counting
    )
    assert "Dinner is at the pizza place" in counting.asked
    assert "Lunch will be at the Italian place on Friday" not in counting.asked
    assert passages[0].text == "You: Dinner is at the pizza place"
    stored = repo.db.execute("SELECT count(*) FROM segment_vectors").fetchone()[0]
    assert stored == len(SEGMENTS)
    # An edit in place (no repository method does one yet) drops that segment's vector too.
    repo.db.execute("UPDATE segments SET text = 'Battery life is fine' WHERE idx = 4")
    counting.asked.clear()
    retrieve_from_store(repo, "power", Filters(meeting_id=office), embedder=counting)
    assert counting.asked == ["Battery life is fine", "power"]
    repo.delete_meeting(office)
    assert repo.db.execute("SELECT count(*) FROM segment_vectors").fetchone()[0] == 0


def test_speaker_filter_applies_to_the_semantic_stage(repo, office, static):
    repo.add_segments(office, [Segment(9, 90.0, 99.0, "I will interview more people", "me", 0)])
    mine = retrieve_from_store(
        repo, "hiring", Filters(meeting_id=office, speaker="me"), k=3, embedder=static
    )
    assert [p.segment for p in mine] == [9]


# --- an OpenAI-compatible /v1/embeddings endpoint on 127.0.0.1 ------------------------------

VOCAB = ["interview", "candidates", "hiring", "battery", "lunch", "invoice"]


class EmbeddingServer:
    """Answers /v1/embeddings with one count per VOCAB word, in reverse order of the inputs."""

    def __init__(self, fail: bool = False):
        self.requests: list[dict] = []
        self.fail = fail
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, **body})
                if server.fail:
                    self._send(404, {"error": {"message": "model not found"}})
                    return
                data = [
                    {"object": "embedding", "index": n, "embedding": server.vector(text)}
                    for n, text in enumerate(body["input"])
                ]
                self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})

            def _send(self, status, payload):
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def vector(text: str) -> list[float]:
        words = text.lower().split()
        hiring = ("hiring" in words) + ("interview" in words) + ("candidates" in words)
        return [float(hiring), *(float(w in words) for w in VOCAB[3:]), 0.1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="test", max_retries=0, timeout=10)


def test_endpoint_embedder_asks_v1_embeddings_and_keeps_input_order():
    with EmbeddingServer() as server:
        embedder = EndpointEmbedder(_client(server.base_url), "embed-small", batch=2)
        vectors = embedder.embed(["the battery", "lunch time", "invoice", ""])
    assert [r["path"] for r in server.requests] == ["/v1/embeddings"] * 2
    assert server.requests[0]["model"] == "embed-small"
    assert server.requests[0]["input"] == ["the battery", "lunch time"]
    assert server.requests[1]["input"] == ["invoice", " "]  # empty text still gets a row
    assert [int(np.argmax(v)) for v in vectors] == [1, 2, 3, 4]  # not the server's reversed order
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_endpoint_embedder_behind_retrieval_stores_vectors_under_its_model(repo, office):
    with EmbeddingServer() as server:
        embedder = EndpointEmbedder(_client(server.base_url), "embed-small")
        passages = retrieve_from_store(
            repo, "hiring", Filters(meeting_id=office), k=1, context=0, embedder=embedder
        )
    assert passages[0].segment == 3
    models = repo.db.execute("SELECT DISTINCT model FROM segment_vectors").fetchall()
    assert models == [("endpoint:embed-small",)]


def test_endpoint_embedder_failure_is_one_clear_error():
    with EmbeddingServer(fail=True) as server:
        embedder = EndpointEmbedder(_client(server.base_url), "missing-model")
        with pytest.raises(LLMError, match="missing-model.*/v1/embeddings"):
            embedder.embed(["anything"])


def test_ask_uses_the_endpoint_embeddings_when_a_model_is_set(repo, office, monkeypatch):
    from click.testing import CliRunner

    from notes_app.cli import main

    with EmbeddingServer() as server:
        monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", server.base_url)
        runner = CliRunner()
        assert (
            runner.invoke(main, ["config", "set", "llm.embed_model", "embed-small"]).exit_code == 0
        )
        res = runner.invoke(main, ["ask", str(office), "--offline", "--json", "hiring"])
    assert res.exit_code == 0, res.output
    assert server.requests and all(r["path"] == "/v1/embeddings" for r in server.requests)
    assert {r["model"] for r in server.requests} == {"embed-small"}


# --- the bundled sentence model (the default) ---------------------------------------------


@pytest.fixture(scope="module")
def sentence():
    from notes_app.semantic import SentenceEmbedder

    return SentenceEmbedder()


def test_the_sentence_model_ships_its_weights_and_is_the_default(sentence):
    assert default_embedder().name == sentence.name == "all-minilm-l6-v2"
    vectors = sentence.embed(SEGMENTS)
    assert vectors.shape == (6, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # The same text alone or in a batch of longer ones: padding must not change a vector.
    alone = sentence.embed([SEGMENTS[2]])[0]
    assert float(alone @ vectors[2]) == pytest.approx(1.0, abs=1e-4)
    assert not np.isnan(sentence.embed([""])).any()


def test_the_sentence_model_reads_meaning_not_words(sentence):
    # Questions with no word in common with the turn that answers them, asked as people ask.
    cases = [
        ("Who are we hiring?", 3),
        ("What's wrong with the computer?", 4),
        ("Where are we eating?", 2),
        ("What did the bill cost us?", 1),
    ]
    vectors = sentence.embed(SEGMENTS)
    for question, expected in cases:
        near = vectors @ sentence.embed([question])[0]
        assert int(np.argmax(near)) == expected, (question, near.round(2).tolist())
    # Paraphrases sit far closer than unrelated sentences.
    a, b, c = sentence.embed(
        ["The cat sits on the mat.", "A feline rests on a rug.", "Quarterly revenue rose 18%."]
    )
    assert float(a @ b) > 0.4 > float(a @ c) + 0.2


def test_a_sentence_model_is_given_the_question_as_asked_word_vectors_its_topic_words(
    repo, office, sentence, static
):
    from notes_app.semantic import query_text

    assert query_text(sentence, "Who are we hiring?", ["hiring"]) == "Who are we hiring?"
    assert query_text(static, "Who are we hiring?", ["hiring"]) == "hiring"
    counting = Counting(sentence)
    counting.sentences = True
    passages = retrieve_from_store(
        repo, "Who is Dana meeting?", Filters(meeting_id=office), k=1, context=0,
        embedder=counting,
    )  # fmt: skip
    assert counting.asked[-1] == "Who is Dana meeting?"
    assert passages[0].segment == 3


def test_a_first_question_over_many_unembedded_segments_uses_the_instant_vectors(
    repo, sentence, static, monkeypatch
):
    from notes_app import semantic
    from notes_app.share.answer import index_for
    from notes_app.share.model import Snapshot

    monkeypatch.setattr(semantic, "EMBED_AT_ONCE", 4)
    assert semantic.affordable(sentence, 4) is sentence
    assert semantic.affordable(sentence, 5).name == static.name
    assert semantic.affordable(static, 10_000) is static  # already instant
    # Across meetings: two meetings of six segments each, none embedded yet.
    for title in ("Office", "Office again"):
        segs = [Segment(i, i * 10.0, i * 10.0 + 9.0, t, "them", 1) for i, t in enumerate(SEGMENTS)]
        repo.create_meeting(title, started_at="2024-05-01T09:00:00+00:00", segments=segs)
    passages = retrieve_from_store(repo, "interview candidates", k=2, embedder=sentence)
    assert passages and "interview the two candidates" in passages[0].text
    models = {m for (m,) in repo.db.execute("SELECT DISTINCT model FROM segment_vectors")}
    assert models == {static.name}
    # One meeting asked about: the sentence model, whatever it costs once.
    first = repo.list_meetings()[0].id
    retrieve_from_store(repo, "hiring", Filters(meeting_id=first), k=1, embedder=sentence)
    models = {m for (m,) in repo.db.execute("SELECT DISTINCT model FROM segment_vectors")}
    assert models == {static.name, sentence.name}
    # A share larger than the limit: its index uses the word vectors; a small one, the model.
    segs = tuple(Segment(i, i * 10.0, i * 10.0 + 9.0, t, "them", 1) for i, t in enumerate(SEGMENTS))
    assert index_for(Snapshot("Office", None, (), (), segs)).embedder.name == static.name
    assert index_for(Snapshot("Office", None, (), (), segs[:3])).embedder.name == sentence.name
