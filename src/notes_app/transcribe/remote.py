"""Transcription on a server: any OpenAI-compatible ``/v1/audio/transcriptions`` endpoint.

With ``transcribe.backend = openai`` whole files (a transcribed file, the final pass after a
call) go to a server that runs a bigger model than this computer could: speaches, vLLM, or
OpenAI itself. Live transcription always stays on this computer (it must keep up with the call).

What is sent: each channel of a meeting recording on its own (left = me, right = them, never
mixed), as mono 16 kHz FLAC, in pieces of at most ``CHUNK_SECONDS`` cut at the quietest moment
near the limit (OpenAI takes at most 25 MB a request; ten minutes of FLAC speech is about
11 MB). What comes back: ``response_format=verbose_json``, whose segments (or, from a server
that gives only words, its words grouped into segments) become ours, cleaned of Whisper's
hallucinations as local ones are.

Whatever goes wrong on the way (no server, a timeout, an HTTP error, a reply that is not the
JSON asked for) raises ``RemoteTranscriptionFailed`` with one sentence; ``WithFallback`` then
says that sentence once (a warning: the terminal shows it, the log keeps the details) and
transcribes the file on this computer instead.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from notes_app.audio.decode import SAMPLE_RATE, decode
from notes_app.config import Settings
from notes_app.domain import CHANNEL_SPEAKER, Segment, Transcript, renumber
from notes_app.errors import NotesAppError
from notes_app.transcribe.cleanup import RawSegment, clean_segments
from notes_app.transcribe.vocabulary import hotwords_text

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]  # (done_seconds, total_seconds)

BACKENDS = ("local", "openai")
CHUNK_SECONDS = 600.0
# A piece ends at the quietest QUIET_FRAME in the last CUT_WINDOW seconds before the limit, so
# a word is not cut in two.
CUT_WINDOW = 30.0
QUIET_FRAME = 0.1
SILENT_PEAK = 1e-4  # as engine.SILENT_PEAK: a channel this quiet holds nothing to send
NO_KEY = "not-needed"  # local servers take any key; the openai client insists on one
WORD_GAP_SECONDS = 1.0  # words from a words-only reply: a pause this long starts a new segment
OPENAI_URL = "https://api.openai.com/v1"


class RemoteTranscriptionFailed(NotesAppError):
    """The transcription server could not be used; the sentence says why."""


class FileTranscriber(Protocol):
    """What transcribes whole files: WhisperEngine, or WithFallback around a server."""

    def transcribe_file(
        self,
        path: Path,
        *,
        language: str | None,
        on_progress: Progress | None = None,
        vocabulary: Sequence[str] = (),
        carry_context: bool = False,
    ) -> Transcript: ...


@dataclass(frozen=True)
class Piece:
    """A stretch of one channel sent as one request."""

    channel: int
    start: float  # seconds into the file
    samples: np.ndarray


class RemoteTranscriber:
    """Whole files transcribed by ``model`` at ``base_url`` (empty: OpenAI's own API).

    ``language``: None lets the server detect it. ``client``: an ``openai.OpenAI`` to use
    (made on first use from the other arguments otherwise).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout: float = 300.0,
        language: str | None = None,
        client: openai.OpenAI | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.language = language
        self._client = client

    @property
    def where(self) -> str:
        return self.base_url or OPENAI_URL

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                base_url=self.base_url or None,
                api_key=self.api_key or NO_KEY,
                timeout=self.timeout,
                max_retries=1,  # a passing blip; anything longer falls back to this computer
            )
        return self._client

    def transcribe_file(
        self,
        path: Path,
        *,
        on_progress: Progress | None = None,
        vocabulary: Sequence[str] = (),
    ) -> Transcript:
        """The file transcribed on the server. Stereo: left = me, right = them, each sent on
        its own. ``on_progress(done, total)`` counts seconds of audio over all channels, after
        each piece (so a cancel asked for there is seen between requests)."""
        audio = decode(Path(path))  # a bad file is an AudioError here, not a server problem
        total = audio.duration * len(audio.channels)
        prompt = hotwords_text(list(vocabulary)) or None
        segments: list[Segment] = []
        done = 0.0
        if on_progress is not None:
            on_progress(0.0, total)
        for number, samples in enumerate(audio.channels):
            for piece in pieces(samples, number):
                found = self.transcribe_piece(piece, prompt=prompt)
                if audio.is_stereo:
                    speaker = CHANNEL_SPEAKER[number]
                    found = [replace(s, channel=number, speaker=speaker) for s in found]
                segments.extend(found)
                done += len(piece.samples) / SAMPLE_RATE
                if on_progress is not None:
                    on_progress(min(done, total), total)
        return Transcript(segments=renumber(segments), language=self.language)

    def transcribe_piece(self, piece: Piece, *, prompt: str | None = None) -> list[Segment]:
        """One request: the piece as FLAC; its segments, times in the whole file."""
        duration = len(piece.samples) / SAMPLE_RATE
        if len(piece.samples) == 0 or float(np.max(np.abs(piece.samples))) < SILENT_PEAK:
            return []
        name = f"{CHANNEL_SPEAKER.get(piece.channel, 'audio')}-{piece.start:.0f}s.flac"
        reply = self._request(flac_bytes(piece.samples), name, prompt)
        raw = segments_from_reply(reply, duration, self.where)
        measured = [replace(s, rms=_rms(piece.samples, s.start, s.end)) for s in raw]
        speakers = _speakers(reply)
        return [
            Segment(
                index=0,
                start=piece.start + s.start,
                end=piece.start + s.end,
                text=s.text,
                speaker=speakers.get((round(s.start, 3), round(s.end, 3))),
            )
            for s in clean_segments(measured)
        ]

    def _request(self, data: bytes, name: str, prompt: str | None) -> dict[str, Any]:
        import openai

        options: dict[str, Any] = {}
        if self.language:
            options["language"] = self.language
        if prompt:
            options["prompt"] = prompt
        try:
            response = self.client.audio.transcriptions.with_raw_response.create(
                model=self.model,
                file=(name, data, "audio/flac"),
                response_format="verbose_json",
                **options,
            )
            text = response.text
        except openai.APIStatusError as e:
            raise RemoteTranscriptionFailed(self._status_problem(e)) from e
        except openai.APITimeoutError as e:
            raise RemoteTranscriptionFailed(
                f"The transcription server at {self.where} did not answer within "
                f"{self.timeout:g} s (allow longer with "
                "`notes-app config set transcribe.remote_timeout 900`)."
            ) from e
        except openai.APIConnectionError as e:
            cause = e.__cause__ or e
            raise RemoteTranscriptionFailed(
                f"Could not reach the transcription server at {self.where} ({_reason(cause)})."
            ) from e
        except openai.OpenAIError as e:
            raise RemoteTranscriptionFailed(
                f"The transcription server at {self.where} could not be used ({_reason(e)})."
            ) from e
        try:
            reply = json.loads(text)
        except ValueError as e:
            raise RemoteTranscriptionFailed(
                f"The transcription server at {self.where} answered with something that is not "
                f"JSON ({_excerpt(text)})."
            ) from e
        if not isinstance(reply, dict):
            raise RemoteTranscriptionFailed(
                f"The transcription server at {self.where} answered with JSON that is not a "
                f"transcription ({_excerpt(text)})."
            )
        return reply

    def _status_problem(self, e: openai.APIStatusError) -> str:
        status = e.status_code
        said = _server_message(e)
        if status in (401, 403):
            return (
                f"The transcription server at {self.where} refused the API key (HTTP {status}"
                f"{said}); set it with `notes-app config set transcribe.api_key KEY`."
            )
        if status == 404:
            return (
                f"The transcription server at {self.where} has no model {self.model!r} or no "
                f"/audio/transcriptions (HTTP 404{said}); check transcribe.base_url and "
                "transcribe.remote_model."
            )
        return f"The transcription server at {self.where} answered HTTP {status}{said}."


class WithFallback:
    """Files on the server; if the server cannot be used, on this computer with ``local``.

    ``on_notice`` (optional) hears the one sentence said when falling back; it is logged as
    a warning either way (the terminal shows our warnings).
    """

    def __init__(
        self,
        remote: RemoteTranscriber,
        local: FileTranscriber,
        local_model: str,
        *,
        on_notice: Callable[[str], None] | None = None,
    ):
        self.remote = remote
        self.local = local
        self.local_model = local_model
        self.on_notice = on_notice
        self.notice: str | None = None  # the sentence said when the last file fell back

    def transcribe_file(
        self,
        path: Path,
        *,
        language: str | None,
        on_progress: Progress | None = None,
        vocabulary: Sequence[str] = (),
        carry_context: bool = False,
    ) -> Transcript:
        self.notice = None
        try:
            return self.remote.transcribe_file(path, on_progress=on_progress, vocabulary=vocabulary)
        except RemoteTranscriptionFailed as e:
            problem = str(e)
        except NotesAppError:
            raise  # the file itself is bad, or the user cancelled: the same here as there
        except Exception as e:  # noqa: BLE001 - any failure there still leaves this computer
            log.exception("Remote transcription failed unexpectedly")
            problem = f"Remote transcription at {self.remote.where} failed ({_reason(e)})."
        self.notice = f"{problem} Transcribing on this computer with {self.local_model} instead."
        log.warning("%s", self.notice)
        log.info("Remote transcription failed", exc_info=True, extra={"file_only": True})
        if self.on_notice is not None:
            self.on_notice(self.notice)
        return self.local.transcribe_file(
            path,
            language=language,
            on_progress=on_progress,
            vocabulary=vocabulary,
            carry_context=carry_context,
        )


def remote_for(settings: Settings, language: str | None = None) -> RemoteTranscriber | None:
    """The server transcriber the settings ask for (``transcribe.backend = openai``), or None."""
    t = settings.transcribe
    if t.backend != "openai":
        return None
    return RemoteTranscriber(
        t.base_url,
        t.remote_model,
        api_key=t.api_key,
        timeout=t.remote_timeout,
        language=_forced(language),
    )


# --- audio out ------------------------------------------------------------------------------------


def pieces(samples: np.ndarray, channel: int, limit: float | None = None) -> list[Piece]:
    """``samples`` in pieces of at most ``limit`` seconds (default CHUNK_SECONDS), each cut at
    a quiet moment."""
    most = int((limit or CHUNK_SECONDS) * SAMPLE_RATE)
    window = min(int(CUT_WINDOW * SAMPLE_RATE), most // 2)
    frame = int(QUIET_FRAME * SAMPLE_RATE)
    out: list[Piece] = []
    first = 0
    while first < len(samples):
        last = min(first + most, len(samples))
        if last < len(samples):
            last = _quietest(samples, last - window, last, frame)
        out.append(Piece(channel, first / SAMPLE_RATE, samples[first:last]))
        first = last
    return out


def _quietest(samples: np.ndarray, begin: int, end: int, frame: int) -> int:
    """The end of the quietest ``frame`` in samples[begin:end]."""
    stretch = samples[begin:end]
    frames = len(stretch) // frame
    if frames < 1:
        return end
    energy = np.square(stretch[: frames * frame].reshape(frames, frame), dtype=np.float64)
    return begin + (int(np.argmin(energy.sum(axis=1))) + 1) * frame


def flac_bytes(samples: np.ndarray) -> bytes:
    """Mono float samples at 16 kHz as a 16-bit FLAC file in memory."""
    import av

    pcm = (np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac") as out:
        stream = out.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


# --- JSON in ------------------------------------------------------------------------------------


def segments_from_reply(reply: dict[str, Any], duration: float, where: str) -> list[RawSegment]:
    """verbose_json's segments as RawSegments (times within the piece, clamped to it); a reply
    with words and no segments is grouped into segments at pauses."""
    items = reply.get("segments")
    if items is None and isinstance(reply.get("words"), list):
        items = _segments_of_words(reply["words"], where)
    if not isinstance(items, list):
        has_text = isinstance(reply.get("text"), str)
        raise RemoteTranscriptionFailed(
            f"The transcription server at {where} answered without "
            + (
                "timestamps (it does not support response_format=verbose_json)."
                if has_text
                else f"a transcript ({_excerpt(json.dumps(reply))})."
            )
        )
    out = []
    for number, item in enumerate(items):
        try:
            start = min(max(float(item["start"]), 0.0), duration)
            end = min(max(float(item["end"]), start), duration)
            text = str(item["text"]).strip()
            fields = {
                name: float(item[name])
                for name in ("avg_logprob", "no_speech_prob", "compression_ratio")
                if isinstance(item.get(name), int | float)
            }
        except (KeyError, TypeError, ValueError) as e:
            raise RemoteTranscriptionFailed(
                f"The transcription server at {where} sent segment {number + 1} without a "
                f"usable start, end and text ({_excerpt(json.dumps(item))})."
            ) from e
        out.append(RawSegment(start=start, end=end, text=text, **fields))
    return out


def _segments_of_words(words: list[Any], where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, word in enumerate(words):
        try:
            start, end, text = float(word["start"]), float(word["end"]), str(word["word"])
        except (KeyError, TypeError, ValueError) as e:
            raise RemoteTranscriptionFailed(
                f"The transcription server at {where} sent word {number + 1} without a usable "
                f"start, end and word ({_excerpt(json.dumps(word))})."
            ) from e
        if out and start - out[-1]["end"] < WORD_GAP_SECONDS:
            joiner = "" if text.startswith(" ") else " "
            out[-1] = {**out[-1], "end": end, "text": out[-1]["text"] + joiner + text}
        else:
            out.append({"start": start, "end": end, "text": text})
    return out


def _speakers(reply: dict[str, Any]) -> dict[tuple[float, float], str]:
    """A diarizing server's speaker label per segment (by its times, as cleaned segments keep
    them); only a mono file keeps these: a meeting recording's channels say me and them."""
    found = {}
    for item in reply.get("segments") or []:
        try:
            if item.get("speaker"):
                key = (round(float(item["start"]), 3), round(float(item["end"]), 3))
                found[key] = str(item["speaker"])
        except (AttributeError, TypeError, ValueError):
            continue  # a segment's own problems were reported when it was read
    return found


# --- small helpers ------------------------------------------------------------------------------


def _forced(language: str | None) -> str | None:
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    return language.strip().lower()


def _rms(samples: np.ndarray, start: float, end: float) -> float:
    first = int(start * SAMPLE_RATE)
    window = samples[first : max(int(end * SAMPLE_RATE), first + 1)]
    if len(window) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(window, dtype=np.float64))))


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".")


def _server_message(e: openai.APIStatusError) -> str:
    body = e.body
    message = body.get("message") if isinstance(body, dict) else None
    if not message:
        message = _excerpt(e.response.text) if e.response is not None else ""
    return f": {message}" if message else ""


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(str(text).split())
    return (flat[:limit] + "…") if len(flat) > limit else (flat or "an empty reply")
