"""The stand-in PPMID on a virtual HAN in modelled time: it joins, runs CBKE, chooses its
personality and reads credit for its display on its own; the tests only whitelist it at the hub,
switch its power and watch the HAN."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from emulator.codec import ieee802154 as mac
from emulator.codec.errors import DecodeError
from emulator.codec.eui64 import Eui64
from emulator.codec.security.keys import install_code_key
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.metering import METERING
from emulator.codec.zcl.time import TIME
from emulator.devices.comms_hub import CommsHub
from emulator.devices.dual_mode import BASIC, PRICE, Personality, dual_mode_profile
from emulator.devices.registers import PREPAYMENT
from emulator.devices.smets1_hub import Smets1Hub, Smets1HubProfile
from emulator.devices.stand_in import DISPLAY_PERIOD, JOIN_RETRY, StandInPpmid
from emulator.devices.tunnel import TUNNELING
from emulator.han.clock import VirtualClock
from emulator.han.port import ApsMessage, JoinRefused
from emulator.han.radio import Band
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from rig.scenarios.han_join import ESME, HUB, Node, make_nodes
from rig.scenarios.premises import ACB, PPMID, premises_keys

CODE = bytes(range(16, 32))  # test-only install code
FIRMWARE = bytes.fromhex("0004012F")
WINDOW = 3600.0


@dataclass
class Air:
    """A sniffer: the modelled time of every MAC frame on the channel and who sent it."""

    frames: list[tuple[float, mac.MacFrame]] = field(default_factory=list)

    def write(self, psdu: bytes, modelled_time: float) -> None:
        with contextlib.suppress(DecodeError):
            self.frames.append((modelled_time, mac.decode_psdu(psdu)))

    def from_ppmid(self, since: float, until: float = float("inf")) -> list[mac.MacFrame]:
        """Frames the PPMID sent: beacon requests (only it scans here), and any frame whose
        source is not the hub (hub: short 0x0000 or its EUI-64)."""
        return [
            f
            for t, f in self.frames
            if since <= t < until
            and (
                isinstance(f.command, mac.BeaconRequest)
                or (f.src is not None and f.src not in (0x0000, HUB.eui64))
            )
        ]

    def scans(self, since: float, until: float = float("inf")) -> list[float]:
        return [
            t
            for t, f in self.frames
            if since <= t < until and isinstance(f.command, mac.BeaconRequest)
        ]


@dataclass
class System:
    clock: VirtualClock
    han: VirtualHan
    hub_node: Node
    stand_in: StandInPpmid
    air: Air
    reads: list[float]
    """When a Prepayment request from the PPMID reached the hub."""
    refused: list[float]
    """When the hub refused the PPMID's association."""
    smets1: Smets1Hub | None = None


@contextlib.asynccontextmanager
async def system(smets2: bool = False, seed: int = 3) -> AsyncIterator[System]:
    """A hub (SMETS2+ CommsHub, or SMETS1 hub with its ESI) and the stand-in, powered off and not
    whitelisted; every task stopped on exit."""
    clock = VirtualClock()
    han = VirtualHan(clock, seed=seed)
    air = Air()
    han.medium.add_capture(Band.GHZ_2_4, air)
    nodes = make_nodes(han, clock, seed, (HUB, PPMID))
    hub_node, node = nodes[HUB.eui64], nodes[PPMID.eui64]
    reads: list[float] = []
    refused: list[float] = []
    background: list[asyncio.Task[None]] = []
    smets1 = None
    keystore = None
    hub: CommsHub | Smets1Hub
    if smets2:
        keys = premises_keys("stand-in", devices=(HUB.eui64, PPMID.eui64))
        keystore = keys.devices[PPMID.eui64]
        hub = CommsHub(hub_node.stack, keys.hub, ACB, MemoryStateStore(), clock)
        for cluster in (TUNNELING, TIME):
            hub_node.applications[cluster] = hub.handle
    else:
        smets1 = hub = Smets1Hub(
            hub_node.stack, clock, MemoryStateStore(), Smets1HubProfile("s1", ESME.eui64)
        )
        for cluster in (METERING, PRICE, TIME, TUNNELING, BASIC):
            hub_node.applications[cluster] = hub.handle
    serve_esi = hub.handle

    async def esi(msg: ApsMessage) -> None:
        if msg.source == PPMID.eui64:
            reads.append(clock.now())
        await serve_esi(msg)

    hub_node.applications[PREPAYMENT] = esi

    async def watch_hub() -> None:
        async for event in hub_node.stack.events():
            if isinstance(event, JoinRefused) and event.eui64 == PPMID.eui64:
                refused.append(clock.now())

    stand_in = StandInPpmid(
        node.stack, node.cbke, clock, dual_mode_profile(FIRMWARE), CODE,
        trust_centre=HUB.eui64, keystore=keystore, acb=ACB if smets2 else None,
        store=MemoryStateStore(), display_period=DISPLAY_PERIOD,
    )  # fmt: skip
    await hub_node.stack.start()  # the stand-in's stack starts when it is powered
    loop = asyncio.get_running_loop()
    background += [loop.create_task(hub_node.serve()), loop.create_task(watch_hub())]
    await clock.sleep(0)
    try:
        yield System(clock, han, hub_node, stand_in, air, reads, refused, smets1)
    finally:
        await stand_in.power(False)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if isinstance(hub, CommsHub):
            await hub.aclose()
        await han.stop()


async def until(clock: VirtualClock, condition: Callable[[], bool], within: float) -> None:
    async with clock.timeout(within):
        while not condition():
            await clock.sleep(0.5)


def joined_at_hub(s: System) -> bool:
    return any(eui == PPMID.eui64 for eui, _, _ in s.hub_node.stack.children())


async def whitelist_smets1(s: System) -> None:
    """What the S1SP does: 8.11 (Device Log and join window) and 8.7.1 (the PPMID on the ESI)."""
    assert s.smets1 is not None
    assert (await s.smets1.add_device(PPMID.eui64, "PPMID", CODE, WINDOW)).ok
    assert (await s.smets1.join(PPMID.eui64, ESME.eui64)).ok


async def test_it_joins_a_smets2_hub_once_whitelisted_runs_cbke_and_chooses_smets2() -> None:
    async with system(smets2=True) as s:
        await s.stand_in.power(True)
        await s.stand_in.power(True)  # idempotent: still one device
        await s.clock.sleep(30.0)
        assert not s.stand_in.stack.joined and not joined_at_hub(s)
        key = install_code_key(CODE)
        await s.hub_node.stack.permit_joining(PPMID.eui64, key, WINDOW)
        await until(s.clock, lambda: s.stand_in.ppmid.personality is not None, 120.0)

        assert joined_at_hub(s)
        assert s.stand_in.ppmid.personality is Personality.SMETS2_PLUS
        assert s.hub_node.cbke.results[PPMID.eui64] is None  # CBKE done, the hub as responder
        link = s.hub_node.stack.link_key(PPMID.eui64)
        assert link is not None and link != key and link == s.stand_in.stack.link_key(HUB.eui64)
        [(_, answer)] = s.stand_in.ppmid.probes
        assert answer is not None and not zcl.decode_zcl(answer).is_global  # GB-HGRP listed
        # No ESME on its Device Log yet (no CS03A2): nothing to read, nothing shown.
        await s.clock.sleep(2 * DISPLAY_PERIOD)
        assert s.stand_in.shown is None and s.reads == []


async def test_against_a_smets1_hub_it_chooses_smets1_and_shows_the_esi_credit() -> None:
    async with system() as s:
        await s.stand_in.power(True)
        await s.clock.sleep(25.0)
        await whitelist_smets1(s)
        await until(s.clock, lambda: s.stand_in.shown is not None, 120.0)

        assert s.stand_in.ppmid.personality is Personality.SMETS1
        assert s.smets1 is not None
        shown = s.stand_in.shown
        assert shown is not None
        assert shown.credit_remaining == s.smets1.registers.credit_remaining
        s.smets1.set_registers(credit_remaining=s.smets1.registers.credit_remaining - 777)
        await s.clock.sleep(DISPLAY_PERIOD + 2.0)
        assert s.stand_in.shown is not None
        assert s.stand_in.shown.credit_remaining == s.smets1.registers.credit_remaining

        first = s.reads[0]
        await s.clock.sleep(4 * DISPLAY_PERIOD)
        gaps = [b - a for a, b in zip(s.reads, s.reads[1:], strict=False)]
        assert len(s.reads) >= 6 and s.reads[0] == first
        assert all(abs(gap - DISPLAY_PERIOD) < 1.0 for gap in gaps), gaps


async def test_powered_off_it_is_silent_and_powered_on_it_rejoins_with_its_personality() -> None:
    async with system() as s:
        await s.stand_in.power(True)
        assert s.smets1 is not None
        # A short join window: once it has closed only a secured rejoin gets back on the HAN.
        assert (await s.smets1.add_device(PPMID.eui64, "PPMID", CODE, 120.0)).ok
        assert (await s.smets1.join(PPMID.eui64, ESME.eui64)).ok
        await until(s.clock, lambda: s.stand_in.shown is not None, 120.0)
        short = s.stand_in.stack.short
        link = s.hub_node.stack.link_key(PPMID.eui64)

        await s.stand_in.power(False)
        off = s.clock.now()
        await s.clock.sleep(600.0)
        on = s.clock.now()
        assert not s.stand_in.powered and not s.stand_in.stack.radio.rx_on
        assert s.air.from_ppmid(off, on) == []
        assert [t for t in s.reads if off <= t < on] == []

        await s.stand_in.power(True)
        assert s.stand_in.ppmid.personality is Personality.SMETS1  # from its store, at once
        assert s.stand_in.shown is None  # a blank display until its first read
        await until(s.clock, lambda: s.stand_in.shown is not None, 120.0)
        assert s.stand_in.ppmid.probes == []  # no new CBKE, so no new choice
        assert s.stand_in.stack.short == short
        assert s.hub_node.stack.link_key(PPMID.eui64) == link  # the CBKE key, kept both sides
        assert s.air.scans(on) == []  # a secured rejoin, no scan for a network
        assert [t for t in s.reads if t >= on]


async def test_asked_to_leave_it_looks_for_a_network_and_rejoins_once_whitelisted_again() -> None:
    async with system() as s:
        await s.stand_in.power(True)
        await whitelist_smets1(s)
        await until(s.clock, lambda: s.stand_in.shown is not None, 120.0)

        await s.hub_node.stack.remove_device(PPMID.eui64)
        left = s.clock.now()
        await s.clock.sleep(65.0)
        assert not s.stand_in.stack.joined and not joined_at_hub(s)
        scans = s.air.scans(left)
        assert len(scans) >= 9  # three beacon requests a scan, one scan per JOIN_RETRY and more
        reads_while_out = len([t for t in s.reads if t > left + 1.0])
        assert reads_while_out == 0

        back = s.clock.now()
        await s.hub_node.stack.permit_joining(PPMID.eui64, install_code_key(CODE), WINDOW)
        await until(s.clock, lambda: joined_at_hub(s), JOIN_RETRY + 30.0)
        await until(s.clock, lambda: len(s.stand_in.ppmid.probes) == 2, 120.0)
        assert s.stand_in.ppmid.personality is Personality.SMETS1
        await s.clock.sleep(DISPLAY_PERIOD + 2.0)
        assert [t for t in s.reads if t > back]  # its display reads the ESI again


async def test_a_refused_join_keeps_it_trying_without_crashing() -> None:
    async with system() as s:
        other = Eui64("00-DB-12-34-56-78-90-B9")
        # The hub's join window is open for another device: the PPMID sees a permitting beacon,
        # asks to associate and is refused, again and again.
        await s.hub_node.stack.permit_joining(other, install_code_key(bytes(16)), WINDOW)
        await s.stand_in.power(True)
        await s.clock.sleep(6 * JOIN_RETRY)
        assert len(s.refused) >= 4
        assert not s.stand_in.stack.joined and s.stand_in.shown is None
        assert all(not t.done() for t in s.stand_in._tasks)  # still powered and working

        await whitelist_smets1(s)
        await until(s.clock, lambda: s.stand_in.shown is not None, 120.0)
        assert s.stand_in.ppmid.personality is Personality.SMETS1


async def test_removed_while_off_its_rejoin_is_refused_and_it_joins_with_its_install_code() -> None:
    async with system() as s:
        await s.stand_in.power(True)
        await whitelist_smets1(s)
        await until(s.clock, lambda: s.stand_in.shown is not None, 120.0)
        await s.stand_in.power(False)
        await s.hub_node.stack.remove_device(PPMID.eui64)  # the Leave goes unheard

        await s.stand_in.power(True)
        on = s.clock.now()
        await s.clock.sleep(3 * JOIN_RETRY)
        assert not s.stand_in.stack.joined and len(s.air.scans(on)) >= 6
        await s.hub_node.stack.permit_joining(PPMID.eui64, install_code_key(CODE), WINDOW)
        await until(s.clock, lambda: len(s.stand_in.ppmid.probes) == 1, JOIN_RETRY + 60.0)
        assert joined_at_hub(s) and s.stand_in.ppmid.personality is Personality.SMETS1


def test_a_display_period_must_be_positive() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock)
    node = make_nodes(han, clock, 1, (HUB, PPMID))[PPMID.eui64]
    with pytest.raises(ValueError, match="display period"):
        StandInPpmid(
            node.stack, node.cbke, clock, dual_mode_profile(FIRMWARE), CODE,
            trust_centre=HUB.eui64, keystore=None, acb=None, store=MemoryStateStore(),
            display_period=0,
        )  # fmt: skip
    with pytest.raises(RuntimeError, match="never powered on"):
        _ = StandInPpmid(
            node.stack, node.cbke, clock, dual_mode_profile(FIRMWARE), CODE,
            trust_centre=HUB.eui64, keystore=None, acb=None, store=MemoryStateStore(),
        ).ppmid  # fmt: skip
