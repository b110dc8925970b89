"""How well does LLM enhancement cite the right part of a real meeting, and how often do the
checks have to step in?

Runs the ELITR meetings (see grounding_eval.py: real transcripts, terse minutes aligned to the
transcript lines they summarise) through ``enhance(mode="llm")`` on the endpoint configured by
NOTES_APP_LLM_BASE_URL / NOTES_APP_LLM_MODEL (and NOTES_APP_LLM_API_KEY if it needs one), and
prints per meeting:

- hit rate and citation precision, measured as in grounding_eval.py (±1 transcript line);
- unverified: the share of AI lines the checks marked unverified;
- restored: user lines the model dropped or altered that the checks put back (summed over
  the parts);
- parts: requests made (more than one when the meeting did not fit the context);
- seconds.

    NOTES_APP_LLM_BASE_URL=http://localhost:11434/v1 NOTES_APP_LLM_MODEL=qwen2.5:7b \\
        python benchmarks/llm_eval.py [--data DIR] [--context-tokens N] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from grounding_eval import DEFAULT_DATA, load_alignment, load_transcript

from notes_app.enhance.enhancer import enhance
from notes_app.errors import LLMError


def settings_from_env(context_tokens: int) -> SimpleNamespace | None:
    base_url = os.environ.get("NOTES_APP_LLM_BASE_URL", "")
    model = os.environ.get("NOTES_APP_LLM_MODEL", "")
    if not (base_url and model):
        return None
    key = os.environ.get("NOTES_APP_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY", "")
    return SimpleNamespace(base_url=base_url, model=model, api_key=key, timeout=900.0,
                           context_tokens=context_tokens, max_retries=3)  # fmt: skip


def evaluate(folder: Path, settings: SimpleNamespace) -> dict[str, float]:
    transcript = load_transcript(folder / "transcript.txt")
    minutes = (folder / "minutes.txt").read_text(encoding="utf-8")
    aligned = load_alignment(folder / "alignment.txt")
    repairs: list[int] = []  # user lines put back, per request
    started = time.perf_counter()
    notes = enhance(
        transcript,
        minutes,
        llm_settings=settings,
        mode="llm",
        on_checked=lambda checked: repairs.append(len(checked.restored_lines)),
    )
    seconds = time.perf_counter() - started
    cited: dict[int, set[int]] = defaultdict(set)
    ai_blocks = [b for b in notes.blocks if b.source == "ai"]
    for block in ai_blocks:
        if block.note_line is not None:
            cited[block.note_line].update(c.segment + 1 for c in block.citations)
    lines = minutes.splitlines()
    hits = total = precise = n_cited = 0
    for line_no, targets in aligned.items():
        if line_no > len(lines) or not lines[line_no - 1].strip():
            continue
        near = {t + d for t in targets for d in (-1, 0, 1)}
        got = cited.get(line_no, set())
        total += 1
        hits += bool(got & near)
        n_cited += len(got)
        precise += len(got & near)
    return {
        "lines": total,
        "hit_rate": hits / total if total else 0.0,
        "precision": precise / n_cited if n_cited else 0.0,
        "unverified": sum(not b.verified for b in ai_blocks) / len(ai_blocks) if ai_blocks else 0,
        "restored": sum(repairs),
        "parts": len(repairs),
        "seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--context-tokens", type=int, default=8192)
    parser.add_argument("--limit", type=int, default=0, help="Only the first N meetings.")
    args = parser.parse_args()
    settings = settings_from_env(args.context_tokens)
    if settings is None:
        print(
            "This benchmark needs an LLM endpoint: set NOTES_APP_LLM_BASE_URL and "
            "NOTES_APP_LLM_MODEL (e.g. Ollama: http://localhost:11434/v1 and qwen2.5:7b)."
        )
        return 0
    if not args.data.is_dir():
        print(f"Evaluation data not found at {args.data} (pass --data DIR).", file=sys.stderr)
        return 2
    folders = sorted(p for p in args.data.iterdir() if (p / "alignment.txt").exists())
    folders = folders[: args.limit] if args.limit else folders
    print(f"model {settings.model} at {settings.base_url}, context {settings.context_tokens}")
    print(f"{'meeting':<12}{'lines':>6}{'hit rate':>10}{'precision':>11}{'unverified':>12}"
          f"{'restored':>10}{'parts':>7}{'seconds':>9}")  # fmt: skip
    for folder in folders:
        try:
            s = evaluate(folder, settings)
        except LLMError as e:
            print(f"{folder.name:<12} failed: {e}")
            continue
        print(f"{folder.name:<12}{s['lines']:>6}{s['hit_rate']:>10.2f}{s['precision']:>11.2f}"
              f"{s['unverified']:>12.2f}{s['restored']:>10}{s['parts']:>7}"
              f"{s['seconds']:>9.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
