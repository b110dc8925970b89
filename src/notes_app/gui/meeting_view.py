"""One meeting: title, date and attendees over the notes (raw or enhanced) and the transcript.

The transcript stands beside the notes; compact (a one-column window) it sits under them,
folded to its header until a recording or a citation opens it.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from notes_app.clock import clock, human_date, local_time
from notes_app.domain import CHANNEL_ME, ME, EnhancedNotes, Meeting, Segment, Transcript
from notes_app.gui.editor import NotesEditor
from notes_app.gui.enhanced_text import EnhancedEditor
from notes_app.gui.enhanced_view import EnhancedView, close_button
from notes_app.gui.talk_share import TalkShareBadge
from notes_app.gui.template_combo import TemplateCombo
from notes_app.gui.transcript_panel import TranscriptPanel, speaker_name
from notes_app.gui.workers import busy_bar, start_job
from notes_app.gui.wrap_row import WrapRow
from notes_app.stats import talk_share

RAW, ENHANCED, EDIT_ENHANCED = 0, 1, 2
TRANSCRIPT_MIN_WIDTH = 220  # a readable column of transcript; collapsed, only its header
TALK_REFRESH_MS = 2000  # while recording, the talk share follows the transcript this often
MARGINS = (28, 22, 28, 18)
COMPACT_MARGINS = (12, 10, 12, 8)


def meta_text(m: Meeting) -> str:
    when = local_time(m.started_at)
    parts = [human_date(when, weekday=True, time=True) if when else ""]
    if m.duration:
        parts.append(clock(m.duration))
    if m.status == "recording":
        parts.append("recording")
    return "  ·  ".join(p for p in parts if p)


def has_your_side(segments) -> bool:
    """Whether any line was recorded as the user's: the mic's channel, or the speaker "me"."""
    return any(s.channel == CHANNEL_ME or s.speaker == ME for s in segments)


def parse_attendees(text: str) -> list[str]:
    return [name.strip() for name in text.replace(";", ",").split(",") if name.strip()]


class MeetingView(QWidget):
    notes_edited = Signal(str)
    title_edited = Signal(str)
    attendees_edited = Signal(list)
    enhance_requested = Signal(str)  # the chosen template ("" when templates are not offered)
    enhanced_edit_saved = Signal(object)  # the edited enhanced notes' blocks
    citation_opened = Signal(object)  # the cited Segment
    play_requested = Signal(object)  # the Segment to play from; None: stop
    share_requested = Signal()
    export_requested = Signal()
    delete_requested = Signal(int)  # the meeting id
    more_menu_opening = Signal()  # the "⋯" menu is about to show: its actions' state is set now
    failed = Signal(object)  # a NotesAppError from the view's own background work

    def __init__(self, templates: list | None = None, parent=None):
        super().__init__(parent)
        self.meeting: Meeting | None = None
        self.can_share = True  # the window turns it off when the share core is missing
        self.transcript = Transcript()
        self.enhanced: EnhancedNotes | None = None
        self._sized = False
        self.compact = False
        self.playing = False
        self._build_header()
        self._build_toolbar(templates or [])
        self._build_body()
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(*MARGINS)
        layout.setSpacing(10)
        layout.addLayout(self._header)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.progress)
        layout.addWidget(self.splitter, 1)

    # --- building -----------------------------------------------------------------------------

    def _build_header(self) -> None:
        self.title = QLineEdit()
        self.title.setObjectName("TitleEdit")
        self.title.setPlaceholderText("Untitled meeting")
        self.title.textEdited.connect(self._title_typed)
        self.meta = QLabel()
        self.meta.setObjectName("MetaLabel")
        self.attendees = QLineEdit()
        self.attendees.setObjectName("AttendeesEdit")
        self.attendees.setPlaceholderText("Add attendees, separated by commas")
        self.attendees.textEdited.connect(self._attendees_typed)
        self.talk = TalkShareBadge()
        self._talk_job = 0  # the newest talk-share computation; older answers are stale
        self._talk_timer = QTimer(self)
        self._talk_timer.setSingleShot(True)
        self._talk_timer.setInterval(TALK_REFRESH_MS)
        self._talk_timer.timeout.connect(self.refresh_talk_share)
        self._header = QVBoxLayout()
        self._header.setSpacing(2)
        self._header.addWidget(self.title)
        row = QHBoxLayout()
        row.addWidget(self.meta)
        row.addSpacing(16)
        row.addWidget(self.talk)
        row.addSpacing(16)
        row.addWidget(self.attendees, 1)
        self._header.addLayout(row)

    def _build_toolbar(self, templates: list) -> None:
        self.raw_button = QPushButton("My notes")
        self.enhanced_button = QPushButton("Enhanced")
        group = QButtonGroup(self)
        group.setExclusive(True)
        for b in (self.raw_button, self.enhanced_button):
            b.setObjectName("Segment")
            b.setCheckable(True)
            group.addButton(b)
        self.raw_button.setChecked(True)
        self.raw_button.clicked.connect(lambda: self.show_page(RAW))
        self.enhanced_button.clicked.connect(lambda: self.show_page(ENHANCED))
        self.template = TemplateCombo(templates)
        self.edit_button = QPushButton("Edit")
        self.edit_button.setToolTip("Edit the enhanced notes; saving keeps the old version")
        self.edit_button.clicked.connect(self.start_editing_enhanced)
        self.share_button = QPushButton("Share…")
        self.share_button.setToolTip("A private link to the enhanced notes")
        self.share_button.clicked.connect(self.share_requested)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the enhanced notes as Markdown, HTML or JSON")
        self.export_button.clicked.connect(self.export_requested)
        self.more_menu = QMenu(self)
        self.more_menu.setToolTipsVisible(True)  # a disabled action says why
        self.delete_action = self.more_menu.addAction("Delete meeting…")
        self.delete_action.triggered.connect(self._delete_clicked)
        self.more_menu.aboutToShow.connect(self.more_menu_opening)
        self.more_button = QToolButton()
        self.more_button.setText("⋯")
        self.more_button.setObjectName("More")
        self.more_button.setToolTip("More actions for this meeting")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button.setMenu(self.more_menu)
        self.notice = QLabel("")
        self.notice.setObjectName("Muted")
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(lambda: self.notice.setText(""))
        self.enhance_button = QPushButton("✦  Enhance")
        self.enhance_button.setObjectName("Primary")
        self.enhance_button.setToolTip("Fill in your notes from the transcript (Ctrl+E)")
        self.enhance_button.clicked.connect(
            lambda: self.enhance_requested.emit(self.template.current_name())
        )
        self.progress = busy_bar()
        self.notice.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        views = QWidget()
        left = QHBoxLayout(views)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(0)
        left.addWidget(self.raw_button)
        left.addWidget(self.enhanced_button)
        left.addSpacing(12)
        left.addWidget(self.notice, 1)
        actions = QWidget()
        right = QHBoxLayout(actions)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(6)
        right.addWidget(self.share_button)
        right.addWidget(self.export_button)
        right.addWidget(self.edit_button)
        right.addSpacing(2)
        right.addWidget(self.template)
        right.addSpacing(2)
        right.addWidget(self.enhance_button)
        right.addWidget(self.more_button)
        # On a narrow window the actions go under the view switch rather than off the edge.
        self.toolbar = WrapRow(views, actions)

    def _build_body(self) -> None:
        self.editor = NotesEditor()
        self.editor.textChanged.connect(lambda: self.notes_edited.emit(self.editor.toPlainText()))
        self.enhanced_view = EnhancedView()
        self.enhanced_view.citation_clicked.connect(self.open_citation)
        self.enhanced_editor = EnhancedEditor()
        self.save_edit_button = QPushButton("Save as new version")
        self.save_edit_button.setObjectName("Primary")
        self.save_edit_button.clicked.connect(self._save_enhanced_edit)
        self.cancel_edit_button = QPushButton("Cancel")
        self.cancel_edit_button.clicked.connect(lambda: self.show_page(ENHANCED))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.editor)
        self.stack.addWidget(self.enhanced_view)
        self.stack.addWidget(self._edit_page())
        self.quote = QLabel()
        self.quote.setObjectName("Quote")
        self.quote.setWordWrap(True)
        self.quote.setTextFormat(Qt.TextFormat.PlainText)
        self.quote.setContentsMargins(18, 8, 8, 10)
        self.play_button = QPushButton("▶  Play")
        self.play_button.setObjectName("QuotePlay")
        self.play_button.setToolTip("Play the recording from this moment")
        self.play_button.clicked.connect(self._play_clicked)
        self.quote_box = QFrame()
        self.quote_box.setObjectName("Quote")
        qb = QHBoxLayout(self.quote_box)
        qb.setContentsMargins(0, 0, 12, 0)
        qb.addWidget(self.quote, 1)
        qb.addWidget(self.play_button)
        self.quote_close = close_button("Close the quote", lambda: self.quote_box.setVisible(False))
        qb.addWidget(self.quote_close)
        self.quote_box.setVisible(False)
        self.quoted: Segment | None = None
        card = QFrame()
        card.setObjectName("Card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(1, 1, 1, 1)
        card_layout.setSpacing(0)
        card_layout.addWidget(self.stack, 1)
        card_layout.addWidget(self.quote_box)
        self.transcript_panel = TranscriptPanel()
        transcript_card = QFrame()
        transcript_card.setObjectName("Card")
        tl = QVBoxLayout(transcript_card)
        tl.setContentsMargins(1, 1, 1, 1)
        tl.addWidget(self.transcript_panel)
        self.transcript_card = transcript_card
        transcript_card.setMinimumWidth(TRANSCRIPT_MIN_WIDTH)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setHandleWidth(14)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(card)
        self.splitter.addWidget(transcript_card)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([600, 300])
        self.splitter.setStyleSheet("QSplitter::handle { background: transparent; }")
        self.transcript_panel.toggled.connect(self._transcript_toggled)

    def _edit_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 10)
        layout.addWidget(self.enhanced_editor, 1)
        row = QHBoxLayout()
        row.setContentsMargins(14, 0, 14, 0)
        hint = QLabel("Lines you change become your own words; untouched lines keep citations.")
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        row.addWidget(hint, 1)
        row.addWidget(self.cancel_edit_button)
        row.addWidget(self.save_edit_button)
        layout.addLayout(row)
        return page

    # --- content ------------------------------------------------------------------------------

    def show_meeting(
        self, meeting: Meeting, transcript: Transcript, enhanced, *, keep_edits: bool = False
    ) -> None:
        """Show a meeting; with ``keep_edits``, reloading the one on screen keeps what the user
        typed (title, attendees, notes) rather than the stored copy, which may be older."""
        if keep_edits and self.meeting is not None and self.meeting.id == meeting.id:
            self.meeting = self._with_edits(meeting)
        else:
            if self.meeting is None or self.meeting.id != meeting.id:
                self.talk.show_share(None)  # the last meeting's share is not this one's
            self.meeting = meeting
            self.title.setText(meeting.title)
            self.title.setCursorPosition(0)
            self.attendees.setText(", ".join(meeting.attendees))
            self.editor.set_text_quietly(meeting.notes)
        self.transcript = transcript
        self.meta.setText(meta_text(meeting))
        self.transcript_panel.view.set_segments(transcript.segments)
        self.transcript_panel.show_count()
        self.refresh_talk_share()
        self.quote_box.setVisible(False)
        self.set_playing(False)
        self.set_enhanced(enhanced, switch=False)
        self.show_page(ENHANCED if enhanced is not None else RAW)

    def on_screen(self) -> Meeting | None:
        """The meeting as shown, with what the user typed (saved or still waiting to be)."""
        return self._with_edits(self.meeting) if self.meeting is not None else None

    def _with_edits(self, meeting: Meeting) -> Meeting:
        return replace(
            meeting,
            title=self.title.text().strip() or "Untitled",
            attendees=tuple(parse_attendees(self.attendees.text())),
            notes=self.editor.toPlainText(),
        )

    def _title_typed(self, text: str) -> None:
        title = text.strip() or "Untitled"
        if self.meeting is not None:
            self.meeting = replace(self.meeting, title=title)
        self.title_edited.emit(title)

    def _attendees_typed(self, text: str) -> None:
        names = parse_attendees(text)
        if self.meeting is not None:
            self.meeting = replace(self.meeting, attendees=tuple(names))
        self.attendees_edited.emit(names)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._sized:
            # Sizes only mean something once the view has its real width.
            self._sized = True
            QTimer.singleShot(
                0, self, lambda: self._transcript_toggled(self.transcript_panel.expanded)
            )

    def set_enhanced(self, enhanced: EnhancedNotes | None, *, switch: bool = True) -> None:
        self.enhanced = enhanced
        self.enhanced_button.setEnabled(enhanced is not None)
        self.share_button.setVisible(enhanced is not None and self.can_share)
        self.export_button.setVisible(enhanced is not None)
        if enhanced is not None:
            self.enhanced_view.show_notes(enhanced, self.transcript.by_index())
            if switch:
                self.show_page(ENHANCED)
        elif self.stack.currentIndex() != RAW:
            self.show_page(RAW)

    def show_streaming(self, blocks: list) -> None:
        """An enhancement in progress: show its blocks so far on the enhanced page."""
        self.enhanced_view.show_streaming(blocks, self.transcript.by_index())
        self.stack.setCurrentIndex(ENHANCED)
        self.raw_button.setChecked(False)
        self.enhanced_button.setChecked(True)
        self.enhanced_button.setEnabled(True)
        self.edit_button.setVisible(False)

    def end_streaming(self) -> None:
        """An enhancement failed: put back what was shown before it started."""
        self.set_enhanced(self.enhanced, switch=False)
        self.show_page(ENHANCED if self.enhanced is not None else RAW)

    def add_segment(self, seg: Segment) -> None:
        self.transcript = Transcript(self.transcript.segments + (seg,), self.transcript.language)
        self.transcript_panel.view.add_segment(seg)
        self.transcript_panel.show_count()
        if not self._talk_timer.isActive():
            self._talk_timer.start()

    def refresh_talk_share(self) -> None:
        """Count who talked in the transcript on screen, on a worker; hidden without speech,
        and where nothing was recorded as the user's (an imported transcript is all 'them')."""
        self._talk_timer.stop()
        self._talk_job += 1
        job, segments = self._talk_job, self.transcript.segments
        if not has_your_side(segments):
            self.talk.show_share(None)
            return
        mid = self.meeting.id if self.meeting is not None else None
        start_job(
            lambda _progress: talk_share(segments, mid),
            on_done=lambda share: self._talk_counted(job, share),
            on_fail=self.failed.emit,
            owner=self,
        )

    def _talk_counted(self, job: int, share) -> None:
        if job == self._talk_job:  # else the transcript changed since: a newer count comes
            self.talk.show_share(share)

    def show_page(self, page: int) -> None:
        if page in (ENHANCED, EDIT_ENHANCED) and self.enhanced is None:
            page = RAW
        self.stack.setCurrentIndex(page)
        self.raw_button.setChecked(page == RAW)
        self.enhanced_button.setChecked(page != RAW)
        self.edit_button.setVisible(page == ENHANCED)
        if page == RAW:
            self.editor.setFocus()

    def set_busy(self, busy: bool, label: str = "") -> None:
        self.progress.setVisible(busy)
        self.enhance_button.setEnabled(not busy)
        self.enhance_button.setText("Enhancing…" if busy else "✦  Enhance")
        if label:
            self.enhance_button.setToolTip(label)

    def show_notice(self, text: str, ms: int = 6000) -> None:
        """A quiet line next to the toolbar that goes away by itself (e.g. "Exported to …")."""
        self.notice.setText(text)
        self._notice_timer.start(ms)

    def set_progress(self, done: float | None, total: float | None = None) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(max(done or 0, 0) / total, 1)))
        else:
            self.progress.setRange(0, 0)  # busy indicator when the total is unknown

    # --- citations and editing ----------------------------------------------------------------

    def open_citation(self, index: int) -> None:
        seg = self.transcript.by_index().get(index)
        if seg is None:
            self.quote.setText("That transcript line is no longer there.")
            self.quoted = None
            self.play_button.setVisible(False)
            self.quote_box.setVisible(True)
            return
        self.transcript_panel.set_expanded(True)
        self.transcript_panel.view.jump_to(index)
        who = speaker_name(seg.speaker, seg.channel)
        self.quote.setText(f"“{seg.text}”  — {who + ', ' if who else ''}{clock(seg.start)}")
        self.quoted = seg
        self.play_button.setVisible(self.has_audio())
        self.quote_box.setVisible(True)
        self.citation_opened.emit(seg)

    def has_audio(self) -> bool:
        """Whether this meeting kept a recording that is still on disk."""
        from pathlib import Path

        path = self.meeting.audio_path if self.meeting is not None else None
        return path is not None and Path(path).is_file()

    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        self.play_button.setText("■  Stop" if playing else "▶  Play")

    def _play_clicked(self) -> None:
        self.play_requested.emit(None if self.playing else self.quoted)

    def start_editing_enhanced(self) -> None:
        if self.enhanced is None:
            return
        self.enhanced_editor.load(self.enhanced, self.transcript.by_index())
        self.quote_box.setVisible(False)
        self.show_page(EDIT_ENHANCED)
        self.enhanced_editor.setFocus()

    def _save_enhanced_edit(self) -> None:
        self.enhanced_edit_saved.emit(self.enhanced_editor.blocks())

    def set_deletable(self, reason: str) -> None:
        """Offer "Delete meeting…" unless ``reason`` says why not (shown as its tooltip)."""
        from notes_app.gui.deleting import DELETE_TIP

        self.delete_action.setEnabled(not reason)
        self.delete_action.setToolTip(reason or DELETE_TIP)

    def _delete_clicked(self) -> None:
        if self.meeting is not None:
            self.delete_requested.emit(self.meeting.id)

    def set_compact(self, compact: bool) -> None:
        """Compact (a one-column window): smaller margins, the transcript under the notes."""
        self.compact = compact
        self._layout.setContentsMargins(*(COMPACT_MARGINS if compact else MARGINS))
        self.splitter.setOrientation(
            Qt.Orientation.Vertical if compact else Qt.Orientation.Horizontal
        )
        self._transcript_toggled(self.transcript_panel.expanded)

    def focus_notes(self) -> None:
        """The cursor in the notes as typed, ready to write."""
        self.show_page(RAW)
        self.editor.setFocus()

    def focus_page(self) -> None:
        """The keyboard back in the notes on screen (as typed, or enhanced), page unchanged."""
        pages = {ENHANCED: self.enhanced_view, EDIT_ENHANCED: self.enhanced_editor}
        pages.get(self.stack.currentIndex(), self.editor).setFocus()

    def _transcript_toggled(self, expanded: bool) -> None:
        # Collapsed, the transcript keeps only its header; the notes take the room.
        beside = not self.compact
        self.transcript_card.setMinimumWidth(TRANSCRIPT_MIN_WIDTH if expanded and beside else 0)
        total = sum(self.splitter.sizes())
        if not expanded:
            hint = self.transcript_card.minimumSizeHint()
            folded = hint.width() if beside else hint.height()
            self.splitter.setSizes([total - folded, folded])
        else:
            notes = total * 2 // 3 if beside else total * 3 // 5
            self.splitter.setSizes([notes, total - notes])


def empty_page(on_new_meeting) -> QWidget:
    """What the window shows with no meeting open: one sentence and "New meeting"."""
    page, _headline = hero_page(
        "Take notes. Let the transcript fill in the rest.",
        "Start a meeting and jot down a few words per point while you listen.\n"
        "Everything stays on this computer.",
        on_new_meeting,
    )
    return page


def hero_page(text: str, hint_text: str, on_new_meeting, size_pt: int = 17):
    """A page with one headline, a quieter line under it and "New meeting" (no meeting open,
    nothing to count yet); returns the page and its headline."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addStretch(2)
    title = QLabel(text)
    title.setStyleSheet(f"font-size: {size_pt}pt; font-weight: 600;")
    title.setAlignment(Qt.AlignmentFlag.AlignCenter)
    title.setWordWrap(True)
    hint = QLabel(hint_text)
    hint.setObjectName("Muted")
    hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
    start = QPushButton("+  New meeting")
    start.setObjectName("Primary")
    start.clicked.connect(on_new_meeting)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(start)
    row.addStretch(1)
    layout.addWidget(title)
    layout.addSpacing(6)
    layout.addWidget(hint)
    layout.addSpacing(18)
    layout.addLayout(row)
    layout.addStretch(3)
    return page, title


def ask_export_path(parent, title: str):
    """The file and format the user picks for an export, or None if they cancel."""
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    from notes_app.gui.share_dialog import EXPORT_FORMATS, format_for

    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in title).strip()
    start = str(Path.home() / f"{safe or 'notes'}.md")
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export notes", start, ";;".join(EXPORT_FORMATS.values())
    )
    if not path:
        return None
    fmt = format_for(path, chosen)
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix("." + fmt)
    return target, fmt
