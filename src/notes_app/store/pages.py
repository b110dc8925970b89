"""A SQLite file read page by page, without SQLite: what salvage needs once SQLite stops at a
damaged page. SQLite's own ``.recover`` does this; the sqlite3 command line is often missing or
built without it, so the few parts of the file format salvage needs are read here
(https://www.sqlite.org/fileformat2.html): the header, the write-ahead log's committed pages,
table b-tree pages, records, overflow chains and the freelist.

Everything is defensive: a page or cell that does not parse is skipped, never trusted.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"SQLite format 3\x00"
LEAF_TABLE, INTERIOR_TABLE, LEAF_INDEX, INTERIOR_INDEX = 0x0D, 0x05, 0x0A, 0x02
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_ENCODINGS = {1: "utf-8", 2: "utf-16-le", 3: "utf-16-be"}


class BadCell(ValueError):
    """A cell or record that does not parse."""


@dataclass(frozen=True)
class SchemaEntry:
    type: str
    name: str
    rootpage: int


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    """SQLite's variable-length integer at ``pos``: (value, position after it)."""
    value = 0
    for i in range(9):
        if pos + i >= len(buf):
            raise BadCell("varint runs past the page")
        byte = buf[pos + i]
        if i == 8:
            value = (value << 8) | byte
            break
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    if value >= 1 << 63:
        value -= 1 << 64
    return value, pos + i + 1


def decode_record(payload: bytes, encoding: str = "utf-8") -> list[Any]:
    """The values of a record (header of serial types, then the body)."""
    header_size, pos = varint(payload, 0)
    if not 0 < header_size <= len(payload):
        raise BadCell("record header out of range")
    types = []
    while pos < header_size:
        serial, pos = varint(payload, pos)
        types.append(serial)
    if pos != header_size:
        raise BadCell("record header overruns")
    values: list[Any] = []
    body = header_size
    for serial in types:
        if serial == 0:
            values.append(None)
            continue
        if serial in (8, 9):
            values.append(serial - 8)
            continue
        if serial in (10, 11):
            raise BadCell("reserved serial type")
        if serial <= 6:
            size = (0, 1, 2, 3, 4, 6, 8)[serial]
            chunk = payload[body : body + size]
            if len(chunk) != size:
                raise BadCell("record body too short")
            values.append(int.from_bytes(chunk, "big", signed=True))
        elif serial == 7:
            chunk = payload[body : body + 8]
            if len(chunk) != 8:
                raise BadCell("record body too short")
            values.append(struct.unpack(">d", chunk)[0])
            size = 8
        else:
            size = (serial - 12) // 2
            chunk = payload[body : body + size]
            if len(chunk) != size:
                raise BadCell("record body too short")
            if serial % 2:
                try:
                    values.append(chunk.decode(encoding))
                except UnicodeDecodeError:
                    raise BadCell("text is not valid") from None
            else:
                values.append(bytes(chunk))
        body += size
    if body != len(payload):
        raise BadCell("record body length does not match its header")
    return values


class PageFile:
    """A database file (and its write-ahead log's committed pages), read page by page."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        size = self.path.stat().st_size
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        head = bytes(self._map[:100])
        valid = head[:16] == MAGIC
        page_size = struct.unpack(">H", head[16:18])[0] if valid else 4096
        self.page_size = 65536 if page_size == 1 else page_size
        if self.page_size < 512 or self.page_size & (self.page_size - 1):
            self.page_size, valid = 4096, False
        self.reserved = head[20] if valid else 0
        self.usable = self.page_size - self.reserved
        self.encoding = _ENCODINGS.get(struct.unpack(">I", head[56:60])[0], "utf-8")
        self.header_valid = valid
        self._freelist_trunk = struct.unpack(">I", head[32:36])[0] if valid else 0
        self._wal: dict[int, bytes] = self._read_wal()
        self.page_count = max(len(self._map) // self.page_size, max(self._wal, default=0))

    def close(self) -> None:
        if isinstance(self._map, mmap.mmap):
            self._map.close()
        self._file.close()

    def __enter__(self) -> PageFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def page(self, number: int) -> bytes | None:
        if number in self._wal:
            return self._wal[number]
        if not 1 <= number <= len(self._map) // self.page_size:
            return None
        start = (number - 1) * self.page_size
        return bytes(self._map[start : start + self.page_size])

    # --- the write-ahead log: the last committed copy of each page -------------------------

    def _read_wal(self) -> dict[int, bytes]:
        wal = Path(f"{self.path}-wal")
        try:
            data = wal.read_bytes()
        except OSError:
            return {}
        if len(data) < 32:
            return {}
        magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">6I", data[:24])
        if magic not in _WAL_MAGIC or page_size != self.page_size:
            return {}
        order = ">" if magic & 1 else "<"
        check = _wal_checksum(data[:24], (0, 0), order)
        if check != struct.unpack(">2I", data[24:32]):
            return {}
        pages: dict[int, bytes] = {}
        pending: dict[int, bytes] = {}
        frame = 24 + page_size
        for start in range(32, len(data) - frame + 1, frame):
            number, commit, s1, s2 = struct.unpack(">4I", data[start : start + 16])
            if (s1, s2) != (salt1, salt2):
                break
            body = data[start + 24 : start + frame]
            check = _wal_checksum(data[start : start + 8] + body, check, order)
            if check != struct.unpack(">2I", data[start + 16 : start + 24]):
                break
            pending[number] = body
            if commit:
                pages.update(pending)
                pending = {}
        return pages

    # --- b-trees ----------------------------------------------------------------------------

    def kind(self, number: int) -> int | None:
        """The b-tree page type byte of page ``number`` (None past the end)."""
        data = self.page(number)
        if data is None:
            return None
        return data[100 if number == 1 else 0]

    def tree(self, root: int) -> tuple[set[int], set[int], set[int]]:
        """Pages of the table b-tree at ``root``: (leaves, interior pages, broken pages)."""
        leaves: set[int] = set()
        interior: set[int] = set()
        broken: set[int] = set()
        todo = [root]
        while todo:
            number = todo.pop()
            if number in leaves or number in interior or number in broken:
                continue
            kind = self.kind(number)
            if kind == LEAF_TABLE:
                leaves.add(number)
            elif kind == INTERIOR_TABLE:
                interior.add(number)
                todo.extend(self._children(number))
            else:
                broken.add(number)
        return leaves, interior, broken

    def _children(self, number: int) -> list[int]:
        data = self.page(number) or b""
        base = 100 if number == 1 else 0
        count = struct.unpack(">H", data[base + 3 : base + 5])[0]
        children = [struct.unpack(">I", data[base + 8 : base + 12])[0]]
        for i in range(count):
            at = base + 12 + 2 * i
            ptr = struct.unpack(">H", data[at : at + 2])[0]
            if ptr + 4 <= len(data):
                children.append(struct.unpack(">I", data[ptr : ptr + 4])[0])
        return [c for c in children if 1 <= c <= self.page_count]

    def index_records(self, root: int) -> Iterator[list[Any]]:
        """The keys of the index b-tree at ``root`` (each a record: the indexed columns, then
        the rowid), as far as its pages can be read."""
        seen: set[int] = set()
        todo = [root]
        while todo:
            number = todo.pop()
            data = self.page(number)
            if number in seen or data is None:
                continue
            seen.add(number)
            base = 100 if number == 1 else 0
            kind = data[base]
            if kind not in (LEAF_INDEX, INTERIOR_INDEX):
                continue
            interior = kind == INTERIOR_INDEX
            head = 12 if interior else 8
            count = struct.unpack(">H", data[base + 3 : base + 5])[0]
            count = min(count, (self.usable - base - head) // 2)
            if interior:
                todo.append(struct.unpack(">I", data[base + 8 : base + 12])[0])
            for i in range(count):
                at = base + head + 2 * i
                ptr = struct.unpack(">H", data[at : at + 2])[0]
                try:
                    if interior:
                        todo.append(struct.unpack(">I", data[ptr : ptr + 4])[0])
                        ptr += 4
                    yield decode_record(self._payload(data, ptr, index=True), self.encoding)
                except (BadCell, struct.error):
                    continue

    def leaf_pages(self) -> set[int]:
        """Every page that looks like a table leaf, wherever it hangs (or if it hangs nowhere)."""
        return {n for n in range(1, self.page_count + 1) if self.kind(n) == LEAF_TABLE}

    def freelist(self) -> set[int]:
        """Pages the database holds free (their old content is not data)."""
        free: set[int] = set()
        trunk = self._freelist_trunk
        while trunk and trunk not in free and 1 <= trunk <= self.page_count:
            free.add(trunk)
            data = self.page(trunk) or b""
            following, count = struct.unpack(">2I", data[:8])
            count = min(count, (self.usable - 8) // 4)
            for i in range(count):
                leaf = struct.unpack(">I", data[8 + 4 * i : 12 + 4 * i])[0]
                if 1 <= leaf <= self.page_count:
                    free.add(leaf)
            trunk = following
        return free

    def cells(self, number: int) -> Iterator[tuple[int, list[Any] | None]]:
        """(rowid, values) of each cell of a table leaf page; values None when it is damaged."""
        data = self.page(number)
        if data is None:
            return
        base = 100 if number == 1 else 0
        if data[base] != LEAF_TABLE:
            return
        count = struct.unpack(">H", data[base + 3 : base + 5])[0]
        count = min(count, (self.usable - base - 8) // 2)
        for i in range(count):
            at = base + 8 + 2 * i
            ptr = struct.unpack(">H", data[at : at + 2])[0]
            try:
                rowid, payload = self._cell(data, ptr)
            except (BadCell, struct.error):
                continue
            try:
                yield rowid, decode_record(payload, self.encoding)
            except (BadCell, struct.error):
                yield rowid, None

    def _cell(self, data: bytes, ptr: int) -> tuple[int, bytes]:
        if not 8 <= ptr < self.usable:
            raise BadCell("cell pointer out of range")
        _size, pos = varint(data, ptr)
        rowid, _ = varint(data, pos)
        return rowid, self._payload(data, ptr)

    def _payload(self, data: bytes, ptr: int, *, index: bool = False) -> bytes:
        """The payload of the cell at ``ptr`` (a table leaf's, or an index page's), overflow
        pages followed."""
        if not 4 <= ptr < self.usable:
            raise BadCell("cell pointer out of range")
        size, pos = varint(data, ptr)
        if not index:
            _rowid, pos = varint(data, pos)
        if size < 0 or size > 1 << 30:
            raise BadCell("payload size out of range")
        local = self._local_size(size, index=index)
        payload = bytearray(data[pos : pos + local])
        if len(payload) != local:
            raise BadCell("payload runs past the page")
        if local < size:
            following = struct.unpack(">I", data[pos + local : pos + local + 4])[0]
            seen: set[int] = set()
            while len(payload) < size:
                if following in seen or not 1 <= following <= self.page_count:
                    raise BadCell("broken overflow chain")
                seen.add(following)
                page = self.page(following) or b""
                following = struct.unpack(">I", page[:4])[0]
                payload += page[4 : 4 + min(self.usable - 4, size - len(payload))]
        return bytes(payload)

    def _local_size(self, size: int, *, index: bool = False) -> int:
        usable = self.usable
        most = (usable - 12) * 64 // 255 - 23 if index else usable - 35
        if size <= most:
            return size
        least = (usable - 12) * 32 // 255 - 23
        local = least + (size - least) % (usable - 4)
        return local if local <= most else least

    # --- the schema ---------------------------------------------------------------------------

    def schema(self) -> list[SchemaEntry]:
        """Tables and indexes as far as page 1's schema tree can still be read."""
        found = []
        leaves, _, _ = self.tree(1)
        for leaf in sorted(leaves):
            for _rowid, values in self.cells(leaf):
                if values and len(values) >= 4 and isinstance(values[3], int):
                    found.append(SchemaEntry(str(values[0]), str(values[1]), values[3]))
        return found


def _wal_checksum(data: bytes, start: tuple[int, int], order: str) -> tuple[int, int]:
    s0, s1 = start
    words = struct.unpack(f"{order}{len(data) // 4}I", data[: len(data) // 4 * 4])
    mask = 0xFFFFFFFF
    for i in range(0, len(words) - 1, 2):
        s0 = (s0 + words[i] + s1) & mask
        s1 = (s1 + words[i + 1] + s0) & mask
    return s0, s1
