"""Live transcript vs the final pass vs plain faster-whisper, word error rate per side.

A two-voice dialogue is synthesised with espeak-ng (left = me, right = them; speakers pause at
commas and full stops, as people do, which is where live transcription cuts utterances). It is
transcribed four ways with the same model:

- live, before: each utterance alone, greedy (the live decoding before the final-pass work);
- live, now: beam search, the previous utterance as context, the notes as vocabulary;
- final pass: the whole recording again (transcribe/final_pass.py), with the notes' vocabulary;
- plain faster-whisper: WhisperModel.transcribe on each channel with its own VAD, defaults.

Target: final-pass WER <= 1.05x plain faster-whisper. Also run on
../shared/eval-data/speech/stereo_diarization.wav when present.

    python benchmarks/final_pass.py [--model tiny.en]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faster_whisper import decode_audio  # noqa: E402
from speech import say  # noqa: E402
from transcribe_speed import DIARIZATION_REFERENCE, EVAL_SPEECH, word_error_rate  # noqa: E402

from notes_app.audio.decode import decode  # noqa: E402
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM  # noqa: E402
from notes_app.transcribe.engine import WhisperEngine  # noqa: E402
from notes_app.transcribe.final_pass import final_pass  # noqa: E402
from notes_app.transcribe.live import PLAIN_DECODING, LiveDecoding, LiveTranscriber  # noqa: E402
from notes_app.transcribe.models import default_project_dir, resolve_model  # noqa: E402
from notes_app.transcribe.vocabulary import build_vocabulary  # noqa: E402

RATE = 16000
SIDES = {CHANNEL_ME: "me", CHANNEL_THEM: "them"}
SCRIPT = [
    (1, "Good morning, thanks for joining. Let's start with the quarterly numbers."),
    (0, "Sure. Revenue came in at four point two million, eighteen percent up from last year."),
    (1, "That's great news. What about churn? Last quarter it worried the board."),
    (0, "Churn fell to three percent. The onboarding changes helped, especially small teams."),
    (1, "Where are we with the mobile launch? Marketing keeps asking me for a date."),
    (0, "We are aiming for the twelfth of March. Priya Raghunathan owns the release checklist."),
    (1, "Okay. Can you send me the documentation for the Zendesk integration before Friday?"),
    (0, "I will send it tomorrow morning, together with the migration guide for customers."),
    (1, "Perfect. One last thing, the support backlog is around three hundred tickets."),
    (0, "I suggest we hire one more support engineer and move two people from the web team."),
]
NOTES = """# Q1 review
- revenue 4.2M, +18%
- churn 3%
- mobile launch: 12 March, Priya Raghunathan
- Zendesk integration docs by Friday
- support backlog: hire
"""
PAUSE = 0.5  # seconds at each comma and full stop
TURN_GAP = 0.9


def dialogue(folder: Path) -> tuple[Path, dict[int, str]]:
    """The stereo WAV and each side's reference text."""
    tracks: dict[int, list[np.ndarray]] = {CHANNEL_ME: [], CHANNEL_THEM: []}
    refs: dict[int, list[str]] = {CHANNEL_ME: [], CHANNEL_THEM: []}
    t = 0.8
    for i, (channel, text) in enumerate(SCRIPT):
        voice, speed = ("en-us", 160) if channel == CHANNEL_ME else ("en-gb+f3", 145)
        pieces = []
        for k, part in enumerate(re.split(r"(?<=[,.?]) ", text)):
            pieces.append(
                decode_audio(str(say(part, folder / f"{i}-{k}.wav", voice=voice, speed=speed)))
            )
            pieces.append(np.zeros(int(PAUSE * RATE), np.float32))
        turn = np.concatenate(pieces[:-1])
        start = int(t * RATE)
        for ch, track in tracks.items():
            track.append(np.zeros(start - sum(map(len, track)), np.float32))
            track.append(turn if ch == channel else np.zeros(len(turn), np.float32))
        refs[channel].append(text)
        t += len(turn) / RATE + TURN_GAP
    left, right = (np.concatenate(tracks[ch] + [np.zeros(2 * RATE, np.float32)]) for ch in SIDES)
    n = max(len(left), len(right))
    both = np.stack([np.pad(left, (0, n - len(left))), np.pad(right, (0, n - len(right)))], 1)
    path = folder / "dialogue.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(both, -1, 1) * 32767).astype("<i2").tobytes())
    return path, {ch: " ".join(r) for ch, r in refs.items()}


def by_side(segments) -> dict[int, str]:
    return {ch: " ".join(s.text for s in segments if s.channel == ch) for ch in SIDES}


def live(engine, channels: dict[int, np.ndarray], decoding: LiveDecoding, terms) -> dict:
    """The live path, fed as fast as it takes it (never behind: catch-up is off here)."""
    found = []
    transcriber = LiveTranscriber(
        engine,
        channels=list(channels),
        language="en",
        on_commit=found.extend,
        decoding=decoding,
        vocabulary=lambda: terms,
    )
    transcriber.start()
    n, step = min(map(len, channels.values())), RATE // 2
    for i in range(0, n, step):
        for ch, samples in channels.items():
            transcriber.feed(ch, samples[i : i + step])
    transcriber.finish()
    return by_side(sorted(found, key=lambda s: s.start))


def plain(engine, channels: dict[int, np.ndarray]) -> dict:
    out = {}
    for ch, samples in channels.items():
        segments, _ = engine.model.transcribe(samples, language="en", vad_filter=True)
        out[ch] = " ".join(s.text.strip() for s in segments)
    return out


def report(name: str, audio: Path, refs: dict[int, str], engine, terms) -> None:
    decoded = decode(audio)
    channels = dict(zip(SIDES, decoded.channels, strict=True))
    runs = {
        "live, before (greedy, alone)": lambda: live(engine, channels, PLAIN_DECODING, ()),
        "live, now": lambda: live(engine, channels, LiveDecoding(catch_up_after=None), terms),
        "final pass": lambda: by_side(final_pass(engine, audio, terms).segments),
        "final pass, no vocabulary": lambda: by_side(final_pass(engine, audio, ()).segments),
        "plain faster-whisper": lambda: plain(engine, channels),
    }
    print(f"\n{name} ({decoded.duration:.0f} s, vocabulary: {', '.join(terms) or 'none'})")
    print(f"  {'':30} {'me':>6} {'them':>6} {'both':>6}  seconds")
    wers = {}
    for label, run in runs.items():
        began = time.perf_counter()
        heard = run()
        took = time.perf_counter() - began
        per = {ch: word_error_rate(refs[ch], heard[ch]) for ch in SIDES}
        both = word_error_rate(
            " ".join(refs[ch] for ch in SIDES), " ".join(heard[ch] for ch in SIDES)
        )
        wers[label] = both
        print(f"  {label:30} {per[0]:6.3f} {per[1]:6.3f} {both:6.3f}  {took:6.1f}")
    final, base = wers["final pass"], wers["plain faster-whisper"]
    ratio = 1.0 if final == base else final / max(base, 1e-9)
    verdict = "meets" if ratio <= 1.05 else "misses"
    print(f"  final pass / plain faster-whisper: {ratio:.2f}x ({verdict} the 1.05x target)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    path = resolve_model(args.model, project_dir=default_project_dir(), home_models_dir=Path("."))
    engine = WhisperEngine(path, beam_size=5).load()
    with tempfile.TemporaryDirectory() as folder:
        audio, refs = dialogue(Path(folder))
        report("Synthesised two-voice dialogue", audio, refs, engine, build_vocabulary(notes=NOTES))
    eval_wav = EVAL_SPEECH / "stereo_diarization.wav"
    if eval_wav.is_file():
        refs = {
            CHANNEL_ME: DIARIZATION_REFERENCE["me"],
            CHANNEL_THEM: DIARIZATION_REFERENCE["them"],
        }
        report("stereo_diarization.wav", eval_wav, refs, engine, ())
    else:
        print(f"\n{eval_wav} not found: skipped.")


if __name__ == "__main__":
    main()
