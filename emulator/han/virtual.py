"""A virtual HAN assembled in one call: clock, medium, captures, and emulated stacks.

The one place that wires the layers together for runs, demos, tests and benchmarks::

    han = VirtualHan(clock, seed=7, capture_dir=out)
    hub = han.coordinator(Eui64("00-DB-12-34-56-78-90-A2"))
    esme = han.node(Eui64("00-DB-12-34-56-78-90-A0"), Role.ROUTER)
    await han.start()
    await han.admit_and_join(esme, install_code)
"""

from __future__ import annotations

from pathlib import Path

from ..codec.eui64 import Eui64
from ..codec.security import keys
from .capture import KeyRing, PcapCapture, ZepStream
from .clock import Clock
from .medium import CHANNEL_11, Channel, VirtualMedium
from .radio import Band, RadioModel
from .stack.node import EmulatedStack, Role, StackConfig
from .stack.state import MemoryStateStore, StateStore

CAPTURE_FILES = {Band.GHZ_2_4: "han-2g4.pcap", Band.SUB_GHZ: "han-subghz.pcap"}
DEFAULT_JOIN_WINDOW = 3600.0  # GBCS JoinTimePeriod upper bound (DOMAIN.md §3, SRV 8.11)


class VirtualHan:
    def __init__(
        self,
        clock: Clock,
        seed: int = 0,
        model: RadioModel | None = None,
        capture_dir: Path | None = None,
        channel: Channel = CHANNEL_11,
        zep: tuple[str, int] | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.channel = channel
        self.medium = VirtualMedium(clock, model, seed)
        self.captures: list[PcapCapture] = []
        if capture_dir is not None:
            capture = PcapCapture(
                capture_dir / CAPTURE_FILES[channel.band], epoch=clock.epoch.timestamp()
            )
            self.captures.append(capture)
            self.medium.add_capture(channel.band, capture)
        self.zep = None
        if zep is not None:  # a live view for Wireshark: `wireshark -k -i udp` on that port
            self.zep = ZepStream(*zep, channel=channel.number, epoch=clock.epoch.timestamp())
            self.medium.add_capture(channel.band, self.zep)
        self.nodes: list[EmulatedStack] = []
        self.hub: EmulatedStack | None = None

    def coordinator(self, eui64: Eui64, store: StateStore | None = None) -> EmulatedStack:
        self.hub = self.node(eui64, Role.COORDINATOR, store)
        return self.hub

    def node(
        self, eui64: Eui64, role: Role, store: StateStore | None = None, **config: float
    ) -> EmulatedStack:
        radio = self.medium.attach(eui64, self.channel)
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
        link_key = keys.link_key_from_install_code(keys.with_crc(install_code))
        await self.hub.permit_joining(node.eui64, link_key, window)
        await node.join(link_key)

    def key_ring(self) -> KeyRing:
        """Every key in use, for the keys file (test runs only, ``--reveal-keys``)."""
        ring = KeyRing()
        for node in self.nodes:
            if node.network_key is not None:
                ring.add_network_key(node.network_key)
            for partner, key in node.link_keys_in_use():
                ring.add_link_key(partner, key)
        return ring
