"""NcpRouterStack: an emulated ESME's dongle joins the hub's dongle as a router.

Two NCP emulators on one virtual HAN, each behind its own pty and real bellows: the hub's
``NcpStack`` (bellows' application) forms the network and admits the router's install code;
the ``NcpRouterStack`` (bellows' EZSP layer) joins with it and reads the hub's Time cluster,
APS-secured both ways. Wall-clock time: a few seconds.
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
from emulator.codec.zcl.metering import METERING
from emulator.codec.zcl.time import TIME, TIME_STATUS_MASTER_SYNCHRONISED
from emulator.devices.comms_hub import CommsHub
from emulator.han.clock import RealClock
from emulator.han.medium import Band, Channel
from emulator.han.ncp import NcpStack, RadioSettings
from emulator.han.ncp.router import NcpRouterStack, NetworkToJoin
from emulator.han.ncp_emulator import NcpEmulator
from emulator.han.port import DeliveryError, DropReason, HanEvent, Joined, JoinRefused
from emulator.han.stack.node import Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from rig.scenarios.premises import ACB, premises_keys

pytestmark = pytest.mark.real_time

HUB_EUI = Eui64("00-DB-12-34-56-78-90-A2")
PPMID_EUI = Eui64("00-DB-12-34-56-78-90-A4")
ESME_EUI = Eui64("00-DB-12-34-56-78-90-A1")
INSTALL_KEY = keys.link_key_from_install_code(
    keys.with_crc(bytes.fromhex("83FED3407A939723A5C639B26916D505"))
)


@dataclass
class Bench:
    hub_port: NcpStack
    router: NcpRouterStack
    router_dongle: NcpEmulator
    hub_events: list[HanEvent]
    router_events: list[HanEvent]
    network: NetworkToJoin
    han: VirtualHan


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    han = VirtualHan(RealClock(), seed=7, channel=Channel(Band.GHZ_2_4, 0, 20))
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(han.stop)
        hub_dongle = await stack.enter_async_context(
            NcpEmulator(han, HUB_EUI, link=tmp_path / "ttyHUB")
        )
        router_dongle = await stack.enter_async_context(
            NcpEmulator(han, ESME_EUI, link=tmp_path / "ttyESME")
        )
        hub_port = NcpStack(RadioSettings(str(hub_dongle.path), channel=20), han.clock)
        await hub_port.start()
        stack.push_async_callback(hub_port.stop)
        hub = CommsHub(
            hub_port, premises_keys("ncp-router").hub, ACB, MemoryStateStore(), han.clock
        )
        stack.push_async_callback(hub.aclose)
        router = NcpRouterStack(RadioSettings(str(router_dongle.path), channel=20), han.clock)
        await router.start()
        stack.push_async_callback(router.stop)
        hub_events: list[HanEvent] = []
        router_events: list[HanEvent] = []

        async def serve_hub() -> None:
            async for msg in hub_port.messages():
                await hub.handle(msg)

        async def collect(port: NcpStack | NcpRouterStack, into: list[HanEvent]) -> None:
            async for event in port.events():
                into.append(event)

        loop = asyncio.get_running_loop()
        tasks = [
            loop.create_task(serve_hub()),
            loop.create_task(collect(hub_port, hub_events)),
            loop.create_task(collect(router, router_events)),
        ]

        async def cancel() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        stack.push_async_callback(cancel)
        await asyncio.sleep(0)
        assert hub_port.app is not None
        info = hub_port.app.state.network_info
        network = NetworkToJoin(int(info.pan_id), Eui64.from_air(bytes(info.extended_pan_id)))
        yield Bench(hub_port, router, router_dongle, hub_events, router_events, network, han)


async def test_a_router_dongle_joins_with_its_install_code_and_reads_the_hub(
    bench: Bench,
) -> None:
    await bench.hub_port.permit_joining(ESME_EUI, INSTALL_KEY, 60)
    await bench.router.join(INSTALL_KEY, bench.network)
    assert bench.router.eui64 == ESME_EUI and bench.router.trust_centre == HUB_EUI
    assert bench.router.short not in (None, 0x0000)
    await asyncio.sleep(0.05)  # the collectors run
    assert Joined(ESME_EUI, bench.router.short, HUB_EUI) in bench.router_events  # type: ignore[arg-type]
    assert bench.router_dongle.ncp.commands_seen >= {"joinNetwork", "setInitialSecurityState"}
    async with asyncio.timeout(5):
        while not any(isinstance(e, Joined) and e.eui64 == ESME_EUI for e in bench.hub_events):
            await asyncio.sleep(0.02)

    request = zcl.read_attributes([0x0000, 0x0001], tsn=21)
    await bench.router.send(HUB_EUI, cluster=TIME, payload=request.encode())
    messages = bench.router.messages()
    async with asyncio.timeout(10):
        while True:
            msg = await anext(messages)
            if msg.cluster == TIME and msg.source == HUB_EUI:
                break
    assert msg.aps_secured and msg.source_short == 0x0000
    values = zcl.read_attributes_result(zcl.decode_zcl(msg.payload))
    assert values[0x0001] == TIME_STATUS_MASTER_SYNCHRONISED
    status = bench.router.link_status(HUB_EUI)
    assert status is not None and status.delivered == 1 and status.heard == 1


async def test_a_router_without_a_join_window_is_refused(bench: Bench) -> None:
    with pytest.raises(DeliveryError, match="JOIN_FAILED"):
        await bench.router.join(INSTALL_KEY, bench.network, timeout=15)
    await asyncio.sleep(0.05)
    assert [type(e) for e in bench.router_events] == [JoinRefused]
    with pytest.raises(DeliveryError, match="not joined"):
        await bench.router.send(HUB_EUI, cluster=TIME, payload=b"\x00\x01\x00")


async def test_a_router_hears_a_device_other_than_the_trust_centre(bench: Bench) -> None:
    """A PPMID on the virtual HAN reads the meter on the router dongle: the router has never
    addressed it, so it asks its dongle who sent the frame (``RESOLVE_SENDERS``)."""
    bench.router.network = bench.network  # the join below names no network: the default's
    await bench.hub_port.permit_joining(ESME_EUI, INSTALL_KEY, 60)
    await bench.router.join(INSTALL_KEY)
    ppmid = bench.han.node(PPMID_EUI, Role.ROUTER)
    await ppmid.start()
    await bench.hub_port.permit_joining(PPMID_EUI, INSTALL_KEY, 60)
    await asyncio.wait_for(ppmid.join(INSTALL_KEY), 20)
    assert bench.router.short is not None
    request = zcl.read_attributes([0x0000], tsn=5).encode()
    await ppmid.send(bench.router.short, cluster=METERING, payload=request, aps_security=False)
    messages = bench.router.messages()
    async with asyncio.timeout(10):
        msg = await anext(messages)
    assert (msg.source, msg.cluster, msg.payload) == (PPMID_EUI, METERING, request)
    assert not msg.aps_secured and bench.router.drops[DropReason.UNKNOWN_SENDER] == 0
