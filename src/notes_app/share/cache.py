"""A least-recently-used cache bounded by bytes, not by entries.

The share server keeps parsed snapshots and rendered pages so a popular link is cheap to serve;
counting entries let 256 large shares hold gigabytes, so each entry is charged its size and the
oldest go when the budget is spent. An entry larger than a quarter of the budget is not kept at
all: one huge share must not push out every other.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class ByteLRU(Generic[V]):
    def __init__(self, budget: int):
        self.budget = budget
        self._items: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._items)

    def get(self, key: str) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: str, value: V, size: int) -> None:
        with self._lock:
            self._drop(key)
            if size > self.budget // 4:
                return
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.budget:
                _, (_, oldest) = self._items.popitem(last=False)
                self._bytes -= oldest

    def pop(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def _drop(self, key: str) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self._bytes -= found[1]
