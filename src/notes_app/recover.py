"""Finishing meetings whose recording process died (kill -9, power loss, a crash).

Such a meeting is still "recording" in the database and its recorder's lock names a process that
is gone. Everything committed stays as it was; the spooled audio after the last committed
segment of each channel is transcribed now; the WAV is encoded to FLAC; the meeting is "done".

A process killed while saving a transcribed file leaves a copy of its audio that no meeting
refers to: ``leftovers`` finds them and ``remove_leftovers`` deletes them (copies only: the
recordings the app made are never leftovers, nor, while a repair's damaged file is kept, copies
whose meeting may have lost its link to them).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from notes_app.audio.spool import (
    encode_flac,
    lock_path,
    read_channels,
    recorder_alive,
    repair_wav,
)
from notes_app.domain import CHANNEL_ME, CHANNEL_SPEAKER, CHANNEL_THEM, Meeting, Segment, renumber
from notes_app.errors import AudioError
from notes_app.store.repair import kept_damaged
from notes_app.store.repo import Repo
from notes_app.transcribe.live import (
    ECHO_ENVELOPE_CORRELATION,
    ECHO_TEXT_SIMILARITY,
    RATE,
    envelopes_correlate,
    text_similarity,
)
from notes_app.transcribe.save import PART

Progress = Callable[[float, float], None]

log = logging.getLogger(__name__)

# The names transcribe/save.py gives copies: <32 hex digits>.<ext>, and .part while unfinished.
_COPY = re.compile(r"[0-9a-f]{32}\.[A-Za-z0-9]{1,5}")
# A finished copy nothing refers to may be a save committing this moment; older, it is left over.
COMMIT_GRACE_SECONDS = 120.0


def unfinished(repo: Repo) -> list[Meeting]:
    """Meetings left "recording" by a process that is no longer running."""
    return [
        m
        for m in repo.list_meetings(status="recording")
        if not (m.audio_path and recorder_alive(Path(m.audio_path)))
    ]


def leftovers(repo: Repo, audio_dir: Path) -> list[Path]:
    """Copies of transcribed audio a killed process left: unfinished ones whose process is
    gone (and their locks), and finished ones no meeting refers to."""
    if not audio_dir.is_dir():
        return []
    # After a repair, audio whose meeting lost its link is kept while the damaged file is.
    keep_unreferenced = bool(kept_damaged(Path(repo.path).parent))
    files = sorted(p for p in audio_dir.iterdir() if p.is_file())
    # Read after listing: a copy committed in between is then seen as referenced.
    used = {Path(m.audio_path).name for m in repo.list_meetings() if m.audio_path}
    now = time.time()
    found = []
    for path in files:
        name = path.name
        if name.endswith(PART) and _COPY.fullmatch(name.removesuffix(PART)):
            if not recorder_alive(path):
                found.append(path)
        elif name.endswith(PART + ".lock") and _COPY.fullmatch(name[: -len(PART + ".lock")]):
            if not recorder_alive(path.with_name(name.removesuffix(".lock"))):
                found.append(path)
        elif _COPY.fullmatch(name) and name not in used and not keep_unreferenced:
            if now - path.stat().st_mtime > COMMIT_GRACE_SECONDS:
                found.append(path)
    return found


def remove_leftovers(repo: Repo, audio_dir: Path) -> list[Path]:
    """Delete what ``leftovers`` finds; returns the audio files removed (locks not counted)."""
    removed = []
    for path in leftovers(repo, audio_dir):
        try:
            path.unlink()
        except FileNotFoundError:
            continue  # another recover got there first
        except OSError:
            log.warning("Could not remove the leftover audio copy %s", path, exc_info=True)
            continue
        if not path.name.endswith(".lock"):
            removed.append(path)
    return removed


def recover_meeting(
    repo: Repo,
    engine,
    meeting: Meeting,
    *,
    language: str | None,
    keep_audio: bool = True,
    on_progress: Progress | None = None,
) -> Meeting:
    spool = Path(meeting.audio_path) if meeting.audio_path else None
    existing = list(repo.get_transcript(meeting.id).segments)
    duration = max((s.end for s in existing), default=0.0)
    audio_path: Path | None = spool if spool and spool.exists() else None
    new: list[Segment] = []
    if audio_path is not None and audio_path.suffix == ".wav":
        duration = repair_wav(audio_path)
        new = transcribe_tail(engine, audio_path, existing, language, on_progress)
        audio_path = _finish_audio(audio_path, keep_audio)
    repo.replace_segments(meeting.id, renumber(existing + new))
    repo.update_meeting(
        meeting.id,
        status="done",
        duration=round(duration, 3),
        ended_at=_ended_at(meeting.started_at, duration),
        audio_path=str(audio_path) if audio_path else None,
    )
    if spool is not None:
        lock_path(spool).unlink(missing_ok=True)
    return repo.get_meeting(meeting.id)


def transcribe_tail(
    engine,
    wav: Path,
    existing: list[Segment],
    language: str | None,
    on_progress: Progress | None = None,
) -> list[Segment]:
    """Segments for the audio of each channel after its last committed segment."""
    done_until = {
        ch: max((s.end for s in existing if s.channel == ch), default=0.0)
        for ch in (CHANNEL_ME, CHANNEL_THEM)
    }
    first = min(done_until.values())
    me, them = read_channels(wav, start=first)
    audio = {CHANNEL_ME: me, CHANNEL_THEM: them}
    todo = {ch: len(audio[ch]) / RATE - (done_until[ch] - first) for ch in audio}
    total = max(sum(todo.values()), 0.0)
    found: dict[int, list[Segment]] = {}
    done_before = 0.0
    for ch in (CHANNEL_THEM, CHANNEL_ME):  # them first: the echo check needs their words
        skip = int((done_until[ch] - first) * RATE)
        samples = audio[ch][skip:]

        def report(done: float, _total: float, _base: float = done_before) -> None:
            if on_progress is not None:
                on_progress(_base + done, total)

        segs = engine.transcribe_array(
            samples, language=language, offset=done_until[ch], vad=True, on_progress=report
        )
        found[ch] = [replace(s, speaker=CHANNEL_SPEAKER[ch], channel=ch) for s in segs]
        done_before += max(todo[ch], 0.0)
    me_kept = [s for s in found[CHANNEL_ME] if not _echo(s, found[CHANNEL_THEM], audio, first)]
    return found[CHANNEL_THEM] + me_kept


def _echo(seg: Segment, theirs: list[Segment], audio: dict, first: float) -> bool:
    """A "me" segment that is the other side heard through the speakers."""
    for other in theirs:
        overlap = other.start < seg.end + 1.0 and seg.start < other.end + 1.0
        if overlap and text_similarity(seg.text, other.text) >= ECHO_TEXT_SIMILARITY:
            return True
    a, b = int((seg.start - first) * RATE), int((seg.end - first) * RATE)
    mine, system = audio[CHANNEL_ME][max(a, 0) : b], audio[CHANNEL_THEM][max(a, 0) : b]
    return envelopes_correlate(mine, system) >= ECHO_ENVELOPE_CORRELATION


def _finish_audio(wav: Path, keep_audio: bool) -> Path | None:
    if not keep_audio:
        wav.unlink(missing_ok=True)
        return None
    try:
        flac = encode_flac(wav, wav.with_suffix(".flac"))
    except AudioError:
        return wav  # still a valid, playable WAV: keep it rather than fail the recovery
    wav.unlink(missing_ok=True)
    return flac


def _ended_at(started_at: str | None, duration: float) -> str | None:
    if not started_at:
        return None
    try:
        start = datetime.fromisoformat(started_at)
    except ValueError:
        return None
    return (start + timedelta(seconds=duration)).isoformat(timespec="seconds")
