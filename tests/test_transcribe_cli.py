"""`notes-app transcribe`: output formats, saving a meeting, and failing without leaving a trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner
from speech import concat, say, silence, stereo

from notes_app.cli import main
from notes_app.errors import StorageError
from notes_app.store.repo import Repo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli-speech")
    me = say("Please send the contract to the lawyer today.", d / "me.wav")
    them = say("My sister bought a new car in London last week.", d / "them.wav",
               voice="en-gb+f3", speed=140)  # fmt: skip
    left = concat([me, silence(5.0, d / "pause-left.wav")], d / "left.wav")
    right = concat([silence(4.0, d / "pause-right.wav"), them], d / "right.wav")
    return {"mono": me, "meeting": stereo(left, right, d / "meeting.wav")}


@pytest.fixture
def cli(monkeypatch, whisper_engine):
    """Run the CLI in-process with the session's model, so it is loaded only once."""
    monkeypatch.setattr(
        "notes_app.transcribe.engine.engine_for",
        lambda settings, model=None, **_: (whisper_engine, model or settings.transcribe.model),
    )

    def run(*args: str):
        return CliRunner().invoke(main, list(args))

    return run


def stored_meetings(cli) -> list[dict]:
    result = cli("list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["meetings"]


def test_text_output_has_clock_and_speaker(cli, recordings):
    result = cli("transcribe", str(recordings["meeting"]))
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("[00:00] You: ") and "contract" in lines[0].lower()
    assert lines[-1].startswith("[00:0") and " Them: " in lines[-1]
    assert "london" in lines[-1].lower()


def test_json_output_is_exactly_the_segments_contract(cli, recordings):
    result = cli("transcribe", str(recordings["meeting"]), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["segments"]
    assert [s["speaker"] for s in data["segments"]] == ["me", "them"]
    for i, s in enumerate(data["segments"]):
        assert set(s) == {"index", "start", "end", "speaker", "text"}
        assert s["index"] == i and isinstance(s["start"], float) and s["end"] > s["start"]
    assert stored_meetings(cli) == []  # without --save nothing is stored


def test_save_stores_meeting_transcript_notes_and_a_copy_of_the_audio(cli, recordings, app,
                                                                      tmp_path):  # fmt: skip
    original = tmp_path / "standup.wav"
    original.write_bytes(recordings["meeting"].read_bytes())
    notes = tmp_path / "notes.md"
    notes.write_text("# Standup\n- contract → lawyer\n", encoding="utf-8")
    result = cli("transcribe", str(original), "--save", "--title", "Standup", "--notes", str(notes))
    assert result.exit_code == 0, result.output
    meeting_id = int(result.output.strip().splitlines()[-1])

    meeting = app.repo.get_meeting(meeting_id)
    assert meeting.title == "Standup" and meeting.language == "en"
    assert meeting.notes == "# Standup\n- contract → lawyer\n"
    assert meeting.duration == pytest.approx(9.0, abs=1.5)
    assert [s.speaker for s in app.repo.get_transcript(meeting_id).segments] == ["me", "them"]
    stored_audio = Path(meeting.audio_path)
    assert stored_audio.parent == app.settings.audio_dir and stored_audio.suffix == ".wav"
    original.unlink()  # the user tidies up; the meeting keeps its own copy
    assert stored_audio.read_bytes() == recordings["meeting"].read_bytes()

    assert cli("delete", str(meeting_id), "--yes").exit_code == 0
    assert not stored_audio.exists()


@pytest.mark.parametrize("kind", ["random bytes", "empty", "text as mp3", "truncated header"])
def test_bad_audio_fails_clearly_and_stores_nothing(cli, recordings, app, tmp_path, kind):
    bad = {
        "random bytes": (tmp_path / "meeting.wav", os.urandom(30000)),
        "empty": (tmp_path / "meeting.wav", b""),
        "text as mp3": (tmp_path / "meeting.mp3", b"not audio at all\n" * 100),
        "truncated header": (tmp_path / "meeting.wav", recordings["mono"].read_bytes()[:40]),
    }
    path, content = bad[kind]
    path.write_bytes(content)
    result = cli("transcribe", str(path), "--save", "--title", "Broken")
    assert result.exit_code == 1
    assert f"Error: Cannot decode {path}" in result.output
    assert "Traceback" not in result.output
    assert stored_meetings(cli) == []
    assert not app.settings.audio_dir.exists() or list(app.settings.audio_dir.iterdir()) == []


def test_a_failed_save_leaves_no_copied_audio(cli, recordings, app, monkeypatch):
    def full_disk(self, *args, **kwargs):
        raise StorageError("Could not save to the database: disk is full.")

    monkeypatch.setattr(Repo, "create_meeting", full_disk)
    result = cli("transcribe", str(recordings["mono"]), "--save")
    assert result.exit_code == 1 and "disk is full" in result.output
    assert list(app.settings.audio_dir.iterdir()) == []


def test_title_without_save_is_a_usage_error(cli, recordings):
    result = cli("transcribe", str(recordings["mono"]), "--title", "Nope")
    assert result.exit_code == 2 and "--save" in result.output


def test_unknown_model_fails_with_where_it_looked(recordings, notes_home):
    result = CliRunner().invoke(main, ["transcribe", str(recordings["mono"]), "--model", "huge"])
    assert result.exit_code == 1
    assert "Whisper model 'huge' not found" in result.output
    assert str(notes_home / "models" / "huge") in result.output


def test_real_process_prints_json(recordings, notes_home):
    """The installed entry point end to end: own process, own model load, real resolution."""
    result = subprocess.run(
        [sys.executable, "-m", "notes_app", "transcribe", str(recordings["mono"]), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "NOTES_APP_HOME": str(notes_home)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    segments = json.loads(result.stdout)["segments"]
    assert "contract" in " ".join(s["text"] for s in segments).lower()
    assert all(s["speaker"] is None for s in segments)


def test_sample_meeting_for_the_demo_transcribes_sensibly(whisper_engine):
    sample = files("notes_app.resources") / "sample"
    assert (sample / "notes.md").read_text(encoding="utf-8").strip()
    path = Path(str(sample / "meeting.ogg"))
    assert path.stat().st_size < 1_000_000
    segments = whisper_engine.transcribe_file(path, language="en").segments
    said = {who: " ".join(s.text for s in segments if s.speaker == who).lower()
            for who in ("me", "them")}  # fmt: skip
    assert "4.2 million" in said["them"] and "18%" in said["them"]
    assert "pricing proposal" in said["them"] and "friday" in said["them"]
    assert "annual plan" in said["me"] and "monday" in said["me"]
    assert [s.start for s in segments] == sorted(s.start for s in segments)
