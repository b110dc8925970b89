"""Rate limits keyed by client (and share): the arithmetic; the store keeps the numbers.

Each key holds one number, its "theoretical arrival time" (the generic cell rate algorithm):
``limit`` requests may come at once, then one more every ``window / limit`` seconds. The numbers
live in the server's database (``SnapshotStore.take``), so every worker of a server, and every
server on one database, counts a client's questions together. A key whose time has passed says
no more than a key never seen, so those rows are deleted by a job (``forget_rates``): what is kept
is bounded by the clients of the last window, and forgetting never locks anyone out.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``window`` seconds, as a burst and then steadily."""

    limit: int
    window: float

    @property
    def interval(self) -> float:
        return self.window / self.limit

    def step(self, due: float, now: float) -> tuple[float, float | None]:
        """One more request for a key whose time is ``due`` (0 for a new key): its new time
        and None when allowed, else its time unchanged and the seconds until it would be."""
        due = max(due, now)
        late = due + self.interval - now - self.window
        if late > 1e-9:
            return due, late
        return due + self.interval, None
