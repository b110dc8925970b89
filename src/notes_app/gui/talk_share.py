"""Who talked: a two-colour bar (you, then everyone else) and the line that says it in words."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from notes_app.domain import ME, THEM
from notes_app.gui import theme
from notes_app.render import clock
from notes_app.stats import TalkShare, percentages
from notes_app.textkit import speaker_label


def share_text(me: int, them: int) -> str:
    return f"{speaker_label(ME)} {me}%  ·  {speaker_label(THEM)} {them}%"


def share_tooltip(share: TalkShare) -> str:
    return (
        f"You spoke for {clock(share.me_seconds)}, the others for {clock(share.them_seconds)} "
        "(speech without a speaker is not counted)"
    )


class ShareBar(QWidget):
    """A rounded bar split at the user's share: their colour on the left, the others' after."""

    def __init__(self, height: int = 6, width: int | None = None, parent=None):
        super().__init__(parent)
        self.me: int | None = None
        self.setFixedHeight(height)
        if width is not None:
            self.setFixedWidth(width)
        else:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_share(self, me_percent: int | None) -> None:
        self.me = me_percent
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        c = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        outline = QPainterPath()
        outline.addRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setClipPath(outline)
        if self.me is None:
            painter.fillRect(rect, QColor(c.border))
            return
        split = rect.width() * self.me / 100
        painter.fillRect(QRectF(rect.left(), rect.top(), split, rect.height()), QColor(c.me))
        painter.fillRect(
            QRectF(rect.left() + split, rect.top(), rect.width() - split, rect.height()),
            QColor(c.them),
        )
        if 0 < self.me < 100:  # a hairline gap keeps the two colours apart at any share
            painter.fillRect(QRectF(split - 1, rect.top(), 2, rect.height()), QColor(c.window))


class TalkShareBadge(QWidget):
    """The meeting header's "You 35% · Them 65%": hidden until there is speech to count."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bar = ShareBar(height=6, width=56)
        self.label = QLabel()
        self.label.setObjectName("MetaLabel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.label)
        self.share: TalkShare | None = None
        self.setVisible(False)

    def show_share(self, share: TalkShare | None) -> None:
        """Show a meeting's talk share; None, or a transcript nobody is credited in, hides it."""
        self.share = share
        pcts = percentages(share) if share is not None else None
        if share is None or pcts is None:
            self.setVisible(False)
            return
        self.bar.set_share(pcts[0])
        self.label.setText(share_text(*pcts))
        self.setToolTip(share_tooltip(share))
        self.setVisible(True)
