"""Themes: readable contrast in both, and a switch of the system's dark/light mode while the app
runs restyles the notes and the transcript already on screen."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QTextCharFormat  # noqa: E402

from notes_app.domain import Block, Citation, EnhancedNotes, Segment  # noqa: E402
from notes_app.gui import theme  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402

AA = 4.5  # WCAG 2 level AA for normal text


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2)."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rule(sheet: str, selector: str) -> dict[str, str]:
    """The properties of one rule of the style sheet."""
    m = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", sheet)
    assert m, selector
    props = {}
    for part in m.group(1).split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            props[key.strip()] = value.strip()
    return props


@pytest.fixture
def styled():
    """The application styled and following the system's scheme, as ``qt_app`` sets it up
    (pytest-qt may have made the QApplication before)."""
    app = qt_app()
    sheet, palette = app.styleSheet(), app.palette()
    theme.follow_system(app)
    theme.apply(app, dark=False)
    yield app
    theme.apply(app, dark=False)  # the next test starts light, whatever this one did
    app.setStyleSheet(sheet)  # and styled as it found it (other tests measure plain widgets)
    app.setPalette(palette)


def test_contrast_ratios_known_from_the_definition():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_ai_grey_buttons_and_chips_meet_wcag_aa(styled, dark):
    c = theme.apply(styled, dark=dark)
    assert theme.colors() is c and c.dark is dark
    sheet = styled.styleSheet()
    primary = rule(sheet, "QPushButton#Primary")
    record = rule(sheet, "QPushButton#Record")
    pairs = {
        "AI text on the notes": (c.muted, c.surface),
        "secondary text on the window": (c.muted, c.window),
        "secondary text in the sidebar": (c.muted, c.sidebar),
        "notes text": (c.text, c.surface),
        "primary button": (primary["color"], primary["background"]),
        "record button": (record["color"], record["background"]),
        "citation chip": (c.accent, c.accent_soft),
        "warning": (c.warn, c.warn_soft),
        "unverified AI text": (c.warn, c.surface),
        "link": (c.accent, c.surface),
        "speaker names": (c.me, c.surface),
        "their names": (c.them, c.surface),
        "selected text": (c.on_accent, c.accent),
    }
    ratios = {name: round(contrast(fg, bg), 2) for name, (fg, bg) in pairs.items()}
    low = {name: r for name, r in ratios.items() if r < AA}
    assert not low, f"below {AA}:1 in the {'dark' if dark else 'light'} theme: {low}"


SEGMENTS = [
    Segment(0, 0.0, 3.0, "We agreed on the new price.", "them", 1),
    Segment(1, 3.0, 6.0, "Good, I will tell the team.", "me", 0),
]
NOTES = EnhancedNotes(
    None,
    "offline",
    (
        Block("bullet", "price agreed", "user", 1),
        Block("bullet", "The new price was agreed.", "ai", 1, (Citation.of(SEGMENTS[0]),)),
    ),
)


def colours_in(doc) -> set[str]:
    """Every text colour used in a document."""
    found = set()
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            brush = it.fragment().charFormat().foreground()
            if brush.style() != Qt.BrushStyle.NoBrush:
                found.add(brush.color().name())
            it += 1
        block = block.next()
    return found


def colour_of(doc, text: str) -> str:
    found = doc.find(text)
    assert not found.isNull(), text
    return found.charFormat().foreground().color().name()


def only_theirs(colours: set[str], c: theme.Colors) -> set[str]:
    """Colours that belong to the other theme and not to ``c``."""
    ours = {QColor(getattr(c, f)).name() for f in c.__dataclass_fields__ if f != "dark"}
    other = theme.LIGHT if c.dark else theme.DARK
    theirs = {QColor(getattr(other, f)).name() for f in other.__dataclass_fields__ if f != "dark"}
    return (colours & theirs) - ours


def test_switching_the_system_to_dark_restyles_notes_and_transcript(qtbot, styled, app):
    from notes_app.gui.main_window import MainWindow

    theme.apply(styled, dark=False)
    win = MainWindow(app, tray=False)
    qtbot.addWidget(win)
    win.show()
    mid = app.repo.create_meeting("Price", notes="- price agreed", segments=SEGMENTS)
    from dataclasses import replace

    app.repo.add_enhanced(replace(NOTES, meeting_id=mid))
    win.refresh_meetings()
    win.open_meeting(mid)
    view = win.view
    view.open_citation(0)  # a highlighted transcript line too
    notes_doc = view.enhanced_view.document()
    transcript = view.transcript_panel.view
    assert colour_of(notes_doc, "price agreed") == theme.LIGHT.text

    styled.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # as the system does
    dark = theme.colors()
    assert dark is theme.DARK
    assert colour_of(notes_doc, "price agreed") == dark.text
    assert colour_of(notes_doc, "The new price was agreed.") == dark.muted
    assert colour_of(transcript.document(), "We agreed on the new price.") == dark.text
    assert not only_theirs(colours_in(transcript.document()), dark)
    assert not only_theirs(colours_in(notes_doc), dark)
    selections = transcript.extraSelections()
    highlight = QTextCharFormat(selections[0].format).background().color().name()
    assert highlight == dark.highlight
    assert styled.palette().color(styled.palette().ColorRole.Base).name() == dark.surface

    assert not win.autosaver.has_pending  # a new colour is not an edit: nothing to save

    view.edit_button.click()  # the in-place editor follows too
    styled.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    light = theme.colors()
    assert light is theme.LIGHT
    assert colour_of(view.enhanced_editor.document(), "The new price was agreed.") == light.muted
    assert colour_of(notes_doc, "price agreed") == light.text
    assert not only_theirs(colours_in(transcript.document()), light)


def test_the_notes_editor_highlights_in_the_new_theme(qtbot, styled):
    from notes_app.gui.editor import NotesEditor

    theme.apply(styled, dark=False)
    editor = NotesEditor()
    qtbot.addWidget(editor)
    editor.setPlainText("- item")
    editor.show()

    def marker_colour() -> str:
        ranges = editor.document().firstBlock().layout().formats()
        return QTextCharFormat(ranges[0].format).foreground().color().name()

    assert marker_colour() == theme.LIGHT.accent
    edits = []
    editor.textChanged.connect(lambda: edits.append(1))
    theme.apply(styled, dark=True)
    assert marker_colour() == theme.DARK.accent
    assert edits == []  # restyled, not edited: the autosave hears nothing
