"""LLM enhancement in the window: blocks appear as they stream, then the checked result."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

import llm_server as scripted_llm  # noqa: E402
import test_gui  # noqa: E402
from llm_fixtures import GOOD_LINES, NOTES, SEGMENTS, items_reply  # noqa: E402

from notes_app.gui.enhanced_view import LEGEND, STREAMING_LEGEND  # noqa: E402
from notes_app.gui.meeting_view import ENHANCED, RAW  # noqa: E402

window = test_gui.window
llm_server = scripted_llm.llm_server


def llm_meeting(app, window, server) -> int:
    app.settings.llm.base_url = server.base_url
    app.settings.llm.model = "test-model"
    app.settings.llm.max_retries = 0
    app.settings.enhance.mode = "llm"
    mid = app.repo.create_meeting("Pricing call", notes=NOTES, segments=SEGMENTS)
    window.refresh_meetings()
    window.open_meeting(mid)
    return mid


def record_streaming(window) -> list[tuple[int, str]]:
    seen: list[tuple[int, str]] = []
    show = window.view.show_streaming

    def spy(blocks):
        show(blocks)
        seen.append((len(blocks), window.view.enhanced_view.toPlainText()))

    window.view.show_streaming = spy
    return seen


def test_blocks_grow_in_the_view_then_the_checked_result_replaces_them(
    qtbot, window, app, llm_server
):
    llm_server.queue(items_reply(GOOD_LINES, chunk_size=7))
    mid = llm_meeting(app, window, llm_server)
    seen = record_streaming(window)
    window.view.enhance_button.click()
    qtbot.waitUntil(lambda: app.repo.get_enhanced(mid) is not None, timeout=20_000)
    qtbot.waitUntil(lambda: window.view.enhanced is not None)

    assert [n for n, _ in seen] == list(range(1, 8))  # 3 user lines, 3 AI lines, 1 heading
    assert all(STREAMING_LEGEND in text for _, text in seen)
    assert "15 percent" not in seen[1][1] and "15 percent" in seen[2][1]  # it grew
    final = window.view.enhanced_view.toPlainText()
    assert LEGEND in final and STREAMING_LEGEND not in final
    assert window.view.stack.currentIndex() == ENHANCED
    assert app.repo.get_enhanced(mid).mode == "llm"


def test_a_stream_that_fails_midway_puts_the_notes_back_and_shows_one_dialog(
    qtbot, window, app, llm_server
):
    llm_server.queue(items_reply(GOOD_LINES, chunk_size=7, stall_after=25))
    app.settings.llm.timeout = 1.0
    mid = llm_meeting(app, window, llm_server)
    seen = record_streaming(window)
    window.enhancing.start()
    qtbot.waitUntil(lambda: len(window.error_boxes) == 1, timeout=30_000)
    assert seen  # some blocks were shown before it stalled
    assert window.view.stack.currentIndex() == RAW
    assert window.view.editor.toPlainText() == NOTES  # the user's notes are untouched
    assert app.repo.get_enhanced(mid) is None
    assert window.view.enhance_button.isEnabled()


def test_a_user_template_chosen_in_the_window_is_used(qtbot, app, llm_server):
    """The window finds the user's own templates (templates/*.md), as the command line does."""
    from notes_app.gui.app import qt_app
    from notes_app.gui.main_window import MainWindow

    folder = app.settings.templates_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.md").write_text(
        "# Mine\nMy own meetings.\n\n## Sections\n- Money talk\n", encoding="utf-8"
    )
    qt_app()
    win = MainWindow(app, autosave_ms=50, tray=False)  # reads the templates when built
    qtbot.addWidget(win)
    win.show()
    llm_server.queue(items_reply(GOOD_LINES))
    mid = llm_meeting(app, win, llm_server)
    combo = win.view.template
    assert combo.findText("Mine") >= 0  # shown by its title, chosen by its name
    assert combo.select("mine") and combo.currentText() == "Mine"
    win.view.enhance_button.click()
    qtbot.waitUntil(lambda: app.repo.get_enhanced(mid) is not None or bool(win.error_boxes))
    assert not win.error_boxes, win.error_boxes[0].text()
    assert app.repo.get_enhanced(mid).template == "mine"
