"""Rate limits keyed by client (and share), bounded in memory and constant time per request.

Each key holds one number, its "theoretical arrival time" (the generic cell rate algorithm):
``limit`` requests may come at once, then one more every ``window / limit`` seconds. Keys are
kept in the order they were last used; past ``max_keys`` the longest idle is forgotten, which
only ever lets that client start afresh, so a flood of addresses costs bounded memory and
never locks anyone out.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Callable

MAX_KEYS = 100_000
IPV6_PREFIX = 64  # one subscriber usually holds a whole /64: count it as one client


def client_key(host: str | None) -> str:
    """The address a limit is kept for: an IPv4 address, or the /64 of an IPv6 one."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


class RateLimiter:
    def __init__(
        self, limit: int, window: float, clock: Callable[[], float], *, max_keys: int = MAX_KEYS
    ):
        self.limit = limit
        self.window = window
        self.interval = window / limit
        self.clock = clock
        self.max_keys = max_keys
        self._due: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._due)

    def wait(self, key: str) -> float | None:
        """None if ``key`` may make a request now, else the seconds until it may (counts
        nothing)."""
        now = self.clock()
        with self._lock:
            due = max(self._due.get(key, now), now)
        late = due + self.interval - now - self.window
        return late if late > 1e-9 else None

    def hit(self, key: str) -> float | None:
        """Count one request for ``key``: None if allowed, else seconds until it would be."""
        now = self.clock()
        with self._lock:
            due = max(self._due.get(key, now), now)
            late = due + self.interval - now - self.window
            if late > 1e-9:
                self._due.move_to_end(key)
                return late
            self._due[key] = due + self.interval
            self._due.move_to_end(key)
            while len(self._due) > self.max_keys:
                self._due.popitem(last=False)
        return None
