"""The composition root: settings read once, the database opened once, handed to the core.

Both the command line and the window build one ``App`` and pass its parts down; nothing below
this reads settings or opens the database on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from notes_app.config import Settings, load_settings
from notes_app.store.repo import Repo


@dataclass
class App:
    settings: Settings
    _repo: Repo | None = field(default=None, repr=False)

    @classmethod
    def load(cls, home: Path | None = None) -> App:
        return cls(settings=load_settings(home))

    @property
    def repo(self) -> Repo:
        if self._repo is None:
            self._repo = Repo.open(self.settings.db_path)
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None
