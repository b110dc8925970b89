import json
from html.parser import HTMLParser

from click.testing import CliRunner

from notes_app.cli import main
from notes_app.domain import Block, Citation, EnhancedNotes, Segment

SEGS = [
    Segment(0, 0.0, 4.0, "Revenue for the quarter came in at four point two million.", "them", 1),
    Segment(1, 4.5, 8.0, "Sarah will own the pricing proposal.", "me", 0),
]


def _meeting(repo, title="Q3 review", enhanced=True):
    mid = repo.create_meeting(title, notes="4.2M\npricing → Sarah", segments=SEGS)
    if enhanced:
        repo.add_enhanced(
            EnhancedNotes(
                mid,
                "offline",
                (
                    Block("bullet", "4.2M", "user", 1),
                    Block(
                        "bullet",
                        "Quarter revenue came in at 4.2 million.",
                        "ai",
                        1,
                        (Citation(0, 0.0, 4.0),),
                    ),
                    Block("bullet", "pricing → Sarah", "user", 2),
                    Block(
                        "bullet",
                        "Sarah owns the pricing proposal.",
                        "ai",
                        2,
                        (Citation(1, 4.5, 8.0),),
                        verified=False,
                    ),
                ),
            )
        )
    return mid


def test_list_json_newest_first(repo):
    a = repo.create_meeting("first", started_at="2026-01-01T10:00:00+00:00")
    b = repo.create_meeting("second", started_at="2026-02-01T10:00:00+00:00")
    res = CliRunner().invoke(main, ["list", "--json"])
    assert res.exit_code == 0
    ids = [m["id"] for m in json.loads(res.output)["meetings"]]
    assert ids == [b, a]


def test_show_marks_ai_text_and_citations(repo):
    mid = _meeting(repo)
    res = CliRunner().invoke(main, ["show", str(mid)], color=True)
    assert res.exit_code == 0
    assert "4.2M" in res.output and "[00:00]" in res.output and "[00:04]" in res.output
    assert "\x1b[2m" in res.output  # AI text dimmed
    assert "unverified" in res.output


def test_show_unenhanced_prints_raw(repo):
    mid = _meeting(repo, enhanced=False)
    res = CliRunner().invoke(main, ["show", str(mid)])
    assert res.exit_code == 0
    assert "four point two million" in res.output and "notes-app enhance" in res.output


def test_export_markdown_distinguishes_ai(repo, tmp_path):
    mid = _meeting(repo)
    out = tmp_path / "n.md"
    res = CliRunner().invoke(main, ["export", str(mid), "--format", "md", "-o", str(out)])
    assert res.exit_code == 0
    text = out.read_text()
    assert "- 4.2M\n" in text
    assert "*AI: Quarter revenue came in at 4.2 million.* [00:00]" in text
    assert "unverified" in text


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_export_html_escapes_everything(repo):
    evil = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    mid = repo.create_meeting(evil, notes=evil, segments=[Segment(0, 0, 1, evil, "them", 1)])
    repo.add_enhanced(
        EnhancedNotes(
            mid,
            "offline",
            (
                Block("bullet", evil, "user", 1),
                Block("bullet", evil, "ai", 1, (Citation(0, 0, 1),)),
            ),
        )
    )
    res = CliRunner().invoke(main, ["export", str(mid), "--format", "html"])
    assert res.exit_code == 0
    p = _Collect()
    p.feed(res.output)
    names = {t for t, _ in p.tags}
    assert "script" not in names and "img" not in names
    assert not any(k.startswith("on") for _, attrs in p.tags for k in attrs)
    assert "&lt;script&gt;" in res.output
    # user and AI text carry different classes; the citation quotes the transcript on hover
    assert 'class="user"' in res.output and 'class="ai"' in res.output
    assert any(
        t == "span" and a.get("class") == "cite" and "alert" in a.get("title", "")
        for t, a in p.tags
    )


def test_export_json_contract(repo):
    mid = _meeting(repo)
    data = json.loads(CliRunner().invoke(main, ["export", str(mid), "--format", "json"]).output)
    assert data["meeting_id"] == mid and data["mode"] == "offline"
    ai = [b for b in data["blocks"] if b["source"] == "ai"]
    assert all(b["citations"] for b in ai)
    assert ai[0]["citations"][0] == {"segment": 0, "start": 0.0, "end": 4.0}


def test_export_without_enhancement_is_clear_error(repo):
    mid = _meeting(repo, enhanced=False)
    res = CliRunner().invoke(main, ["export", str(mid)])
    assert res.exit_code == 1 and f"notes-app enhance {mid}" in res.output


def test_delete_asks_and_removes_own_audio(app, repo, tmp_path):
    app.settings.audio_dir.mkdir(parents=True)
    audio = app.settings.audio_dir / "m.flac"
    audio.write_bytes(b"fLaC")
    outside = tmp_path / "user.wav"
    outside.write_bytes(b"RIFF")
    mid = repo.create_meeting("x", audio_path=str(audio))
    mid2 = repo.create_meeting("y", audio_path=str(outside))
    r = CliRunner()
    res = r.invoke(main, ["delete", str(mid)], input="n\n")
    assert res.exit_code == 1 and audio.exists()
    assert r.invoke(main, ["delete", str(mid)], input="y\n").exit_code == 0
    assert not audio.exists()
    assert r.invoke(main, ["delete", str(mid2), "--yes"]).exit_code == 0
    assert outside.exists()  # never delete a file the user brought in
    assert json.loads(r.invoke(main, ["list", "--json"]).output)["meetings"] == []


def test_unknown_meeting(repo):
    res = CliRunner().invoke(main, ["show", "999"])
    assert res.exit_code == 1 and "No meeting with id 999" in res.output
