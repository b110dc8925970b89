"""Search and Ask in the window: real FTS5 search and retrieval on the test's SQLite file."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

import llm_server as scripted_llm  # noqa: E402
import test_gui  # noqa: E402
from llm_server import Reply  # noqa: E402
from test_gui import demo_segments  # noqa: E402

from notes_app.store.chat import ChatStore  # noqa: E402

window = test_gui.window  # the fixture: the main window on the test's data folder
llm_server = scripted_llm.llm_server  # the fixture: a scripted LLM on 127.0.0.1


def launch_meeting(app, window) -> int:
    mid = app.repo.create_meeting(
        "Launch planning", notes="- beta signups\n- QA regression", segments=demo_segments()
    )
    app.repo.create_meeting("Hiring loop", notes="- two candidates for the backend role")
    window.refresh_meetings()
    return mid


def test_search_shows_snippets_and_a_transcript_hit_jumps_to_its_line(qtbot, window, app):
    mid = launch_meeting(app, window)
    other = app.repo.create_meeting("Weekly sync")
    window.refresh_meetings()
    window.open_meeting(other)
    window.sidebar.search.setText("regression pass")
    qtbot.waitUntil(lambda: len(window.sidebar.results.results) >= 2)
    results = window.sidebar.results.results
    assert {r.meeting_id for r in results} == {mid}
    hit = next(i for i, r in enumerate(results) if r.kind == "transcript")
    card = window.sidebar.results.card(hit)
    assert "<b" in card.text() and "regression" in card.text()  # the matched words stand out
    assert "Transcript 00:" in card.text()

    window.sidebar.results.click(hit)
    assert window.current_id() == mid
    panel = window.view.transcript_panel.view
    assert panel.highlighted_index == results[hit].segment
    assert "regression pass" in panel.textCursor().block().text()


def test_search_is_debounced_and_shows_no_match(qtbot, app):
    from notes_app.gui.app import qt_app
    from notes_app.gui.main_window import MainWindow

    qt_app()
    win = MainWindow(app, tray=False, search_delay_ms=60_000)  # the debounce never fires
    qtbot.addWidget(win)
    app.repo.create_meeting("Launch planning")
    win.refresh_meetings()
    win.sidebar.search.setText("launch")
    assert win.sidebar.results.status.text() == "Searching…"
    assert win.searching.timer.isActive()  # nothing was queried per keystroke
    win.sidebar.search.setText("zebra")
    win.run_search()
    qtbot.waitUntil(lambda: "Nothing matches" in win.sidebar.results.status.text())
    assert "zebra" in win.sidebar.results.status.text()
    win.close()


def test_ask_offline_cites_passages_and_a_chip_opens_the_moment(qtbot, window, app):
    mid = launch_meeting(app, window)
    window.open_meeting(mid)
    window.searching.open_ask()
    panel = window.ask_panel
    assert panel.scope_id() == mid
    assert "Offline" in panel.mode.text()
    panel.question.setText("who owns the regression pass?")
    panel.ask_button.click()
    qtbot.waitUntil(lambda: panel.chip_links() != [], timeout=10_000)
    assert "Dana will own the regression pass" in panel.answers.toPlainText()
    qtbot.waitUntil(lambda: len(ChatStore(app.repo.db).history(mid)) == 1)
    stored = ChatStore(app.repo.db).history(mid)[0]
    assert stored.mode == "offline" and stored.citations

    window.open_meeting(app.repo.create_meeting("Elsewhere"))
    first = panel.chip_links()[0]
    cited = panel._chip_base[0][0]
    panel.open_link(first)
    assert window.current_id() == mid
    assert window.view.transcript_panel.view.highlighted_index == cited.segment


def test_ask_all_meetings_with_an_llm_links_its_citations(qtbot, window, app, llm_server):
    launch_meeting(app, window)
    app.settings.llm.base_url = llm_server.base_url
    app.settings.llm.model = "test-model"
    app.settings.llm.max_retries = 0
    llm_server.queue(Reply.text("Dana owns the regression pass [1]."))
    window.searching.open_ask()
    panel = window.ask_panel
    assert panel.scope_id() is None  # no meeting on screen: across all of them
    panel.question.setText("who owns the regression pass")
    panel.ask()
    qtbot.waitUntil(lambda: panel.chip_links() != [], timeout=20_000)
    assert "Dana owns the regression pass" in panel.answers.toPlainText()
    assert "[1]" not in panel.answers.toPlainText()  # the mark became a chip
    assert "test-model" in panel.mode.text()
    qtbot.waitUntil(lambda: len(ChatStore(app.repo.db).history(None)) == 1)
    assert ChatStore(app.repo.db).history(None)[0].mode == "llm"


def test_ask_history_is_shown_again_for_the_meeting(qtbot, window, app):
    mid = launch_meeting(app, window)
    ChatStore(app.repo.db).add(mid, "when is the launch?", "March.", "llm", [])
    window.open_meeting(mid)
    window.searching.open_ask()
    qtbot.waitUntil(lambda: "when is the launch?" in window.ask_panel.answers.toPlainText())
    window.ask_panel.scope.setCurrentIndex(1)  # all meetings: that question is not there
    qtbot.waitUntil(lambda: "when is the launch?" not in window.ask_panel.answers.toPlainText())
    assert "Ask anything" in window.ask_panel.answers.toPlainText()
