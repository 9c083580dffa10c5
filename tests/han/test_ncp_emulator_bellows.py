"""Real, unmodified bellows on the EZSP NCP emulator, through a pty, on wall-clock time.

bellows forms a network on the emulated dongle, admits our PPMID emulator (joining over the
virtual HAN with its install code), exchanges Smart Energy ZCL with it both ways, and carries on
after the dongle resets itself mid-run. These run on real time (pty I/O): each is a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bellows.types as bt
import pytest
import zigpy.types as zt
from bellows.zigbee.application import ControllerApplication
from support.rfc2217 import rfc2217_server

from emulator.codec.eui64 import Eui64
from emulator.codec.security import keys
from emulator.codec.zcl import frame as zcl
from emulator.codec.zigbee.aps import PROFILE_SMART_ENERGY
from emulator.devices.ppmid import Ppmid
from emulator.devices.registers import PREPAYMENT
from emulator.han.clock import RealClock
from emulator.han.ncp_emulator import NcpEmulator
from emulator.han.stack.node import EmulatedStack, JoinError, Role
from emulator.han.virtual import VirtualHan

pytestmark = pytest.mark.real_time

HUB_EUI = Eui64("00-DB-12-34-56-78-90-A2")
PPMID_EUI = Eui64("00-DB-12-34-56-78-90-A4")
INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")  # DOMAIN.md §4's vector
CREDIT = {0x0001: 2350, 0x0002: 500, 0x0003: 0, 0x0005: 120}


def bellows_config(path: Path) -> dict[str, Any]:
    return {
        "device": {"path": str(path), "baudrate": 115200, "flow_control": None},
        "use_thread": False,
        "database_path": None,
        "network": {"channel": 11},
        "ota": {"enabled": False},
        "backup_enabled": False,
        "topology_scan_enabled": False,
        "watchdog_enabled": False,
    }


@dataclass
class Rig:
    han: VirtualHan
    ncp: NcpEmulator
    ppmid_stack: EmulatedStack
    ppmid: Ppmid
    received: asyncio.Queue[zt.ZigbeePacket]


class SeeingApplication(ControllerApplication):  # type: ignore[misc]
    """bellows' application, letting the test see every packet before zigpy's device layer
    (which drops the Smart Energy profile, DOMAIN.md §9)."""

    seen: asyncio.Queue[zt.ZigbeePacket]

    def packet_received(self, packet: zt.ZigbeePacket) -> None:
        self.seen.put_nowait(packet)
        super().packet_received(packet)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    han = VirtualHan(RealClock(), seed=3)
    async with NcpEmulator(han, HUB_EUI, link=tmp_path / "ttyNCP") as ncp:
        stack = han.node(PPMID_EUI, Role.ROUTER)
        await stack.start()
        ppmid = Ppmid(stack, han.clock)

        async def serve() -> None:
            async for msg in stack.messages():
                await ppmid.handle(msg)

        serving = asyncio.get_running_loop().create_task(serve())
        try:
            yield Rig(han, ncp, stack, ppmid, asyncio.Queue())
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
            await han.stop()


async def start_bellows(rig: Rig) -> SeeingApplication:
    app = SeeingApplication(bellows_config(rig.ncp.path))
    app.seen = rig.received
    await app._load_db()
    await app.startup(auto_form=True)
    return app


async def admit_ppmid(app: SeeingApplication, rig: Rig) -> None:
    key = keys.install_code_key(INSTALL_CODE)
    ieee = zt.EUI64.deserialize(PPMID_EUI.air())[0]
    await app.permit_with_link_key(ieee, zt.KeyData(key), time_s=30)
    await asyncio.wait_for(rig.ppmid_stack.join(key), 20)
    async with asyncio.timeout(10):
        while ieee not in app.devices:
            await asyncio.sleep(0.05)


async def answer_credit_reads(app: SeeingApplication, rig: Rig, count: int) -> None:
    """Play the meter's Prepayment server on bellows' endpoint 1: answer ``count`` reads."""
    answered = 0
    while answered < count:
        packet = await rig.received.get()
        if packet.profile_id != PROFILE_SMART_ENERGY or packet.cluster_id != PREPAYMENT:
            continue
        request = zcl.decode_zcl(bytes(packet.data.serialize()))
        reply = zcl.read_attributes_response(PREPAYMENT, CREDIT, tsn=request.tsn)
        await app.send_packet(
            zt.ZigbeePacket(
                src=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=0x0000),
                src_ep=packet.dst_ep,
                dst=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=packet.src.address),
                dst_ep=packet.src_ep,
                tsn=request.tsn,
                profile_id=PROFILE_SMART_ENERGY,
                cluster_id=PREPAYMENT,
                data=zt.SerializableBytes(reply.encode()),
                tx_options=zt.TransmitOptions.APS_Encryption | zt.TransmitOptions.ACK,
                radius=0,
            )
        )
        answered += 1


async def read_credit_through_bellows(app: SeeingApplication, rig: Rig) -> None:
    server = asyncio.get_running_loop().create_task(answer_credit_reads(app, rig, 1))
    try:
        credit = await asyncio.wait_for(rig.ppmid.read_credit(HUB_EUI), 15)
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
    assert (credit.credit_remaining, credit.emergency_credit_remaining) == (2350, 500)
    assert credit.accumulated_debt == 120


async def test_bellows_forms_admits_an_install_code_join_and_exchanges_se_zcl(rig: Rig) -> None:
    app = await start_bellows(rig)
    try:
        assert app.state.node_info.ieee == zt.EUI64.deserialize(HUB_EUI.air())[0]
        assert app.state.network_info.channel == 11
        await admit_ppmid(app, rig)
        # The PPMID holds a Trust Centre link key of its own now, not the install-code key.
        install_key = keys.install_code_key(INSTALL_CODE)
        tc_key = rig.ppmid_stack.link_key(HUB_EUI)
        assert tc_key is not None and tc_key != install_key
        await read_credit_through_bellows(app, rig)
        assert {"formNetwork", "importTransientKey", "permitJoining", "sendUnicast"} <= (
            rig.ncp.ncp.commands_seen
        )
    finally:
        await app.shutdown()


async def test_a_dongle_reset_mid_run_is_survived(rig: Rig) -> None:
    app = await start_bellows(rig)
    try:
        await admit_ppmid(app, rig)
        await read_credit_through_bellows(app, rig)
        pan_id = app.state.network_info.pan_id

        lost = asyncio.get_running_loop().create_future()
        app.connection_lost = lambda exc: lost.done() or lost.set_result(exc)  # type: ignore[method-assign]
        await rig.ncp.power_cycle()
        assert isinstance(await asyncio.wait_for(lost, 5), Exception)
        assert not rig.ncp.ncp.network_up  # the node is off until the host resumes it

        # What a host does on a lost dongle: reconnect; the network resumes from flash.
        await app.disconnect()
        await app.startup(auto_form=False)
        assert app.state.network_info.pan_id == pan_id
        await read_credit_through_bellows(app, rig)  # the PPMID never had to rejoin
    finally:
        await app.shutdown()


async def test_an_unknown_device_is_refused_without_a_transient_key(rig: Rig) -> None:
    """Joining is permitted only with the install-code key: a device whose key the dongle was
    not given is refused (bellows hears a DENY_JOIN)."""
    app = await start_bellows(rig)
    try:
        key = keys.install_code_key(INSTALL_CODE)
        await app._ezsp.setPolicy(
            policyId=bt.EzspPolicyId.TRUST_CENTER_POLICY,
            decisionId=bt.EzspDecisionBitmask.ALLOW_JOINS
            | bt.EzspDecisionBitmask.JOINS_USE_INSTALL_CODE_KEY,
        )
        await app._ezsp.permitJoining(duration=10)
        decisions: list[bt.EmberJoinDecision] = []
        app._ezsp.add_callback(
            lambda name, args: name == "trustCenterJoinHandler" and decisions.append(args[3])
        )
        with pytest.raises(JoinError):
            await asyncio.wait_for(rig.ppmid_stack.join(key), 20)
        assert zt.EUI64.deserialize(PPMID_EUI.air())[0] not in app.devices
        assert decisions == [bt.EmberJoinDecision.DENY_JOIN]
    finally:
        await app.shutdown()


logging.getLogger("bellows").setLevel(logging.INFO)


async def test_hil_rig_ncp_emulator_runs_standalone_for_any_host(tmp_path: Path) -> None:
    """`hil-rig ncp-emulator --pty PATH` in its own process; bellows starts a network on it."""
    link = tmp_path / "ttyNCP"
    root = Path(__file__).resolve().parents[2]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from rig.cli import main; main()",
        "ncp-emulator",
        "--pty",
        str(link),
        "--ezsp-version",
        "8",
        cwd=root,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        banner = await asyncio.wait_for(process.stderr.readline(), 20)
        assert b"EZSP v8 NCP" in banner and link.is_symlink()
        app = ControllerApplication(bellows_config(link))
        await app._load_db()
        await app.startup(auto_form=True)
        try:
            assert app._ezsp.ezsp_version == 8
            assert app.state.network_info.channel == 11
        finally:
            await app.shutdown()
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
    assert not link.exists()  # the symlink goes with the emulator


async def test_bellows_reaches_a_dongle_shared_over_rfc2217(rig: Rig) -> None:
    """A labgrid exporter shares a dongle as an RFC 2217 port; bellows' ``rfc2217://`` path
    carries start-up, an install-code join and SE ZCL over it."""
    async with rfc2217_server(rig.ncp.path) as url:
        config = bellows_config(rig.ncp.path)
        config["device"]["path"] = url
        app = SeeingApplication(config)
        app.seen = rig.received
        await app._load_db()
        await app.startup(auto_form=True)
        try:
            await admit_ppmid(app, rig)
            await read_credit_through_bellows(app, rig)
        finally:
            await app.shutdown()
