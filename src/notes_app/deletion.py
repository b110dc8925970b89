"""Deleting a meeting: its share links are revoked first, then the stored meeting and the audio
the app recorded go.

Revoking comes first because a link left live would keep serving the notes after the user
believes they are gone: if a server cannot be reached, nothing is deleted and the error says so.
Audio is removed only from the app's own audio folder, never a file the user brought in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from notes_app.config import Settings
from notes_app.domain import Meeting
from notes_app.errors import ShareError
from notes_app.share.desktop import Sharing
from notes_app.store.repo import Repo


@dataclass(frozen=True)
class Deleted:
    meeting: Meeting
    revoked_links: int
    removed_audio: Path | None


def live_links(sharing: Sharing, meeting_id: int) -> list[str]:
    """Ids of the meeting's share links not yet revoked (expired ones are revoked too: cheap)."""
    return [r.id for r in sharing.list(meeting_id) if r.revoked_at is None]


def delete_meeting(
    settings: Settings, repo: Repo, meeting_id: int, *, sharing: Sharing | None = None
) -> Deleted:
    meeting = repo.get_meeting(meeting_id)
    sharing = sharing or Sharing(settings, repo)
    links = live_links(sharing, meeting_id)
    for share_id in links:
        try:
            sharing.revoke(share_id)
        except ShareError as e:
            raise ShareError(
                f"Meeting {meeting_id} was not deleted: its share link {share_id} could not be "
                f"revoked ({e}). Try again when the share server is reachable."
            ) from None
    repo.delete_meeting(meeting_id)
    return Deleted(meeting, len(links), _remove_own_audio(settings, meeting))


def _remove_own_audio(settings: Settings, meeting: Meeting) -> Path | None:
    if not meeting.audio_path:
        return None
    audio = Path(meeting.audio_path)
    if audio.exists() and settings.audio_dir.resolve() in audio.resolve().parents:
        audio.unlink()
        return audio
    return None
