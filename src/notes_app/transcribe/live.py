"""Streaming transcription: utterances cut by voice activity, transcribed as soon as they end.

Per channel, silero VAD (shipped with faster-whisper) scores every 32 ms window as it arrives;
an utterance ends after ``HANGOVER`` of silence, is padded by ``PAD`` each side, and is cut at
``MAX_UTTERANCE`` so a monologue still shows up. Each finished utterance is transcribed on its
own (language forced, no conditioning on earlier text, so one bad guess cannot snowball) on
the transcriber's worker thread, and handed to ``on_commit`` as final.

Memory stays flat however long the meeting: an utterance waiting for Whisper keeps its audio
in memory up to ``KEEP_WAITING`` seconds in all; beyond that (a machine that cannot keep up for
a long while) the waiting audio that is already in the recording on disk is dropped from memory
and read back from there when its turn comes (``AudioOnDisk``).

Echo: on speakers, the mic also hears the other side. A mic utterance whose loudness follows
the system channel's over the same time (correlated envelopes) is dropped before Whisper runs;
one whose text matches what the system channel said at the same time is dropped after.
"""

from __future__ import annotations

import difflib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from notes_app.domain import CHANNEL_ME, CHANNEL_SPEAKER, CHANNEL_THEM, Segment
from notes_app.errors import NotesAppError
from notes_app.transcribe.cleanup import normalise

log = logging.getLogger(__name__)

RATE = 16000
WINDOW = 512  # silero's window at 16 kHz: 32 ms
THRESHOLD = 0.5
NEG_THRESHOLD = 0.35  # below this a window is silence; between the two, it continues speech
HANGOVER = 0.4  # seconds of silence that end an utterance
PAD = 0.3  # seconds kept before and after the speech
MIN_SPEECH = 0.25  # shorter bursts are clicks and coughs
MAX_UTTERANCE = 15.0  # a longer stretch is cut, at a pause when there is one
ECHO_ENVELOPE_CORRELATION = 0.7
ECHO_TEXT_SIMILARITY = 0.6
RECENT_SECONDS = 40.0  # system-channel audio and text kept for echo checks
KEEP_WAITING = 60.0  # seconds of waiting utterance audio kept in memory (about 4 MB)
LATENCIES_KEPT = 1000  # the latest commit latencies, for figures


@dataclass(frozen=True)
class LiveDecoding:
    """How each utterance is decoded, and how that degrades when the transcript falls behind.

    ``context_gap``: an utterance that starts within this many seconds of the previous one on
    the same channel is decoded with that one's text as Whisper's prompt (a pause of half a
    second ends an utterance, so a sentence is often cut in two; without the first half the
    second is guessed without context). 0 turns it off. ``context_words``: how much of it.
    ``catch_up_after``: once this many seconds of heard audio wait for Whisper, decode greedily
    (``catch_up_beam``) without context and skip tentative text until the backlog is gone
    (below half of it). None never degrades.
    """

    beam_size: int = 5
    context_gap: float = 3.0
    context_words: int = 40
    catch_up_after: float | None = 6.0
    catch_up_beam: int = 1


# Before the fixes of benchmarks/final_pass.py: greedy, no context, never degrading.
PLAIN_DECODING = LiveDecoding(beam_size=1, context_gap=0.0, catch_up_after=None)


@dataclass(frozen=True)
class Utterance:
    channel: int
    start: float  # seconds into the meeting
    end: float
    audio: np.ndarray | None  # None: not kept in memory, read back from the recording
    heard_at: float = 0.0  # monotonic time the audio that ended it was fed (for latency figures)

    @property
    def samples(self) -> int:
        if self.audio is not None:
            return len(self.audio)
        return int(round((self.end - self.start) * RATE))


class AudioOnDisk(Protocol):
    """The recording as it is written (the session's spool), for audio not kept in memory."""

    def seconds_stored(self) -> float:
        """How much of the meeting (every channel) can be read back already."""
        ...

    def read(self, channel: int, start: float, end: float) -> np.ndarray:
        """One channel's samples from ``start`` to ``end`` seconds into the meeting."""
        ...


class SpeechDetector:
    """Incremental silero VAD for one channel: feed samples, get finished utterances."""

    def __init__(self, channel: int, vad_model=None, *, max_utterance: float = MAX_UTTERANCE):
        if vad_model is None:
            from faster_whisper.vad import get_vad_model

            vad_model = get_vad_model()
        self.channel = channel
        self.model = vad_model
        self.max_len = int(max_utterance * RATE)
        self.buf = np.zeros(0, np.float32)
        self.buf_start = 0  # absolute sample index of buf[0]
        self.scored = 0  # absolute samples scored so far (whole windows)
        self.speech_start: int | None = None
        self.pad_start = True  # False for the rest of an utterance cut at MAX_UTTERANCE
        self.silence_run = 0
        self.last_quiet: int | None = None  # latest quiet window inside the current speech
        self._context = np.zeros(WINDOW, np.float32)

    @property
    def in_speech_since(self) -> float | None:
        return None if self.speech_start is None else self.speech_start / RATE

    @property
    def position(self) -> int:
        return self.buf_start + len(self.buf)

    def feed(self, samples: np.ndarray) -> list[Utterance]:
        self.buf = np.concatenate([self.buf, samples.astype(np.float32, copy=False)])
        ready = (self.position - self.scored) // WINDOW
        if ready == 0:
            return []
        first = self.scored - self.buf_start
        windows = self.buf[first : first + ready * WINDOW]
        # The model takes the window before as context; give it the one it saw last time.
        probs = np.ravel(self.model(np.concatenate([self._context, windows])))[1:]
        self._context = windows[-WINDOW:].copy()
        found = []
        for prob in probs:
            utt = self._step(float(prob))
            if utt is not None:
                found.append(utt)
            self.scored += WINDOW
        self._trim()
        return found

    def _step(self, prob: float) -> Utterance | None:
        pos = self.scored
        if self.speech_start is None:
            if prob >= THRESHOLD:
                self.speech_start, self.silence_run, self.last_quiet = pos, 0, None
                self.pad_start = True
            return None
        if prob < NEG_THRESHOLD:
            self.silence_run += WINDOW
            self.last_quiet = pos
        elif prob >= THRESHOLD:
            self.silence_run = 0
        if self.silence_run >= HANGOVER * RATE:
            return self._close(pos + WINDOW - self.silence_run, resume=None)
        if pos + WINDOW - self.speech_start >= self.max_len:
            # Cut at the last pause of the final few seconds if there is one, else right here.
            recent = self.last_quiet is not None and pos - self.last_quiet < 3 * RATE
            cut = self.last_quiet + WINDOW if recent else pos + WINDOW
            return self._close(cut, resume=cut, pad_end=False)
        return None

    def _close(self, end: int, *, resume: int | None, pad_end: bool = True) -> Utterance | None:
        start, pad_start = self.speech_start, self.pad_start
        self.speech_start, self.silence_run, self.last_quiet = resume, 0, None
        self.pad_start = resume is None
        if end - start < MIN_SPEECH * RATE:
            return None
        pad = int(PAD * RATE)
        first = max(start - (pad if pad_start else 0), self.buf_start)
        last = min(end + (pad if pad_end else 0), self.position)
        audio = self.buf[first - self.buf_start : last - self.buf_start].copy()
        return Utterance(self.channel, first / RATE, last / RATE, audio)

    def flush(self) -> list[Utterance]:
        """Close the speech in progress (at stop)."""
        if self.speech_start is None:
            return []
        utt = self._close(self.position, resume=None, pad_end=False)
        return [utt] if utt else []

    def open_audio(self) -> tuple[float, np.ndarray] | None:
        """(start, samples) of the speech in progress, for a tentative transcription."""
        if self.speech_start is None:
            return None
        first = max(self.speech_start - int(PAD * RATE), self.buf_start)
        return first / RATE, self.buf[first - self.buf_start :].copy()

    def _trim(self) -> None:
        # Keep only what a future utterance can still need: its padding before the speech.
        keep_from = self.scored - int(PAD * RATE) - WINDOW
        if self.speech_start is not None:
            keep_from = min(keep_from, self.speech_start - int(PAD * RATE))
        cut = keep_from - self.buf_start
        if cut > 0:
            self.buf = self.buf[cut:]
            self.buf_start += cut


class RecentAudio:
    """The last ``seconds`` of one channel, addressable by meeting time (for echo checks).

    A ring buffer allocated once: a chunk is copied in, nothing is reallocated (growing and
    cutting a 40-second array for every tenth of a second copied 2.5 MB each time and left the
    allocator fragmented).
    """

    def __init__(self, seconds: float = RECENT_SECONDS):
        self.size = int(seconds * RATE)
        self._ring = np.zeros(self.size, np.float32)
        self.total = 0  # samples added so far; the ring holds the last ``size`` of them

    @property
    def start(self) -> int:
        """Absolute sample index of the oldest sample held."""
        return max(self.total - self.size, 0)

    def add(self, samples: np.ndarray) -> None:
        tail = samples[-self.size :]  # more than the ring holds: only the end stays
        self.total += len(samples) - len(tail)
        at = self.total % self.size
        first = min(len(tail), self.size - at)
        self._ring[at : at + first] = tail[:first]
        self._ring[: len(tail) - first] = tail[first:]
        self.total += len(tail)

    def span(self, start: float, end: float) -> np.ndarray:
        a = min(max(int(start * RATE), self.start), self.total)
        b = min(max(int(end * RATE), a), self.total)
        first, last = a % self.size, (a % self.size) + (b - a)
        if last <= self.size:
            return self._ring[first:last].copy()
        return np.concatenate([self._ring[first:], self._ring[: last - self.size]])


def envelope(audio: np.ndarray, frame: int = 160) -> np.ndarray:
    n = len(audio) // frame
    return np.sqrt(np.mean(np.square(audio[: n * frame].reshape(n, frame)), axis=1))


def envelopes_correlate(mic: np.ndarray, system: np.ndarray, *, max_lag: int = 30) -> float:
    """Best Pearson correlation of the 10 ms loudness envelopes within ±``max_lag`` frames."""
    a, b = envelope(mic), envelope(system)
    n = min(len(a), len(b))
    if n < 20 or b.max() < 1e-3:
        return 0.0
    best = 0.0
    for lag in range(-max_lag, max_lag + 1):
        x = a[max(lag, 0) : n + min(lag, 0)]
        y = b[max(-lag, 0) : n - max(lag, 0)]
        if len(x) < 20 or x.std() == 0 or y.std() == 0:
            continue
        best = max(best, float(np.corrcoef(x, y)[0, 1]))
    return best


def text_similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, normalise(a).split(), normalise(b).split()).ratio()


class LiveTranscriber:
    """Feeds channels through VAD and Whisper on one worker thread; commits final segments.

    ``feed`` may be called from any thread. ``on_commit(segments)`` gets the final segments of
    one utterance (speaker and channel set, index to be assigned by the caller) on the worker
    thread. ``on_tentative(channel, text)`` shows the speech in progress ("" clears it).
    """

    def __init__(
        self,
        engine,
        *,
        channels: list[int],
        language: str | None,
        on_commit: Callable[[list[Segment]], None],
        on_tentative: Callable[[int, str], None] | None = None,
        on_error: Callable[[NotesAppError], None] | None = None,
        tentative_every: float | None = None,
        vad_model=None,
        vocabulary: Callable[[], Sequence[str]] | None = None,
        decoding: LiveDecoding = LiveDecoding(),
        on_catching_up: Callable[[bool], None] | None = None,
        on_disk: AudioOnDisk | None = None,
        keep_waiting: float | None = None,
    ):
        self.engine = engine
        self.language = language
        self.on_commit = on_commit
        self.on_tentative = on_tentative
        self.on_error = on_error
        self.tentative_every = tentative_every
        self.vocabulary = vocabulary or (lambda: ())
        self.decoding = decoding
        self.on_catching_up = on_catching_up
        self.on_disk = on_disk  # None: every waiting utterance keeps its audio in memory
        self.keep_waiting = int((KEEP_WAITING if keep_waiting is None else keep_waiting) * RATE)
        self.catching_up = False
        self._last_text: dict[int, tuple[float, str]] = {}  # channel -> (end, text said)
        self.detectors = {ch: SpeechDetector(ch, vad_model) for ch in channels}
        self.recent = {ch: RecentAudio() for ch in channels}
        self.recent_text: list[Segment] = []  # system-channel segments, for the text check
        self.fed = {ch: 0 for ch in channels}  # samples fed, per channel
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._queued = 0  # samples waiting in the queue
        self._ready: list[Utterance] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="live-transcriber", daemon=True)
        self._last_tentative = 0.0
        self._tentative_failed = False
        self.dropped_echo = 0
        self.read_back = 0  # utterances whose audio came back from the recording
        # Seconds from an utterance's end being fed to its commit, the latest ones.
        self.latencies: deque[float] = deque(maxlen=LATENCIES_KEPT)

    def start(self) -> None:
        self._thread.start()

    def feed(self, channel: int, samples: np.ndarray) -> None:
        with self._lock:
            self.fed[channel] += len(samples)
            self._queued += len(samples)
        self._queue.put((channel, samples, time.monotonic()))

    @property
    def backlog(self) -> float:
        """Seconds of heard audio whose transcript is not out yet (speech still going excluded)."""
        with self._lock:
            waiting = self._queued
            ready = sum(u.samples for u in self._ready)
        return (waiting + ready) / RATE / max(len(self.detectors), 1)

    def finish(self, timeout: float | None = None) -> None:
        """Transcribe everything fed so far, then stop the worker."""
        self.finish_async()
        self.wait(timeout)

    def finish_async(self) -> None:
        """Ask the worker to finish once it has transcribed everything fed so far."""
        self._queue.put(None)

    def wait(self, timeout: float | None = None) -> bool:
        """True once the worker has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- worker --------------------------------------------------------------------------------

    def _run(self) -> None:
        done = False
        while not done:
            done = self._absorb(block=False)  # VAD everything queued first: it is cheap
            utt = None if done else self._next_ready()
            if utt is not None:
                self._transcribe_safely(utt)
            elif not done:
                done = self._absorb(block=True)
                self._maybe_tentative()
        for det in self.detectors.values():
            self._ready.extend(det.flush())
        while self._ready:
            self._transcribe_safely(self._next_ready(final=True))

    def _transcribe_safely(self, utt: Utterance) -> None:
        try:
            self._transcribe(self._with_audio(utt))
        except NotesAppError as e:
            self._report(e)
        except Exception as e:  # noqa: BLE001 - the worker must outlive any one utterance
            log.exception("Transcribing an utterance failed; the worker goes on")
            self._report(
                NotesAppError(
                    f"Transcribing {utt.end - utt.start:.0f} s of audio failed ({e}); the audio "
                    "is kept in the recording and can be transcribed again after the meeting."
                )
            )

    def _absorb(self, *, block: bool) -> bool:
        """Run VAD over everything queued; True once the end marker is reached."""
        try:
            item = self._queue.get(timeout=0.1) if block else self._queue.get_nowait()
        except queue.Empty:
            return False
        while item is not None:
            channel, samples, fed_at = item
            found = self.detectors[channel].feed(samples)
            self.recent[channel].add(samples)
            with self._lock:
                self._queued -= len(samples)
                self._ready.extend(replace(u, heard_at=fed_at) for u in found)
                if found:
                    self._keep_waiting_bounded()
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return False
        return True

    def _keep_waiting_bounded(self) -> None:
        """Waiting audio past ``keep_waiting`` that is on disk already leaves memory, the last
        to be transcribed first (called with the lock held)."""
        if self.on_disk is None:
            return
        in_memory = [i for i, u in enumerate(self._ready) if u.audio is not None]
        if sum(self._ready[i].samples for i in in_memory) <= self.keep_waiting:
            return
        stored = self.on_disk.seconds_stored()
        kept = 0
        for i in sorted(in_memory, key=lambda i: self._ready[i].end):
            utt = self._ready[i]
            if kept + utt.samples <= self.keep_waiting or utt.end > stored:
                kept += utt.samples
            else:
                self._ready[i] = replace(utt, audio=None)

    def _with_audio(self, utt: Utterance) -> Utterance:
        """The utterance with its audio, read back from the recording if it was let go."""
        if utt.audio is not None or self.on_disk is None:
            return utt
        self.read_back += 1
        return replace(utt, audio=self.on_disk.read(utt.channel, utt.start, utt.end))

    def _next_ready(self, *, final: bool = False) -> Utterance | None:
        """The earliest-ending utterance, but a mic one waits while the other side is mid-speech
        over the same time, so the echo text check can see what the other side said."""
        with self._lock:
            for utt in sorted(self._ready, key=lambda u: u.end):
                if not final and utt.channel == CHANNEL_ME and self._them_speaking_before(utt.end):
                    continue
                self._ready.remove(utt)
                return utt
        return None

    def _them_speaking_before(self, t: float) -> bool:
        them = self.detectors.get(CHANNEL_THEM)
        since = them.in_speech_since if them else None
        return since is not None and since < t

    def _transcribe(self, utt: Utterance) -> None:
        if utt.channel == CHANNEL_ME and self._is_echo_audio(utt):
            self.dropped_echo += 1
            return
        hurry = self._update_catching_up()
        found = self.engine.transcribe_array(
            utt.audio,
            language=self.language,
            offset=utt.start,
            vad=False,
            vocabulary=self._terms(),
            beam_size=self.decoding.catch_up_beam if hurry else self.decoding.beam_size,
            context=None if hurry else self._context_before(utt),
        )
        speaker = CHANNEL_SPEAKER[utt.channel]
        segs = [replace(s, speaker=speaker, channel=utt.channel) for s in found if s.text]
        if segs:
            self._last_text[utt.channel] = (segs[-1].end, " ".join(s.text for s in segs))
        if utt.channel == CHANNEL_ME:
            segs = [s for s in segs if not self._is_echo_text(s)]
        else:
            self._remember(segs)
        if self.on_tentative and self.tentative_every:
            self.on_tentative(utt.channel, "")
        if segs:
            if utt.heard_at:
                self.latencies.append(time.monotonic() - utt.heard_at)
            self.on_commit(segs)

    def _terms(self) -> Sequence[str]:
        try:
            return self.vocabulary()
        except Exception:  # noqa: BLE001 - the notes only help; a transcript without them is fine
            log.warning("Could not read the meeting's vocabulary", exc_info=True)
            return ()

    def _context_before(self, utt: Utterance) -> str | None:
        """The end of what this channel said just before, when it is the same stretch of talk."""
        last = self._last_text.get(utt.channel)
        if last is None or not self.decoding.context_gap:
            return None
        end, text = last
        if utt.start - end > self.decoding.context_gap:
            return None
        return " ".join(text.split()[-self.decoding.context_words :])

    def _update_catching_up(self) -> bool:
        """True while the backlog is long enough to trade accuracy for speed (reported on
        change through ``on_catching_up``)."""
        limit = self.decoding.catch_up_after
        if limit is None:
            return False
        backlog = self.backlog
        hurry = backlog >= limit or (self.catching_up and backlog > limit / 2)
        if hurry != self.catching_up:
            self.catching_up = hurry
            if self.on_catching_up is not None:
                self.on_catching_up(hurry)
        return hurry

    def _is_echo_audio(self, utt: Utterance) -> bool:
        if CHANNEL_THEM not in self.recent:
            return False
        system = self.recent[CHANNEL_THEM].span(utt.start, utt.end)
        return envelopes_correlate(utt.audio, system) >= ECHO_ENVELOPE_CORRELATION

    def _is_echo_text(self, seg: Segment) -> bool:
        return any(
            other.start < seg.end + 1.0
            and seg.start < other.end + 1.0
            and text_similarity(seg.text, other.text) >= ECHO_TEXT_SIMILARITY
            for other in self.recent_text
        )

    def _remember(self, segs: list[Segment]) -> None:
        self.recent_text.extend(segs)
        if self.recent_text:
            horizon = self.recent_text[-1].end - RECENT_SECONDS
            self.recent_text = [s for s in self.recent_text if s.end >= horizon]

    def _maybe_tentative(self) -> None:
        if not (self.on_tentative and self.tentative_every) or self.catching_up:
            return  # behind: the CPU goes to final text first
        now = time.monotonic()
        if now - self._last_tentative < self.tentative_every:
            return
        self._last_tentative = now
        for channel, det in self.detectors.items():
            open_audio = det.open_audio()
            if open_audio is None or len(open_audio[1]) < RATE:
                continue
            start, audio = open_audio
            try:
                segs = self.engine.transcribe_array(
                    audio,
                    language=self.language,
                    offset=start,
                    vad=False,
                    vocabulary=self._terms(),
                    beam_size=1,  # a guess, soon replaced: the cheapest decoding will do
                )
            except Exception:  # noqa: BLE001 - a tentative guess is optional; the final one counts
                # Logged once per recording: a broken engine would otherwise repeat it every second.
                if not self._tentative_failed:
                    log.warning("A tentative transcript failed; going on", exc_info=True)
                self._tentative_failed = True
                continue
            self.on_tentative(channel, " ".join(s.text for s in segs))

    def _report(self, err: NotesAppError) -> None:
        if self.on_error is not None:
            self.on_error(err)
