"""Ask: a question of one meeting or of all of them, answered with citations.

``App.ask``, as `notes-app ask` uses it: passages are found, then the configured LLM writes an
answer citing them, or (no LLM) the best passages are the answer; the exchange is kept in the
ask history. The question runs as a worker job with a database connection of its own; the
history is a small indexed read on the GUI thread.

A chip shows the time of the transcript line it opens (a passage starts a line earlier, for
context), so a chip at 00:43 lands on 00:43.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from notes_app.app import App
from notes_app.ask import Answer
from notes_app.clock import clock
from notes_app.config import Settings
from notes_app.errors import NotesAppError
from notes_app.gui import theme
from notes_app.gui.workers import app_job, busy_bar, start_job
from notes_app.store.chat import Exchange
from notes_app.store.repo import Repo
from notes_app.store.search import Filters

ASK_SCHEME = "ask"
_MARK = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
ASIDE_MIN_WIDTH = 360  # narrower than this beside the window, the panel steps out of the way


@dataclass(frozen=True)
class Cited:
    """A place an answer points at: a meeting, and a transcript line in it when known.

    ``start`` is when that line starts (what its chip shows)."""

    meeting_id: int | None
    segment: int | None
    start: float
    title: str = ""


def uses_llm(settings: Settings) -> bool:
    """The same choice as `notes-app ask`: the LLM whenever one is configured."""
    return bool(settings.llm.base_url)


def line_starts(repo: Repo, cites: list[Cited]) -> list[Cited]:
    """The cites with ``start`` set to their own line's start (a passage's start is the line
    before it, given as context); a line no longer there keeps the passage's."""
    transcripts: dict[int, dict[int, float]] = {}
    out = []
    for c in cites:
        if c.meeting_id is None or c.segment is None:
            out.append(c)
            continue
        if c.meeting_id not in transcripts:
            try:
                segments = repo.get_transcript(c.meeting_id).segments
            except NotesAppError:  # the meeting was deleted since: its chip opens nothing
                segments = ()
            transcripts[c.meeting_id] = {s.index: s.start for s in segments}
        start = transcripts[c.meeting_id].get(c.segment, c.start)
        out.append(Cited(c.meeting_id, c.segment, start, c.title))
    return out


def ask_job(app: App, meeting_id: int | None, question: str):
    """A worker function: ``App.ask`` (which keeps the exchange) and the answer's chips."""

    def run(own: App, _progress) -> tuple[Answer, list[Cited]]:
        answer = own.ask(question, Filters(meeting_id=meeting_id))
        return answer, line_starts(own.repo, cited_from_answer(answer))

    return app_job(app, run)


def aside(window: QRect, screen: QRect, size: QSize) -> QRect | None:
    """Where the panel can stand beside ``window`` on ``screen`` without covering it (the
    right first, then the left), or None when neither side has ``ASIDE_MIN_WIDTH`` free."""
    gap = 8
    height = min(size.height(), screen.height())
    top = max(screen.top(), min(window.top(), screen.bottom() - height))
    right = screen.right() - window.right() - gap
    left = window.left() - screen.left() - gap
    if right >= ASIDE_MIN_WIDTH:
        return QRect(window.right() + gap + 1, top, min(size.width(), right), height)
    if left >= ASIDE_MIN_WIDTH:
        width = min(size.width(), left)
        return QRect(window.left() - gap - width, top, width, height)
    return None


def cited_from_answer(answer: Answer) -> list[Cited]:
    return [Cited(p.meeting_id, p.segment, p.start, p.title) for p in answer.citations]


def cited_from_history(e: Exchange) -> list[Cited]:
    return [
        Cited(c.get("meeting_id"), c.get("segment"), float(c.get("start") or 0.0))
        for c in e.citations
    ]


def chip(n: int, c: Cited, show_title: bool) -> str:
    at = clock(c.start) if c.segment is not None else "notes"
    label = f"{n} · {at}"
    if show_title and c.title:
        label = f"{n} · {c.title[:28]} {at}"
    return f'<a class="cite" href="{ASK_SCHEME}:{n}">&nbsp;{html.escape(label)}&nbsp;</a>'


def exchange_html(question: str, text: str, mode: str, cites: list[Cited], many: bool) -> str:
    """One question and its answer; [n] marks become chips that open the cited moment."""
    c = theme.colors()
    parts = [f'<p class="q">{html.escape(question)}</p>']
    if mode == "offline" and cites:
        parts.append('<p class="note">The passages that match best:</p>')
        # The extractive text repeats each passage under a "[n] where" line; show it per chip.
        for n, (cite, body) in enumerate(
            zip(cites, _passage_bodies(text, len(cites)), strict=True), 1
        ):
            lines = "<br>".join(html.escape(line.strip()) for line in body.splitlines())
            parts.append(
                f'<p class="a">{chip(n, cite, many)}<br><span class="p">{lines}</span></p>'
            )
    else:

        def link(m: re.Match[str]) -> str:
            out = []
            for raw in m.group(1).split(","):
                n = int(raw)
                if 1 <= n <= len(cites):
                    out.append(chip(n, cites[n - 1], many))
            return "".join(out)

        body = _MARK.sub(link, html.escape(text)).replace("\n", "<br>")
        parts.append(f'<p class="a">{body}</p>')
    parts.append(f'<hr style="color:{c.border};">')
    return "".join(parts)


def _passage_bodies(text: str, n: int) -> list[str]:
    """The passage text under each "[k] …" heading of an extractive answer."""
    bodies: list[list[str]] = []
    for line in text.splitlines()[1:]:
        if re.match(r"^\[\d+\] ", line):
            bodies.append([])
        elif bodies:
            bodies[-1].append(line)
    out = ["\n".join(b) for b in bodies]
    return (out + [""] * n)[:n]


def page_css() -> str:
    c = theme.colors()
    return f"""
    body {{ color: {c.text}; }}
    p.q {{ font-weight: 600; margin-top: 10px; margin-bottom: 4px; }}
    p.a {{ margin-top: 2px; margin-bottom: 8px; }}
    p.note {{ color: {c.muted}; font-size: small; margin-bottom: 6px; }}
    span.p {{ color: {c.muted}; }}
    a.cite {{ color: {c.accent}; background-color: {c.accent_soft}; text-decoration: none;
              font-size: small; font-family: monospace; }}
    """


class AskPanel(QDialog):
    """Non-modal: the user can keep reading notes while an answer is on its way."""

    citation_opened = Signal(object)  # a Cited

    def __init__(self, app: App, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.settings = app.settings
        self.setWindowTitle("Ask your meetings")
        self.setModal(False)
        self.resize(620, 560)
        self.meeting: tuple[int, str] | None = None
        self.blocks: list[tuple[str, str, str, list[Cited]]] = []  # question, text, mode, cites
        self.cites: dict[int, Cited] = {}  # chip number in the current page -> place
        self.busy = False
        self._chip_base: list[list[Cited]] = []
        self.scope = QComboBox()
        self.scope.currentIndexChanged.connect(lambda _i: self.load_history())
        self.question = QLineEdit()
        self.question.setPlaceholderText("e.g. What did we decide about the launch date?")
        self.question.returnPressed.connect(self.ask)
        self.ask_button = QPushButton("Ask")
        self.ask_button.setObjectName("Primary")
        self.ask_button.clicked.connect(self.ask)
        self.progress = busy_bar()
        self.mode = QLabel("")
        self.mode.setObjectName("Muted")
        self.mode.setWordWrap(True)
        self.answers = QTextBrowser()
        self.answers.setObjectName("EnhancedView")
        self.answers.setOpenLinks(False)
        self.answers.anchorClicked.connect(self._on_anchor)
        self.answers.document().setDocumentMargin(14)
        card = QWidget()
        card.setObjectName("Card")
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        cl = QVBoxLayout(card)
        cl.setContentsMargins(1, 1, 1, 1)
        cl.addWidget(self.answers)
        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(10)
        head = QHBoxLayout()
        label = QLabel("Ask about")
        label.setStyleSheet("font-weight: 600;")
        head.addWidget(label)
        head.addWidget(self.scope, 1)
        layout.addLayout(head)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.mode)
        layout.addWidget(card, 1)
        self._show_mode()

    # --- scope --------------------------------------------------------------------------------

    def set_meeting(self, meeting_id: int | None, title: str = "", *, select: bool = True) -> None:
        """Offer "this meeting" for the meeting on screen (or only "all" without one)."""
        self.scope.blockSignals(True)
        self.scope.clear()
        if meeting_id is not None:
            self.scope.addItem(f"This meeting — {title or 'Untitled'}", meeting_id)
        self.scope.addItem("All meetings", None)
        self.scope.setCurrentIndex(0 if select else self.scope.count() - 1)
        self.scope.blockSignals(False)
        self.load_history()

    def scope_id(self) -> int | None:
        return self.scope.currentData()

    def _show_mode(self) -> None:
        if uses_llm(self.settings):
            self.mode.setText(
                f"Answers are written by {self.settings.llm.model or 'your LLM'} "
                "from your meetings only, citing where each point comes from."
            )
        else:
            self.mode.setText(
                "Offline: answers are the passages that match best. Connect a "
                "language model in Settings for written answers."
            )

    # --- history ------------------------------------------------------------------------------

    def load_history(self) -> None:
        """The scope's last questions and answers (a small indexed read)."""
        try:
            exchanges = self.app.repo.chat.history(self.scope_id(), limit=20)
            self.blocks = [
                (e.question, e.answer, e.mode, line_starts(self.app.repo, cited_from_history(e)))
                for e in exchanges
            ]
        except NotesAppError as e:
            self.blocks = []
            self._failed(e)
        self._render()

    # --- asking -------------------------------------------------------------------------------

    def ask(self) -> None:
        question = self.question.text().strip()
        if not question or self.busy:
            return
        self.busy = True
        self._show_mode()
        self.ask_button.setEnabled(False)
        self.progress.setVisible(True)
        meeting_id = self.scope_id()
        start_job(
            ask_job(self.app, meeting_id, question),
            on_done=lambda done: self._answered(meeting_id, question, *done),
            on_fail=self._failed,
            owner=self,
        )

    def _answered(
        self, meeting_id: int | None, question: str, answer: Answer, cites: list[Cited]
    ) -> None:
        self.busy = False
        self.ask_button.setEnabled(True)
        self.progress.setVisible(False)
        self.question.clear()
        if meeting_id == self.scope_id():
            self.blocks.append((question, answer.text, answer.mode, cites))
            self._render()

    def step_aside(self, window: QRect) -> bool:
        """Stand beside ``window`` (the main window's frame) rather than over the notes a chip
        just opened; False, and hidden, when the screen has no room beside it."""
        screen = self.screen().availableGeometry()
        place = aside(window, screen, self.size())
        if place is None:
            self.hide()  # the answers stay: Ask brings them back as they were
            return False
        self.move(QPoint(place.left(), place.top()))
        self.resize(place.size())
        return True

    def _failed(self, err: NotesAppError) -> None:
        self.busy = False
        self.ask_button.setEnabled(True)
        self.progress.setVisible(False)
        parent = self.parent()
        if parent is not None and hasattr(parent, "show_error"):
            parent.show_error(err)

    # --- showing ------------------------------------------------------------------------------

    def _render(self) -> None:
        many = self.scope_id() is None
        self._chip_base = []
        pages = []
        for question, text, mode, cites in reversed(self.blocks):  # newest first
            self._chip_base.append(cites)
            pages.append(self._numbered(exchange_html(question, text, mode, cites, many)))
        if not pages:
            c = theme.colors()
            pages.append(
                f'<p style="color:{c.muted};">Ask anything the meeting covered — decisions, '
                "dates, who promised what. Each answer links to the moment it comes from.</p>"
            )
        self.answers.setHtml(
            f"<html><head><style>{page_css()}</style></head><body>"
            + "".join(pages)
            + "</body></html>"
        )

    def _numbered(self, page: str) -> str:
        """Make chip links unique across exchanges: ask:<exchange>.<n>."""
        k = len(self._chip_base) - 1
        return page.replace(f'href="{ASK_SCHEME}:', f'href="{ASK_SCHEME}:{k}.')

    def chip_links(self) -> list[str]:
        """Every chip link shown, newest exchange first (keyboard use and tests)."""
        return re.findall(rf'href="({ASK_SCHEME}:[\d.]+)"', self.answers.toHtml())

    def open_link(self, href: str) -> None:
        try:
            k, n = (int(x) for x in href.split(":", 1)[1].split("."))
            cite = self._chip_base[k][n - 1]
        except (ValueError, IndexError):
            return
        self.citation_opened.emit(cite)

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == ASK_SCHEME:
            self.open_link(url.toString())
