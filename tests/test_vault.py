"""The Markdown vault: enhanced meetings written to a real folder as `YYYY-MM-DD Title.md`, the
front matter read back with a YAML parser, the body rendered by a CommonMark parser; a file
edited there is kept and the new notes go beside it; `notes-app vault sync` backfills."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from markdown_it import MarkdownIt

from notes_app.cli import main
from notes_app.domain import Block, Citation, EnhancedNotes, Meeting, Segment
from notes_app.usecases.vault import vault_markdown

TALK = [
    ("me", "Morning, let's go through the Acme renewal"),
    ("them", "Acme wants a discount before they sign the renewal"),
    ("them", "We promised Acme pricing by Friday, ten percent at most"),
    ("me", "Sarah will send the pricing proposal on Thursday"),
]
NOTES = "## Acme\n- discount\n- pricing → Sarah"
NAME = "2025-03-04 Acme renewal.md"


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def vault(tmp_path):
    folder = tmp_path / "Obsidian" / "Meetings"
    res = run("config", "set", "notes.vault", str(folder))
    assert res.exit_code == 0, res.output
    return folder


@pytest.fixture
def acme(repo):
    mid = repo.create_meeting(
        "Acme renewal",
        started_at="2025-03-04T12:00:00+00:00",
        duration=1520.0,
        attendees=["Sarah Chen", "Tom"],
        notes=NOTES,
        segments=[Segment(i, i * 15.0, i * 15.0 + 12.0, t, w) for i, (w, t) in enumerate(TALK)],
    )
    repo.move_meeting(mid, "Clients/Acme")
    repo.set_tags(mid, ["renewal", "q1"])
    return mid


def front_and_body(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_enhancing_writes_the_meeting_to_the_vault(vault, acme, repo):
    res = run("enhance", str(acme), "--offline")
    assert res.exit_code == 0, res.output
    assert [p.name for p in vault.iterdir()] == [NAME]
    front, body = front_and_body(vault / NAME)
    assert front["title"] == "Acme renewal"
    assert str(front["date"]) == "2025-03-04"
    assert front["duration"] == "25 min"
    assert front["attendees"] == ["Sarah Chen", "Tom"]
    assert front["folder"] == "Clients/Acme"
    assert front["tags"] == ["renewal", "q1"]
    assert front["meeting_id"] == acme and front["notes_version"] == 1

    lines = body.splitlines()
    assert "## Acme" in lines and "- discount" in lines and "- pricing → Sarah" in lines
    stored = repo.get_enhanced(acme)
    ai = [b for b in stored.blocks if b.source == "ai" and b.type != "heading"]
    assert ai
    for block in ai:  # each AI line marked, with its citations as [mm:ss]
        cites = " ".join(f"[{c.start // 60:02.0f}:{c.start % 60:02.0f}]" for c in block.citations)
        assert any(
            line.strip().startswith('- <span class="ai">') and line.endswith(cites)
            for line in lines
        ), (block, lines)
    html = MarkdownIt("commonmark").render(body)
    assert html.count('<span class="ai">') == len(ai) + sum(
        1 for b in stored.blocks if b.source == "ai" and b.type == "heading"
    )
    assert "<li>discount" in html  # the user's line, as typed, plain


def test_enhancing_again_updates_the_file_unless_it_was_edited_there(vault, acme):
    assert run("enhance", str(acme), "--offline").exit_code == 0
    again = run("enhance", str(acme), "--offline")
    assert again.exit_code == 0 and "vault" not in again.output
    assert [p.name for p in vault.iterdir()] == [NAME]
    assert front_and_body(vault / NAME)[0]["notes_version"] == 2

    edited = (vault / NAME).read_text(encoding="utf-8") + "\nMy own follow-up thoughts.\n"
    (vault / NAME).write_text(edited, encoding="utf-8")
    third = run("enhance", str(acme), "--offline")
    assert third.exit_code == 0
    assert (
        f"“{NAME}” was edited in the vault, so it was left as it is; the new notes are in "
        "“2025-03-04 Acme renewal (2).md”." in third.output
    )
    assert (vault / NAME).read_text(encoding="utf-8") == edited  # untouched
    beside = vault / "2025-03-04 Acme renewal (2).md"
    assert front_and_body(beside)[0]["notes_version"] == 3

    fourth = run("enhance", str(acme), "--offline")  # the copy it wrote is updated, no (3)
    assert fourth.exit_code == 0 and "vault" not in fourth.output
    assert sorted(p.name for p in vault.iterdir()) == [
        "2025-03-04 Acme renewal (2).md",
        NAME,
    ]
    assert front_and_body(beside)[0]["notes_version"] == 4
    assert (vault / NAME).read_text(encoding="utf-8") == edited


def test_vault_sync_backfills_and_then_leaves_files_alone(acme, repo, app, tmp_path):
    app.enhance_meeting(acme, mode="offline")  # before any vault was set
    later = repo.create_meeting(
        "Q3: plan / review?",
        started_at="2025-03-06T12:00:00+00:00",
        notes="budget",
        segments=[Segment(0, 0.0, 5.0, "The budget for Q3 is two million", "them")],
    )
    app.enhance_meeting(later, mode="offline")
    repo.create_meeting("Not enhanced", segments=[Segment(0, 0, 3, "Hello there", "me")])
    folder = tmp_path / "vault"
    assert run("config", "set", "notes.vault", str(folder)).exit_code == 0

    first = run("vault", "sync")
    assert first.exit_code == 0, first.output
    assert sorted(p.name for p in folder.iterdir()) == [NAME, "2025-03-06 Q3 plan review.md"]
    assert first.output.rstrip().endswith(f"2 written, 0 updated, 0 unchanged in {folder}.")

    second = run("vault", "sync", "--json")
    assert {f["status"] for f in json.loads(second.output)["files"]} == {"unchanged"}

    # The record of what was written is lost: files holding exactly the notes are recognised,
    # a file of the same name holding anything else is kept and the notes go beside it.
    (app.settings.home / "vault.json").unlink()
    (folder / "2025-03-06 Q3 plan review.md").write_text("# my own page\n", encoding="utf-8")
    third = run("vault", "sync")
    assert third.exit_code == 0, third.output
    assert "“2025-03-06 Q3 plan review.md” in the vault was not written by notes-app" in (
        third.output
    )
    assert (folder / "2025-03-06 Q3 plan review.md").read_text() == "# my own page\n"
    assert (folder / "2025-03-06 Q3 plan review (2).md").is_file()
    assert "0 written, 0 updated, 1 unchanged, 1 beside a file kept as it is" in third.output


def test_a_vault_that_cannot_be_written_loses_nothing_and_says_so(acme, repo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert run("config", "set", "notes.vault", str(blocker)).exit_code == 1  # refused at once
    assert run("config", "set", "notes.vault", str(blocker / "vault")).exit_code == 0
    res = run("enhance", str(acme), "--offline")
    assert res.exit_code == 0, res.output
    assert "The notes are saved, but not written to the vault: Could not make the vault" in (
        res.output
    )
    assert repo.get_enhanced(acme) is not None  # stored all the same
    synced = run("vault", "sync")
    assert synced.exit_code == 1 and "Could not make the vault folder" in synced.output
    assert "Traceback" not in synced.output


def test_vault_sync_without_a_vault_says_how_to_set_one():
    res = run("vault", "sync")
    assert res.exit_code == 1
    assert "notes-app config set notes.vault" in res.output


def test_ai_text_stays_literal_text_inside_its_mark():
    meeting = Meeting(7, 'Title "quoted" --- ok', started_at="2025-01-02T12:00:00+00:00")
    notes = EnhancedNotes(
        7,
        "offline",
        (
            Block("bullet", "*as typed* [x]", "user", 1),
            Block("bullet", "5 * 3 <b>bold</b> [link](x) _y_", "ai", 1, (Citation(0, 65, 70),)),
            Block("heading", "Action items", "ai", level=2),
        ),
        version=2,
    )
    text = vault_markdown(meeting, notes)
    front, body = text.split("---\n", 2)[1:]
    assert yaml.safe_load(front)["title"] == 'Title "quoted" --- ok'
    assert "- *as typed* [x]\n" in body  # the user's line exactly as typed
    html = MarkdownIt("commonmark").render(body)
    assert '<span class="ai">5 * 3 &lt;b&gt;bold&lt;/b&gt; [link](x) _y_</span> [01:05]' in html
    assert "<b>" not in html and "<a " not in html
    assert '<h2><span class="ai">Action items</span></h2>' in html


def test_enhancing_in_the_window_writes_the_vault_and_says_when_a_file_is_kept(
    qtbot, app, acme, tmp_path
):
    pytest.importorskip("PySide6")
    from notes_app.gui.app import qt_app
    from notes_app.gui.main_window import MainWindow

    folder = tmp_path / "vault"
    app.settings.notes.vault = str(folder)
    qt_app()
    win = MainWindow(app, autosave_ms=50)
    qtbot.addWidget(win)
    win.show()
    win.refresh_meetings()
    win.open_meeting(acme)
    win.view.enhance_button.click()
    qtbot.waitUntil(lambda: (folder / NAME).is_file(), timeout=30_000)
    assert front_and_body(folder / NAME)[0]["meeting_id"] == acme

    (folder / NAME).write_text("# Acme, my way\n", encoding="utf-8")
    qtbot.waitUntil(lambda: win.enhancing.meeting_id is None)
    win.enhancing.start()
    beside = folder / "2025-03-04 Acme renewal (2).md"
    qtbot.waitUntil(beside.is_file, timeout=30_000)
    qtbot.waitUntil(lambda: "was edited in the vault" in win.view.notice.text())
    assert (folder / NAME).read_text(encoding="utf-8") == "# Acme, my way\n"


def test_moving_or_tagging_a_meeting_updates_its_file_in_the_vault(vault, acme):
    assert run("enhance", str(acme), "--offline").exit_code == 0
    assert run("move", str(acme), "Clients/Acme Corp").exit_code == 0
    front, _ = front_and_body(vault / NAME)
    assert front["folder"] == "Clients/Acme Corp"
    res = run("tag", str(acme), "signed")
    assert res.exit_code == 0, res.output
    assert "signed" in front_and_body(vault / NAME)[0]["tags"]
    assert [p.name for p in vault.iterdir()] == [NAME]  # the same file, brought up to date
