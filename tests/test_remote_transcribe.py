"""Remote transcription (transcribe/remote.py): whole files sent to an OpenAI-compatible
``/v1/audio/transcriptions`` through the real ``openai`` client, against a scripted HTTP server on
127.0.0.1 that decodes and checks every upload; any failure falls back to this computer."""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from speech import concat, say, silence, stereo

from notes_app import config
from notes_app.audio.decode import SAMPLE_RATE, decode
from notes_app.domain import Block, Citation, EnhancedNotes, Segment
from notes_app.errors import ConfigError
from notes_app.events import Progress
from notes_app.transcribe import remote
from notes_app.transcribe.final_pass import FinalPassCancelled
from notes_app.transcribe.remote import (
    RemoteTranscriber,
    RemoteTranscriptionFailed,
    pieces,
    segments_from_reply,
)

ME_LINE = "Please send the contract to the lawyer today."
THEM_LINE = "My sister bought a new car in London last week."
MODEL = "Systran/faster-whisper-large-v3"

# --- the scripted server --------------------------------------------------------------------------


@dataclass
class Upload:
    """One transcription request as the server decoded it."""

    path: str
    headers: dict[str, str]
    fields: dict[str, str]
    filename: str
    content_type: str
    audio: np.ndarray  # the uploaded file decoded (float32, mono, at the file's own rate)
    rate: int
    channels: int
    codec: str

    @property
    def duration(self) -> float:
        return len(self.audio) / self.rate


Reply = tuple[int, str | bytes, str]  # status, body, content type
Responder = Callable[[Upload], Reply]


@dataclass
class TranscriptionServer:
    """``POST /v1/audio/transcriptions`` on 127.0.0.1. Every upload is parsed as the multipart
    form the OpenAI API takes and its file decoded with PyAV (a file that does not decode is
    answered 400, as a real server would); ``responder(upload)`` makes the reply. A request
    for another model gets 404; with ``api_key`` set, a wrong or missing key gets 401."""

    responder: Responder
    model: str = MODEL
    api_key: str | None = None
    delay: float = 0.0
    uploads: list[Upload] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, headers: dict[str, str], path: str, body: bytes) -> Reply:
        if self.delay:
            self._closing.wait(self.delay)
        if not path.endswith("/v1/audio/transcriptions"):
            return _error(404, f"No route {path}")
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.")
        try:
            upload = _parse_upload(headers, path, body)
        except ValueError as e:
            self.rejected.append(str(e))
            return _error(400, str(e))
        self.uploads.append(upload)
        if upload.fields.get("model") != self.model:
            return _error(404, f"The model `{upload.fields.get('model')}` does not exist.")
        return self.responder(upload)


def _error(status: int, message: str) -> Reply:
    return status, json.dumps({"error": {"message": message, "type": "error"}}), "application/json"


def _parse_upload(headers: dict[str, str], path: str, body: bytes) -> Upload:
    import av

    kind = headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        raise ValueError(f"expected multipart/form-data, got {kind!r}")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {kind}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    upload: tuple[str, str, bytes] | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename():
            upload = (part.get_filename(), part.get_content_type(), data)
        else:
            fields[str(name)] = data.decode()
    if upload is None:
        raise ValueError("no file in the form")
    filename, content_type, data = upload
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.audio[0]
            codec, rate = stream.codec_context.name, stream.rate
            channels = stream.codec_context.channels
            frames = [f.to_ndarray() for f in container.decode(stream)]
    except (av.FFmpegError, IndexError) as e:
        raise ValueError(f"the file does not decode: {e}") from None
    samples = np.concatenate([f.reshape(channels, -1) for f in frames], axis=1)
    audio = samples[0].astype(np.float32) / (32768.0 if samples.dtype == np.int16 else 1.0)
    return Upload(path, headers, fields, filename, content_type, audio, rate, channels, codec)


def _handler(server: TranscriptionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, reply, kind = server.answer(headers, self.path, body)
            if server._closing.is_set():
                return
            data = reply.encode() if isinstance(reply, str) else reply
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def server_factory():
    started: list[TranscriptionServer] = []

    def start(responder: Responder, **options: Any) -> TranscriptionServer:
        server = TranscriptionServer(responder, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def verbose_json(segments: list[dict[str, Any]], **extra: Any) -> Reply:
    text = " ".join(s.get("text", "") for s in segments)
    body = {"task": "transcribe", "language": "english", "text": text, "segments": segments}
    return 200, json.dumps({**body, **extra}), "application/json"


def whisper_responder(engine) -> Responder:
    """Answers as a real server does: the uploaded audio transcribed with the bundled tiny.en,
    as verbose_json (the times rounded, as servers send them)."""

    def respond(upload: Upload) -> Reply:
        found = engine.transcribe_array(upload.audio, language="en")
        segments = [
            {"id": s.index, "start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
            for s in found
        ]
        return verbose_json(segments)

    return respond


# --- audio ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def meeting_wav(tmp_path_factory) -> Path:
    """A stereo meeting: me speak first on the left, them later on the right."""
    d = tmp_path_factory.mktemp("remote-speech")
    me = say(ME_LINE, d / "me.wav")
    them = say(THEM_LINE, d / "them.wav", voice="en-gb+f3", speed=140)
    left = concat([me, silence(5.0, d / "pad-left.wav")], d / "left.wav")
    right = concat([silence(4.0, d / "pad-right.wav"), them], d / "right.wav")
    return stereo(left, right, d / "meeting.wav")


@pytest.fixture(scope="module")
def mono_wav(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("remote-mono")
    return say(ME_LINE, d / "mono.wav")


def which_channel(upload: Upload, source: Path) -> int:
    """The channel of ``source`` the upload holds: the one it matches sample for sample."""
    channels = decode(source).channels
    scores = []
    for samples in channels:
        n = min(len(samples), len(upload.audio))
        scores.append(float(np.max(np.abs(samples[:n] - upload.audio[:n]))))
    best = int(np.argmin(scores))
    assert scores[best] < 1e-3, f"the upload matches no channel of {source} ({scores})"
    return best


@pytest.fixture
def use_server(app):
    """Point the app's settings at a server (as `notes-app config set` would)."""

    def configure(server: TranscriptionServer | str, **more: Any) -> None:
        url = server if isinstance(server, str) else server.base_url
        values = {"backend": "openai", "base_url": url, "remote_model": MODEL, **more}
        for name, value in values.items():
            config.set_value(app.settings, f"transcribe.{name}", value)

    return configure


@pytest.fixture
def local_engine(monkeypatch, whisper_engine):
    """The app's local engine is the session's tiny.en (loaded once); counts its files."""
    calls: list[Path] = []
    real = whisper_engine.transcribe_file

    def counting(path, **options):
        calls.append(Path(path))
        return real(path, **options)

    monkeypatch.setattr(whisper_engine, "transcribe_file", counting)
    monkeypatch.setattr(
        "notes_app.transcribe.engine.engine_for",
        lambda settings, model=None, **_: (whisper_engine, model or settings.transcribe.model),
    )
    return calls


def said(transcript, speaker: str | None) -> str:
    return " ".join(s.text for s in transcript.segments if s.speaker == speaker).lower()


# --- settings -------------------------------------------------------------------------------------


def test_the_backend_settings_are_checked_and_the_key_is_a_secret(notes_home):
    assert config.load_settings(notes_home).transcribe.backend == "local"  # the default
    with pytest.raises(ConfigError, match="must be one of local, openai"):
        config.save_setting(notes_home, "transcribe.backend", "cloud")
    with pytest.raises(ConfigError, match="http:// or https://"):
        config.save_setting(notes_home, "transcribe.base_url", "localhost:8000")
    with pytest.raises(ConfigError, match="more than 0 seconds"):
        config.save_setting(notes_home, "transcribe.remote_timeout", "0")
    config.save_setting(notes_home, "transcribe.backend", "openai")
    config.save_setting(notes_home, "transcribe.api_key", "sk-remote-123456789")
    assert "transcribe.api_key" in config.SECRET_KEYS  # masked by `config get`, kept in a keyring
    settings = config.load_settings(notes_home, env={})
    assert (settings.transcribe.backend, settings.transcribe.api_key) == (
        "openai",
        "sk-remote-123456789",
    )
    env = {"NOTES_APP_TRANSCRIBE_API_KEY": "sk-from-env"}
    assert config.load_settings(notes_home, env=env).transcribe.api_key == "sk-from-env"


def test_the_openai_key_goes_only_to_openai(notes_home):
    env = {"OPENAI_API_KEY": "sk-openai"}
    assert config.load_settings(notes_home, env=env).transcribe.api_key == "sk-openai"
    config.save_setting(notes_home, "transcribe.base_url", "http://127.0.0.1:8000/v1")
    assert config.load_settings(notes_home, env=env).transcribe.api_key == ""


def test_the_local_backend_sends_nothing(app):
    whisper = app.whisper()
    assert whisper.remote is None and whisper.for_files() is whisper.engine


# --- files on the server --------------------------------------------------------------------------


@pytest.mark.slow
def test_each_channel_goes_alone_and_comes_back_as_me_and_them(
    app, use_server, server_factory, meeting_wav, whisper_engine, local_engine
):
    server = server_factory(whisper_responder(whisper_engine), api_key="sk-test")
    use_server(server, api_key="sk-test")
    events: list[Progress] = []
    whisper = app.whisper()
    transcript = app.transcribe_file(
        meeting_wav, whisper, on_event=events.append, notes="- contract to the lawyer"
    )
    assert local_engine == []  # nothing ran on this computer
    # Two requests, one per channel: the model, the format, the language, the vocabulary.
    assert len(server.uploads) == 2, server.rejected
    duration = decode(meeting_wav).duration
    channels = []
    for upload in server.uploads:
        assert upload.fields["model"] == MODEL
        assert upload.fields["response_format"] == "verbose_json"
        assert upload.fields["language"] == "en"
        assert "lawyer" in upload.fields["prompt"].lower()  # taught by the notes
        assert (upload.codec, upload.rate, upload.channels) == ("flac", SAMPLE_RATE, 1)
        assert upload.content_type == "audio/flac" and upload.filename.endswith(".flac")
        assert upload.duration == pytest.approx(duration, abs=0.01)
        channels.append(which_channel(upload, meeting_wav))
    assert channels == [0, 1]  # left (me) first, then right (them), never mixed
    # The server's segments are ours: me and them, in time order, from the right channel.
    assert "contract" in said(transcript, "me") and "london" not in said(transcript, "me")
    assert "london" in said(transcript, "them") and "contract" not in said(transcript, "them")
    assert [s.index for s in transcript.segments] == list(range(len(transcript.segments)))
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts) and transcript.language == "en"
    assert {s.channel for s in transcript.segments} == {0, 1}
    # Progress reached the whole file, both channels.
    assert events[-1].done == pytest.approx(2 * duration) == pytest.approx(events[-1].total)


@pytest.mark.slow
def test_a_long_channel_goes_in_pieces_cut_where_it_is_quiet(
    app, use_server, server_factory, meeting_wav, monkeypatch, local_engine
):
    server: TranscriptionServer

    def respond(upload: Upload) -> Reply:
        # One segment over the whole piece, naming the request; the client shifts it.
        number = len(server.uploads)
        return verbose_json([{"start": 0.0, "end": upload.duration, "text": f"piece {number}"}])

    server = server_factory(respond)
    use_server(server)
    monkeypatch.setattr(remote, "CHUNK_SECONDS", 2.0)
    monkeypatch.setattr(remote, "CUT_WINDOW", 0.5)
    transcript = app.transcribe_file(meeting_wav, app.whisper())
    channels = decode(meeting_wav).channels
    assert all(u.duration <= 2.0 + 1e-6 for u in server.uploads)
    # Silent pieces (each side's pauses) are not sent at all.
    assert 4 <= len(server.uploads) < 2 * len(channels[0]) / SAMPLE_RATE / 1.5
    assert len(transcript.segments) == len(server.uploads)
    for seg in transcript.segments:
        upload = server.uploads[int(seg.text.split()[1]) - 1]
        assert upload.filename.startswith(f"{seg.speaker}-")
        # The segment sits where its piece was cut from, on its own channel.
        first = round(seg.start * SAMPLE_RATE)
        source = channels[seg.channel][first : first + len(upload.audio)]
        assert np.max(np.abs(source - upload.audio)) < 1e-3
        assert seg.end == pytest.approx(seg.start + upload.duration, abs=1e-3)


def test_pieces_are_cut_at_the_quietest_moment_before_the_limit():
    loud = np.full(SAMPLE_RATE * 10, 0.5, dtype=np.float32)
    loud[int(8.3 * SAMPLE_RATE) : int(8.6 * SAMPLE_RATE)] = 0.0  # a pause at 8.3-8.6 s
    cut = pieces(np.concatenate([loud, loud]), 0, limit=10.0)
    assert 8.3 < cut[1].start <= 8.6
    assert sum(len(p.samples) for p in cut) == 2 * len(loud)
    assert all(len(p.samples) <= 10 * SAMPLE_RATE for p in cut)


def test_verbose_json_is_mapped_and_cleaned_like_local_segments():
    reply = {
        "segments": [
            {"start": 0.0, "end": 2.5, "text": " Revenue grew.", "avg_logprob": -0.2},
            # Whisper's own "no speech here" and an unsure decode: dropped, as locally.
            {"start": 3.0, "end": 4.0, "text": "Hmm.", "no_speech_prob": 0.9, "avg_logprob": -1.5},
            {"start": 9.0, "end": 12.0, "text": "Past the end", "compression_ratio": 1.1},
        ]
    }
    raw = remote.clean_segments(segments_from_reply(reply, 10.0, "http://x"))
    assert [(s.start, s.end, s.text) for s in raw] == [
        (0.0, 2.5, "Revenue grew."),
        (9.0, 10.0, "Past the end"),  # clamped to the piece
    ]
    words = {
        "text": "a b",
        "words": [
            {"word": "Hello", "start": 0.0, "end": 0.4},
            {"word": "there.", "start": 0.5, "end": 0.9},
            {"word": "Next", "start": 3.0, "end": 3.4},
        ],
    }
    grouped = segments_from_reply(words, 5.0, "http://x")
    assert [(s.start, s.end, s.text) for s in grouped] == [
        (0.0, 0.9, "Hello there."),
        (3.0, 3.4, "Next"),
    ]
    with pytest.raises(RemoteTranscriptionFailed, match="without timestamps"):
        segments_from_reply({"text": "just text"}, 5.0, "http://x")
    with pytest.raises(RemoteTranscriptionFailed, match="segment 1 without a usable start"):
        segments_from_reply({"segments": [{"text": "no times"}]}, 5.0, "http://x")


@pytest.mark.slow
def test_a_mono_file_keeps_the_speakers_a_server_names(
    app, use_server, server_factory, mono_wav, local_engine
):
    def respond(upload: Upload) -> Reply:
        half = upload.duration / 2
        return verbose_json(
            [
                {"start": 0.0, "end": half, "text": "Please send the contract", "speaker": "A"},
                {"start": half, "end": upload.duration, "text": "to the lawyer", "speaker": "B"},
            ]
        )

    server = server_factory(respond)
    use_server(server)
    transcript = app.transcribe_file(mono_wav, app.whisper())
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("A", "Please send the contract"),
        ("B", "to the lawyer"),
    ]
    assert all(s.channel is None for s in transcript.segments)
    assert which_channel(server.uploads[0], mono_wav) == 0


# --- failures fall back to this computer ----------------------------------------------------------


def _refused_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # closed again: connecting is refused


FAILURES = {
    "refused": (None, "Could not reach the transcription server"),
    "timeout": (lambda u: (200, "{}", "application/json"), "did not answer within 1 s"),
    "500": (lambda u: _error(500, "CUDA out of memory"), "answered HTTP 500: CUDA out of memory"),
    "401": (lambda u: _error(401, "bad key"), "refused the API key \\(HTTP 401"),
    "garbage": (lambda u: (200, "<html>oops</html>", "text/html"), "not JSON \\(<html>oops"),
    "cut-off": (lambda u: (200, '{"segments": [{"sta', "application/json"), "not JSON"),
    "plain-json": (lambda u: (200, '{"text": "hi"}', "application/json"), "without timestamps"),
    "bad-segment": (
        lambda u: verbose_json([{"start": "soon", "end": 1.0, "text": "x"}]),
        "segment 1 without a usable start",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("failure", list(FAILURES))
def test_any_failure_falls_back_to_this_computer_with_one_clear_line(
    app, use_server, server_factory, mono_wav, local_engine, caplog, failure
):
    responder, expected = FAILURES[failure]
    if responder is None:
        use_server(_refused_url())
    else:
        server = server_factory(responder, delay=3.0 if failure == "timeout" else 0.0)
        use_server(server, remote_timeout=1.0 if failure == "timeout" else 30.0)
    with caplog.at_level(logging.INFO, logger="notes_app"):
        transcript = app.transcribe_file(mono_wav, app.whisper())
    assert local_engine == [mono_wav]  # transcribed here instead
    assert "contract" in said(transcript, None)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    line = warnings[0].getMessage()
    assert "\n" not in line
    assert line.endswith("Transcribing on this computer with tiny.en instead.")
    import re

    assert re.search(expected, line), line
    assert "127.0.0.1" in line and not warnings[0].exc_info  # the traceback: the log file only
    assert any(r.exc_info and getattr(r, "file_only", False) for r in caplog.records)


@pytest.mark.slow
def test_a_file_that_does_not_decode_is_not_a_server_problem(
    app, use_server, server_factory, tmp_path, local_engine
):
    from notes_app.errors import AudioError

    server = server_factory(lambda u: verbose_json([]))
    use_server(server)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....not audio at all")
    with pytest.raises(AudioError, match="Cannot decode"):
        app.transcribe_file(bad, app.whisper())
    assert server.uploads == [] and local_engine == []


@pytest.mark.slow
def test_the_command_line_prints_the_fallback_once_and_the_transcript(
    use_server, mono_wav, local_engine, notes_home
):
    from click.testing import CliRunner

    from notes_app.cli import main

    config.save_setting(notes_home, "transcribe.backend", "openai")
    config.save_setting(notes_home, "transcribe.base_url", _refused_url())
    result = CliRunner().invoke(main, ["transcribe", str(mono_wav)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    fell_back = [line for line in lines if "Transcribing on this computer" in line]
    assert len(fell_back) == 1 and fell_back[0].startswith("WARNING: Could not reach")
    assert "contract" in result.stdout.lower()


def test_a_named_local_model_or_the_demo_stays_on_this_computer(app, use_server):
    use_server("http://127.0.0.1:9/v1")
    assert app.whisper().remote is not None
    assert app.whisper("tiny.en").remote is None  # --model names a local model
    assert app.whisper(live=True).remote is None  # live transcription keeps up locally


# --- the final pass -------------------------------------------------------------------------------


@pytest.fixture
def recorded(app, meeting_wav):
    live = [
        Segment(0, 0.1, 3.0, "Please send the contact to the lawyer.", "me", 0),
        Segment(1, 4.5, 7.5, "My sister bought a car in London.", "them", 1),
    ]
    meeting_id = app.repo.create_meeting(
        "Contract", audio_path=str(meeting_wav), language="en", segments=live
    )
    app.repo.add_enhanced(
        EnhancedNotes(
            meeting_id=meeting_id,
            mode="offline",
            blocks=(
                Block("bullet", "contract", "user", note_line=1),
                Block("bullet", "to the lawyer", "ai", 1, citations=(Citation.of(live[0]),)),
            ),
        )
    )
    return meeting_id


@pytest.mark.slow
def test_the_final_pass_goes_to_the_server(
    app, use_server, server_factory, recorded, whisper_engine, local_engine
):
    server = server_factory(whisper_responder(whisper_engine))
    use_server(server)
    final = app.finalize_recording(recorded)
    assert local_engine == [] and len(server.uploads) == 2
    assert [which_channel(u, Path(app.repo.get_meeting(recorded).audio_path)) for u in
            server.uploads] == [0, 1]  # fmt: skip
    assert "contract" in said(final, "me") and "london" in said(final, "them")
    assert app.repo.get_transcript(recorded) == final
    (cite,) = app.repo.get_enhanced(recorded).blocks[1].citations
    assert final.by_index()[cite.segment].speaker == "me"


@pytest.mark.slow
def test_a_failing_server_in_the_final_pass_falls_back(
    app, use_server, server_factory, recorded, local_engine, caplog
):
    server = server_factory(lambda u: _error(503, "loading model"))
    use_server(server)
    heard: list[str] = []
    with caplog.at_level(logging.WARNING, logger="notes_app"):
        final = app.finalize_recording(recorded, on_notice=heard.append)
    assert len(local_engine) == 1
    assert "contract" in said(final, "me") and "london" in said(final, "them")
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "HTTP 503: loading model" in warning
    assert heard == [warning]  # the window shows the same sentence the log has


@pytest.mark.slow
def test_cancelling_the_final_pass_is_not_taken_for_a_server_failure(
    app, use_server, server_factory, recorded, whisper_engine, local_engine
):
    server = server_factory(whisper_responder(whisper_engine))
    use_server(server)
    before = app.repo.get_transcript(recorded)
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(server.uploads) >= 1  # cancelled once the first channel is back

    with pytest.raises(FinalPassCancelled):
        app.finalize_recording(recorded, cancel=cancel)
    assert len(server.uploads) == 1 and local_engine == []  # no fallback, no second request
    assert app.repo.get_transcript(recorded) == before


def test_the_client_is_the_real_openai_client(use_server, app):
    use_server("http://127.0.0.1:9/v1", api_key="sk-x", remote_timeout=12.0)
    transcriber = app.whisper().remote
    assert isinstance(transcriber, RemoteTranscriber)
    import openai

    client = transcriber.client
    assert isinstance(client, openai.OpenAI)
    assert str(client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"
    assert client.api_key == "sk-x" and client.timeout == 12.0


@pytest.mark.slow
def test_the_window_says_when_the_final_pass_falls_back_to_this_computer(
    qtbot, app, use_server, server_factory, recorded, local_engine
):
    from notes_app.gui.app import qt_app
    from notes_app.gui.main_window import MainWindow

    qt_app()
    app.settings.enhance.auto_after_stop = False
    use_server(server_factory(lambda u: _error(503, "loading model")))
    win = MainWindow(app, tray=False)
    qtbot.addWidget(win)
    win.show()
    win.open_meeting(recorded)
    win.recording._final_pass(recorded)  # as after a recording stops
    qtbot.waitUntil(lambda: win.record_bar.button.isEnabled(), timeout=60_000)
    assert "HTTP 503: loading model" in win.view.notice.text()
    assert "contract" in said(app.repo.get_transcript(recorded), "me")
    assert not win.error_boxes
