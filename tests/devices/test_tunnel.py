"""GBCS over the HAN: GB-HGRP tunnels on the Tunneling cluster, hub to meter and back."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.codec.eui64 import Eui64
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.tunneling import ProtocolId, TransferDataStatus, TunnelStatus
from emulator.devices.tunnel import TUNNELING, TunnelClient, TunnelServer
from emulator.han.clock import VirtualClock
from emulator.han.port import ApsMessage
from emulator.han.stack.node import EmulatedStack, Role
from emulator.han.virtual import VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
RTDS = {
    m["name"]: bytes.fromhex(m["hex"])
    for m in json.loads(
        (Path(__file__).parents[1] / "data" / "gbcs" / "rtds-4.5.0.json").read_text()
    )["messages"]
}
CCS01 = RTDS["CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX"]
CCS01_RESPONSE = RTDS["CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX"]


@dataclass
class Link:
    clock: VirtualClock
    han: VirtualHan
    hub: EmulatedStack
    client: TunnelClient
    to_esme: list[bytes] = field(default_factory=list)
    hub_heard: asyncio.Queue[ApsMessage] = field(default_factory=asyncio.Queue)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def link(tmp_path: Path | None = None) -> Link:
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

    server = TunnelServer(esme, meter_gbcs)

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
