"""The SM WAN between the DCC and each Communications Hub, and the device commands on it.

It exists so the DCC's transport (one ``WanLink`` per CH, what an SRV does for a CH without one,
commands awaiting their responses and their timers) lives apart from what the DCC decides.

"No SM WAN" (DESIGN.md: the link is absent) follows ``NoWanPolicy``: ``FAIL`` (default) answers
E20 "unable to communicate with device" at once; ``HOLD`` acknowledges (I99) and sends the command
when a link to that CH is attached. [U] which of the two DUIS wants for a CH without WAN; both
are kept as a named setting. The install-and-leave scenario uses ``FAIL``: the DCC stores no
command for months; the Supplier resubmits once the WAN is back, and nothing it sent is lost from
the journal (E20 is journalled with the request, the SMI unchanged).

A device command unanswered after ``response_timeout`` (modelled seconds, through the ``Clock``)
is answered E21.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import MessageCode
from emulator.devices.ota_server import ImageDelivery
from emulator.han.clock import Clock

from . import requests as r

DEFAULT_RESPONSE_TIMEOUT = 3600.0
"""[U] Seconds the DCC waits for a device's response before answering E21. DUIS sets target
response times per SRV class; one named setting until they are modelled."""


class NoWanPolicy(enum.Enum):
    """What an SRV for a CH without a WAN link does (see the module docstring)."""

    FAIL = "fail"
    HOLD = "hold"


@dataclass(eq=False)
class WanLink:
    """The in-process SM WAN to one Communications Hub: one queue each way (GBCS bytes), and the
    firmware images the DCC hands the CH (11.1 / 11.4).

    Images travel on their own queue of typed ``ImageDelivery`` values: they are not GBCS
    messages (no use case carries them; the CSP moves them to the CH, DOMAIN.md section 3), they
    are far larger than any GBCS message, and keeping them apart leaves the GBCS stream exactly
    the bytes a real SM WAN carries, with nothing for the hub's GBCS gate to tell apart."""

    ch_id: Eui64
    to_hub: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    from_hub: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    images: asyncio.Queue[ImageDelivery] = field(default_factory=asyncio.Queue)


@dataclass(frozen=True, slots=True)
class Pending:
    """A device command awaiting its response, keyed by (CHF, GBCS originator counter)."""

    request: r.ServiceRequest
    message_code: MessageCode
    device_id: Eui64
    command: bytes = field(repr=False)


Key = tuple[int, int]
"""(responder, GBCS originator counter): what a response names its command by."""


class Outstanding:
    """The device commands sent (or held for a CH without a link) that await a response.

    ``on_timeout`` gets a command unanswered in time (the DCC answers E21)."""

    def __init__(self, on_timeout: Callable[[Pending], None]) -> None:
        self._on_timeout = on_timeout
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._held: dict[int, list[Key]] = {}
        self._pending: dict[Key, Pending] = {}

    def add(
        self,
        key: Key,
        pending: Pending,
        ch_id: Eui64,
        link: WanLink | None,
        clock: Clock | None,
        timeout: float | None,
    ) -> None:
        """Await ``pending``'s response; send it now, or hold it until ``ch_id`` has a link."""
        self._pending[key] = pending
        if link is None:
            self._held.setdefault(int(ch_id), []).append(key)
        else:
            self.send(link, key, clock, timeout)

    def release(
        self, ch_id: Eui64, link: WanLink, clock: Clock | None, timeout: float | None
    ) -> None:
        """The CH has a link now: the commands held for it go out."""
        for key in self._held.pop(int(ch_id), []):
            self.send(link, key, clock, timeout)

    def send(self, link: WanLink, key: Key, clock: Clock | None, timeout: float | None) -> None:
        """Put a pending command on the link and start its response timer."""
        pending = self._pending.get(key)
        if pending is None:
            return
        link.to_hub.put_nowait(pending.command)
        if timeout is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not running yet: no timer for this command
        later = clock.call_later if clock is not None else loop.call_later
        self._timers[key] = later(timeout, lambda: self._timed_out(key))

    def get(self, key: Key) -> Pending | None:
        return self._pending.get(key)

    def close(self, key: Key) -> Pending | None:
        """The command's response arrived: stop its timer, forget it."""
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        return self._pending.pop(key, None)

    def _timed_out(self, key: Key) -> None:
        """No response in time: E21 "no response received from device" to the requester."""
        self._timers.pop(key, None)
        pending = self._pending.pop(key, None)
        if pending is not None:
            self._on_timeout(pending)
