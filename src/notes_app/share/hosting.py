"""What ``notes-app serve`` hands each uvicorn worker: the app, built in the worker's process.

uvicorn starts ``--workers N`` processes that each import an app factory, so the settings of
the command travel in one environment variable (``HostConfig``) and every worker builds the
same app from them: its own store connections (the database is shared; limits and jobs live
there), its own caches, the answerer from the settings in NOTES_APP_HOME.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass

from notes_app.config import app_home, load_settings
from notes_app.logs import setup_logging
from notes_app.share.answer import answerer_for
from notes_app.share.server import Limits, ShareApp, create_app
from notes_app.share.snapshots import SnapshotStore

ENV_VAR = "NOTES_APP_SHARE_WORKER"
FACTORY = "notes_app.share.hosting:worker_app"


@dataclass(frozen=True)
class HostConfig:
    location: str  # the data folder, or a postgresql:// URL
    public_url: str | None
    hosts: tuple[str, ...]
    asks_per_minute: int

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> HostConfig:
        data = json.loads(text)
        return cls(
            location=data["location"],
            public_url=data["public_url"],
            hosts=tuple(data["hosts"]),
            asks_per_minute=int(data["asks_per_minute"]),
        )

    def limits(self) -> Limits:
        return Limits(
            asks_per_client=self.asks_per_minute, asks_per_client_all=3 * self.asks_per_minute
        )


def worker_app() -> ShareApp:
    """The app of one worker (uvicorn's factory): from ``NOTES_APP_SHARE_WORKER``."""
    text = os.environ.get(ENV_VAR)
    if not text:
        raise RuntimeError(f"{FACTORY} is started by `notes-app serve`, which sets {ENV_VAR}.")
    config = HostConfig.from_env(text)
    setup_logging(app_home())  # a worker is a new process: its warnings go where serve's do
    # The serve command migrated the database and purged it before starting the workers.
    store = SnapshotStore(config.location, clock=time.time, purge=False)
    return create_app(
        store,
        public_url=config.public_url,
        answerer=answerer_for(load_settings().llm),
        limits=config.limits(),
        hosts=config.hosts,
        owns_store=True,
    )
