"""A PPMID under test: the rig whitelists it, switches its power and watches what it does.

A physical PPMID cannot be driven as our emulators are: the rig knows it only as its bench
describes it (EUI-64, install code, power switch: ``rig.bench``). It whitelists it (8.11), then
power-cycles it so it looks for a network, and judges it by what our nodes hear from it
(``Heard``: the hub's and the meter's receive taps): that it joined and ran CBKE (the hub holds a
CBKE link key with it), which ZCL it sent where (its personality probe, its credit reads).

A *stand-in* (bench radio ``stand-in``) is our dual-mode PPMID emulator made autonomous
(``StandInPpmid``: it joins, runs CBKE and refreshes its display on its own), on the virtual HAN
the NCP emulator's dongles share, reached only through its emulated power switch: the same path
as a physical PPMID, proved in CI. Its stores outlive each case's premises, as a physical device's
memory outlives the hub it was installed on.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import KeyStore
from emulator.devices.dual_mode import DualModeProfile
from emulator.devices.stand_in import StandInPpmid
from emulator.han.clock import Clock
from emulator.han.key_establishment import KeyEstablishmentService
from emulator.han.port import ApsMessage
from emulator.han.stack.node import Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from rig.bench import Bench, BenchNode
from rig.power import OFF_SECONDS, PowerSwitch, power_cycle, power_switch

from .dongles import credentials
from .han_join import Member

PPMID_ROLE = "ppmid"
STAND_IN_OFF_SECONDS = 1.0
"""A stand-in has no supply capacitors to drain: one second off is a power cycle to it."""
STAND_IN_DISPLAY_PERIOD = 10.0
"""[I] How often the stand-in refreshes its display (reads its credit): within what PPMIDs do,
and it keeps each case's wait for its first served read short."""
CREDIT_WAIT = 120.0
"""[I] Seconds the meter-side observer waits for a physical PPMID to read its credit: more than
a PPMID's display refresh (tens of seconds). A stand-in's refresh is known: three of them."""


@dataclass(frozen=True)
class Heard:
    """One APS message from the device under test, as one of our nodes received it."""

    at: float
    """Clock seconds."""
    by: str
    cluster: int
    secured: bool
    payload: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "what": f"PPMID -> {self.by} cluster 0x{self.cluster:04X}"
            + ("" if self.secured else " (not APS-secured)"),
            "zcl": self.payload.hex().upper(),
        }


class StandInSocket:
    """A stand-in's power input across the cases of a run: the device is placed on each case's
    HAN (``placed``) and powered as the switch last left it."""

    def __init__(self, node: BenchNode, profile: DualModeProfile) -> None:
        assert node.eui64 is not None and node.install_code is not None  # read_bench checks
        self.node, self.profile = node, profile
        self.member = Member("PPMID", node.eui64, Role.ROUTER)
        self.install_code: bytes = node.install_code  # narrowed: read_bench requires it
        self.on = False
        self.device: StandInPpmid | None = None
        self.store = MemoryStateStore()
        self.stack_store = MemoryStateStore()

    async def power(self, on: bool) -> None:
        self.on = on
        if self.device is not None:
            await self.device.power(on)

    @contextlib.asynccontextmanager
    async def placed(
        self,
        han: VirtualHan,
        clock: Clock,
        seed: int,
        trust_centre: Eui64,
        keystore: KeyStore | None,
        acb: Eui64,
    ) -> AsyncIterator[StandInPpmid]:
        stack = han.node(self.member.eui64, Role.ROUTER, self.stack_store)
        creds = credentials(clock, seed, self.member, self.node)
        cbke = KeyEstablishmentService(stack, clock, creds, seed)
        device = StandInPpmid(
            stack, cbke, clock, self.profile, self.install_code,
            trust_centre=trust_centre, keystore=keystore, acb=acb, store=self.store,
            display_period=STAND_IN_DISPLAY_PERIOD,
        )  # fmt: skip
        self.device = device
        try:
            if self.on:
                await device.power(True)
            yield device
        finally:
            self.device = None
            await device.power(False)


class DeviceUnderTest:
    """The PPMID a conformance run judges (module docstring)."""

    def __init__(
        self, node: BenchNode, switch: PowerSwitch, stand_in: StandInSocket | None = None
    ) -> None:
        assert node.eui64 is not None and node.install_code is not None  # read_bench checks
        self.node, self.switch, self.stand_in = node, switch, stand_in
        self.eui64: Eui64 = node.eui64
        self.install_code: bytes = node.install_code
        self.heard: list[Heard] = []
        self.counter_floor = time.time_ns() // 1000
        """The lowest GBCS originator counter the rig may use with it next. A device keeps the
        highest counter it accepted from each remote party (anti-replay) across cases and
        runs, so each case's DCC and Supplier start above the last case's; the first case of a
        run above any earlier run's (the wall clock, in microseconds)."""

    @property
    def credit_wait(self) -> float:
        """How long the meter-side observer waits for its credit reads."""
        return CREDIT_WAIT if self.stand_in is None else 3 * STAND_IN_DISPLAY_PERIOD

    @property
    def description(self) -> str:
        what = "stand-in (emulated device under test)" if self.stand_in else "physical PPMID"
        return f"{what} {self.eui64}, power {self.switch.name}"

    def tap(self, by: str, clock: Clock) -> Callable[[ApsMessage], None]:
        """A receive tap for our node ``by``: keeps what the device under test sent it."""

        def heard(msg: ApsMessage) -> None:
            if msg.source == self.eui64:
                self.heard.append(Heard(clock.now(), by, msg.cluster, msg.aps_secured, msg.payload))

        return heard

    async def power_cycle(self, clock: Clock) -> None:
        off = STAND_IN_OFF_SECONDS if self.stand_in is not None else OFF_SECONDS
        await power_cycle(self.switch, clock, off)


def device_under_test(bench: Bench, profile: DualModeProfile) -> DeviceUnderTest:
    """The bench's PPMID under test with its power switch; a stand-in is built with ``profile``."""
    node = bench.node_with_role(PPMID_ROLE)
    assert node is not None and node.under_test and node.eui64 and node.install_code
    socket = StandInSocket(node, profile) if node.stand_in else None
    emulated = {node.name: socket} if socket is not None else None
    return DeviceUnderTest(node, power_switch(bench, node, emulated), socket)
