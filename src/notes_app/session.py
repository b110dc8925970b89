"""MeetingSession: capture → crash-safe spool → live transcription → SQLite, while the user types.

Both the window and ``notes-app record`` drive this. It has no Qt: it reports to one
``SessionListener``, whose methods are called on the session's threads (the window forwards
them to signals):

- ``on_segment(Segment)``: a committed line of transcript (already saved);
- ``on_tentative(channel, text)``: the speech in progress ("" clears it);
- ``on_level(channel, rms)``: input loudness, about ten times a second per channel;
- ``on_backlog(seconds)``: how far the transcript is behind the audio, once a second;
- ``on_catching_up(behind)``: the transcript fell behind and is decoded faster (True) until it
  caught up (False);
- ``on_error(NotesAppError)``: something failed; recording goes on with what still works.

What is safe when, if the process dies: the meeting row exists (status "recording") from the
first moment; the notes are saved on every ``set_notes``; each segment is saved as it is
committed; the audio is on disk up to the last flush (at most a second ago). ``recover`` finishes
such a meeting later.

Memory does not grow with the meeting: committed segments live in the database, not here, and
audio waiting for Whisper beyond a minute is read back from the spool (``SpoolReader``).

Threads: the capture callbacks only enqueue; a pump thread aligns the two channels, writes the
spool and feeds the transcriber; the transcriber's worker thread runs VAD and Whisper and saves
segments through its own database connection (SQLite connections are best kept per thread).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from notes_app.audio.capture import Aligner, Capture, Chunk, StreamStopped
from notes_app.audio.spool import (
    CHANNELS,
    FRAME_BYTES,
    HEADER_BYTES,
    RATE,
    SpoolWriter,
    encode_flac,
    lock_path,
    write_lock,
)
from notes_app.clock import clock, now_iso
from notes_app.domain import CHANNEL_SPEAKER, Meeting, Segment, renumber
from notes_app.errors import AudioError, NotesAppError, StorageError
from notes_app.events import SessionListener
from notes_app.store.repo import Repo
from notes_app.transcribe.live import LiveDecoding, LiveTranscriber
from notes_app.transcribe.vocabulary import LiveVocabulary

log = logging.getLogger(__name__)

FLUSH_EVERY = 1.0  # seconds: the most audio a crash can lose
# A channel that has delivered nothing for this long (an idle output's monitor sends nothing)
# is padded with silence so the other channel is not held back.
QUIET_CHANNEL_LAG = 0.8
LEVEL_EVERY = 0.1


class MeetingSession:
    def __init__(
        self,
        repo: Repo,
        engine,
        capture: Capture,
        *,
        audio_dir: Path,
        language: str | None,
        keep_audio: bool = True,
        listener: SessionListener | None = None,
        now: Callable[[], str] = now_iso,
        open_repo: Callable[[], Repo] | None = None,
        tentative_every: float | None = None,
        glossary: Sequence[str] | str = (),
        decoding: LiveDecoding | None = None,
    ):
        self.repo = repo
        self.engine = engine
        self.capture = capture
        self.audio_dir = Path(audio_dir)
        self.language = language or None
        self.keep_audio = keep_audio
        self.now = now
        path = repo.path  # the transcriber thread opens its own connection to it
        self.open_repo = open_repo or (lambda: Repo.open(path))
        self.tentative_every = tentative_every
        self.decoding = decoding or LiveDecoding()  # how utterances are decoded, and degrade
        self.listener = listener or SessionListener()
        self.vocabulary = LiveVocabulary(glossary)  # what the notes teach the recogniser
        self.meeting_id: int | None = None
        self.spool_path: Path | None = None
        self.committed = 0  # segments saved so far (they are read back from the database)
        self._unsaved: list[Segment] = []
        self._writer: Repo | None = None
        self._spool: SpoolWriter | None = None
        self._spooled: SpoolReader | None = None
        self._transcriber: LiveTranscriber | None = None
        self._pump: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_level: dict[int, float] = {}

    # --- the API the window and the CLI use -----------------------------------------------------

    def start(self, title: str, notes: str = "", *, meeting_id: int | None = None) -> int:
        """Open the inputs, create the meeting (status "recording") and start transcribing.

        With ``meeting_id`` an existing, never-recorded meeting becomes the recording one: its
        title, attendees and notes stay as they are (the window keeps saving them while this
        starts), and ``notes`` only becomes its agenda.
        """
        self.spool_path = self._new_spool_path()
        for failure in self.capture.start():
            self.listener.on_error(failure)
        agenda = notes if notes.strip() else None  # typed before the call: an agenda
        try:
            self._spool = SpoolWriter(self.spool_path, self.capture.channels)
            self._spooled = SpoolReader(self.spool_path)
            write_lock(self.spool_path)
            if meeting_id is None:
                self.meeting_id = self.repo.create_meeting(
                    title,
                    started_at=self.now(),
                    language=self.language,
                    audio_path=str(self.spool_path),
                    status="recording",
                    notes=notes,
                    agenda=agenda,
                )
            else:
                self.repo.update_meeting(
                    meeting_id,
                    started_at=self.now(),
                    language=self.language,
                    audio_path=str(self.spool_path),
                    status="recording",
                )
                self.repo.set_agenda(meeting_id, agenda)
                self.meeting_id = meeting_id
        except NotesAppError:
            self.capture.stop()
            raise
        self._transcriber = LiveTranscriber(
            self.engine,
            channels=self.capture.channels,
            language=self.language,
            on_commit=self._commit,
            on_tentative=self.listener.on_tentative,
            on_error=self.listener.on_error,
            tentative_every=self.tentative_every,
            vocabulary=self._vocabulary_terms,
            on_catching_up=self.listener.on_catching_up,
            decoding=self.decoding,
            on_disk=self._spooled,
        )
        self._transcriber.start()
        self._pump = threading.Thread(target=self._pump_audio, name="audio-pump", daemon=True)
        self._pump.start()
        return self.meeting_id

    def set_notes(self, text: str) -> None:
        """Save the user's notes as typed (call it as they type; it is one small write)."""
        if self.meeting_id is None:
            raise NotesAppError("The meeting has not started yet; start it before taking notes.")
        self.repo.set_notes(self.meeting_id, text)

    def _vocabulary_terms(self) -> tuple[str, ...]:
        """The terms of the meeting as it is now (notes typed so far, title, attendees), read
        before each utterance on the transcriber thread, whoever saved them."""
        if self._writer is None:
            self._writer = self.open_repo()
        meeting = self._writer.get_meeting(self.meeting_id)
        self.vocabulary.set_meeting(meeting.title, meeting.attendees, meeting.notes)
        return self.vocabulary.terms()

    @property
    def channels(self) -> list[int]:
        return self.capture.channels

    @property
    def seconds(self) -> float:
        return self._spool.seconds if self._spool else 0.0

    @property
    def backlog(self) -> float:
        return self._transcriber.backlog if self._transcriber else 0.0

    def stop(self, on_drain: Callable[[float], None] | None = None) -> Meeting:
        """Stop capturing, transcribe the backlog, finish the audio file, mark the meeting done.

        Blocks until the transcript has caught up (the window calls it from a worker thread);
        ``on_drain(seconds_left)`` reports that wait.
        """
        if self.meeting_id is None:
            raise NotesAppError("The meeting was never started, so there is nothing to stop.")
        self.capture.stop()
        self._stop.set()
        self._pump.join()
        self._drain(on_drain or self.listener.on_backlog)
        return self._finish()

    # --- pump thread: capture → aligner → spool + transcriber -----------------------------------

    def _pump_audio(self) -> None:
        aligner = Aligner(self.capture.channels)
        last_flush = self.capture.clock()
        while True:
            item = self.capture.get(timeout=0.1)
            if item is None and self._stop.is_set() and self.capture.pending() == 0:
                break
            try:
                if isinstance(item, Chunk):
                    self._route(aligner.place(item))
                    self._report_level(item)
                elif isinstance(item, StreamStopped):
                    self.listener.on_error(self._lost_device(item))
                now = self.capture.clock()
                if now - last_flush >= FLUSH_EVERY and not self._stop.is_set():
                    last_flush = now
                    self._route(aligner.pad_to(now - self.capture.t0 - QUIET_CHANNEL_LAG))
                    self._spool.flush()
                    self._spooled.frames = self._spool.frames  # on disk now, readable
                    self.listener.on_backlog(self.backlog)
            except NotesAppError as e:
                self.listener.on_error(
                    e
                )  # e.g. a full disk: say so, keep going with what still works
        self._close_spool()

    def _route(self, pieces: list[tuple[int, np.ndarray]]) -> None:
        for channel, samples in pieces:
            self._spool.write(channel, samples)
            self._transcriber.feed(channel, samples)

    def _close_spool(self) -> None:
        try:
            self._spool.close()
        except StorageError as e:
            self.listener.on_error(e)
        else:
            self._spooled.frames = self._spool.frames

    def _report_level(self, chunk: Chunk) -> None:
        t = chunk.end
        if t - self._last_level.get(chunk.channel, -1.0) >= LEVEL_EVERY:
            self._last_level[chunk.channel] = t
            rms = float(np.sqrt(np.mean(np.square(chunk.samples)))) if len(chunk.samples) else 0.0
            self.listener.on_level(chunk.channel, rms)

    def _lost_device(self, stopped: StreamStopped) -> AudioError:
        side = CHANNEL_SPEAKER[stopped.channel]
        return AudioError(
            f"{stopped.device} stopped sending audio; '{side}' is silent from here on, the rest "
            "goes on recording. Reconnect the device and start a new recording to get it back."
        )

    # --- transcriber thread: commit ------------------------------------------------------------

    def _commit(self, segments: list[Segment]) -> None:
        base = self.committed + len(self._unsaved)
        numbered = [replace(s, index=base + i) for i, s in enumerate(segments)]
        self._unsaved.extend(numbered)
        try:
            if self._writer is None:
                self._writer = self.open_repo()
            self._writer.add_segments(self.meeting_id, self._unsaved)
        except NotesAppError as e:
            # Kept in memory and retried with the next commit and at stop.
            self.listener.on_error(e)
        else:
            self.committed += len(self._unsaved)
            self._unsaved = []
        for seg in numbered:
            try:
                self.listener.on_segment(seg)
            except Exception:  # noqa: BLE001 - a display callback must not stop the transcript
                log.exception("Showing a transcript line failed; the transcript goes on")

    def _drain(self, report: Callable[[float], None]) -> None:
        self._transcriber.finish_async()
        while not self._transcriber.wait(0.5):
            report(self._transcriber.backlog)
        report(0.0)

    # --- finishing -------------------------------------------------------------------------------

    def _finish(self) -> Meeting:
        repo = self.repo
        if self._unsaved:
            repo.add_segments(self.meeting_id, self._unsaved)
            self.committed += len(self._unsaved)
            self._unsaved = []
        saved = repo.get_transcript(self.meeting_id).segments
        repo.replace_segments(self.meeting_id, renumber(saved))
        audio_path = self._final_audio()
        repo.update_meeting(
            self.meeting_id,
            ended_at=self.now(),
            duration=round(self.seconds, 3),
            status="done",
            audio_path=str(audio_path) if audio_path else None,
        )
        lock_path(self.spool_path).unlink(missing_ok=True)
        if self._writer is not None:
            self._writer.close()
        return repo.get_meeting(self.meeting_id)

    def _final_audio(self) -> Path | None:
        if not self.keep_audio:
            self.spool_path.unlink(missing_ok=True)
            return None
        try:
            flac = encode_flac(self.spool_path, self.spool_path.with_suffix(".flac"))
        except AudioError as e:
            self.listener.on_error(e)
            return self.spool_path  # the WAV is complete and playable; keep it
        self.spool_path.unlink(missing_ok=True)
        return flac

    def _new_spool_path(self) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        return self.audio_dir / f"meeting-{stamp}-{uuid.uuid4().hex[:6]}.wav"


class SpoolReader:
    """The spool as the transcriber reads it back (``AudioOnDisk``): only frames the pump has
    flushed (``frames``), through a file handle of the reader's own."""

    def __init__(self, path: Path):
        self.path = path
        self.frames = 0  # set by the pump thread after each flush

    def seconds_stored(self) -> float:
        return self.frames / RATE

    def read(self, channel: int, start: float, end: float) -> np.ndarray:
        first = max(int(round(start * RATE)), 0)
        last = min(int(round(end * RATE)), self.frames)
        if last <= first:
            return np.zeros(0, np.float32)
        with open(self.path, "rb") as f:
            f.seek(HEADER_BYTES + first * FRAME_BYTES)
            raw = f.read((last - first) * FRAME_BYTES)
        frames = np.frombuffer(raw, "<i2").reshape(-1, CHANNELS)
        return frames[:, channel].astype(np.float32) / 32767.0


def seconds_label(seconds: float) -> str:
    """``[mm:ss]`` (or ``[h:mm:ss]``) for a time into the meeting."""
    return f"[{clock(seconds)}]"
