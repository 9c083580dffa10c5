"""The DCC, an emulated hub and an emulated ESME, end to end: SRV 8.11 then SRV 11.2.

The Supplier whitelists the ESME (CCS01 over the WAN, the hub's Device Log), the ESME joins with
its install code, then SRV 11.2 reads its firmware version: ECS52 leaves the DCC MAC'd by the
ACB, the hub routes it into the ESME's tunnel, the ESME's response comes back the same way and
reaches the Supplier, who checks its MAC (keyed Supplier <-> ESME) with its own keys.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import CRA, GeneralCiphering, Verdict, analyse, decode_message
from emulator.devices.comms_hub import CommsHub
from emulator.devices.esme import Esme
from emulator.devices.tunnel import TunnelServer
from emulator.han.clock import VirtualClock
from emulator.han.stack.node import Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessSMWAN,
    CplEntry,
    Dcc,
    DeviceAlert,
    DevicePrenotification,
    DeviceType,
    Inventory,
    ReadFirmwareVersion,
    RequestId,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    UpdateHANDeviceLog,
)
from rig.scenarios.han_join import ESME as ESME_MEMBER
from rig.scenarios.han_join import HUB as HUB_MEMBER
from rig.scenarios.whitelist_and_join import ACB, SUPPLIER, premises_keys

HUB, ESME = HUB_MEMBER.eui64, ESME_MEMBER.eui64
INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")
CPL = {
    HUB: CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1"),
    ESME: CplEntry("AB01", "010A030B", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1"),
}
RTDS_ECS52_RESPONSE = next(
    bytes.fromhex(m["hex"])
    for m in json.loads(
        (Path(__file__).parents[2] / "data" / "gbcs" / "rtds-4.5.0.json").read_text()
    )["messages"]
    if m["name"] == "ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX"
)


def content(message: bytes) -> bytes:
    decoded = decode_message(message)
    assert isinstance(decoded, GeneralCiphering)
    return decoded.apdu.content


async def test_supplier_reads_the_esme_firmware_version_through_dcc_and_hub(
    tmp_path: Path,
) -> None:
    keys = premises_keys("dcc-over-the-han")  # each party's own keys, its peers' certificates
    clock = VirtualClock()
    han = VirtualHan(clock, seed=11)
    hub_stack, esme_stack = han.coordinator(HUB), han.node(ESME, Role.ROUTER)
    hub = CommsHub(hub_stack, keys.hub, ACB, MemoryStateStore(), clock)
    esme = Esme(esme_stack, MemoryStateStore(), keys.esme, ACB, clock)
    tunnel = TunnelServer(esme_stack, esme.on_gbcs)
    inventory = Inventory(tmp_path / "dcc.sqlite")
    for entry in CPL.values():
        inventory.add_cpl_entry(entry)
    dcc = Dcc(inventory, keys.dcc, acb=ACB, clock=clock)
    await han.start()

    async def hub_han() -> None:
        async for msg in hub_stack.messages():
            await hub.handle(msg)

    async def esme_han() -> None:
        async for msg in esme_stack.messages():
            await tunnel.handle(msg)

    link = dcc.attach_link(HUB)
    loop = asyncio.get_running_loop()
    tasks = [
        loop.create_task(c) for c in (hub_han(), esme_han(), hub.serve(link.to_hub, link.from_hub))
    ]

    async def submit(body: object, srv: ServiceReferenceVariant, target: Eui64, n: int) -> None:
        request = ServiceRequest(RequestId(SUPPLIER, target, n), srv, body)  # type: ignore[arg-type]
        [reply] = await dcc.submit(request)
        assert isinstance(reply, ServiceResponse)
        assert reply.response_code in (ResponseCode.I0, ResponseCode.I99), reply

    async with dcc:
        for n, (eui, cpl) in enumerate(CPL.items(), start=1):
            prenotification = DevicePrenotification(
                eui,
                cpl.manufacturer,
                cpl.model,
                cpl.device_type,
                cpl.smets_chts_version,
                cpl.firmware_version,
            )
            await submit(prenotification, ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION, ACB, n)
        srv_8_14_1 = ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS
        await submit(CHFInstallSuccessSMWAN(HUB), srv_8_14_1, ACB, 3)
        add = UpdateHANDeviceLog(ESME, RequestType.ADD, AddDeviceToCHFWhitelist(600, INSTALL_CODE))
        await submit(add, ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG, HUB, 4)
        async with clock.timeout(60):
            whitelisted = await dcc.next_message()
            alert = await dcc.next_message()
        assert isinstance(whitelisted, ServiceResponse)
        assert whitelisted.response_code is ResponseCode.I0
        assert isinstance(alert, DeviceAlert) and alert.device_alert_code == "8F12"
        logged = hub.device_log.get(ESME)
        assert logged is not None
        await esme_stack.join(logged.preconfigured_key)

        await submit(ReadFirmwareVersion(), ServiceReferenceVariant.READ_FIRMWARE_VERSION, ESME, 5)
        async with clock.timeout(60):
            answer = await dcc.next_message()

    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
    assert str(answer.response_id) == f"{ESME}:{SUPPLIER}:5"
    assert answer.gbcs_payload is not None
    checked = analyse(answer.gbcs_payload, keys.supplier, ACB)
    assert checked.mac is Verdict.VALID and checked.apdu is not None
    assert checked.apdu.cra is CRA.RESPONSE and checked.apdu.originator == ESME
    # the ESME's firmware version as the RTDS ECS52 response carries it (01 23 AB CD); only the
    # invoke-id differs, as it follows the request counter (5 here, 1000 in RTDS)
    ours, rtds = content(answer.gbcs_payload), content(RTDS_ECS52_RESPONSE)
    assert ours[:2] == rtds[:2] and ours[6:] == rtds[6:]
    assert hub.rejected == {} and esme.gate is not None and esme.gate.rejected == {}
    for task in tasks:
        task.cancel()
    await han.stop()
