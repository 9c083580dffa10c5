"""The virtual medium: one authority per HAN that orders transmissions in modelled time.

Every node gets a :class:`Radio` (the PHY and the MAC hardware: address filter, auto-ACK, frame
retries, CSMA-CA or listen-before-talk). A transmission occupies its channel for its airtime;
at its end the medium decides, for each radio tuned to the same band, page and channel, whether
the frame arrives: not if that radio was transmitting (half duplex), not if another transmission
overlapped it there (collision), not if the seeded link model loses it. Every frame on the air,
ACKs included, goes to the band's captures stamped with modelled time (DESIGN.md rule 4).

Addressing is filtered here as radio hardware does (802.15.4-2006 §7.5.6.2), so a stack sees only
frames for its PAN and address, broadcasts and beacons. Unicast frames that ask for an ACK are
acknowledged by the receiving radio after aTurnaroundTime, as hardware auto-ACK does; the frame
pending bit of that ACK comes from the receiving stack (indirect transmission to sleepy children).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from ..codec import ieee802154 as mac
from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from .clock import Clock
from .radio import Band, ChannelAccess, RadioModel

REAL_TIME_ACK_SLACK = 0.05
"""Seconds added to macAckWaitDuration when the medium runs on ``RealClock`` (a virtual HAN
behind an NCP emulator): the 864 us of the standard are modelled exactly in virtual time, but on
the wall clock the event loop's own scheduling takes longer than that."""


@dataclass(frozen=True, slots=True)
class Channel:
    band: Band
    page: int
    number: int


CHANNEL_11 = Channel(Band.GHZ_2_4, 0, 11)


class TxStatus(Enum):
    SUCCESS = "success"
    NO_ACK = "no ack"
    CHANNEL_ACCESS_FAILURE = "channel access failure"


@dataclass(frozen=True, slots=True)
class TxResult:
    status: TxStatus
    attempts: int
    frame_pending: bool = False  # from the ACK: the receiver holds data for us


@dataclass(frozen=True, slots=True)
class Reception:
    psdu: bytes
    time: float
    lqi: int = 255


class FrameSink(Protocol):
    """A capture: pcap writer or live ZEP stream."""

    def write(self, psdu: bytes, modelled_time: float) -> None: ...


class ChannelFrameSink(Protocol):
    """A capture that records each frame's channel too (a band with several channels: GB868)."""

    def write_on(self, psdu: bytes, modelled_time: float, page: int, channel: int) -> None: ...


@dataclass
class _Transmission:
    sender: Radio
    channel: Channel
    psdu: bytes
    start: float
    end: float
    dst: mac.Address | None = None
    src: mac.Address | None = None
    dst_pan: int | None = None
    ack_request: bool = False
    seq: int = 0
    is_ack: bool = False
    destroyed_at: set[int] = field(default_factory=set)  # ids of radios where it collided


class Radio:
    """One node's transceiver on a :class:`VirtualMedium`."""

    def __init__(self, medium: VirtualMedium, eui64: Eui64, channel: Channel, node_id: int) -> None:
        self.medium = medium
        self.eui64 = eui64
        self._channel = channel
        self.node_id = node_id
        self._pan_id: int | None = None
        self._short: int | None = None
        self.rx_on = True
        self._promiscuous = False
        self.pending_for: Callable[[mac.Address], bool] = lambda _addr: False
        self.inbox: asyncio.Queue[Reception] = asyncio.Queue()
        self.on_receive: Callable[[Reception], None] | None = None
        """When set, receptions are handed over at once, as a radio's interrupt would."""
        self.transmitting: _Transmission | None = None
        self.last_tx_end = -1e9
        self.duty_cycle = medium.model.duty_cycle_meter()
        self._awaiting_ack: tuple[int, asyncio.Future[bool]] | None = None
        self._tx_queue = asyncio.Lock()

    @property
    def channel(self) -> Channel:
        return self._channel

    def retune(self, channel: Channel) -> None:
        """Move to another channel (page and number) of the same band: what a frame already
        on the air keeps its channel; what comes after goes out, and is heard, on the new one."""
        if channel.band is not self._channel.band:
            raise ValueError(f"a {self._channel.band.value} radio cannot tune to {channel}")
        self._channel = channel

    @property
    def band(self) -> Band:
        return self._channel.band

    # -- addressing ---------------------------------------------------------------------------
    @property
    def short(self) -> int | None:
        return self._short

    @short.setter
    def short(self, value: int | None) -> None:
        self.medium._unindex(self)
        self._short = value
        self.medium._index(self)

    @property
    def promiscuous(self) -> bool:
        """A sniffer hears every frame on its channel, whatever the addressing."""
        return self._promiscuous

    @promiscuous.setter
    def promiscuous(self, value: bool) -> None:
        self._promiscuous = value
        (self.medium._sniffers.add if value else self.medium._sniffers.discard)(self)

    @property
    def pan_id(self) -> int | None:
        return self._pan_id

    @pan_id.setter
    def pan_id(self, value: int | None) -> None:
        self.medium._unindex(self)
        self._pan_id = value
        self.medium._index(self)

    def accepts(self, frame: _Transmission) -> bool:
        """802.15.4 frame filtering: our PAN (or broadcast PAN) and our address (or broadcast)."""
        if self.promiscuous or frame.dst is None:
            return True
        if frame.dst_pan not in (self.pan_id, mac.BROADCAST_PAN) and self.pan_id is not None:
            return False
        if isinstance(frame.dst, Eui64):
            return frame.dst == self.eui64
        return frame.dst == mac.BROADCAST_SHORT or frame.dst == self.short

    # -- sending ------------------------------------------------------------------------------
    async def transmit(self, psdu: bytes) -> TxResult:
        """Send one MPDU+FCS with channel access, waiting for the ACK and retrying if asked.

        One frame at a time, first come first served, as MAC hardware works: a second frame
        waits until the first has its ACK or has used its retries. The FIFO also keeps frames
        on the air in the order their security frame counters were taken.
        """
        async with self._tx_queue:
            return await self.medium.transmit(self, psdu)

    async def receive(self) -> Reception:
        return await self.inbox.get()


class VirtualMedium:
    """All radios of one virtual HAN, over one clock, seeded for determinism."""

    def __init__(
        self,
        clock: Clock,
        model: RadioModel | None = None,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.model = model or RadioModel()
        self.rng = random.Random(seed)
        self.captures: dict[Band, list[FrameSink]] = {}
        self.channel_captures: dict[Band, list[ChannelFrameSink]] = {}
        self.radios: list[Radio] = []
        self._on_air: list[_Transmission] = []
        # A dual-band node (the hub) has a radio on each band under one EUI-64 and one short
        # address: radios are found by band as well.
        self._by_eui: dict[tuple[Eui64, Band], Radio] = {}
        self._by_short: dict[tuple[Band, int | None, int], Radio] = {}
        self._awaiting: set[Radio] = set()
        self._sniffers: set[Radio] = set()
        self._acks: set[asyncio.Task[None]] = set()
        self._ack_slack = 0.0 if clock.is_virtual else REAL_TIME_ACK_SLACK
        self.frames = 0
        self.collisions = 0
        self.losses = 0

    def attach(self, eui64: Eui64, channel: Channel = CHANNEL_11) -> Radio:
        """A radio for ``eui64`` on ``channel``; one per band and node (a second on the same
        band would make the node two nodes)."""
        if (eui64, channel.band) in self._by_eui:
            raise ValueError(f"{eui64} already has a {channel.band.value} radio")
        radio = Radio(self, eui64, channel, len(self.radios))
        self.radios.append(radio)
        self._by_eui[(eui64, channel.band)] = radio
        return radio

    def radio(self, eui64: Eui64, band: Band) -> Radio | None:
        """``eui64``'s radio on ``band``, if it has one."""
        return self._by_eui.get((eui64, band))

    # Receivers are looked up, not searched for: a unicast frame concerns one radio, an ACK the
    # radios awaiting one; only broadcasts reach every radio on the channel.
    def _index(self, radio: Radio) -> None:
        if radio.short is not None:
            self._by_short[(radio.band, radio.pan_id, radio.short)] = radio

    def _unindex(self, radio: Radio) -> None:
        if radio.short is None:
            return
        key = (radio.band, radio.pan_id, radio.short)
        if self._by_short.get(key) is radio:
            del self._by_short[key]

    def _receivers(self, tx: _Transmission) -> list[Radio]:
        if tx.is_ack:
            return [r for r in self._awaiting if r._awaiting_ack and r._awaiting_ack[0] == tx.seq]
        if tx.dst is None or tx.dst == mac.BROADCAST_SHORT:
            return self.radios
        band = tx.channel.band
        if isinstance(tx.dst, Eui64):
            target = self._by_eui.get((tx.dst, band))
        else:
            target = self._by_short.get((band, tx.dst_pan, tx.dst))
        return ([target] if target is not None else []) + [
            r for r in self._sniffers if r is not target
        ]

    async def stop(self) -> None:
        """Cancel the ACKs still to be sent: a stopped medium puts nothing more on air."""
        for task in list(self._acks):
            task.cancel()
        await asyncio.gather(*self._acks, return_exceptions=True)

    def add_capture(self, band: Band, sink: FrameSink) -> None:
        self.captures.setdefault(band, []).append(sink)

    def add_channel_capture(self, band: Band, sink: ChannelFrameSink) -> None:
        """A capture told each frame's channel page and number as well."""
        self.channel_captures.setdefault(band, []).append(sink)

    # -- channel state ------------------------------------------------------------------------
    def busy(self, channel: Channel, at: float) -> bool:
        return any(t.channel == channel and t.start <= at < t.end for t in self._on_air)

    # -- the MAC data service as hardware runs it ------------------------------------------------
    async def transmit(self, radio: Radio, psdu: bytes) -> TxResult:
        try:
            frame = mac.decode_mpdu(psdu[:-2])
        except DecodeError:
            frame = None  # garbage goes on the air as it is: receivers drop it
        ack_request = bool(frame and frame.ack_request and frame.dst is not None)
        if ack_request and frame is not None and frame.dst == mac.BROADCAST_SHORT:
            ack_request = False
        band = radio.channel.band
        phy = self.model.phy(band)
        attempts = 0
        for _attempt in range(phy.max_frame_retries + 1):
            attempts += 1
            if not await self._channel_access(radio):
                return TxResult(TxStatus.CHANNEL_ACCESS_FAILURE, attempts)
            ack_future: asyncio.Future[bool] | None = None
            if ack_request and frame is not None:
                ack_future = asyncio.get_running_loop().create_future()
                radio._awaiting_ack = (frame.seq, ack_future)
                self._awaiting.add(radio)
            await self._send(radio, psdu, frame)
            if ack_future is None:
                return TxResult(TxStatus.SUCCESS, attempts)
            try:
                async with self.clock.timeout(phy.ack_wait_duration + self._ack_slack):
                    pending = await ack_future
                return TxResult(TxStatus.SUCCESS, attempts, pending)
            except TimeoutError:
                continue
            finally:
                radio._awaiting_ack = None
                self._awaiting.discard(radio)
        return TxResult(TxStatus.NO_ACK, attempts)

    async def _channel_access(self, radio: Radio) -> bool:
        """Unslotted CSMA-CA on 2.4 GHz; listen-before-talk and the 100 ms rule on sub-GHz."""
        band = radio.channel.band
        if band == Band.SUB_GHZ:
            lbt = self.model.lbt
            wait = lbt.earliest_next_tx(radio.last_tx_end) - self.clock.now()
            if wait > 0:
                await self.clock.sleep(wait)
            for _ in range(lbt.max_attempts):
                await self.clock.sleep(lbt.listen_time(self.rng))
                if not self.busy(radio.channel, self.clock.now()):
                    return True
            return False
        csma = self.model.csma_ca(band)
        phy = self.model.phy(band)
        while True:
            # The backoff, then the CCA, judged as it ends: one wait (nothing of ours in between)
            await self.clock.sleep(csma.next_backoff(self.rng) + phy.cca_duration)
            decision = csma.on_cca(self.busy(radio.channel, self.clock.now()))
            if decision == ChannelAccess.TRANSMIT:
                await self.clock.sleep(phy.turnaround)
                return True
            if decision == ChannelAccess.FAILURE:
                return False

    async def _send(
        self, radio: Radio, psdu: bytes, frame: mac.MacFrame | None, is_ack: bool = False
    ) -> None:
        while radio.transmitting is not None:  # half duplex: one frame at a time per radio
            await self.clock.sleep(radio.transmitting.end - self.clock.now())
        now = self.clock.now()
        band = radio.channel.band
        phy = self.model.phy(band)
        duration = phy.ack_airtime() if is_ack else phy.airtime(len(psdu))
        tx = _Transmission(radio, radio.channel, psdu, now, now + duration, is_ack=is_ack)
        if is_ack:
            tx.seq = psdu[2]
        elif frame is not None:
            tx.dst, tx.src, tx.dst_pan, tx.seq = frame.dst, frame.src, frame.dst_pan, frame.seq
            tx.ack_request = frame.ack_request
        for other in self._on_air:
            if other.channel == tx.channel:  # overlap: both are lost wherever both are heard
                self.collisions += 1
                ids = {r.node_id for r in self.radios if r.channel == tx.channel}
                other.destroyed_at |= ids
                tx.destroyed_at |= ids
        self._on_air.append(tx)
        radio.transmitting = tx
        if band == Band.SUB_GHZ:
            radio.duty_cycle.record(now, duration)
        for sink in self.captures.get(band, ()):
            sink.write(psdu, now)
        for channel_sink in self.channel_captures.get(band, ()):
            channel_sink.write_on(psdu, now, tx.channel.page, tx.channel.number)
        self.frames += 1
        await self.clock.sleep(duration)
        radio.transmitting = None
        if not is_ack:  # an ACK follows its frame by aTurnaroundTime: exempt from the 100 ms rule
            radio.last_tx_end = self.clock.now()
        self._on_air.remove(tx)
        self._deliver(tx)

    def _deliver(self, tx: _Transmission) -> None:
        for radio in self._receivers(tx):
            # A radio awaiting an ACK listens for it whatever its rx-on-when-idle (802.15.4-2006
            # §7.5.6.4: the originator enables its receiver for macAckWaitDuration); a sleepy
            # device's receiver is otherwise off between its polls.
            listening = radio.rx_on or tx.is_ack
            if radio is tx.sender or radio.channel != tx.channel or not listening:
                continue
            if radio.node_id in tx.destroyed_at or radio.transmitting is not None:
                continue
            if self.model.link.lost(tx.sender.node_id, radio.node_id, self.rng):
                self.losses += 1
                continue
            if tx.is_ack:
                waiting = radio._awaiting_ack
                if waiting and waiting[0] == tx.seq and not waiting[1].done():
                    waiting[1].set_result(bool(tx.psdu[0] & 0x10))
                continue
            if not radio.accepts(tx):
                continue
            reception = Reception(tx.psdu, self.clock.now())
            if radio.on_receive is not None:
                radio.on_receive(reception)
            else:
                radio.inbox.put_nowait(reception)
            if tx.ack_request and tx.dst is not None and tx.dst != mac.BROADCAST_SHORT:
                pending = tx.src is not None and radio.pending_for(tx.src)
                self._auto_ack(radio, tx.seq, pending)

    def _auto_ack(self, radio: Radio, seq: int, frame_pending: bool) -> None:
        ack = mac.ack(seq, frame_pending).psdu()
        phy = self.model.phy(radio.channel.band)

        async def send_ack() -> None:
            await self.clock.sleep(phy.turnaround)
            await self._send(radio, ack, None, is_ack=True)

        task = asyncio.get_running_loop().create_task(send_ack())
        self._acks.add(task)
        task.add_done_callback(self._acks.discard)
