"""A sliding-window rate limiter keyed by client or share, with an injected clock."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000  # forget idle keys past this, so a flood of addresses cannot exhaust memory


class RateLimiter:
    def __init__(self, limit: int, window: float, clock: Callable[[], float]):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one request for ``key``: None if allowed, else seconds until it would be."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            if len(self._hits) > MAX_KEYS:
                self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]
        for key in idle:
            del self._hits[key]
