"""NcpStack: our Comms Hub on a dongle (the NCP emulator, through a pty and real bellows).

The hub actor is the one the virtual HAN runs, unchanged, on ``NcpStack``; the PPMID is our
emulator on the virtual HAN behind the dongle's radio. Wall-clock time: a few seconds each.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.security import keys
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.time import TIME, TIME_STATUS_MASTER_SYNCHRONISED
from emulator.devices.comms_hub import CommsHub
from emulator.han.clock import RealClock, VirtualClock
from emulator.han.medium import Band, Channel
from emulator.han.ncp import (
    DongleUnavailable,
    NcpStack,
    NcpStackError,
    NoSmartEnergyCertificates,
    RadioSettings,
    RadioSettingsError,
)
from emulator.han.ncp_emulator import NcpEmulator
from emulator.han.port import ApsMessage, HanEvent, Joined, JoinRefused, Left
from emulator.han.stack.node import EmulatedStack, JoinError, Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from rig.scenarios.premises import ACB, premises_keys

pytestmark = pytest.mark.real_time

HUB_EUI = Eui64("00-DB-12-34-56-78-90-A2")
PPMID_EUI = Eui64("00-DB-12-34-56-78-90-A4")
INSTALL_KEY = keys.link_key_from_install_code(
    keys.with_crc(bytes.fromhex("83FED3407A939723A5C639B26916D505"))
)


@dataclass
class Bench:
    han: VirtualHan
    dongle: NcpEmulator
    port: NcpStack
    hub: CommsHub
    ppmid: EmulatedStack
    events: list[HanEvent]
    ppmid_inbox: asyncio.Queue[ApsMessage]


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    han = VirtualHan(RealClock(), seed=5, channel=Channel(Band.GHZ_2_4, 0, 15))
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(han.stop)
        dongle = await stack.enter_async_context(
            NcpEmulator(han, HUB_EUI, link=tmp_path / "ttyNCP")
        )
        port = NcpStack(RadioSettings(str(dongle.path), channel=15, tx_power=3), han.clock)
        await port.start()
        stack.push_async_callback(port.stop)
        hub = CommsHub(port, premises_keys("ncp-stack").hub, ACB, MemoryStateStore(), han.clock)
        stack.push_async_callback(hub.aclose)
        ppmid = han.node(PPMID_EUI, Role.ROUTER)
        await ppmid.start()
        events: list[HanEvent] = []
        inbox: asyncio.Queue[ApsMessage] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def serve_hub() -> None:
            async for msg in port.messages():
                await hub.handle(msg)

        async def collect() -> None:
            async for event in port.events():
                events.append(event)

        async def ppmid_receives() -> None:
            async for msg in ppmid.messages():
                inbox.put_nowait(msg)

        tasks = [loop.create_task(c()) for c in (serve_hub, collect, ppmid_receives)]

        async def cancel() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        stack.push_async_callback(cancel)
        await asyncio.sleep(0)
        yield Bench(han, dongle, port, hub, ppmid, events, inbox)


async def read_hub_time(bench: Bench, tsn: int) -> dict[int, object]:
    """The PPMID reads the hub's Time cluster (Smart Energy profile, APS-secured, both ways)."""
    request = zcl.read_attributes([0x0000, 0x0001], tsn=tsn)
    await bench.ppmid.send(HUB_EUI, cluster=TIME, payload=request.encode())
    async with asyncio.timeout(10):
        while True:
            msg = await bench.ppmid_inbox.get()
            if msg.cluster == TIME and msg.source == HUB_EUI:
                assert msg.aps_secured
                return zcl.read_attributes_result(zcl.decode_zcl(msg.payload))


async def admit(bench: Bench) -> None:
    # A DUIS join window (3600 s) is longer than one permitJoining: the stack renews it.
    await bench.port.permit_joining(PPMID_EUI, INSTALL_KEY, 3600)
    await asyncio.wait_for(bench.ppmid.join(INSTALL_KEY), 20)
    async with asyncio.timeout(5):
        while not any(isinstance(e, Joined) and e.eui64 == PPMID_EUI for e in bench.events):
            await asyncio.sleep(0.02)


async def test_the_hub_on_a_dongle_admits_an_install_code_join_and_serves_se_zcl(
    bench: Bench,
) -> None:
    assert bench.port.eui64 == HUB_EUI and bench.hub.eui64 == HUB_EUI
    assert bench.dongle.ncp.radio.channel.number == 15  # the bench's channel
    await admit(bench)
    joined = next(e for e in bench.events if isinstance(e, Joined))
    assert joined.parent == HUB_EUI and joined.short == bench.ppmid.short
    values = await read_hub_time(bench, tsn=7)
    assert values[0x0001] == TIME_STATUS_MASTER_SYNCHRONISED
    await asyncio.sleep(0.2)  # the dongle's messageSentHandler may trail the answer
    status = bench.port.link_status(PPMID_EUI)
    assert status is not None and status.heard == 1 and status.delivered == 1
    # The SE Trust Centre policy: no joins outside a window, install-code keys only.
    assert bench.dongle.ncp.trust_centre.transient.get(PPMID_EUI) is not None
    assert "setPolicy" in bench.dongle.ncp.commands_seen
    assert not [e for e in bench.events if isinstance(e, JoinRefused)]


async def test_a_device_without_a_window_of_its_own_is_refused(bench: Bench) -> None:
    """Joining is open, for another device: the PPMID's key is not the dongle's to use."""
    await bench.port.permit_joining(Eui64("00-DB-12-34-56-78-90-A0"), bytes(16), 60)
    with pytest.raises(JoinError):
        await asyncio.wait_for(bench.ppmid.join(INSTALL_KEY), 20)
    async with asyncio.timeout(5):
        while not bench.events:
            await asyncio.sleep(0.02)
    assert bench.events == [JoinRefused(PPMID_EUI, bench.events[0].reason)]  # type: ignore[union-attr]


async def test_removing_a_device_closes_its_join_window_on_the_dongle(bench: Bench) -> None:
    await bench.port.permit_joining(PPMID_EUI, INSTALL_KEY, 3600)
    assert bench.dongle.ncp.trust_centre.window_open(bench.han.clock.now())
    await bench.port.remove_device(PPMID_EUI)
    trust_centre = bench.dongle.ncp.trust_centre
    assert not trust_centre.window_open(bench.han.clock.now()) and not trust_centre.transient
    assert "clearTransientLinkKeys" in bench.dongle.ncp.commands_seen
    with pytest.raises(JoinError):
        await asyncio.wait_for(bench.ppmid.join(INSTALL_KEY), 20)


async def test_a_link_key_installed_by_the_host_is_the_one_used(bench: Bench) -> None:
    """What CBKE above the dongle ends with: the key goes into the dongle's key table and both
    ends use it; removing the device sends it a Leave."""
    await admit(bench)
    new_key = bytes(range(16))
    await bench.port.set_link_key(PPMID_EUI, new_key, "cbke")
    await bench.ppmid.set_link_key(HUB_EUI, new_key, "cbke")
    assert bench.port.link_key(PPMID_EUI) == new_key
    await read_hub_time(bench, tsn=9)
    await bench.port.remove_device(PPMID_EUI)
    assert Left(PPMID_EUI) in bench.events
    assert bench.port.link_key(PPMID_EUI) is None


async def test_the_stack_reconnects_after_a_dongle_reset(bench: Bench) -> None:
    await admit(bench)
    await bench.dongle.power_cycle()
    await asyncio.sleep(0.5)
    await bench.port.wait_connected(15)
    assert bench.port.reconnects == 1
    await read_hub_time(bench, tsn=11)  # the network resumed from flash: no rejoin


async def test_a_dongle_without_certificates_says_so(bench: Bench) -> None:
    with pytest.raises(NoSmartEnergyCertificates, match="no Smart Energy certificates"):
        await bench.port.cbke_certificate()


async def test_a_missing_port_is_explained(tmp_path: Path) -> None:
    port = NcpStack(RadioSettings(str(tmp_path / "ttyNONE")), RealClock())
    with pytest.raises(DongleUnavailable, match="no such port"):
        await port.start()


def test_settings_are_checked_and_a_dongle_needs_the_real_clock() -> None:
    with pytest.raises(RadioSettingsError, match="channel 27"):
        RadioSettings("/dev/ttyUSB0", channel=27)
    with pytest.raises(RadioSettingsError, match="TX power"):
        RadioSettings("/dev/ttyUSB0", tx_power=30)
    with pytest.raises(NcpStackError, match="RealClock"):
        NcpStack(RadioSettings("/dev/ttyUSB0"), VirtualClock())
