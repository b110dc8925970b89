"""The notes editor's keys: lists continue and nest, Tab never types a tab, Esc leaves.

What the editor stored is read back with `notes-app show ID --notes`, the notes exactly as typed.
"""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from click.testing import CliRunner  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QTextCursor  # noqa: E402
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget  # noqa: E402

from notes_app.cli import main  # noqa: E402
from notes_app.enhance.notes_parse import parse_notes  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.editor import NotesEditor, continued_item, unnested  # noqa: E402

ENTER = Qt.Key.Key_Return
TAB = Qt.Key.Key_Tab
BACKTAB = Qt.Key.Key_Backtab
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def form(qtbot):
    """An editor between two fields, so leaving it has somewhere to go."""
    qt_app()
    page = QWidget()
    before, editor, after = QLineEdit(), NotesEditor(), QLineEdit()
    layout = QVBoxLayout(page)
    for w in (before, editor, after):
        layout.addWidget(w)
    qtbot.addWidget(page)
    page.show()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    yield before, editor, after
    page.close()  # the fixture holds the page: its fields live as long as the test


def typed(qtbot, editor: NotesEditor, *keys) -> str:
    """Type text (str) and keys ((key, modifiers) or key) into the editor; its text after."""
    for k in keys:
        if isinstance(k, str):
            qtbot.keyClicks(editor, k)
        elif isinstance(k, tuple):
            qtbot.keyClick(editor, k[0], k[1])
        else:
            qtbot.keyClick(editor, k)
    return editor.toPlainText()


def put(editor: NotesEditor, text: str, line: int, column: int | None = None) -> None:
    """Load ``text`` with the caret on ``line`` (0-based) at ``column`` (end by default)."""
    editor.setPlainText(text)
    block = editor.document().findBlockByNumber(line)
    cursor = QTextCursor(block)
    col = len(block.text()) if column is None else column
    cursor.setPosition(block.position() + col)
    editor.setTextCursor(cursor)


def test_enter_continues_a_bullet_list_and_an_empty_item_ends_it(qtbot, form):
    _, editor, _ = form
    text = typed(qtbot, editor, "- budget", ENTER, "timeline", ENTER, ENTER, "After the list")
    assert text == "- budget\n- timeline\nAfter the list"
    assert [ln.kind for ln in parse_notes(text)] == ["bullet", "bullet", "paragraph"]


def test_enter_continues_a_numbered_list_counting_up(qtbot, form):
    _, editor, _ = form
    text = typed(qtbot, editor, "1. renew", ENTER, "expand", ENTER, "price", ENTER, ENTER)
    assert text == "1. renew\n2. expand\n3. price\n"
    assert [ln.marker for ln in parse_notes(text)] == ["1.", "2.", "3."]


def test_enter_inside_a_numbered_list_renumbers_the_items_below(qtbot, form):
    _, editor, _ = form
    put(editor, "1) a\n2) b\n3) c", line=0)
    assert typed(qtbot, editor, ENTER, "new") == "1) a\n2) new\n3) b\n4) c"


def test_numbers_and_text_that_only_look_like_lists_do_not_continue(qtbot, form):
    _, editor, _ = form
    for line in ("4.2M", "3.5% churn", "1)x", "*bold* move", "# Acme renewal"):
        editor.clear()
        assert typed(qtbot, editor, line, ENTER, "next") == f"{line}\nnext", line


def test_enter_keeps_nesting_and_a_split_item_carries_its_rest(qtbot, form):
    _, editor, _ = form
    put(editor, "- pricing\n  - Sarah to send", line=1, column=len("  - Sarah"))
    assert typed(qtbot, editor, ENTER) == "- pricing\n  - Sarah\n  -  to send"


def test_tab_and_shift_tab_nest_and_un_nest_the_item(qtbot, form):
    _, editor, _ = form
    put(editor, "- pricing\n- Sarah to send", line=1, column=4)
    nested_text = typed(qtbot, editor, TAB)
    assert nested_text == "- pricing\n  - Sarah to send"
    assert [ln.level for ln in parse_notes(nested_text)] == [1, 2]
    assert editor.textCursor().positionInBlock() == 6  # the caret stays on the same letter
    assert typed(qtbot, editor, (TAB, SHIFT)) == "- pricing\n- Sarah to send"
    assert typed(qtbot, editor, BACKTAB) == "- pricing\n- Sarah to send"  # top level stays
    assert editor.hasFocus()


def test_a_nested_numbered_item_starts_its_own_count(qtbot, form):
    _, editor, _ = form
    put(editor, "1. renew\n2. expand\n3. price", line=1)
    assert typed(qtbot, editor, TAB) == "1. renew\n  1. expand\n2. price"
    assert typed(qtbot, editor, BACKTAB) == "1. renew\n2. expand\n3. price"


def test_tab_over_a_selection_nests_every_item_in_it(qtbot, form):
    _, editor, _ = form
    editor.setPlainText("# Plan\n- a\n- b\n- c")
    cursor = editor.textCursor()
    cursor.setPosition(editor.document().findBlockByNumber(1).position())
    cursor.setPosition(
        editor.document().findBlockByNumber(2).position() + 1, cursor.MoveMode.KeepAnchor
    )
    editor.setTextCursor(cursor)
    assert typed(qtbot, editor, TAB) == "# Plan\n  - a\n  - b\n- c"


def test_tab_on_a_heading_never_types_a_tab_and_moves_on(qtbot, form):
    before, editor, after = form
    editor.setPlainText("# Acme renewal")
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    for _ in range(3):
        editor.setFocus()
        qtbot.keyClick(editor, TAB)
    assert editor.toPlainText() == "# Acme renewal"
    assert parse_notes(editor.toPlainText())[0].kind == "heading"
    assert after.hasFocus()
    editor.setFocus()
    qtbot.keyClick(editor, BACKTAB)
    assert before.hasFocus()


@pytest.mark.parametrize("keys", [(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier), (TAB, CTRL)])
def test_ctrl_tab_and_esc_leave_the_editor_even_from_a_list_item(qtbot, form, keys):
    _, editor, after = form
    put(editor, "- item", line=0)
    qtbot.keyClick(editor, *keys)
    assert editor.toPlainText() == "- item"
    assert after.hasFocus()


def test_shift_enter_is_a_plain_line_break(qtbot, form):
    _, editor, _ = form
    assert typed(qtbot, editor, "- item", (ENTER, SHIFT), "more") == "- item\nmore"


def test_line_helpers_follow_the_note_grammar():
    assert continued_item("- a") == "- "
    assert continued_item("  * a") == "  * "
    assert continued_item("9. a") == "10. "
    assert continued_item("--a") == "--"
    assert continued_item("4.2M") is None
    assert continued_item("-5% churn") is None
    assert unnested("    - a") == "  - a"
    assert unnested("\t- a") == "  - a"
    assert unnested("--a") == "-a"
    assert unnested("- a") == "- a"


# --- what the editor stored -------------------------------------------------------------------


def test_show_notes_prints_what_the_window_autosaved_exactly(qtbot, app):
    from notes_app.gui.main_window import MainWindow

    qt_app()
    win = MainWindow(app, autosave_ms=50, tray=False)
    qtbot.addWidget(win)
    win.show()
    mid = app.repo.create_meeting("Renewal")
    win.refresh_meetings()
    win.open_meeting(mid)
    editor = win.view.editor
    editor.setFocus()
    typed(qtbot, editor, "# Acme renewal", ENTER, "1. price 4.2M", ENTER, "terms", TAB)
    typed(qtbot, editor, ENTER, "**Sarah**  ")
    editor.insertPlainText("→")  # typed through an input method: QTest types ASCII only
    typed(qtbot, editor, " Fri ", ENTER, ENTER)
    expected = "# Acme renewal\n1. price 4.2M\n  1. terms\n  2. **Sarah**  → Fri \n"
    assert editor.toPlainText() == expected
    qtbot.waitUntil(lambda: app.repo.get_meeting(mid).notes == expected)
    result = CliRunner().invoke(main, ["show", str(mid), "--notes"])
    assert result.exit_code == 0, result.output
    assert result.output == expected


def test_show_notes_of_a_meeting_without_notes_prints_nothing(app):
    mid = app.repo.create_meeting("Empty")
    result = CliRunner().invoke(main, ["show", str(mid), "--notes"])
    assert result.exit_code == 0 and result.output == ""
