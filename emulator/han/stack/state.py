"""Non-volatile stack state: keys, addresses and frame counters that survive a power cycle.

The caller supplies the store (a device keeps it with the rest of its state). Outgoing frame
counters are reserved in blocks: the stored value runs ``COUNTER_STRIDE`` ahead of the one in use,
so a restart resumes above every counter ever sent without writing on each frame (the usual
practice of ZigBee stacks, which persist counters in tokens the same way).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Protocol

COUNTER_STRIDE = 1024


class StateStore(Protocol):
    def load(self, key: str) -> Any | None: ...

    def save(self, key: str, value: Any) -> None: ...


class MemoryStateStore:
    """A store that lives as long as the object: enough to model a power cycle in one process."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def load(self, key: str) -> Any | None:
        raw = self._data.get(key)
        return None if raw is None else json.loads(raw)

    def save(self, key: str, value: Any) -> None:
        self._data[key] = json.dumps(value)


class SqliteStateStore:
    """A key/value table in SQLite (WAL), one row per key, values as JSON."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT)")

    def load(self, key: str) -> Any | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def save(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def close(self) -> None:
        self._db.close()


class OutgoingCounter:
    """A 32-bit security frame counter that never repeats across restarts."""

    def __init__(self, store: StateStore, key: str) -> None:
        self._store, self._key = store, key
        self._next = int(store.load(key) or 0)
        self._reserved = self._next
        self._reserve()

    def _reserve(self) -> None:
        self._reserved = self._next + COUNTER_STRIDE
        self._store.save(self._key, self._reserved)

    def take(self) -> int:
        value = self._next
        self._next += 1
        if self._next >= self._reserved:
            self._reserve()
        return value


class IncomingCounters:
    """The highest frame counter seen per sender; anything not above it is a replay.

    One stored key per sender keeps each save small on a hub that hears hundreds of devices;
    ``clear`` starts a new generation of keys rather than erasing every sender's.
    """

    def __init__(self, store: StateStore, prefix: str) -> None:
        self._store, self._base = store, prefix
        generation = int(store.load(f"{prefix}/generation") or 0)
        self._prefix = f"{prefix}/{generation}" if generation else prefix
        self._generation = generation
        self._seen: dict[int, int | None] = {}

    def _last(self, sender: int) -> int | None:
        if sender not in self._seen:
            stored = self._store.load(f"{self._prefix}/{sender:016x}")
            self._seen[sender] = None if stored is None else int(stored)
        return self._seen[sender]

    def clear(self) -> None:
        """Every sender's counters start afresh: a fresh join brings new keys (frame counters
        are per key), and a Trust Centre that formed a new network restarts its own."""
        self._generation += 1
        self._store.save(f"{self._base}/generation", self._generation)
        self._prefix = f"{self._base}/{self._generation}"
        self._seen.clear()

    def accept(self, sender: int, counter: int) -> bool:
        """Record ``counter`` from ``sender`` if it is fresh; False for a replay."""
        last = self._last(sender)
        if last is not None and counter <= last:
            return False
        self._seen[sender] = counter
        self._store.save(f"{self._prefix}/{sender:016x}", counter)
        return True

    def forget(self, sender: int) -> None:
        """A new key with ``sender`` (rejoin, key switch) starts its counters afresh."""
        self._seen[sender] = None
        self._store.save(f"{self._prefix}/{sender:016x}", None)
