"""Colours, fonts and the style sheet: calm, modern, and following the system's dark/light mode.

Text colours meet WCAG AA (4.5:1) against what they are drawn on, in both themes: AI grey on
the notes, text on the primary and record buttons, chips on their tint (tests/test_gui_theme.py
computes the ratios). When the system switches between dark and light while the app runs,
``apply`` restyles everything: the palette and style sheet, and the text already in documents
(the transcript, notes), whose old theme colours take the new theme's; widgets with a
``restyle()`` method (views built from HTML, the highlighted editor) redraw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from importlib.resources import files

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QPalette,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextFragment,
)
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QTextEdit


@dataclass(frozen=True)
class Colors:
    dark: bool
    window: str
    surface: str  # the editor and cards
    sidebar: str
    border: str
    text: str
    muted: str  # secondary text, AI text
    accent: str
    accent_soft: str
    on_accent: str  # text on an accent background (primary buttons, selections)
    record: str
    warn: str
    warn_soft: str
    me: str
    them: str
    highlight: str  # a transcript line a citation jumped to


LIGHT = Colors(
    dark=False,
    window="#f6f6f4",
    surface="#ffffff",
    sidebar="#efeeeb",
    border="#e2e0dc",
    text="#1d1d1f",
    muted="#6a6a6f",
    accent="#2c5fe0",
    accent_soft="#e8eefe",
    on_accent="#ffffff",
    record="#d42f35",
    warn="#a15c00",
    warn_soft="#fff4e0",
    me="#2c5fe0",
    them="#0b7f5f",
    highlight="#fff1b8",
)

DARK = Colors(
    dark=True,
    window="#1c1c1e",
    surface="#232326",
    sidebar="#19191b",
    border="#333338",
    text="#ececee",
    muted="#9a9aa2",
    accent="#7b9dff",
    accent_soft="#263150",
    on_accent="#0d1324",
    record="#d63b40",
    warn="#f0b35a",
    warn_soft="#3a2e17",
    me="#7b9dff",
    them="#3ccf9f",
    highlight="#4a4120",
)


def system_is_dark(app: QGuiApplication | None = None) -> bool:
    app = app or QGuiApplication.instance()
    if app is None:
        return False
    hints = app.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None and scheme() != Qt.ColorScheme.Unknown:
        return scheme() == Qt.ColorScheme.Dark
    # Older platforms: judge by the default palette's window colour.
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


_current: Colors = LIGHT


def colors() -> Colors:
    """The colours in use now (widgets that paint themselves read this)."""
    return _current


def icon_path(name: str) -> str:
    """A bundled icon's file path, with forward slashes as style sheets want."""
    return str(files("notes_app.resources") / "icons" / name).replace("\\", "/")


def app_icon(recording: bool = False) -> QIcon:
    return QIcon(icon_path("recording.svg" if recording else "notes-app.svg"))


def apply(app: QApplication, dark: bool | None = None) -> Colors:
    """Style the whole application; ``dark=None`` follows the system.

    Switching themes recolours the text already shown and calls each widget's ``restyle()``
    when it has one (views that render HTML or highlight text themselves).
    """
    global _current
    c = DARK if (system_is_dark(app) if dark is None else dark) else LIGHT
    old, _current = _current, c
    app.setStyle("Fusion")  # the same crisp look on every platform, styled below
    if old is not c:
        for widget in app.allWidgets():
            if isinstance(widget, (QTextEdit, QPlainTextEdit)):
                blocked = widget.blockSignals(True)  # recolouring is not an edit (no autosave)
                try:
                    recolor_document(widget.document(), old, c)
                    if isinstance(widget, QTextEdit):
                        _recolor_selections(widget, old, c)
                finally:
                    widget.blockSignals(blocked)
    app.setPalette(_palette(c))
    app.setStyleSheet(style_sheet(c))
    if old is not c:
        # Views that draw with theme colours of their own (HTML, a highlighter) redraw.
        for widget in app.allWidgets():
            restyle = getattr(widget, "restyle", None)
            if callable(restyle):
                restyle()
    return c


def follow_system(app: QApplication) -> None:
    """Restyle when the system switches between dark and light while the app runs (once per
    application, however often it is asked)."""
    if app.property(_FOLLOWING):
        return

    def changed(scheme: Qt.ColorScheme) -> None:
        apply(app, None if scheme == Qt.ColorScheme.Unknown else scheme == Qt.ColorScheme.Dark)

    app.styleHints().colorSchemeChanged.connect(changed)
    app.setProperty(_FOLLOWING, True)


_FOLLOWING = "notesFollowsSystemTheme"


def _color_map(old: Colors, new: Colors) -> dict[int, QColor]:
    mapping: dict[int, QColor] = {}
    for f in fields(Colors):
        if f.name == "dark":
            continue
        mapping.setdefault(QColor(getattr(old, f.name)).rgb(), QColor(getattr(new, f.name)))
    return mapping


def fragments(block: QTextBlock) -> Iterator[QTextFragment]:
    """The valid text fragments of a document block, in order."""
    it = block.begin()
    while not it.atEnd():
        frag = it.fragment()
        it += 1
        if frag.isValid():
            yield frag


def recolor_document(doc, old: Colors | None = None, new: Colors | None = None) -> None:
    """Text and backgrounds in ``old`` theme colours take the ``new`` theme's (by role).

    Without ``old``, the other theme's colours are mapped to the current one's.
    """
    new = new or _current
    old = old or (LIGHT if new is DARK else DARK)
    mapping = _color_map(old, new)
    cursor = QTextCursor(doc)
    block = doc.begin()
    while block.isValid():
        for frag in fragments(block):
            fmt = frag.charFormat()
            change = QTextCharFormat()
            touched = False
            for brush, setter in (
                (fmt.foreground(), change.setForeground),
                (fmt.background(), change.setBackground),
            ):
                if brush.style() != Qt.BrushStyle.NoBrush and brush.color().rgb() in mapping:
                    setter(mapping[brush.color().rgb()])
                    touched = True
            if touched:
                cursor.setPosition(frag.position())
                cursor.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                cursor.mergeCharFormat(change)
        block = block.next()


def _recolor_selections(widget: QTextEdit, old: Colors, new: Colors) -> None:
    mapping = _color_map(old, new)
    selections = widget.extraSelections()
    for sel in selections:
        fmt = QTextCharFormat(sel.format)
        brush = fmt.background()
        if brush.style() != Qt.BrushStyle.NoBrush and brush.color().rgb() in mapping:
            fmt.setBackground(mapping[brush.color().rgb()])
            sel.format = fmt
    if selections:
        widget.setExtraSelections(selections)


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, c.window),
        (role.Base, c.surface),
        (role.AlternateBase, c.sidebar),
        (role.Button, c.surface),
        (role.Text, c.text),
        (role.WindowText, c.text),
        (role.ButtonText, c.text),
        (role.PlaceholderText, c.muted),
        (role.Highlight, c.accent),
        (role.HighlightedText, c.on_accent),
        (role.Link, c.accent),
        (role.ToolTipBase, c.surface),
        (role.ToolTipText, c.text),
    ):
        p.setColor(r, QColor(value))
    return p


def style_sheet(c: Colors) -> str:
    return f"""
QWidget {{ font-size: 10pt; }}
QMainWindow, QDialog {{ background: {c.window}; }}
#Sidebar {{ background: {c.sidebar}; border-right: 1px solid {c.border}; }}
#Sidebar QTreeWidget {{ background: transparent; border: none; outline: none; }}
#Sidebar QTreeWidget::item {{ padding: 6px 6px; border-radius: 6px; }}
#Sidebar QTreeWidget::item:selected {{ background: {c.accent_soft}; color: {c.text}; }}
#Sidebar QTreeWidget::item:hover:!selected {{ background: {c.border}; }}
#SearchResults {{ background: transparent; border: none; outline: none; }}
#SearchResults::item {{ border-radius: 7px; margin-bottom: 2px; }}
#SearchResults::item:selected {{ background: {c.accent_soft}; }}
#SearchResults::item:hover:!selected {{ background: {c.border}; }}
QLineEdit, QComboBox, QSpinBox {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 7px;
    padding: 5px 8px; selection-background-color: {c.accent};
}}
QComboBox::drop-down {{ border: none; width: 22px; }}
QComboBox::down-arrow {{ image: url({icon_path("chevron-down.svg")}); width: 12px; height: 12px; }}
QLineEdit:focus, QComboBox:focus {{ border: 1px solid {c.accent}; }}
#TitleEdit {{ font-size: 19pt; font-weight: 600; border: none; background: transparent;
    padding: 0px; }}
#AttendeesEdit {{ border: none; background: transparent; padding: 0px; color: {c.muted}; }}
#MetaLabel, #Muted {{ color: {c.muted}; }}
#PageTitle {{ font-size: 19pt; font-weight: 600; }}
#CardTitle {{ font-weight: 600; }}
#Quote {{ background: {c.accent_soft}; color: {c.text}; border-bottom-left-radius: 10px;
    border-bottom-right-radius: 10px; }}
#Card {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 10px; }}
QPlainTextEdit, QTextBrowser, QTextEdit#EnhancedView {{ background: {c.surface}; border: none;
    selection-background-color: {c.accent}; selection-color: {c.on_accent}; }}
#NotesEditor, #EnhancedView {{ font-size: 11pt; padding: 8px 14px; }}
QPushButton {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 7px;
    padding: 6px 14px; }}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:disabled {{ color: {c.muted}; }}
QPushButton#Flat {{ background: transparent; border: none; color: {c.muted}; text-align: left;
    padding: 6px 8px; }}
QPushButton#Flat:hover {{ background: {c.border}; color: {c.text}; }}
QPushButton#QuotePlay {{ background: transparent; border: none; color: {c.accent};
    font-weight: 600; padding: 4px 8px; }}
QPushButton#QuotePlay:hover {{ background: {c.surface}; }}
QPushButton#Primary {{ background: {c.accent}; color: {c.on_accent}; border: none;
    font-weight: 600; }}
QPushButton#Primary:disabled {{ background: {c.border}; color: {c.muted}; }}
QPushButton#Record {{ background: {c.record}; color: #ffffff; border: none; font-weight: 600;
    padding: 6px 16px; }}
QPushButton#Segment {{ border-radius: 0px; padding: 5px 12px; min-width: 84px; }}
QPushButton#Segment:checked {{ background: {c.accent_soft}; color: {c.accent}; font-weight: 600;
    border-color: {c.accent}; }}
QToolButton {{ border: none; padding: 4px 6px; border-radius: 6px; color: {c.muted}; }}
QToolButton:hover {{ background: {c.border}; }}
QToolButton#More {{ font-size: 13pt; font-weight: 600; padding: 0px 8px; }}
QToolButton#More::menu-indicator {{ image: none; width: 0px; }}
QMenu {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 8px; padding: 4px; }}
QMenu::item {{ padding: 6px 18px; border-radius: 5px; }}
QMenu::item:selected {{ background: {c.accent_soft}; color: {c.text}; }}
QMenu::item:disabled {{ color: {c.muted}; }}
#RecordBar {{ background: {c.surface}; border-top: 1px solid {c.border}; }}
#Warning {{ color: {c.warn}; background: {c.warn_soft}; border-radius: 6px; padding: 3px 8px; }}
QProgressBar {{ border: none; background: {c.border}; border-radius: 2px; max-height: 4px; }}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 2px; }}
QSplitter::handle {{ background: {c.border}; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar::handle:vertical {{ background: {c.border}; border-radius: 4px; min-height: 30px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0px; }}
QTabWidget::pane {{ border: 1px solid {c.border}; border-radius: 8px; top: -1px; }}
#DialogScroll, #DialogScroll > QWidget, #DialogBody {{ background: transparent; border: none; }}
"""
