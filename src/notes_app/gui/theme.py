"""Colours, fonts and the style sheet: calm, modern, and following the system's dark/light mode."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication


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
    muted="#7a7a7f",
    accent="#3b6ef5",
    accent_soft="#e8eefe",
    record="#e5484d",
    warn="#a15c00",
    warn_soft="#fff4e0",
    me="#3b6ef5",
    them="#0f9d76",
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
    record="#ff6369",
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
    """Style the whole application; ``dark=None`` follows the system."""
    global _current
    c = DARK if (system_is_dark(app) if dark is None else dark) else LIGHT
    _current = c
    app.setStyle("Fusion")  # the same crisp look on every platform, styled below
    app.setPalette(_palette(c))
    app.setStyleSheet(style_sheet(c))
    return c


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
        (role.HighlightedText, "#ffffff"),
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
QPlainTextEdit, QTextBrowser {{ background: {c.surface}; border: none;
    selection-background-color: {c.accent}; selection-color: #ffffff; }}
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
QPushButton#Primary {{ background: {c.accent}; color: #ffffff; border: none; font-weight: 600; }}
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
"""
