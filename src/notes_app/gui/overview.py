"""The overview page: how time goes in meetings, drawn from `notes_app.stats`.

The window computes the figures on its reader thread (`load_stats`) and hands them to
`OverviewPage.show_stats`; until then the page says it is counting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from notes_app.domain import ME, THEM
from notes_app.gui import theme
from notes_app.gui.talk_share import ShareBar, share_tooltip
from notes_app.gui.transcript_panel import speaker_name
from notes_app.gui.workers import busy_bar
from notes_app.stats import Stats, compute_stats, percentages, recent_weeks
from notes_app.store.repo import Repo

WEEKS_SHOWN = 8
TOP_SHOWN = 6
LOADING, EMPTY, FIGURES = 0, 1, 2


def load_stats(repo: Repo) -> Stats:
    """Every figure the page shows (runs on a worker thread with that thread's connection)."""
    return compute_stats(repo.db, top=TOP_SHOWN)


def hours_text(hours: float) -> str:
    """Time in one unit system across the page: "45 min" under an hour, "1.5 h" from one on."""
    if hours <= 0:
        return ""
    if hours < 1:
        return f"{max(round(hours * 60), 1)} min"
    return f"{hours:.1f} h".replace(".0 h", " h")


def summary_text(s: Stats) -> str:
    meetings = f"{s.meetings} meeting{'s' if s.meetings != 1 else ''}"
    return f"{meetings}  ·  {hours_text(s.total_hours) or 'no time'} in meetings"


def mix(a: str, b: str, t: float) -> QColor:
    """``a`` faded towards ``b`` by ``t``, as an opaque colour (so shapes can overlap)."""
    ca, cb = QColor(a), QColor(b)
    pairs = [(ca.redF(), cb.redF()), (ca.greenF(), cb.greenF()), (ca.blueF(), cb.blueF())]
    return QColor.fromRgbF(*(x + (y - x) * t for x, y in pairs))


class BarChart(QWidget):
    """Vertical bars, each with its label under it and its value over it."""

    def __init__(self, value_text: Callable[[float], str], parent=None) -> None:
        super().__init__(parent)
        self.value_text = value_text
        self.bars: list[tuple[str, float]] = []
        self.marked: int | None = None  # a bar drawn stronger (this week)
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_bars(self, bars: list[tuple[str, float]], marked: int | None = None) -> None:
        self.bars, self.marked = list(bars), marked
        self.update()

    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        return font

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        if not self.bars:
            return
        c = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._small_font())
        line = painter.fontMetrics().height()
        top, bottom = line + 6, self.height() - line - 8
        slot = self.width() / len(self.bars)
        bar_width = min(slot * 0.56, 40.0)
        peak = max(v for _, v in self.bars) or 1.0
        painter.setPen(QColor(c.border))
        painter.drawLine(0, int(bottom) + 1, self.width(), int(bottom) + 1)
        for i, (label, value) in enumerate(self.bars):
            x = i * slot + (slot - bar_width) / 2
            height = (bottom - top) * value / peak
            if value > 0:
                height = max(height, 3.0)
                colour = QColor(c.accent)
                if self.marked is not None and i != self.marked:
                    colour = mix(c.accent, c.surface, 0.45)
                rect = QRectF(x, bottom - height, bar_width, height)
                radius = min(4.0, height / 2)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawRoundedRect(rect, radius, radius)
                # Square bottom corners: the bar stands on the axis.
                painter.fillRect(QRectF(x, bottom - radius, bar_width, radius), colour)
                painter.setPen(QColor(c.text))
                painter.drawText(
                    QRectF(i * slot, bottom - height - line - 4, slot, line),
                    Qt.AlignmentFlag.AlignCenter,
                    self.value_text(value),
                )
            painter.setPen(QColor(c.text if i == self.marked else c.muted))
            painter.drawText(
                QRectF(i * slot, bottom + 6, slot, line), Qt.AlignmentFlag.AlignCenter, label
            )


class RankList(QWidget):
    """Names with their counts, each over a soft bar as long as its share of the first."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, int]] = []
        self.empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: list[tuple[str, int]], empty_text: str) -> None:
        self.rows, self.empty_text = list(rows), empty_text
        self.setFixedHeight(max(len(self.rows), 1) * self._row_height())
        self.update()

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 12

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        c = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.rows:
            painter.setPen(QColor(c.muted))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignVCenter, self.empty_text)
            return
        row_h = self._row_height()
        peak = max(n for _, n in self.rows) or 1
        fm = painter.fontMetrics()
        for i, (name, count) in enumerate(self.rows):
            row = QRectF(0, i * row_h + 2, self.width(), row_h - 4)
            fill = QRectF(row.left(), row.top(), max(row.width() * count / peak, 6.0), row.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.accent_soft))
            painter.drawRoundedRect(fill, 6, 6)
            text = row.adjusted(10, 0, -10, 0)
            count_text = str(count)
            painter.setPen(QColor(c.muted))
            painter.drawText(
                text, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, count_text
            )
            room = int(text.width()) - fm.horizontalAdvance(count_text) - 12
            painter.setPen(QColor(c.text))
            painter.drawText(
                text,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                fm.elidedText(name, Qt.TextElideMode.ElideRight, room),
            )


def card(title: str, content: QWidget, note: QLabel | None = None, *, grow: bool = True) -> QFrame:
    """A titled card; content that does not ``grow`` sits at the top, not in the middle."""
    frame = QFrame()
    frame.setObjectName("Card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(18, 14, 18, 16)
    layout.setSpacing(10)
    heading = QLabel(title)
    heading.setObjectName("CardTitle")
    head = QHBoxLayout()
    head.addWidget(heading)
    head.addStretch(1)
    if note is not None:
        note.setObjectName("Muted")
        head.addWidget(note)
    layout.addLayout(head)
    layout.addWidget(content, 1 if grow else 0)
    if not grow:
        layout.addStretch(1)
    return frame


class OverviewPage(QWidget):
    new_meeting_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.stats: Stats | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self._loading_page())
        self.stack.addWidget(self._empty_page())
        self.stack.addWidget(self._figures_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    # --- building -----------------------------------------------------------------------------

    def _loading_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(2)
        self.loading_label = QLabel("Counting your meetings…")
        self.loading_label.setObjectName("Muted")
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_bar = busy_bar(visible=True)
        self.loading_bar.setFixedWidth(180)
        layout.addWidget(self.loading_label)
        layout.addSpacing(10)
        layout.addWidget(self.loading_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)
        return page

    def _empty_page(self) -> QWidget:
        from notes_app.gui.meeting_view import hero_page

        page, self.empty_label = hero_page(
            "No meetings yet — record or import one",
            "Time in meetings, who talks and what comes up will show here.\n"
            "Import a transcript with  notes-app import FILE  or start a new meeting.",
            self.new_meeting_requested.emit,
            size_pt=15,
        )
        return page

    def _figures_page(self) -> QWidget:
        title = QLabel("Overview")
        title.setObjectName("PageTitle")
        self.summary = QLabel()
        self.summary.setObjectName("Muted")
        self.weeks = BarChart(hours_text)
        self.weeks_note = QLabel()
        self.weekdays = BarChart(lambda n: str(int(n)))
        self.weekdays_note = QLabel("all time")
        self.people = RankList()
        self.terms = RankList()
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        grid.addWidget(card("Hours in meetings per week", self.weeks, self.weeks_note), 0, 0, 1, 2)
        grid.addWidget(card("Meetings per weekday", self.weekdays, self.weekdays_note), 1, 0)
        grid.addWidget(card("Talk share", self._talk_box()), 1, 1)
        grid.addWidget(card("People you meet most", self.people, grow=False), 2, 0)
        grid.addWidget(card("Terms that come up most", self.terms, grow=False), 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addSpacing(14)
        layout.addLayout(grid)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("Overview")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        return scroll

    def _talk_box(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        figures = QHBoxLayout()
        self.me_label = QLabel()
        self.them_label = QLabel()
        self.them_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        figures.addWidget(self.me_label)
        figures.addStretch(1)
        figures.addWidget(self.them_label)
        self.talk_bar = ShareBar(height=10)
        self.talk_note = QLabel()
        self.talk_note.setObjectName("Muted")
        self.talk_note.setWordWrap(True)
        layout.addStretch(1)
        layout.addLayout(figures)
        layout.addWidget(self.talk_bar)
        layout.addWidget(self.talk_note)
        layout.addStretch(1)
        return box

    # --- content ------------------------------------------------------------------------------

    def show_loading(self) -> None:
        self.loading_label.setText("Counting your meetings…")
        self.loading_bar.setVisible(True)
        self.stack.setCurrentIndex(LOADING)

    def show_failed(self) -> None:
        self.loading_label.setText("The overview could not be counted.")
        self.loading_bar.setVisible(False)
        self.stack.setCurrentIndex(LOADING)

    def show_stats(self, stats: Stats, today: date | None = None) -> None:
        self.stats = stats
        if not stats.meetings:
            self.stack.setCurrentIndex(EMPTY)
            return
        today = today or datetime.now().astimezone().date()
        self.summary.setText(summary_text(stats))
        weeks = recent_weeks(stats.hours_per_week, today, WEEKS_SHOWN)
        self.weeks.set_bars(
            [
                ("This week" if i == len(weeks) - 1 else f"{d.day} {d:%b}", h)
                for i, (d, h) in enumerate(weeks)
            ],
            marked=len(weeks) - 1,
        )
        recent = sum(h for _, h in weeks)
        self.weeks_note.setText(
            f"last {WEEKS_SHOWN} weeks: {hours_text(recent)}"
            if recent
            else f"none in the last {WEEKS_SHOWN} weeks"
        )
        self.weekdays.set_bars([(d, float(n)) for d, n in stats.meetings_per_weekday])
        self._show_talk(stats)
        self.people.set_rows(list(stats.top_people), "Add attendees to see who you meet")
        self.terms.set_rows(list(stats.top_terms), "Nothing said or written yet")
        self.stack.setCurrentIndex(FIGURES)

    def _show_talk(self, stats: Stats) -> None:
        c = theme.colors()
        overall = stats.talk_overall
        pcts = percentages(overall)
        me, them = pcts if pcts else (None, None)
        self.me_label.setText(self._figure(speaker_name(ME, None), me, c.me))
        self.them_label.setText(self._figure(speaker_name(THEM, None), them, c.them))
        self.talk_bar.set_share(me)
        with_speech = sum(1 for t in stats.talk if t.me_share is not None)
        if pcts is None:
            self.talk_note.setText("No transcript says who spoke yet.")
            self.talk_bar.setToolTip("")
        else:
            hours = (overall.me_seconds + overall.them_seconds) / 3600
            self.talk_note.setText(
                f"Across {with_speech} meeting{'s' if with_speech != 1 else ''} with a "
                f"transcript · {hours_text(hours)} of speech"
            )
            self.talk_bar.setToolTip(share_tooltip(overall))

    @staticmethod
    def _figure(who: str, pct: int | None, colour: str) -> str:
        value = "–" if pct is None else f"{pct}%"
        return (
            f"<span style='font-size:20pt; font-weight:600; color:{colour}'>{value}</span>"
            f"<br><span style='color:{theme.colors().muted}'>{who}</span>"
        )
