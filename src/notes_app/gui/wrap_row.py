"""A row of two groups of controls that wraps the second group under the first when narrow.

The meeting toolbar (view switch on the left, actions on the right) uses it so a 1024 px wide
window shows every button instead of cutting the last ones off. The row places its two
children itself: a Qt layout would not report the wrapped height to the layout around it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QSizePolicy, QWidget


class WrapRow(QWidget):
    def __init__(self, first: QWidget, second: QWidget, spacing: int = 12, parent=None):
        super().__init__(parent)
        self.first, self.second = first, second
        self.spacing = spacing
        self.line_spacing = 8
        first.setParent(self)
        second.setParent(self)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    @property
    def wrapped(self) -> bool:
        return not self.fits(self.width())

    def fits(self, width: int) -> bool:
        return width >= self.sizeHint().width()

    def _row_height(self, wrapped: bool) -> int:
        a, b = self.first.sizeHint().height(), self.second.sizeHint().height()
        return a + self.line_spacing + b if wrapped else max(a, b)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        width = self.first.sizeHint().width() + self.spacing + self.second.sizeHint().width()
        return QSize(width, self._row_height(False))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        width = max(self.first.minimumSizeHint().width(), self.second.minimumSizeHint().width())
        return QSize(width, self._row_height(False))

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._row_height(not self.fits(width))

    def place(self) -> None:
        """Put the two groups side by side when they fit, else the second under the first."""
        w, h = self.width(), self.height()
        first, second = self.first.sizeHint(), self.second.sizeHint()
        sw = min(second.width(), w)
        if self.fits(w):
            row = max(first.height(), second.height())
            self.first.setGeometry(0, (row - first.height()) // 2, w - sw - self.spacing, row)
            self.second.setGeometry(w - sw, (row - second.height()) // 2, sw, second.height())
        else:
            self.first.setGeometry(0, 0, w, first.height())
            top = min(first.height() + self.line_spacing, max(h - second.height(), 0))
            self.second.setGeometry(w - sw, top, sw, second.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.place()

    def event(self, event) -> bool:
        # A button shown or hidden changes what fits: ask for room again and re-place.
        if event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
            self.place()
        return super().event(event)
