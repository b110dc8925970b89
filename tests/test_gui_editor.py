"""The notes editor's keys: lists continue and nest, Tab never types a tab, Esc leaves.

What the editor stored is read back with `notes-app show ID --notes`, the notes exactly as typed.
"""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from dataclasses import replace  # noqa: E402

from click.testing import CliRunner  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QTextCursor  # noqa: E402
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget  # noqa: E402

from notes_app.cli import main  # noqa: E402
from notes_app.domain import Block, Citation, EnhancedNotes, Segment  # noqa: E402
from notes_app.enhance.notes_parse import parse_notes  # noqa: E402
from notes_app.gui import theme  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.editor import NotesEditor, continued_item, unnested  # noqa: E402
from notes_app.gui.meeting_view import ENHANCED  # noqa: E402

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


# --- enhanced notes: shown with emphasis, numbers and nesting; edited in place ----------------

SEGMENTS = [
    Segment(0, 0.0, 4.0, "Revenue came in at 4.2 million for the year.", "them", 1),
    Segment(1, 4.0, 8.0, "We renew if the price holds.", "me", 0),
    Segment(2, 43.0, 47.0, "Sarah sends the proposal on Friday.", "them", 1),
]


def cite(*indexes: int) -> tuple[Citation, ...]:
    return tuple(Citation.of(SEGMENTS[i]) for i in indexes)


BLOCKS = (
    Block("heading", "Acme renewal", "user", 1),
    Block("bullet", "price **4.2M** for the *year*", "user", 2, marker="1."),
    Block("bullet", "Revenue was 4.2 million for the year.", "ai", 2, cite(0, 1)),
    Block("bullet", "expand seats", "user", 3, marker="2."),
    Block("bullet", "pricing 2*3*4", "user", 4),
    Block("bullet", "Sarah to send", "user", 5, level=2),
    Block("bullet", "Sarah sends the proposal on Friday.", "ai", 5, cite(2)),
    Block("bullet", "deeper still", "user", 6, level=3),
)
NOTES_TYPED = "# Acme renewal\n1. price **4.2M** for the *year*\n2. expand seats\n- pricing 2*3*4"


@pytest.fixture
def shown(qtbot, app):
    """A window showing a meeting whose enhanced notes are BLOCKS."""
    from notes_app.gui.main_window import MainWindow

    qt_app()
    win = MainWindow(app, autosave_ms=50, tray=False)
    qtbot.addWidget(win)
    win.show()
    mid = app.repo.create_meeting("Renewal", notes=NOTES_TYPED, segments=SEGMENTS)
    app.repo.add_enhanced(EnhancedNotes(mid, "offline", BLOCKS))
    win.refresh_meetings()
    win.open_meeting(mid)
    assert win.view.stack.currentIndex() == ENHANCED
    return win, mid


def paragraphs(edit) -> list:
    out, block = [], edit.document().begin()
    while block.isValid():
        out.append(block)
        block = block.next()
    return out


def find_paragraph(edit, text: str):
    for block in paragraphs(edit):
        if text in block.text():
            return block
    raise AssertionError(f"{text!r} not shown")


def fragment(edit, text: str):
    block = find_paragraph(edit, text)
    it = block.begin()
    while not it.atEnd():
        frag = it.fragment()
        if text in frag.text():
            return frag
        it += 1
    raise AssertionError(f"{text!r} is not one fragment")


def test_the_enhanced_view_shows_emphasis_numbers_and_nesting(shown):
    win, _ = shown
    view = win.view.enhanced_view
    text = view.toPlainText()
    assert "1. price 4.2M for the year" in text and "2. expand seats" in text
    assert "**" not in text and "pricing 2*3*4" in text  # not emphasis inside a word
    assert fragment(view, "4.2M").charFormat().fontWeight() >= QFont.Weight.Bold.value
    assert fragment(view, "year").charFormat().fontItalic()
    depth = {
        t: find_paragraph(view, t).textList().format().indent()
        for t in ("expand seats", "Sarah to send", "deeper still", "Sarah sends the proposal")
    }
    assert depth == {
        "expand seats": 1,
        "Sarah to send": 2,
        "deeper still": 3,
        "Sarah sends the proposal": 3,  # AI context one level under its line
    }
    assert find_paragraph(view, "Acme renewal").textList() is None
    assert view.citation_links() == ["cite:0", "cite:1", "cite:2"]


def test_edit_keeps_grey_ai_text_and_chips_and_closes_the_quote(qtbot, shown):
    win, mid = shown
    view = win.view
    view.open_citation(2)
    assert view.quote_box.isVisible()
    view.edit_button.click()
    assert not view.quote_box.isVisible()
    edit = view.enhanced_editor
    c = theme.colors()
    ai = fragment(edit, "Revenue was 4.2 million")
    assert ai.charFormat().foreground().color().name() == QColor(c.muted).name()
    user = fragment(edit, "expand seats")
    assert user.charFormat().foreground().color().name() == QColor(c.text).name()
    assert "00:43" in find_paragraph(edit, "Sarah sends").text()  # the chip is there
    assert edit.blocks() == BLOCKS  # nothing changed: every block as it was
    view.save_edit_button.click()
    qtbot.waitUntil(lambda: len(app_versions(win, mid)) == 2)
    assert win.app.repo.get_enhanced(mid).blocks == BLOCKS


def app_versions(win, mid):
    return win.app.repo.list_enhanced(mid)


def put_cursor(edit, text: str, at_end: bool = True) -> None:
    block = find_paragraph(edit, text)
    start = block.text().index(text)
    cursor = edit.textCursor()
    cursor.setPosition(block.position() + start + (len(text) if at_end else 0))
    edit.setTextCursor(cursor)


def test_a_changed_ai_line_turns_the_users_and_the_rest_keep_their_citations(qtbot, shown):
    win, mid = shown
    win.view.edit_button.click()
    edit = win.view.enhanced_editor
    edit.setFocus()
    put_cursor(edit, "on Friday")
    qtbot.keyClicks(edit, " at noon")
    changed = fragment(edit, "Sarah sends the proposal on Friday at noon")
    assert changed.charFormat().foreground().color().name() == QColor(theme.colors().text).name()
    put_cursor(edit, "deeper still")
    qtbot.keyClick(edit, ENTER)
    qtbot.keyClicks(edit, "new **point**")
    win.view.save_edit_button.click()
    qtbot.waitUntil(lambda: len(app_versions(win, mid)) == 2)
    saved = win.app.repo.get_enhanced(mid).blocks
    by_text = {b.text: b for b in saved}
    mine = by_text["Sarah sends the proposal on Friday at noon."]
    assert mine.source == "user" and mine.citations == cite(2)  # its chip stayed on it
    assert by_text["Revenue was 4.2 million for the year."] == BLOCKS[2]
    assert by_text["price **4.2M** for the *year*"] == BLOCKS[1]
    new = saved[-1]
    assert (new.text, new.source, new.type, new.level) == ("new **point**", "user", "bullet", 3)


def test_removing_a_chip_drops_that_citation_only(qtbot, shown):
    win, mid = shown
    win.view.edit_button.click()
    edit = win.view.enhanced_editor
    block = find_paragraph(edit, "Revenue was")
    it, chips = block.begin(), []
    while not it.atEnd():
        frag = it.fragment()
        if frag.charFormat().anchorHref() == "cite:1":
            chips.append(frag)
        it += 1
    cursor = edit.textCursor()
    cursor.setPosition(chips[0].position())
    cursor.setPosition(chips[0].position() + chips[0].length(), cursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    ai = [b for b in edit.blocks() if b.text.startswith("Revenue")]
    assert ai == [replace(BLOCKS[2], citations=cite(0))]


def test_edited_lines_read_back_as_markdown_with_their_structure(qtbot, shown):
    win, _ = shown
    win.view.edit_button.click()
    edit = win.view.enhanced_editor
    edit.setFocus()
    put_cursor(edit, "4.2M", at_end=True)
    qtbot.keyClicks(edit, "!")
    put_cursor(edit, "Acme renewal")
    qtbot.keyClick(edit, ENTER)  # after a heading: a plain paragraph
    qtbot.keyClicks(edit, "1. first step")
    blocks = edit.blocks()
    price = next(b for b in blocks if "price" in b.text)
    assert (price.text, price.marker, price.source) == (
        "price **4.2M!** for the *year*",
        "1.",
        "user",
    )
    step = blocks[1]
    assert (step.type, step.marker, step.text) == ("bullet", "1.", "first step")


def test_tab_nests_a_list_item_while_editing_and_esc_leaves(qtbot, shown):
    win, _ = shown
    win.view.edit_button.click()
    edit = win.view.enhanced_editor
    edit.setFocus()
    put_cursor(edit, "pricing 2*3*4")
    qtbot.keyClick(edit, TAB)
    pricing = next(b for b in edit.blocks() if b.text == "pricing 2*3*4")
    assert pricing.level == 2
    qtbot.keyClick(edit, BACKTAB)
    assert next(b for b in edit.blocks() if b.text == "pricing 2*3*4") == BLOCKS[4]
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert not edit.hasFocus()


def test_the_quote_bar_closes_with_its_button(qtbot, shown):
    win, _ = shown
    view = win.view
    view.open_citation(0)
    assert view.quote_box.isVisible()
    view.quote_close.click()
    assert not view.quote_box.isVisible()
