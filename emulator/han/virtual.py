"""A virtual HAN assembled in one call: clock, medium, captures, and emulated stacks.

The one place that wires the layers together for runs, demos, tests and benchmarks::

    han = VirtualHan(clock, seed=7, capture_dir=out)
    hub = han.coordinator(Eui64("00-DB-12-34-56-78-90-A2"))
    esme = han.node(Eui64("00-DB-12-34-56-78-90-A0"), Role.ROUTER)
    await han.start()
    await han.admit_and_join(esme, install_code)

A dual-band HAN (CHTS v1.1 hub) also has a GB868 channel: the hub gets a radio on each band and a
device joins on the band it is put on::

    han = VirtualHan(clock, capture_dir=out, sub_ghz=GB868_CHANNEL)
    hub = han.coordinator(hub_eui, bands=(Band.GHZ_2_4, Band.SUB_GHZ))
    gsme = han.node(gsme_eui, Role.END_DEVICE, band=Band.SUB_GHZ)

Each band has its pcap (``han-2g4.pcap``, ``han-subghz.pcap``: the latter with each frame's
channel page and number, link type 283); ``sub_ghz_band()`` is the hub's sub-GHz HAN as its
management sees it (devices, duty cycle from the medium's meters, retuning).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..codec.eui64 import Eui64
from ..codec.gbcs.sub_ghz import ChannelPage, SubGhzChannel
from ..codec.security import keys
from .capture import KeyRing, PcapCapture, TapPcapCapture, ZepStream
from .clock import Clock
from .medium import CHANNEL_11, Channel, VirtualMedium
from .radio import Band, RadioModel
from .stack.node import EmulatedStack, Role, StackConfig
from .stack.state import MemoryStateStore, StateStore

CAPTURE_FILES = {Band.GHZ_2_4: "han-2g4.pcap", Band.SUB_GHZ: "han-subghz.pcap"}
DEFAULT_JOIN_WINDOW = 3600.0  # GBCS JoinTimePeriod upper bound (DOMAIN.md §3, SRV 8.11)
GB868_CHANNEL = Channel(Band.SUB_GHZ, 28, 0)
"""[U] Where a sub-GHz HAN forms: page 28 channel 0, the first available (the RTDS DBCH01)."""


class VirtualHan:
    def __init__(
        self,
        clock: Clock,
        seed: int = 0,
        model: RadioModel | None = None,
        capture_dir: Path | None = None,
        channel: Channel = CHANNEL_11,
        zep: tuple[str, int] | None = None,
        sub_ghz: Channel | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.channel = channel
        if sub_ghz is not None and sub_ghz.band is not Band.SUB_GHZ:
            raise ValueError(f"{sub_ghz} is not a GB868 channel")
        self.sub_ghz = sub_ghz
        """The GB868 channel of a dual-band HAN (None: 2.4 GHz only)."""
        self.medium = VirtualMedium(clock, model, seed)
        self.captures: list[PcapCapture] = []
        if capture_dir is not None:
            epoch = clock.epoch.timestamp()
            capture = PcapCapture(capture_dir / CAPTURE_FILES[channel.band], epoch=epoch)
            self.captures.append(capture)
            self.medium.add_capture(channel.band, capture)
            if sub_ghz is not None:
                tap = TapPcapCapture(capture_dir / CAPTURE_FILES[Band.SUB_GHZ], epoch=epoch)
                self.captures.append(tap)
                self.medium.add_channel_capture(Band.SUB_GHZ, tap)
        self.zep = None
        if zep is not None:  # a live view for Wireshark: `wireshark -k -i udp` on that port
            self.zep = ZepStream(*zep, channel=channel.number, epoch=clock.epoch.timestamp())
            self.medium.add_capture(channel.band, self.zep)
        self.nodes: list[EmulatedStack] = []
        self.hub: EmulatedStack | None = None

    def coordinator(
        self,
        eui64: Eui64,
        store: StateStore | None = None,
        bands: Iterable[Band] = (Band.GHZ_2_4,),
    ) -> EmulatedStack:
        """The hub's node, with a radio on each of ``bands`` (one network across them)."""
        first, *others = bands
        self.hub = self.node(eui64, Role.COORDINATOR, store, band=first)
        for band in others:
            self.hub.add_radio(self.medium.attach(eui64, self._channel_of(band)))
        return self.hub

    def _channel_of(self, band: Band) -> Channel:
        if band is self.channel.band:
            return self.channel
        if band is Band.SUB_GHZ and self.sub_ghz is not None:
            return self.sub_ghz
        raise ValueError(f"this HAN has no {band.value} channel")

    def node(
        self,
        eui64: Eui64,
        role: Role,
        store: StateStore | None = None,
        band: Band = Band.GHZ_2_4,
        **config: float,
    ) -> EmulatedStack:
        """A node with one radio, on ``band``: where it scans for its network and joins."""
        radio = self.medium.attach(eui64, self._channel_of(band))
        stack = EmulatedStack(
            StackConfig(role, **config),  # type: ignore[arg-type]
            self.clock,
            radio,
            store or MemoryStateStore(),
            self.seed,
        )
        self.nodes.append(stack)
        return stack

    async def start(self) -> None:
        for node in self.nodes:
            await node.start()

    async def stop(self) -> None:
        for node in self.nodes:
            await node.stop()
        await self.medium.stop()
        for capture in self.captures:
            capture.close()
        if self.zep is not None:
            self.zep.close()

    async def admit_and_join(
        self, node: EmulatedStack, install_code: bytes, window: float = DEFAULT_JOIN_WINDOW
    ) -> None:
        """Tell the Trust Centre about ``node`` (install code without CRC, as GBCS carries it),
        then let ``node`` join with the same code."""
        assert self.hub is not None, "a HAN needs its coordinator first"
        link_key = keys.install_code_key(install_code)
        await self.hub.permit_joining(node.eui64, link_key, window)
        await node.join(link_key)

    def sub_ghz_band(self) -> VirtualSubGhzBand:
        """The hub's sub-GHz HAN, for its management (``emulator.devices.sub_ghz.SubGhzBand``)."""
        assert self.hub is not None and Band.SUB_GHZ in self.hub.interfaces, "no sub-GHz hub"
        return VirtualSubGhzBand(self, self.hub)

    def key_ring(self) -> KeyRing:
        """Every key in use, for the keys file (test runs only, ``--reveal-keys``)."""
        ring = KeyRing()
        for node in self.nodes:
            if node.network_key is not None:
                ring.add_network_key(node.network_key)
            for partner, key in node.link_keys_in_use():
                ring.add_link_key(partner, key)
        return ring


class VirtualSubGhzBand:
    """The hub's GB868 HAN on the virtual medium: its joined children there, each one's duty
    cycle from its own radio's meter (the medium records every sub-GHz transmission, DESIGN.md
    rule 4), and the hub's radio moved on a channel change."""

    def __init__(self, han: VirtualHan, hub: EmulatedStack) -> None:
        self.han = han
        self.hub = hub

    def devices(self) -> list[Eui64]:
        return self.hub.children_on(Band.SUB_GHZ)

    def duty_cycle(self, device: Eui64) -> float:
        radio = self.han.medium.radio(device, Band.SUB_GHZ)
        return 0.0 if radio is None else radio.duty_cycle.fraction(self.han.clock.now())

    @property
    def channel(self) -> SubGhzChannel:
        c = self.hub.interfaces[Band.SUB_GHZ].radio.channel
        return SubGhzChannel(ChannelPage(c.page), c.number)

    async def retune(self, channel: SubGhzChannel) -> None:
        """The hub's radio moves; [I] its rx-on-when-idle sub-GHz children follow at once (a
        ZDO Mgmt_NWK_Update broadcast, not modelled frame by frame). A sleepy GSME moves by
        itself once it has read the Sub-GHz cluster's ChannelChange (``gsme.py``)."""
        target = Channel(Band.SUB_GHZ, int(channel.page), channel.number)
        self.hub.tune(target)
        for node in self.han.nodes:
            radio = node.interfaces.get(Band.SUB_GHZ)
            if (
                node is not self.hub
                and radio is not None
                and node.config.role is not Role.END_DEVICE
            ):
                node.tune(target)
