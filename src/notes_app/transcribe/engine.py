"""Speech to text with faster-whisper: arrays (live capture) and files (import, demo).

The WhisperModel class is injected, so a unit test can hand in its own, and the model is loaded
on first use, under a lock, so building an engine on the GUI thread costs nothing and one worker
thread can use it. A stereo file is a meeting recording: each channel is transcribed on its own
(left = me, right = them) and the two are merged by time; the channels are never mixed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from notes_app.audio.decode import SAMPLE_RATE, decode
from notes_app.config import Settings
from notes_app.domain import CHANNEL_SPEAKER, Segment, Transcript, renumber
from notes_app.errors import ModelNotFound
from notes_app.transcribe.cleanup import RawSegment, clean_segments
from notes_app.transcribe.models import default_project_dir, resolve_model
from notes_app.transcribe.vocabulary import HOTWORDS_TOKENS, hotwords_text

Progress = Callable[[float, float], None]  # (done_seconds, total_seconds)

# A channel whose loudest sample is below this is digital silence: skip it rather than run VAD.
SILENT_PEAK = 1e-4

# Voice activity detection finds the speech; pad a little so first and last syllables survive.
VAD_PARAMETERS = {
    "threshold": 0.5,
    "min_speech_duration_ms": 200,
    "min_silence_duration_ms": 500,
    "speech_pad_ms": 300,
}
# Speech separated by a longer pause than this is recognised as separate passages. Handing
# Whisper the speech glued together (faster-whisper's own vad_filter) is cheaper, but then one
# segment runs across turns many seconds apart and its end lands on the next turn's start,
# which breaks the me/them ordering and the timestamps that citations point at.
PASSAGE_GAP_SECONDS = 1.5

# Beam search width. Measured on 3 minutes of speech on a 2-CPU machine
# (benchmarks/transcribe_speed.py): beam 5 costs about a quarter more CPU than greedy decoding
# (beam 1) for about a tenth fewer word errors. Files take the accuracy; live transcription,
# which must keep up with the meeting, can pass beam_size=1.
FILE_BEAM_SIZE = 5


def _default_factory(*args: Any, **kwargs: Any) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(*args, **kwargs)


def forced_language(language: str | None) -> str | None:
    """None lets Whisper detect the language; "" and "auto" mean the same."""
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    return language.strip().lower()


class WhisperEngine:
    def __init__(
        self,
        model_path: Path,
        compute_type: str = "int8",
        cpu_threads: int = 0,
        model_factory: Callable[..., Any] = _default_factory,
        *,
        beam_size: int = 1,
    ):
        self.model_path = Path(model_path)
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self._factory = model_factory
        self._model: Any = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def model(self) -> Any:
        """The WhisperModel, loaded on first use (seconds taken kept in ``load_seconds``)."""
        with self._lock:
            if self._model is None:
                began = time.perf_counter()
                self._model = self._load()
                self.load_seconds = time.perf_counter() - began
            return self._model

    def load(self) -> WhisperEngine:
        """Load the model now (e.g. on a worker thread before the meeting starts)."""
        _ = self.model
        return self

    def hotwords(self, terms: Sequence[str]) -> str | None:
        """``terms`` as Whisper's hotwords, the last ones dropped until they fit its prompt."""
        terms = list(terms)
        text = hotwords_text(terms)
        counter = getattr(self.model, "hf_tokenizer", None) if text else None
        if counter is None:
            return text  # an injected model without a tokenizer: vocabulary.py's estimate holds
        while text and len(counter.encode(" " + text, add_special_tokens=False).ids) > (
            HOTWORDS_TOKENS
        ):
            terms.pop()
            text = hotwords_text(terms)
        return text

    def _load(self) -> Any:
        try:
            return self._factory(
                str(self.model_path),
                device="cpu",
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
            )
        except (RuntimeError, OSError, ValueError) as e:
            raise ModelNotFound(
                f"Cannot load the Whisper model at {self.model_path}: {e}. Check that the folder "
                "holds a complete CTranslate2 model, or pick another with --model."
            ) from None

    def transcribe_array(
        self,
        audio: np.ndarray,
        *,
        language: str | None,
        offset: float = 0.0,
        vad: bool = True,
        on_progress: Progress | None = None,
        vocabulary: Sequence[str] = (),
        beam_size: int | None = None,
        context: str | None = None,
        carry_context: bool = False,
    ) -> list[Segment]:
        """Float32 mono 16 kHz samples -> cleaned segments, times shifted by ``offset``.

        Segments come back indexed 0..n-1 with no speaker or channel; the caller assigns them.
        ``vocabulary``: terms the speech is likely to hold (see vocabulary.py), given to Whisper
        as hotwords. ``beam_size`` overrides the engine's for this call (live catch-up).
        ``context``: what was said just before (live: the previous utterance on this channel),
        given as the prompt Whisper continues from, as if it had heard it. ``carry_context``:
        each passage gets the end of the one before as its context the same way.
        """
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        total = len(audio) / SAMPLE_RATE
        if len(audio) == 0 or float(np.max(np.abs(audio))) < SILENT_PEAK:
            if on_progress is not None:
                on_progress(total, total)
            return []
        options = {
            "language": forced_language(language),
            "beam_size": beam_size or self.beam_size,
            "hotwords": self.hotwords(vocabulary),
            "initial_prompt": context or None,
            "carry_context": carry_context,
        }
        raw = self._recognise(audio, options, vad, total, on_progress)
        cleaned = clean_segments(raw)
        return [
            Segment(index=i, start=s.start + offset, end=s.end + offset, text=s.text)
            for i, s in enumerate(cleaned)
        ]

    def _recognise(
        self,
        audio: np.ndarray,
        options: dict[str, Any],
        vad: bool,
        total: float,
        on_progress: Progress | None,
    ) -> list[RawSegment]:
        spans = speech_passages(audio) if vad else [(0, len(audio))]
        raw: list[RawSegment] = []
        carry = options.pop("carry_context", False)
        for first, last in spans:
            found = self._recognise_passage(audio, first, last, options)
            raw.extend(found)
            if carry:
                options["initial_prompt"] = _context_of(found) or options["initial_prompt"]
            if on_progress is not None:
                on_progress(min(last / SAMPLE_RATE, total), total)
        if on_progress is not None:
            on_progress(total, total)
        return raw

    def _recognise_passage(
        self, audio: np.ndarray, first: int, last: int, options: dict[str, Any]
    ) -> list[RawSegment]:
        """One stretch of speech; times come back relative to the whole array."""
        passage = audio[first:last]
        base, limit = first / SAMPLE_RATE, last / SAMPLE_RATE
        segments, _info = self.model.transcribe(
            passage,
            **options,
            vad_filter=False,  # the passage is already speech, cut out by our own VAD pass
            # Feeding the previous text back is what lets one hallucination turn into a loop.
            condition_on_previous_text=False,
            word_timestamps=False,
        )
        raw = []
        for seg in segments:  # a generator: decoding happens as we iterate
            start = min(base + float(seg.start), limit)
            end = min(base + float(seg.end), limit)
            raw.append(
                RawSegment(
                    start=start,
                    end=max(end, start),
                    text=seg.text.strip(),
                    avg_logprob=float(seg.avg_logprob),
                    no_speech_prob=float(seg.no_speech_prob),
                    compression_ratio=float(seg.compression_ratio),
                    rms=_rms(audio, start, end),
                )
            )
        return raw

    def transcribe_file(
        self,
        path: Path,
        *,
        language: str | None,
        on_progress: Progress | None = None,
        vocabulary: Sequence[str] = (),
        carry_context: bool = False,
    ) -> Transcript:
        """A whole file. Stereo: left = me, right = them, merged by time. Mono: speaker None.

        ``on_progress(done, total)`` counts seconds of audio processed over all channels.
        """
        audio = decode(Path(path))
        total = audio.duration * len(audio.channels)
        segments: list[Segment] = []
        for number, samples in enumerate(audio.channels):
            done_before = number * audio.duration
            report = None
            if on_progress is not None:

                def report(done: float, _total: float, _base: float = done_before) -> None:
                    on_progress(_base + done, total)

            found = self.transcribe_array(
                samples,
                language=language,
                on_progress=report,
                vocabulary=vocabulary,
                carry_context=carry_context,
            )
            if audio.is_stereo:
                found = [replace(s, channel=number, speaker=CHANNEL_SPEAKER[number]) for s in found]
            segments.extend(found)
        return Transcript(segments=renumber(segments), language=forced_language(language))


def speech_passages(audio: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) sample of each stretch of speech, pauses under PASSAGE_GAP_SECONDS kept."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(audio, VadOptions(**VAD_PARAMETERS))
    gap = int(PASSAGE_GAP_SECONDS * SAMPLE_RATE)
    passages: list[tuple[int, int]] = []
    for chunk in chunks:
        if passages and chunk["start"] - passages[-1][1] < gap:
            passages[-1] = (passages[-1][0], chunk["end"])
        else:
            passages.append((chunk["start"], chunk["end"]))
    return passages


CONTEXT_WORDS = 40  # how much of the previous passage a passage is given as context


def _context_of(found: list[RawSegment]) -> str | None:
    """The last words of what was just recognised, unless it was dropped as a hallucination
    (then nothing: a loop fed back as context would only come back)."""
    text = " ".join(seg.text for seg in clean_segments(found))
    words = text.split()
    return " ".join(words[-CONTEXT_WORDS:]) if words else None


def _rms(audio: np.ndarray, start: float, end: float) -> float:
    first = int(start * SAMPLE_RATE)
    window = audio[first : max(int(end * SAMPLE_RATE), first + 1)]
    if len(window) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(window, dtype=np.float64))))


def engine_for(
    settings: Settings, model: str | None = None, *, beam_size: int = FILE_BEAM_SIZE
) -> tuple[WhisperEngine, str]:
    """The engine for ``model`` (default: the configured one), and that model's name.

    The model is found as the user configured it (see models.resolve_model); it loads on first use.
    """
    name = model or settings.transcribe.model
    path = resolve_model(
        name, project_dir=default_project_dir(), home_models_dir=settings.models_dir
    )
    engine = WhisperEngine(
        path,
        compute_type=settings.transcribe.compute_type,
        cpu_threads=settings.transcribe.threads,
        beam_size=beam_size,
    )
    return engine, name
