"""Store-and-forward for sleepy devices: GBCS the hub holds until the GSME comes to fetch it.

A GBCS command from the WAN for the GSME cannot be pushed: the GSME sleeps. The CHF keeps it here,
in order, in its non-volatile state (a hub power cycle loses nothing), and hands out the oldest on
each GB-HGRP GET; a message leaves only once its GET-RESPONSE was acknowledged. ``on_change`` is
told how many wait after every change (the GPF mirrors that in TUNNEL_MESSAGE_PENDING).

[U] GBCS bounds the CHF's buffer but our sources give no number per device, nor how long a
message may wait (Silicon Labs' plugin drops them after 24 h); ``MAILBOX_CAPACITY`` stands in,
and messages wait as long as it takes.
"""

from __future__ import annotations

from collections.abc import Callable

from ..codec.eui64 import Eui64
from ..han.stack.state import StateStore

MAILBOX_CAPACITY = 16
"""Messages held per device; a further one is refused until the GSME fetches some [U]."""


class SleepyMailbox:
    def __init__(
        self,
        store: StateStore,
        on_change: Callable[[Eui64, int], None] | None = None,
        key: str = "chf/mailbox",
    ) -> None:
        self._store, self._key = store, key
        self.on_change = on_change
        saved: dict[str, list[str]] = store.load(key) or {}
        self._held = {
            Eui64(eui): [bytes.fromhex(m) for m in messages] for eui, messages in saved.items()
        }

    def devices(self) -> list[Eui64]:
        """Devices with messages waiting."""
        return [eui for eui, messages in self._held.items() if messages]

    def pending(self, device: Eui64) -> int:
        return len(self._held.get(device, ()))

    def put(self, device: Eui64, message: bytes) -> bool:
        """Hold ``message`` for ``device``; False when its share of the store is full."""
        held = self._held.setdefault(device, [])
        if len(held) >= MAILBOX_CAPACITY:
            return False
        held.append(message)
        self._changed(device)
        return True

    def peek(self, device: Eui64) -> tuple[bytes | None, int]:
        held = self._held.get(device) or []
        return (held[0], len(held) - 1) if held else (None, 0)

    def delivered(self, device: Eui64, message: bytes) -> None:
        held = self._held.get(device) or []
        if message in held:
            held.remove(message)
            self._changed(device)

    def clear(self, device: Eui64) -> None:
        """Forget what waits for ``device`` (it left the Device Log)."""
        if self._held.pop(device, None):
            self._changed(device)

    def _changed(self, device: Eui64) -> None:
        self._store.save(
            self._key, {eui.hex: [m.hex() for m in held] for eui, held in self._held.items()}
        )
        if self.on_change is not None:
            self.on_change(device, self.pending(device))
