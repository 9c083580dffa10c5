"""HanPort: the one interface device code uses to talk on a HAN (DESIGN.md rule 5).

The same device actor runs on the emulated stack (virtual HAN) and on a dongle (zigpy/bellows);
it never knows which. It sends APS messages, reads received ones as an async stream, watches
events (joined, left, key established, frame dropped) and, on a Trust Centre, admits a device
for a join window with its install-code link key.

Example: an ESME answering Read Attributes on its Prepayment cluster::

    async def serve(port: HanPort) -> None:
        async for msg in port.messages():
            if msg.cluster == PREPAYMENT and msg.profile == PROFILE_SMART_ENERGY:
                request = zcl.decode_zcl(msg.payload)
                reply = zcl.read_attributes_response(PREPAYMENT, {0x0001: 2350}, tsn=request.tsn)
                await port.send(msg.source, cluster=PREPAYMENT, payload=reply.encode(),
                                dst_endpoint=msg.src_endpoint)

and a hub admitting it::

    await hub_port.permit_joining(esme_eui, link_key_from_install_code(code), seconds=3600)
    async for event in hub_port.events():
        if isinstance(event, Joined) and event.eui64 == esme_eui:
            break
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from ..codec.eui64 import Eui64
from ..codec.zigbee.aps import PROFILE_SMART_ENERGY


@dataclass(frozen=True, slots=True)
class ApsMessage:
    """A received APS data message, with how it was secured."""

    source: Eui64
    source_short: int
    src_endpoint: int
    dst_endpoint: int
    cluster: int
    profile: int
    payload: bytes
    aps_secured: bool
    broadcast: bool = False
    lqi: int = 255
    time: float = 0.0  # modelled time of reception


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What a node knows of its link with one partner: what a hub reports when asked to check
    HAN communications (GBCS CCS06). ``lqi`` is (max, mean, min) over the APS data frames heard;
    ``delivered`` / ``failed`` count APS data sent to the partner acknowledged / never."""

    last_heard: float | None  # modelled time of the last APS data frame from the partner
    heard: int
    lqi: tuple[int, int, int] | None
    delivered: int
    failed: int


@dataclass
class LinkTally:
    """The running counts behind a ``LinkStatus``, kept per partner by every ``HanPort``
    implementation (volatile: statistics, not state)."""

    last_heard: float | None = None
    heard: int = 0
    lqi_max: int = 0
    lqi_sum: int = 0
    lqi_min: int = 255
    delivered: int = 0
    failed: int = 0
    unconfirmed: int = 0
    """Sends whose outcome the radio never reported (a dongle's host stopped waiting)."""

    def heard_at(self, time: float, lqi: int) -> None:
        self.last_heard, self.heard = time, self.heard + 1
        self.lqi_max, self.lqi_min = max(self.lqi_max, lqi), min(self.lqi_min, lqi)
        self.lqi_sum += lqi

    def status(self) -> LinkStatus:
        lqi = (self.lqi_max, round(self.lqi_sum / self.heard), self.lqi_min) if self.heard else None
        return LinkStatus(self.last_heard, self.heard, lqi, self.delivered, self.failed)


class DropReason(Enum):
    """Why a stack discarded a frame; counted per reason, never raised out of the stack."""

    BAD_FCS = "bad FCS"
    MALFORMED = "malformed"
    UNKNOWN_FRAME_TYPE = "unknown frame type"
    WRONG_KEY = "MIC check failed"
    REPLAY = "frame counter not above the last seen"
    UNKNOWN_SENDER = "sender unknown"
    NOT_FOR_US = "not addressed to us"
    UNSECURED = "unsecured where security is required"


@dataclass(frozen=True, slots=True)
class Joined:
    eui64: Eui64
    short: int
    parent: Eui64 | None = None


@dataclass(frozen=True, slots=True)
class JoinRefused:
    """The Trust Centre refused a joiner (not allowed, or it could not prove the link key)."""

    eui64: Eui64
    reason: str


@dataclass(frozen=True, slots=True)
class Left:
    eui64: Eui64
    rejoin: bool = False


@dataclass(frozen=True, slots=True)
class KeyEstablished:
    """A new APS link key with ``partner`` is installed (TC link key update, CBKE, partner key)."""

    partner: Eui64
    kind: str  # "tc-link-key", "cbke", "application-link-key"


@dataclass(frozen=True, slots=True)
class FrameDropped:
    reason: DropReason
    source: Eui64 | int | None = None
    detail: str = ""


HanEvent = Joined | JoinRefused | Left | KeyEstablished | FrameDropped


class DeliveryError(Exception):
    """A send that was not acknowledged after every retry, or could not be addressed."""


class NotJoined(DeliveryError):
    """A send from a device that is on no network: nothing will change until it joins (its own
    ``Joined`` event), so a device may idle until then instead of retrying on a timer."""


class HanPort(Protocol):
    """What a device actor may do on its HAN."""

    @property
    def eui64(self) -> Eui64: ...

    async def send(
        self,
        destination: Eui64 | int,
        *,
        cluster: int,
        payload: bytes,
        profile: int = PROFILE_SMART_ENERGY,
        src_endpoint: int = 1,
        dst_endpoint: int = 1,
        aps_security: bool = True,
        ack: bool = True,
    ) -> None:
        """Send an APS data message to an EUI-64, a short address or a broadcast address.

        With ``ack`` the call returns once the APS ACK arrives (retrying as APS does) and raises
        :class:`DeliveryError` when it never does.
        """
        ...

    def messages(self) -> AsyncIterator[ApsMessage]:
        """Received APS data messages, in order of arrival."""
        ...

    def events(self) -> AsyncIterator[HanEvent]:
        """Joins, leaves, keys and drops, in order."""
        ...

    async def permit_joining(self, eui64: Eui64, link_key: bytes, seconds: float) -> None:
        """Trust Centre only: admit ``eui64`` with ``link_key`` for ``seconds``."""
        ...

    async def remove_device(self, eui64: Eui64) -> None:
        """Trust Centre only: withdraw ``eui64``'s admission, evict it and forget its keys."""
        ...

    def link_key(self, partner: Eui64) -> bytes | None:
        """The APS link key in use with ``partner``, if any (never logged)."""
        ...

    async def request_link_key(self, partner: Eui64) -> None:
        """Ask the Trust Centre for an application link key with ``partner`` (R22 §4.4.10.4)."""
        ...

    async def set_link_key(self, partner: Eui64, key: bytes, kind: str) -> None:
        """Install an APS link key with ``partner`` (after CBKE or a partner-key request)."""
        ...

    def link_status(self, partner: Eui64) -> LinkStatus | None:
        """The link with ``partner`` as this node has seen it; None if it never dealt with it."""
        ...

    async def remove_link_key(self, partner: Eui64) -> None:
        """Forget the application link key with ``partner`` (an unjoin); the Trust Centre link
        key of a joined device is the TC's to withdraw (``remove_device``), not this."""
        ...

    async def poll(self) -> None:
        """An end device asks its parent now for what it holds (a sleepy device awaiting an
        answer polls fast instead of waiting for its regular poll); nothing on a router."""
        ...


class PortFanOut:
    """What every ``HanPort`` implementation shares: each event to every subscriber of
    ``events()``, each received message to the one reader of ``messages()`` (the device's
    dispatch loop)."""

    def __init__(self) -> None:
        self._subscribers: list[asyncio.Queue[HanEvent]] = []
        self._messages: asyncio.Queue[ApsMessage] = asyncio.Queue()

    def _emit(self, event: HanEvent) -> None:
        for queue in self._subscribers:
            queue.put_nowait(event)

    async def events(self) -> AsyncIterator[HanEvent]:
        queue: asyncio.Queue[HanEvent] = asyncio.Queue()
        self._subscribers.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.remove(queue)

    async def messages(self) -> AsyncIterator[ApsMessage]:
        while True:
            yield await self._messages.get()
