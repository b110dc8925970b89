"""Retrieval quality on real meetings: QMSum validation queries with their answer spans.

Each meeting is imported into a fresh store (turns become segments, with speaker names); each
specific query is asked; recall@5 is the share of queries for which one of the five passages
returned points at a turn inside a relevant span. The retrieval paths are measured side by side:
over the store with FTS5 alone, over the store with the semantic stage fused in (the bundled
static embedder, as `notes-app ask` does by default), and in memory (as the share server does
on a snapshot).

    python benchmarks/retrieval_eval.py [--k 5] [--context 1]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from notes_app.ask import retrieve_from_store, retrieve_passages
from notes_app.domain import Segment
from notes_app.semantic import StaticEmbedder
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--context", type=int, default=1)
    args = ap.parse_args()
    meetings = load_meetings()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo.open(Path(tmp) / "eval.db")
        embedder = StaticEmbedder()
        hits = {"store": 0, "hybrid": 0, "memory": 0, "random": 0}
        rng = random.Random(1)
        took = {"store": 0.0, "hybrid": 0.0, "memory": 0.0}
        changed = {True: 0, False: 0}  # queries the semantic stage won / lost against FTS5
        n = 0
        for name, m in meetings:
            segs = to_segments(m)
            mid = repo.create_meeting(name, segments=segs)
            for q in m["specific_query_list"]:
                want = relevant(q)
                n += 1
                t0 = time.perf_counter()
                found = retrieve_from_store(
                    repo, q["query"], Filters(meeting_id=mid), k=args.k, context=args.context
                )
                t1 = time.perf_counter()
                mem = retrieve_passages(q["query"], segs, k=args.k, context=args.context)
                t2 = time.perf_counter()
                # The first question about a meeting also embeds its segments (then stored).
                fused = retrieve_from_store(
                    repo,
                    q["query"],
                    Filters(meeting_id=mid),
                    k=args.k,
                    context=args.context,
                    embedder=embedder,
                )
                t3 = time.perf_counter()
                took["store"] += t1 - t0
                took["memory"] += t2 - t1
                took["hybrid"] += t3 - t2
                fts_ok = any(p.segment in want for p in found)
                fused_ok = any(p.segment in want for p in fused)
                hits["store"] += fts_ok
                hits["hybrid"] += fused_ok
                changed[fused_ok] += fts_ok != fused_ok
                hits["memory"] += any(p.segment in want for p in mem)
                # What picking turns blindly scores: relevant spans can be long.
                blind = rng.sample(range(len(segs)), min(args.k, len(segs)))
                hits["random"] += any(i in want for i in blind)
    print(
        f"QMSum validation: {len(meetings)} meetings, {n} specific queries, k={args.k}, "
        f"context=±{args.context} turns"
    )
    print(f"{'retrieval':<28}{'recall@' + str(args.k):>10}{'ms/query':>10}")
    for label, key in (
        ("FTS5 over the store", "store"),
        ("FTS5 + semantic (RRF)", "hybrid"),
        ("BM25 in memory", "memory"),
    ):
        print(f"{label:<28}{hits[key] / n:>10.3f}{1000 * took[key] / n:>10.1f}")
    print(f"{'random turns (baseline)':<28}{hits['random'] / n:>10.3f}")
    print(
        f"semantic stage vs FTS5 alone: {changed[True]} queries gained, {changed[False]} lost "
        "(hybrid ms/query includes embedding each meeting's segments once)"
    )


if __name__ == "__main__":
    main()
