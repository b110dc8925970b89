"""Time as the app writes and shows it: stored timestamps, meeting clocks, human dates.

At the bottom of the stage order: every stage may import it, it imports nothing of ours.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """Now, as stored: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
