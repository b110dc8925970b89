"""Deleting a meeting from the window: the confirmation, the link count, and the worker job.

Revoking share links is HTTP, so the deletion runs as a worker job with a connection of its
own; counting the links is a local indexed read, cheap enough for the GUI thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from notes_app.config import Settings
from notes_app.store.repo import Repo

RECORDING_TIP = "This meeting is being recorded. Stop the recording first, then delete it."
ENHANCING_TIP = "This meeting is being enhanced. Wait for it to finish, then delete it."
DELETING_TIP = "A meeting is being deleted; wait a moment."
DELETE_TIP = "Delete the meeting with its notes, transcript and audio (Delete in the list)"


def live_link_count(settings: Settings, repo: Repo, meeting_id: int) -> int:
    """How many of the meeting's share links are still live (read from the local records)."""
    from notes_app.deletion import live_links
    from notes_app.share.desktop import Sharing

    return len(live_links(Sharing(settings, repo), meeting_id))


def confirm_text(title: str, links: int) -> tuple[str, str]:
    """The question and the detail under it: what goes, and the links that stop working."""
    what = (
        "Its notes, transcript, enhanced notes and audio recording will be deleted from "
        "this computer."
    )
    if links:
        what += f" Its {links} share link{'s' if links != 1 else ''} will be revoked."
    return f"Delete “{title}”?", what + " This cannot be undone."


def confirm_box(parent: QWidget | None, title: str, links: int) -> QMessageBox:
    """The confirmation: "Delete" answers Yes; Cancel is the default, so Enter keeps it."""
    question, detail = confirm_text(title, links)
    box = QMessageBox(QMessageBox.Icon.Warning, "Delete meeting", question, parent=parent)
    box.setInformativeText(detail)
    # Wide enough that the sentence reads as a paragraph, not a column of words.
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 360px; }")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText("Delete")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


def delete_job(settings: Settings, meeting_id: int):
    """A worker job deleting the meeting (links revoked first) on a connection of its own."""

    def run(_progress):
        from notes_app import deletion

        with Repo.open(settings.db_path) as repo:
            return deletion.delete_meeting(settings, repo, meeting_id)

    return run
