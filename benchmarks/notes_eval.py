"""Do terse notes typed during a call get the context a person would expect?

Each dialogue in ``benchmarks/dialogues/`` is a two-voice business call (``me`` on the left
channel, the remote side on the right), the terse notes typed during it, and for every note line
the words its context must hold (``expect``: sets of alternatives, one of each set must appear) or
``null`` when the call never covered the note (then it must get no context at all).

For each dialogue the script speaks the turns with espeak-ng (a different voice per speaker) into
a stereo 16 kHz WAV (left = me, right = them, the other channel silent while one speaks), runs it
through the app's own transcription of a stereo file (what ``notes-app transcribe FILE --save``
does), stores the notes with the meeting and enhances them (what ``notes-app enhance ID
--offline`` does, or ``--llm`` against an OpenAI-compatible server), all in a temporary data
folder. A note is grounded when the context lines under it contain every expected set. Each miss
says why: no context, context without the expected words (shown), or context for a note the call
never covered. Totals come overall and per kind of note, with the recogniser's word error rate
per channel and the seconds taken.

Audio and transcripts are cached by content hash (the transcript key includes the source of the
transcription package, so a change there transcribes again). ``--transcript-from-text`` skips
audio and uses the dialogue text as the transcript, to tell recognition errors from grounding
errors.

    python benchmarks/notes_eval.py [--transcript-from-text] [--only NAME] [--verbose]
        [--llm BASE_URL [--model NAME]] [--whisper-model NAME] [--cache DIR] [--no-cache]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DIALOGUES = ROOT / "benchmarks" / "dialogues"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "notes-app-eval"

RATE = 16000
SPEED = 160  # espeak-ng words per minute
ME_VOICES = ("en-us+m3", "en-gb+m4", "en-us+m7")
# Regional espeak-ng accents (en-gb-scotland, en-029) made tiny.en's WER 0.4-0.6 on their own,
# which measures the synthesiser more than the app; these stay at the level of a real call.
THEM_VOICES = ("en-gb+f2", "en-us+f4", "en-gb+m2", "en-us+f3", "en-gb+m1", "en-us+m5")
LEAD_IN, GAP, TAIL = 0.6, 0.45, 0.8  # seconds of silence: before, between and after turns
SYNTH_VERSION = 1  # bump when the way audio is made changes, so the cache is rebuilt
CHANNELS = ("me", "them")


# --- the dialogue files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    speaker: str
    channel: str  # "me" (left) or "them" (right)
    text: str


@dataclass(frozen=True)
class Dialogue:
    name: str
    title: str
    attendees: tuple[str, ...]
    turns: tuple[Turn, ...]
    notes: str
    expect: dict[str, list[list[str]] | None]

    @property
    def note_lines(self) -> list[str]:
        return self.notes.splitlines()


def problems(doc: Any) -> list[str]:
    """What is wrong with one dialogue file's content (empty when it is well formed)."""
    if not isinstance(doc, dict):
        return ["the file must hold a JSON object"]
    found = []
    for key, kind in (("title", str), ("attendees", list), ("turns", list), ("notes", str)):
        if not isinstance(doc.get(key), kind):
            found.append(f"{key!r} must be a {kind.__name__}")
    if not isinstance(doc.get("expect"), dict):
        found.append("'expect' must be an object")
    if found:
        return found
    turns = doc["turns"]
    if not 12 <= len(turns) <= 30:
        found.append(f"{len(turns)} turns; a dialogue has 12 to 30")
    for i, t in enumerate(turns, 1):
        if not isinstance(t, dict) or not all(isinstance(t.get(k), str) for k in TURN_KEYS):
            found.append(f"turn {i} needs speaker, channel and text strings")
            continue
        if t["channel"] not in CHANNELS:
            found.append(f"turn {i}: channel {t['channel']!r} is not 'me' or 'them'")
        elif (t["speaker"] == "me") != (t["channel"] == "me"):
            found.append(f"turn {i}: speaker 'me' is the 'me' channel and only it")
        if not t["text"].strip():
            found.append(f"turn {i} is empty")
    speakers = {t.get("speaker") for t in turns if isinstance(t, dict)}
    if "me" not in speakers or len(speakers - {"me"}) not in (1, 2):
        found.append("a dialogue has 'me' and one or two remote speakers")
    lines = doc["notes"].splitlines()
    for note, sets in doc["expect"].items():
        if note not in lines:
            found.append(f"expect key {note!r} is not a line of the notes")
        if sets is None:
            continue
        if not (
            isinstance(sets, list)
            and sets
            and all(
                isinstance(s, list) and s and all(isinstance(w, str) and w for w in s) for s in sets
            )
        ):
            found.append(f"expect for {note!r} must be null or a non-empty list of word lists")
    return found


TURN_KEYS = ("speaker", "channel", "text")


def load_dialogue(path: Path) -> Dialogue:
    doc = json.loads(path.read_text(encoding="utf-8"))
    wrong = problems(doc)
    if wrong:
        raise ValueError(f"{path}: " + "; ".join(wrong))
    return Dialogue(
        name=path.stem,
        title=doc["title"],
        attendees=tuple(doc["attendees"]),
        turns=tuple(Turn(t["speaker"], t["channel"], t["text"]) for t in doc["turns"]),
        notes=doc["notes"],
        expect=doc["expect"],
    )


def load_dialogues(folder: Path = DIALOGUES) -> list[Dialogue]:
    return [load_dialogue(p) for p in sorted(folder.glob("*.json"))]


# --- speech ---------------------------------------------------------------------------------


def voices_for(dialogue: Dialogue, number: int) -> dict[str, str]:
    """A voice per speaker: 'me' and each remote speaker differ, and vary between dialogues."""
    voices = {"me": ME_VOICES[number % len(ME_VOICES)]}
    remote = list(dict.fromkeys(t.speaker for t in dialogue.turns if t.speaker != "me"))
    for k, speaker in enumerate(remote):
        voices[speaker] = THEM_VOICES[(2 * number + k) % len(THEM_VOICES)]
    return voices


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} is not installed (apt-get install {name}); it speaks the dialogues.")
    return path


def speak(text: str, voice: str) -> np.ndarray:
    """``text`` spoken by espeak-ng, as 16 kHz mono int16 samples."""
    wav = subprocess.run(
        [_tool("espeak-ng"), "-v", voice, "-s", str(SPEED), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    raw = subprocess.run(
        [_tool("sox"), "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
         "-e", "signed-integer", "-"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.int16)


def synthesise(dialogue: Dialogue, voices: dict[str, str], out: Path) -> list[tuple[float, float]]:
    """Write the call as a stereo WAV; return each turn's (start, end) in seconds."""
    clips = [speak(t.text, voices[t.speaker]) for t in dialogue.turns]
    total = int((LEAD_IN + TAIL + GAP * len(clips)) * RATE) + sum(len(c) for c in clips)
    stereo = np.zeros((total, 2), dtype=np.int16)
    times, at = [], int(LEAD_IN * RATE)
    for turn, clip in zip(dialogue.turns, clips, strict=True):
        stereo[at : at + len(clip), CHANNELS.index(turn.channel)] = clip
        times.append((at / RATE, (at + len(clip)) / RATE))
        at += len(clip) + int(GAP * RATE)
    with wave.open(str(out), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(stereo.tobytes())
    return times


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def cached_audio(dialogue: Dialogue, number: int, cache: Path) -> tuple[Path, list]:
    voices = voices_for(dialogue, number)
    turns = [(t.speaker, t.channel, t.text) for t in dialogue.turns]
    key = _digest(SYNTH_VERSION, SPEED, LEAD_IN, GAP, TAIL, voices, turns)
    wav, meta = cache / "audio" / f"{key}.wav", cache / "audio" / f"{key}.json"
    if not (wav.exists() and meta.exists()):
        wav.parent.mkdir(parents=True, exist_ok=True)
        part = wav.with_suffix(".part.wav")
        times = synthesise(dialogue, voices, part)
        part.replace(wav)
        meta.write_text(json.dumps({"voices": voices, "times": times}), encoding="utf-8")
    return wav, json.loads(meta.read_text(encoding="utf-8"))["times"]


# --- the app's own path ---------------------------------------------------------------------


def _source_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for top in paths:
        for path in sorted(top.rglob("*.py")) if top.is_dir() else [top]:
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


class Pipeline:
    """One temporary data folder; the app's use-case layer (``App``) does the work, as for
    `notes-app transcribe FILE --save` and `notes-app enhance ID --offline` (or ``--llm``)."""

    def __init__(self, home: Path, *, whisper_model: str | None, cache: Path | None):
        from notes_app.app import App

        self.app = App.load(home)
        self.cache = cache
        self.whisper_model = whisper_model
        self._whisper: Any = None

    @property
    def model_name(self) -> str:
        return self._whisper.model if self._whisper is not None else ""

    def whisper(self) -> Any:
        if self._whisper is None:
            self._whisper = self.app.whisper(self.whisper_model)
        return self._whisper

    def transcribe(self, audio: Path, dialogue: Dialogue) -> Any:
        """The transcript of a stereo file, cached by the audio, the model, what the user typed
        (vocabulary for the recogniser) and the source of the transcribe package."""
        import notes_app
        from notes_app.domain import Segment, Transcript

        whisper = self.whisper()
        package = Path(notes_app.__file__).parent
        key = _digest(
            hashlib.sha256(audio.read_bytes()).hexdigest(),
            whisper.model,
            whisper.language,
            _source_digest(package / "transcribe"),
            dialogue.title,
            dialogue.attendees,
            dialogue.notes,
        )
        path = self.cache / "transcripts" / f"{key}.json" if self.cache else None
        if path is not None and path.exists():
            d = json.loads(path.read_text(encoding="utf-8"))
            return Transcript(tuple(Segment.from_dict(s) for s in d["segments"]), d["language"])
        transcript = self.app.transcribe_file(
            audio,
            whisper,
            notes=dialogue.notes,
            title=dialogue.title,
            attendees=dialogue.attendees,
        )
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = [s.to_dict() | {"channel": s.channel} for s in transcript.segments]
            path.write_text(json.dumps({"segments": rows, "language": transcript.language}))
        return transcript

    def store_transcribed(self, audio: Path, transcript: Any, dialogue: Dialogue) -> int:
        """Stored as `transcribe --save --title --notes` does; the attendees as typed in the
        window's meeting header."""
        meeting_id = self.app.save_transcribed(
            audio,
            transcript,
            title=dialogue.title,
            duration=transcript.duration,
            notes=dialogue.notes,
        )
        self.app.repo.update_meeting(meeting_id, attendees=list(dialogue.attendees))
        return meeting_id

    def store_text(self, dialogue: Dialogue, times: list) -> tuple[int, Any]:
        """The dialogue text as a perfect stereo transcript (speakers 'me'/'them')."""
        from notes_app.domain import CHANNEL_ME, CHANNEL_THEM, Segment, Transcript

        segments = []
        for i, (turn, (start, end)) in enumerate(zip(dialogue.turns, times, strict=True)):
            channel = CHANNEL_ME if turn.channel == "me" else CHANNEL_THEM
            segments.append(Segment(i, start, end, turn.text, turn.channel, channel))
        transcript = Transcript(tuple(segments), "en")
        meeting_id = self.app.repo.create_meeting(
            dialogue.title,
            duration=transcript.duration,
            language="en",
            attendees=dialogue.attendees,
            notes=dialogue.notes,
            segments=segments,
        )
        return meeting_id, transcript

    def enhance(self, meeting_id: int, mode: str) -> Any:
        """Enhanced and stored as a new version, as `notes-app enhance ID --offline` does."""
        return self.app.enhance_meeting(meeting_id, mode=mode)


def text_times(dialogue: Dialogue) -> list[tuple[float, float]]:
    """Turn times without audio: about 2.6 words a second, the same gaps as the audio."""
    times, at = [], LEAD_IN
    for turn in dialogue.turns:
        length = len(turn.text.split()) / 2.6
        times.append((at, at + length))
        at += length + GAP
    return times


# --- scoring --------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case; '%' as 'percent'; no thousands commas, hyphens or stray full stops."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = text.replace("%", " percent")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # keep decimal points only
    text = re.sub(r"[-/–—,;:]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def contains(text: str, word: str) -> bool:
    """``word`` starts at a word boundary in ``text`` (so 'renew' finds 'renewal'); a number
    must also end at one ('1' is not found in '15' or '1.5')."""
    from notes_app.enhance.numbers import normalise_quantities

    amounts = {k for k in normalise_quantities(word) if k.startswith("n:") and float(k[2:]) >= 1000}
    if amounts and amounts <= normalise_quantities(text):
        return True  # "12M" says "12 million" (amounts only: a small number needs its words)
    word = normalise(word)
    tail = r"(?!\.?\d)" if word[-1:].isdigit() else ""
    return (
        re.search(r"(?<![a-z0-9])(?<!\d\.)" + re.escape(word) + tail, normalise(text)) is not None
    )


def missing_sets(text: str, sets: list[list[str]]) -> list[list[str]]:
    return [s for s in sets if not any(contains(text, w) for w in s)]


_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|[-*+•]\s+|\d{1,9}[.)]\s+)")
_ABBREVIATIONS = {
    "eng", "mktg", "eod", "yoy", "mo", "wk", "wks", "yr", "arr", "nrr", "cac", "ctr", "nps", "dpa",
    "msa", "sso", "qbr", "pr", "db", "a11y", "req", "mtg", "eta", "w", "cert", "docs", "rev", "q",
}  # fmt: skip
_DATE_WORDS = re.compile(
    r"\b(mon|tue|wed|thu|fri|monday|tuesday|wednesday|thursday|friday|jan|feb|mar|apr|may|jun|"
    r"june|jul|july|aug|sep|oct|nov|dec|eod|q[1-4]|next|week|wk|wks|date|today|tomorrow)\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:\.\d+)?", text.lower())


def kinds_of(note: str, sets: list[list[str]] | None, dialogue: Dialogue) -> list[str]:
    """The kinds a note belongs to (a note can be several): number, owner, date, decision,
    question, abbreviation, reply (its facts are in the answer to the previous turn's
    question), uncovered (the call never covered it), plain (none of these)."""
    if sets is None:
        return ["uncovered"]
    kinds = []
    if re.search(r"\d", note):
        kinds.append("number")
    if "→" in note or "->" in note:
        kinds.append("owner")
    if _DATE_WORDS.search(note):
        kinds.append("date")
    if re.search(r"\bdecision\b|→ no\b", note, re.IGNORECASE):
        kinds.append("decision")
    if note.strip().startswith("?") or note.strip().endswith("?"):
        kinds.append("question")
    if any(w in _ABBREVIATIONS for w in re.findall(r"[a-z]+(?:\d+y)?", note.lower())):
        kinds.append("abbreviation")
    turns = dialogue.turns
    for i, turn in enumerate(turns):
        if not missing_sets(turn.text, sets):
            asked = turns[i - 1] if i else None
            if asked and asked.channel != turn.channel and asked.text.rstrip().endswith("?"):
                kinds.append("reply")
            break
    return kinds or ["plain"]


@dataclass
class NoteResult:
    note: str
    kinds: list[str]
    grounded: bool
    why: str = ""
    context: str = ""
    shown_as: str | None = None  # the user's line as the enhanced notes show it, when changed


def score(dialogue: Dialogue, enhanced: Any, transcript_text: str) -> list[NoteResult]:
    lines = dialogue.note_lines
    results = []
    for note, sets in dialogue.expect.items():
        number = lines.index(note) + 1
        blocks = [b for b in enhanced.blocks if b.note_line == number]
        context = " / ".join(b.text for b in blocks if b.source == "ai")
        own = [b.text for b in blocks if b.source == "user"]
        typed = note.strip()
        shown = None if any(t in (typed, _MARKER.sub("", typed)) for t in own) else " | ".join(own)
        kinds = kinds_of(note, sets, dialogue)
        heard = [w for w in _words(note) if len(w) > 3 and w in _words(dialogue_text(dialogue))]
        if any(w not in _words(transcript_text) for w in heard):
            kinds.append("misheard")
        if sets is None:
            ok = not context
            why = "" if ok else "context given for a note the call never covered"
        elif not context:
            ok, why = False, "no context given"
        else:
            gone = missing_sets(context, sets)
            ok = not gone
            why = (
                ""
                if ok
                else "context present but missing " + " and ".join("|".join(s) for s in gone)
            )
        results.append(NoteResult(note, kinds, ok, why, context, shown))
    return results


def dialogue_text(dialogue: Dialogue, channel: str | None = None) -> str:
    return " ".join(t.text for t in dialogue.turns if channel in (None, t.channel))


# --- word error rate ------------------------------------------------------------------------

_SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def wer_words(text: str) -> list[str]:
    """Words for WER: numbers as digits on both sides ('four point two million' = '$4.2M')."""
    from notes_app.enhance.numbers import spell_out_numbers

    text = text.replace("%", " percent").replace("$", " ")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    words = _words(spell_out_numbers(text))
    out: list[str] = []
    for w in words:
        if w in _SCALE and out and re.fullmatch(r"\d+(?:\.\d+)?", out[-1]):
            value = float(out[-1]) * _SCALE[w]
            out[-1] = str(int(value)) if value == int(value) else str(value)
        elif w == "th" and out and out[-1].isdigit():
            continue
        else:
            out.append({"ok": "okay", "st": "th", "nd": "th", "rd": "th"}.get(w, w))
    return out


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


# --- the run --------------------------------------------------------------------------------


@dataclass
class Totals:
    grounded: int = 0
    notes: int = 0
    verbatim_changed: int = 0
    failed: list[str] = field(default_factory=list)
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    wer: dict[str, list[int]] = field(default_factory=lambda: {c: [0, 0] for c in CHANNELS})
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def run_one(
    pipeline: Pipeline,
    dialogue: Dialogue,
    number: int,
    args: argparse.Namespace,
    totals: Totals,
) -> None:
    began = time.perf_counter()
    if args.transcript_from_text:
        meeting_id, transcript = pipeline.store_text(dialogue, text_times(dialogue))
    else:
        audio, _times = cached_audio(dialogue, number, args.cache)
        totals.seconds["speech synthesis"] += time.perf_counter() - began
        t0 = time.perf_counter()
        transcript = pipeline.transcribe(audio, dialogue)
        totals.seconds["transcription"] += time.perf_counter() - t0
        meeting_id = pipeline.store_transcribed(audio, transcript, dialogue)
    t0 = time.perf_counter()
    enhanced = pipeline.enhance(meeting_id, args.mode)
    totals.seconds["enhancement"] += time.perf_counter() - t0
    said = " ".join(s.text for s in transcript.segments)
    results = score(dialogue, enhanced, said)
    wers = {}
    for channel in CHANNELS:
        ref = wer_words(dialogue_text(dialogue, channel))
        hyp = wer_words(" ".join(s.text for s in transcript.segments if s.speaker == channel))
        errors = edit_distance(ref, hyp)
        totals.wer[channel][0] += errors
        totals.wer[channel][1] += len(ref)
        wers[channel] = errors / max(len(ref), 1)
    good = sum(r.grounded for r in results)
    totals.grounded += good
    totals.notes += len(results)
    for r in results:
        totals.verbatim_changed += r.shown_as is not None
        for kind in r.kinds:
            totals.by_kind[kind][0] += r.grounded
            totals.by_kind[kind][1] += 1
    wer = "" if args.transcript_from_text else f"WER me {wers['me']:.2f} them {wers['them']:.2f}  "
    took = time.perf_counter() - began
    # With --llm, say when the enhancer fell back to offline notes: those are not the LLM's.
    made = f"  [{enhanced.mode}: {enhanced.model}]" if args.llm else ""
    print(f"{dialogue.name:<28} grounded {good:>2}/{len(results):<2}  {wer}{took:5.1f} s{made}")
    for r in results:
        if r.shown_as is not None:
            print(f"    CHANGED  {r.note!r} is shown as {r.shown_as!r}")
        if not r.grounded:
            print(f"    MISS     {r.note!r} [{', '.join(r.kinds)}]: {r.why}")
            if r.context:
                print(f"             context: {r.context}")
        elif args.verbose:
            print(f"    ok       {r.note!r} [{', '.join(r.kinds)}]: {r.context or '(none)'}")
    if args.verbose:
        for s in transcript.segments:
            print(f"      [{s.start:6.1f}] {s.speaker}: {s.text}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dialogues", type=Path, default=DIALOGUES, help="folder of *.json")
    parser.add_argument("--only", action="append", help="a dialogue name (repeatable)")
    parser.add_argument(
        "--transcript-from-text",
        action="store_true",
        help="no audio: the dialogue text is the transcript (grounding errors only)",
    )
    parser.add_argument("--llm", metavar="BASE_URL", help="enhance with this OpenAI-compatible LLM")
    parser.add_argument("--model", default="local", help="the LLM's model name (with --llm)")
    parser.add_argument("--whisper-model", help="Whisper model name (default: the configured one)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="audio/transcript cache")
    parser.add_argument("--no-cache", action="store_true", help="transcribe again (audio kept)")
    parser.add_argument("--verbose", action="store_true", help="every note, context, transcript")
    args = parser.parse_args(argv)
    args.mode = "llm" if args.llm else "offline"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dialogues = load_dialogues(args.dialogues)
    numbered = list(enumerate(dialogues))
    if args.only:
        unknown = set(args.only) - {d.name for d in dialogues}
        if unknown:
            sys.exit(f"No dialogue named {', '.join(sorted(unknown))} in {args.dialogues}.")
        numbered = [(i, d) for i, d in numbered if d.name in args.only]
    began = time.perf_counter()
    totals = Totals()
    with tempfile.TemporaryDirectory(prefix="notes-eval-") as home:
        os.environ["NOTES_APP_HOME"] = home
        os.environ["NOTES_APP_NO_KEYRING"] = "1"
        if args.llm:
            os.environ["NOTES_APP_LLM_BASE_URL"] = args.llm
            os.environ["NOTES_APP_LLM_MODEL"] = args.model
            os.environ.setdefault("NOTES_APP_LLM_API_KEY", "not-needed")
        pipeline = Pipeline(
            Path(home),
            whisper_model=args.whisper_model,
            cache=None if args.no_cache else args.cache,
        )
        source = "dialogue text" if args.transcript_from_text else "espeak-ng audio → Whisper"
        print(f"notes_eval: {len(numbered)} dialogues, {source}, enhance {args.mode}")
        try:
            for number, dialogue in numbered:
                try:
                    run_one(pipeline, dialogue, number, args, totals)
                except Exception:  # one broken dialogue must not hide the others' figures
                    logging.getLogger(__name__).exception("%s failed", dialogue.name)
                    totals.failed.append(dialogue.name)
        finally:
            pipeline.app.close()
    report(totals, args, time.perf_counter() - began, pipeline.model_name)
    return 1 if totals.failed else 0


def report(totals: Totals, args: argparse.Namespace, seconds: float, model: str) -> None:
    share = totals.grounded / totals.notes if totals.notes else 0.0
    print(f"\ngrounded {totals.grounded}/{totals.notes} ({share:.0%})")
    if totals.failed:
        print(f"FAILED (not counted): {', '.join(totals.failed)}")
    for kind, (good, count) in sorted(totals.by_kind.items()):
        print(f"  {kind:<13} {good:>3}/{count:<3} ({good / count:.0%})")
    print(f"user lines shown changed: {totals.verbatim_changed}")
    if not args.transcript_from_text:
        wer = "  ".join(f"{c} {e / n:.3f} ({e}/{n} words)" for c, (e, n) in totals.wer.items() if n)
        print(f"recognition WER ({model or 'cached transcripts'}): {wer}")
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in totals.seconds.items())
    print(f"seconds: total {seconds:.1f} ({parts})")


if __name__ == "__main__":
    sys.exit(main())
