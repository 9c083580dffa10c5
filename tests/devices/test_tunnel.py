"""GBCS over the HAN: GB-HGRP tunnels on the Tunneling cluster, hub to meter and back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.rtds import rtds_bytes

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    AlertCode,
    GeneralCiphering,
    MemoryKeyStore,
    Verdict,
    analyse,
    decode_message,
)
from emulator.codec.gbcs.device_log import HanDeviceType
from emulator.codec.gbcs.dlms import DataNotification
from emulator.codec.gbcs.firmware_version import ecs52_command
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.tunneling import ProtocolId, TransferDataStatus, TunnelStatus
from emulator.devices.comms_hub import CommsHub
from emulator.devices.esme import Esme
from emulator.devices.tunnel import TUNNELING, GbcsHandler, TunnelClient, TunnelServer
from emulator.han.clock import VirtualClock
from emulator.han.port import ApsMessage
from emulator.han.stack.node import EmulatedStack, Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from emulator.pki.smki import RemotePartyRole, TestSmki, memory_store

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
CCS01 = rtds_bytes("CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX")
CCS01_RESPONSE = rtds_bytes("CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX")


@dataclass
class Link:
    clock: VirtualClock
    han: VirtualHan
    hub: EmulatedStack
    client: TunnelClient
    to_esme: list[bytes] = field(default_factory=list)
    hub_heard: asyncio.Queue[ApsMessage] = field(default_factory=asyncio.Queue)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def link(
    tmp_path: Path | None = None,
    meter: Callable[[EmulatedStack], GbcsHandler] | None = None,
) -> Link:
    """A hub and a joined ESME whose tunnel server hands GBCS to ``meter(esme_stack)``, or by
    default records it and answers with the RTDS CCS01 response."""
    clock = VirtualClock()
    han = VirtualHan(clock, seed=2, capture_dir=tmp_path)
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    await han.start()
    await han.admit_and_join(esme, bytes(16))
    result = Link(clock, han, hub, TunnelClient(hub, clock))

    async def meter_gbcs(message: bytes) -> list[bytes]:
        result.to_esme.append(message)
        return [CCS01_RESPONSE]

    server = TunnelServer(esme, meter(esme) if meter is not None else meter_gbcs)

    async def serve_meter() -> None:
        async for msg in esme.messages():
            await server.handle(msg)

    async def serve_hub() -> None:
        async for msg in hub.messages():
            result.client.handle(msg)
            result.hub_heard.put_nowait(msg)

    loop = asyncio.get_running_loop()
    result.tasks += [loop.create_task(serve_meter()), loop.create_task(serve_hub())]
    return result


async def test_gbcs_through_the_tunnel_both_ways(tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    t = await link(tmp_path)
    tunnel_id = await t.client.open(ESME)
    await t.client.put(ESME, CCS01)  # 154 bytes: fragmented by APS on the way
    async with t.clock.timeout(30):
        answer = await t.client.received[ESME].get()
    assert t.to_esme == [CCS01] and answer == CCS01_RESPONSE and tunnel_id >= 1
    await t.han.stop()
    t.han.key_ring().write(tmp_path)
    pcap, uat = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    assert tshark(pcap, ["frame.number"], uat, "_ws.malformed") == []


async def reply_to(t: Link, request: zcl.ZclFrame) -> Any:
    await t.hub.send(ESME, cluster=TUNNELING, payload=request.encode())
    async with t.clock.timeout(30):
        while True:
            frame = zcl.decode_zcl((await t.hub_heard.get()).payload)
            if frame.tsn == request.tsn:
                return zcl.parse_command(TUNNELING, frame)


async def test_other_protocols_and_unknown_tunnels_are_refused() -> None:
    t = await link()
    request = zcl.build_command(
        TUNNELING,
        "request_tunnel",
        tsn=77,
        protocol_id=ProtocolId.DLMS_COSEM,
        manufacturer_code=0xFFFF,
        flow_control_support=False,
        maximum_incoming_transfer_size=1500,
    )
    refused = await reply_to(t, request)
    assert refused.tunnel_status == TunnelStatus.PROTOCOL_NOT_SUPPORTED
    stray = zcl.build_command(TUNNELING, "transfer_data", tsn=78, tunnel_id=0x1234, data=b"\x03x")
    error = await reply_to(t, stray)
    assert error.transfer_data_status == TransferDataStatus.NO_SUCH_TUNNEL
    await t.han.stop()


ACB = Eui64("90-B3-D5-1F-30-00-00-02")
SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-00")
ECS52 = rtds_bytes("ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX")
ECS52_RESPONSE = rtds_bytes("ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX")


def supplier_and_esme_keys() -> tuple[MemoryKeyStore, MemoryKeyStore]:
    """The DCC side (ACB and Supplier keys) and the ESME: command MACs are keyed ACB <-> device
    even when the Supplier originates the command (DOMAIN.md §2), responses Supplier <-> device."""
    smki = TestSmki()
    acb = smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER)
    supplier = smki.issue_organisation_pair(SUPPLIER, RemotePartyRole.SUPPLIER)
    esme = smki.issue_device_pair(ESME)
    dcc_store, esme_store = memory_store((*acb, *supplier)), memory_store(esme)
    for c in esme:
        dcc_store.put_certificate(c.eui, c.usage, c.certificate)
    for c in (*acb, *supplier):
        esme_store.put_certificate(c.eui, c.usage, c.certificate)
    return dcc_store, esme_store


def ecs52(dcc_keys: MemoryKeyStore, counter: int = 1000) -> bytes:
    """ECS52 (read firmware version) from the Supplier to the ESME, MAC'd by the ACB."""
    return ecs52_command(SUPPLIER, counter, ESME, dcc_keys, ACB).encode()


def content(message: bytes) -> bytes:
    decoded = decode_message(message)
    assert isinstance(decoded, GeneralCiphering)
    return decoded.apdu.content


async def test_the_esme_answers_ecs52_through_its_tunnel() -> None:
    supplier_keys, esme_keys = supplier_and_esme_keys()
    esmes: list[Esme] = []

    def meter(stack: EmulatedStack) -> GbcsHandler:
        esmes.append(Esme(stack, MemoryStateStore(), esme_keys, ACB))
        return esmes[0].on_gbcs

    t = await link(meter=meter)
    command = ecs52(supplier_keys)
    assert content(command) == content(ECS52)  # the RTDS ECS52's DLMS GET, byte for byte
    await t.client.put(ESME, command)
    async with t.clock.timeout(30):
        answer = await t.client.received[ESME].get()
    checked = analyse(answer, supplier_keys, ACB)
    assert checked.mac is Verdict.VALID and checked.apdu is not None
    assert checked.apdu.cra is CRA.RESPONSE and checked.apdu.originator_counter == 1000
    assert content(answer) == content(ECS52_RESPONSE)  # firmware 01 23 AB CD, as RTDS answers
    await t.client.put(ESME, command)  # the same counter again: refused, with the alert
    async with t.clock.timeout(30):
        alert = analyse(await t.client.received[ESME].get(), supplier_keys, ACB)
    assert alert.mac is Verdict.VALID and alert.apdu is not None
    assert alert.apdu.cra is CRA.ALERT and alert.apdu.recipient == ACB
    assert isinstance(alert.payload, DataNotification)
    assert alert.payload.alert_code == AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE
    assert esmes[0].gate is not None and esmes[0].gate.rejected == {"replayed counter": 1}
    await t.han.stop()


async def test_the_hub_routes_gbcs_between_the_wan_and_the_esme() -> None:
    dcc_keys, esme_keys = supplier_and_esme_keys()
    clock = VirtualClock()
    han = VirtualHan(clock, seed=4)
    hub_stack = han.coordinator(HUB)
    esme_stack = han.node(ESME, Role.ROUTER)
    await han.start()
    await han.admit_and_join(esme_stack, bytes(16))
    hub = CommsHub(hub_stack, MemoryKeyStore(), ACB, MemoryStateStore(), clock)
    hub.device_log.register(ESME, HanDeviceType.ESME, bytes(16))
    server = TunnelServer(esme_stack, Esme(esme_stack, MemoryStateStore(), esme_keys, ACB).on_gbcs)
    to_hub: asyncio.Queue[bytes] = asyncio.Queue()
    from_hub: asyncio.Queue[bytes] = asyncio.Queue()

    async def hub_han() -> None:
        async for msg in hub_stack.messages():
            await hub.handle(msg)

    async def esme_han() -> None:
        async for msg in esme_stack.messages():
            await server.handle(msg)

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(c) for c in (hub_han(), esme_han(), hub.serve(to_hub, from_hub))]
    to_hub.put_nowait(ecs52(dcc_keys))  # as the DCC sends it
    async with clock.timeout(60):
        answer = await from_hub.get()
    assert analyse(answer, dcc_keys, ACB).mac is Verdict.VALID
    assert content(answer) == content(ECS52_RESPONSE)
    assert hub.rejected == {}  # routed, not judged: the MAC is the ESME's to check
    for task in tasks:
        task.cancel()
    await han.stop()
