"""Dialogs that fit the screen: sized to their content, and scrolling when it is taller.

The app is laid out for screens down to 1024×700. A dialog's body sits in a scroll area; the
dialog grows with what it says (a status line that turned into a long error) up to the room
there is, and the body scrolls for the rest, so nothing is clipped mid-sentence.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFrame, QLabel, QScrollArea, QWidget

SMALLEST_SCREEN = QSize(1024, 700)
TITLE_BAR = 40  # what the window manager's frame takes above the dialog, about


def scrolling_body(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that scrolls only up and down."""
    content.setObjectName("DialogBody")
    area = QScrollArea()
    area.setObjectName("DialogScroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    return area


def room(dialog: QWidget) -> QSize:
    """The largest size the dialog may take: the screen's free area, and 1024×700 at most."""
    screen = dialog.screen()
    free = screen.availableGeometry().size() if screen is not None else SMALLEST_SCREEN
    return QSize(
        min(free.width(), SMALLEST_SCREEN.width()),
        min(free.height(), SMALLEST_SCREEN.height()) - TITLE_BAR,
    )


def fit(dialog: QDialog, area: QScrollArea) -> None:
    """Resize ``dialog`` to show all of ``area``'s content if there is room, else the most."""
    layout = dialog.layout()
    if layout is not None:
        layout.activate()
    limit = room(dialog)
    content = area.widget()
    # Wide enough for the content's widest row beside a scroll bar: it never scrolls sideways.
    bar = area.verticalScrollBar().sizeHint().width()
    widest = content.minimumSizeHint().width() + (dialog.width() - area.width()) + bar
    wanted = max(dialog.width(), dialog.minimumWidth(), dialog.sizeHint().width(), widest)
    width = min(wanted, limit.width())
    chrome_w = dialog.width() - area.width() + bar
    chrome_h = dialog.height() - area.height()
    inner = max(width - chrome_w, 100)
    need = content.heightForWidth(inner) if content.hasHeightForWidth() else -1
    need = max(need, content.minimumSizeHint().height(), content.sizeHint().height())
    height = min(chrome_h + need + 2, limit.height())
    dialog.resize(width, max(height, dialog.minimumHeight()))


def fit_soon(dialog: QDialog, area: QScrollArea) -> None:
    """``fit`` once the text just set has been laid out."""
    QTimer.singleShot(0, dialog, lambda: fit(dialog, area))


def show_status(label: QLabel, text: str, *, problem: bool = False) -> None:
    """A status line: muted when all is well, the warning colour for a problem, in full."""
    label.setText(text)
    label.setObjectName("Warning" if problem else "Muted")
    label.setVisible(bool(text))
    label.style().unpolish(label)
    label.style().polish(label)


def is_clipped(label: QLabel) -> bool:
    """True when a shown word-wrapped label is shorter than its text needs (for tests too)."""
    if not label.isVisible() or not label.text():
        return False
    need = label.heightForWidth(label.width())
    return need > label.height() + 1
