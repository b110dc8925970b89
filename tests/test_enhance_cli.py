"""`notes-app enhance` over meetings stored through the repo, and from a transcript file."""

from __future__ import annotations

import json

from click.testing import CliRunner

from notes_app.cli import main
from notes_app.domain import Segment

STANDUP = [
    ("Maya", "Morning. Quick one today, um, the migration finished over the weekend."),
    ("Leo", "Nice. The error rate dropped to, uh, zero point four percent after the cutover."),
    (
        "Maya",
        "The old cluster costs us about twelve thousand dollars a month, so let's shut it down.",
    ),
    ("Leo", "Agreed, we decided to decommission the old cluster at the end of the month."),
    ("Maya", "I'll write the runbook for the shutdown by Thursday."),
]
NOTES = "# Standup\n- migration done\n- 0.4% errors\n- old cluster $12k/mo\n"


def stored_meeting(repo, notes=NOTES, segments=True) -> int:
    segs = [Segment(i, i * 5.0, i * 5.0 + 4.0, t, s) for i, (s, t) in enumerate(STANDUP)]
    return repo.create_meeting("Standup", notes=notes, segments=segs if segments else ())


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_enhance_stored_meeting_prints_notes_and_mode(repo):
    mid = stored_meeting(repo)
    result = run("enhance", str(mid))
    assert result.exit_code == 0, result.output
    assert "offline" in result.output
    assert "migration done" in result.output and "[00:05]" in result.output
    assert repo.get_enhanced(mid).version == 1


def test_enhance_json_follows_the_contract(repo):
    mid = stored_meeting(repo)
    data = json.loads(run("enhance", str(mid), "--json").output)
    assert data["meeting_id"] == mid and data["mode"] == "offline"
    n_segments = len(STANDUP)
    for block in data["blocks"]:
        assert {"type", "text", "source", "note_line", "citations"} <= set(block)
        assert block["type"] in ("heading", "bullet", "paragraph")
        assert block["source"] in ("user", "ai")
        for c in block["citations"]:
            assert set(c) == {"segment", "start", "end"}
            assert 0 <= c["segment"] < n_segments
        if block["source"] == "ai":
            assert block["citations"]
    user = [b["text"] for b in data["blocks"] if b["source"] == "user"]
    assert user == ["Standup", "migration done", "0.4% errors", "old cluster $12k/mo"]
    errors = [b for b in data["blocks"] if b["source"] == "ai" and b["note_line"] == 3]
    assert errors and errors[0]["citations"][0]["segment"] == 1


def test_each_run_stores_a_new_version(repo):
    mid = stored_meeting(repo)
    run("enhance", str(mid))
    run("enhance", str(mid))
    assert [n.version for n in repo.list_enhanced(mid)] == [1, 2]


def test_notes_option_replaces_the_stored_notes(repo, tmp_path):
    mid = stored_meeting(repo, notes="")
    notes = tmp_path / "notes.md"
    notes.write_text("- runbook Thursday\n", encoding="utf-8")
    data = json.loads(run("enhance", str(mid), "--notes", str(notes), "--json").output)
    assert repo.get_meeting(mid).notes == "- runbook Thursday\n"
    assert data["blocks"][0] == {
        "type": "bullet",
        "text": "runbook Thursday",
        "source": "user",
        "note_line": 1,
        "citations": [],
    }


def test_enhance_from_transcript_file_imports_then_enhances(repo, tmp_path):
    transcript = tmp_path / "standup.txt"
    transcript.write_text("".join(f"{s}: {t}\n" for s, t in STANDUP), encoding="utf-8")
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    result = run("enhance", "--transcript", str(transcript), "--notes", str(notes),
                 "--title", "Monday standup", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    meeting = repo.get_meeting(data["meeting_id"])
    assert meeting.title == "Monday standup" and meeting.notes == NOTES
    assert repo.segment_count(meeting.id) == len(STANDUP)
    assert repo.get_enhanced(meeting.id).blocks[0].text == "Standup"


def test_unknown_meeting_is_a_clear_error(repo):
    result = run("enhance", "999")
    assert result.exit_code == 1
    assert "No meeting with id 999" in result.output


def test_meeting_without_transcript_is_a_clear_error_and_stores_nothing(repo):
    mid = stored_meeting(repo, segments=False)
    result = run("enhance", str(mid))
    assert result.exit_code == 1
    assert "has no transcript" in result.output
    assert repo.get_enhanced(mid) is None


def test_missing_meeting_and_transcript_asks_which(repo):
    result = run("enhance")
    assert result.exit_code == 1 and "Say which meeting" in result.output


def test_malformed_transcript_file_stores_nothing(repo, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"segments": [{"start": "soon"}]}', encoding="utf-8")
    result = run("enhance", "--transcript", str(bad))
    assert result.exit_code == 1 and "broken.json" in result.output
    assert repo.list_meetings() == []
