"""Share and Export from the window: ``App.share / shares / unshare / export_file``, as
`notes-app share / shares / unshare / export` use them.

Publishing, listing and revoking talk to a share server (or start the app's own one on this
machine), so they run as worker jobs, each on its own database connection. Export renders the
enhanced notes and writes the file off the GUI thread too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from notes_app.app import App
from notes_app.clock import now_iso
from notes_app.errors import NotesAppError
from notes_app.gui.dialog_fit import fit, fit_soon, scrolling_body
from notes_app.gui.workers import app_job, busy_bar, start_job
from notes_app.store.shares import ShareRecord

LIST_TITLE = "Links to this meeting"
OTHER_LINKS = "Other links to this meeting"
EXPIRIES = [("7 days", "7d"), ("30 days", "30d"), ("90 days", "90d"), ("Never", "never")]
EXPORT_FORMATS = {
    "md": "Markdown (*.md)",
    "html": "Web page (*.html)",
    "json": "JSON (*.json)",
}
LOCAL_NOTE = (
    "This link works only on this computer: no share server is set, so the app serves it "
    "itself on 127.0.0.1. To share with others, enter a share server and its token in "
    "Settings (Sharing), or send an exported HTML file."
)


def export_job(app: App, meeting_id: int, fmt: str, path: Path) -> Callable[[Any], Path]:
    return app_job(app, lambda own, _progress: own.export_file(meeting_id, fmt, path))


def format_for(path: str, chosen_filter: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("md", "markdown"):
        return "md"
    if suffix in ("html", "htm", "json"):
        return "html" if suffix.startswith("htm") else "json"
    return next((k for k, v in EXPORT_FORMATS.items() if v == chosen_filter), "md")


def share_status(r: ShareRecord, now: str) -> str:
    status = r.status(now)
    if status == "active":
        status = f"expires {r.expires_at[:10]}" if r.expires_at else "never expires"
    extras = ["with transcript" if r.include_transcript else "notes only"]
    if r.local:
        extras.append("this computer only")
    return f"{status} · {', '.join(extras)}"


class ShareRow(QFrame):
    def __init__(self, record: ShareRecord, on_revoke: Callable[[str], None], parent=None):
        super().__init__(parent)
        self.record = record
        self.setObjectName("ShareRow")
        revoked = record.status(now_iso()) != "active"
        link = QLabel(record.url)
        link.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if revoked:
            link.setObjectName("Muted")
        self.status = QLabel(share_status(record, now_iso()))
        self.status.setObjectName("Muted")
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(link)
        text.addWidget(self.status)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(lambda: copy_text(record.url))
        self.revoke_button = QPushButton("Revoke")
        self.revoke_button.setToolTip("The link stops working at once")
        self.revoke_button.clicked.connect(lambda: on_revoke(record.id))
        for b in (self.copy_button, self.revoke_button):
            b.setVisible(not revoked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 4, 0, 4)
        row.addLayout(text, 1)
        row.addWidget(self.copy_button)
        row.addWidget(self.revoke_button)


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class ShareDialog(QDialog):
    """Options, the new link with Copy and Revoke, and the meeting's other links with theirs.

    The body scrolls on a short screen and the dialog grows as links and notes appear, so a
    row is never squeezed; the link just made is shown once, at the top."""

    def __init__(self, app: App, meeting_id: int, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.meeting_id = meeting_id
        self.records: list[ShareRecord] = []
        self.setWindowTitle("Share")
        self.setMinimumWidth(560)
        heading = QLabel(f"Share “{title}”")
        heading.setStyleSheet("font-size: 13pt; font-weight: 600;")
        intro = QLabel(
            "A private link to the enhanced notes. Anyone with the link can read them until it "
            "expires or you revoke it."
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        self.transcript = QCheckBox("Include the transcript (the quotes behind each citation)")
        self.questions = QCheckBox("Let readers ask questions about the meeting")
        self.questions.setChecked(True)
        self.expiry = QComboBox()
        for label, value in EXPIRIES:
            self.expiry.addItem(label, value)
        self.expiry.setCurrentIndex(1)
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.addRow("Expires after", self.expiry)
        form.addRow("", self.transcript)
        form.addRow("", self.questions)
        self.create_button = QPushButton("Create link")
        self.create_button.setObjectName("Primary")
        self.create_button.clicked.connect(self.publish)
        self.progress = busy_bar()
        self.link = QLineEdit()
        self.link.setReadOnly(True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(lambda: copy_text(self.link.text()))
        self.revoke_button = QPushButton("Revoke")
        self.revoke_button.setToolTip("The link stops working at once")
        self.revoke_button.clicked.connect(self._revoke_shown)
        self.shown: ShareRecord | None = None  # the link just made, in the box above the list
        self.link_status = QLabel("")
        self.link_status.setObjectName("Muted")
        link_row = QHBoxLayout()
        link_row.addWidget(self.link, 1)
        link_row.addWidget(self.copy_button)
        link_row.addWidget(self.revoke_button)
        link_row.setContentsMargins(0, 0, 0, 0)
        self.link_box = QWidget()
        box = QVBoxLayout(self.link_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(link_row)
        box.addWidget(self.link_status)
        self.link_box.setVisible(False)
        self.local_note = QLabel(LOCAL_NOTE)
        self.local_note.setObjectName("Warning")
        self.local_note.setWordWrap(True)
        self.local_note.setVisible(False)
        self.list_title = QLabel(LIST_TITLE)
        self.list_title.setStyleSheet("font-weight: 600; margin-top: 10px;")
        self.rows = QVBoxLayout()
        self.rows.setSpacing(0)
        self.empty = QLabel("No links yet.")
        self.empty.setObjectName("Muted")
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 8, 0)  # room for the scroll bar
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.link_box)
        layout.addWidget(self.local_note)
        layout.addWidget(self.list_title)
        layout.addWidget(self.empty)
        layout.addLayout(self.rows)
        layout.addStretch(1)
        self.body = scrolling_body(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 16, 18)
        outer.addWidget(self.body, 1)
        outer.addLayout(bottom)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        fit(self, self.body)

    # --- jobs ---------------------------------------------------------------------------------

    def options(self):
        from notes_app.share.model import ShareOptions

        return ShareOptions(
            include_transcript=self.transcript.isChecked(),
            expires=self.expiry.currentData(),
            allow_questions=self.questions.isChecked(),
        )

    def publish(self) -> None:
        self._busy(True)
        mid, options = self.meeting_id, self.options()
        start_job(
            app_job(self.app, lambda own, _progress: own.share(mid, options)),
            on_done=self._published,
            on_fail=self._failed,
            owner=self,
        )

    def revoke(self, share_id: str) -> None:
        self._busy(True)
        start_job(
            app_job(self.app, lambda own, _progress: own.unshare(share_id)),
            on_done=lambda _r: self._revoked(),
            on_fail=self._failed,
            owner=self,
        )

    def refresh(self) -> None:
        mid = self.meeting_id
        start_job(
            app_job(self.app, lambda own, _progress: own.shares(mid)),
            on_done=self._listed,
            on_fail=self._failed,
            owner=self,
        )

    # --- results ------------------------------------------------------------------------------

    def _revoke_shown(self) -> None:
        if self.shown is not None:
            self.revoke(self.shown.id)

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.create_button.setEnabled(not busy)
        self.revoke_button.setEnabled(not busy)
        self.create_button.setText("Publishing…" if busy else "Create link")
        fit_soon(self, self.body)  # the progress bar takes a row: nothing above it gives way

    def _published(self, record: ShareRecord) -> None:
        self._busy(False)
        self.shown = record
        self.link.setText(record.url)
        self.link.setCursorPosition(0)
        self.link_box.setVisible(True)
        self.link_box.setEnabled(True)
        self.revoke_button.setVisible(True)
        self.link_status.setText(share_status(record, now_iso()))
        self.local_note.setVisible(record.local)
        copy_text(record.url)
        self.copy_button.setText("Copied")
        self.refresh()

    def _revoked(self) -> None:
        self._busy(False)
        self.refresh()

    def _listed(self, records: list[ShareRecord]) -> None:
        self.records = list(records)
        while self.rows.count():
            item = self.rows.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        shown = self.shown.id if self.shown is not None else None
        others = [r for r in records if r.id != shown]  # the new link is in the box already
        if self.shown is not None:
            latest = next((r for r in records if r.id == shown), self.shown)
            self.link_status.setText(share_status(latest, now_iso()))
            if latest.status(now_iso()) != "active":  # revoked: it says so, no more buttons
                self.link.setEnabled(False)
                self.copy_button.setVisible(False)
                self.revoke_button.setVisible(False)
        self.list_title.setText(OTHER_LINKS if self.shown is not None else LIST_TITLE)
        self.list_title.setVisible(bool(others) or self.shown is None)
        self.empty.setVisible(not records)
        for r in others:
            self.rows.addWidget(ShareRow(r, self.revoke))
        fit_soon(self, self.body)

    def row_for(self, share_id: str) -> ShareRow | None:
        for i in range(self.rows.count()):
            item = self.rows.itemAt(i)
            w = item.widget() if item is not None else None
            if isinstance(w, ShareRow) and w.record.id == share_id and not w.isHidden():
                return w
        return None

    def _failed(self, err: NotesAppError) -> None:
        self._busy(False)
        parent = self.parent()
        if parent is not None and hasattr(parent, "show_error"):
            parent.show_error(err)
