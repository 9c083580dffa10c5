"""Method A join over a virtual HAN: the Supplier joins a PPMID to an ESME through their tunnels
(CS03A2, then CS03A1 with CBKE between the two), the PPMID then reads credit and tops up; ECS70
sets the ESME's clock; the negatives; and everything again after a power cycle."""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from support.rtds import rtds_bytes

from emulator.codec import utrn
from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    DS,
    AlertCode,
    GeneralCiphering,
    GeneralSigning,
    MemoryKeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    analyse,
    decode_message,
    protect,
)
from emulator.codec.gbcs.asn1 import DeviceType, JoinMethodAndRole, encode_asn1
from emulator.codec.gbcs.clock import ecs70_payload
from emulator.codec.gbcs.crypto import sign_pre_command
from emulator.codec.gbcs.dlms import (
    AccessResponse,
    Data,
    DataAccessResult,
    DataNotification,
    date_time,
)
from emulator.codec.gbcs.payload import Asn1Payload
from emulator.codec.zcl.prepayment import ResultType
from emulator.devices.esme import Esme
from emulator.devices.meter_clock import (
    NO_PRESET_HELD,
    PRESET_OUTSIDE_VALIDITY,
    read_cosem_date_time,
)
from emulator.devices.ppmid import Ppmid
from emulator.devices.registers import METERING, PREPAYMENT
from emulator.devices.tunnel import TUNNELING, TunnelClient, TunnelServer
from emulator.han.clock import VirtualClock
from emulator.han.key_establishment import REFUSED_PARTNER_STATUS
from emulator.han.port import ApsMessage, DeliveryError
from emulator.han.stack.node import Role
from emulator.han.stack.state import SqliteStateStore
from emulator.han.virtual import VirtualHan
from emulator.pki.smki import RemotePartyRole, TestSmki, memory_store
from rig.scenarios.han_join import Member, Node, make_nodes

ACB = Eui64("90-B3-D5-1F-30-00-00-02")
SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-00")
HUB = Member("hub", Eui64("00-DB-12-34-56-78-90-A2"), Role.COORDINATOR)
ESME = Member("ESME", Eui64("00-DB-12-34-56-78-90-A0"), Role.ROUTER)
PPMID = Member("PPMID", Eui64("00-DB-12-34-56-78-90-A4"), Role.ROUTER)
CS08_RESPONSE = rtds_bytes("CS08_11.2_SUCCESS_RESPONSE_GBCS.HEX")


@dataclass
class Keys:
    dcc: MemoryKeyStore  # the ACB: MACs every command
    supplier: MemoryKeyStore  # signs critical commands, checks the responses
    esme: MemoryKeyStore
    ppmid: MemoryKeyStore


def keys() -> Keys:
    smki = TestSmki(seed="partners")
    acb = smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER)
    supplier = smki.issue_organisation_pair(SUPPLIER, RemotePartyRole.SUPPLIER)
    esme, ppmid = smki.issue_device_pair(ESME.eui64), smki.issue_device_pair(PPMID.eui64)
    k = Keys(memory_store(acb), memory_store(supplier), memory_store(esme), memory_store(ppmid))
    for c in (*esme, *ppmid):
        k.dcc.put_certificate(c.eui, c.usage, c.certificate)
        k.supplier.put_certificate(c.eui, c.usage, c.certificate)
    for c in (*acb, *supplier):
        k.esme.put_certificate(c.eui, c.usage, c.certificate)
        k.ppmid.put_certificate(c.eui, c.usage, c.certificate)
    return k


@dataclass
class Premises:
    clock: VirtualClock
    han: VirtualHan
    nodes: dict[Eui64, Node]
    keys: Keys
    client: TunnelClient
    esme: Esme
    ppmid: Ppmid
    stores: Path
    counter: int = 1000
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def power_on(self) -> None:
        """New ESME and PPMID actors on the non-volatile state in ``stores`` (a power cycle)."""
        esme_node, ppmid_node = self.nodes[ESME.eui64], self.nodes[PPMID.eui64]
        self.esme = Esme(
            esme_node.stack,
            SqliteStateStore(self.stores / "esme.sqlite"),
            self.keys.esme,
            ACB,
            self.clock,
            cbke=esme_node.cbke,
            trust_centre=HUB.eui64,
        )
        esme_tunnel = TunnelServer(esme_node.stack, self.esme.on_gbcs)
        self.esme.send_gbcs = esme_tunnel.push
        esme_node.applications.update(
            {
                TUNNELING: esme_tunnel.handle,
                PREPAYMENT: self.esme.handle,
                METERING: self.esme.handle,
            }
        )
        self.ppmid = Ppmid(
            ppmid_node.stack,
            self.clock,
            SqliteStateStore(self.stores / "ppmid.sqlite"),
            self.keys.ppmid,
            ACB,
            cbke=ppmid_node.cbke,
            trust_centre=HUB.eui64,
        )
        ppmid_node.applications[TUNNELING] = TunnelServer(
            ppmid_node.stack, self.ppmid.on_gbcs
        ).handle
        ppmid_node.applications[PREPAYMENT] = self.ppmid.handle

    def command(self, code: int, recipient: Member, payload: bytes, signed: bool = True) -> bytes:
        """The Supplier's command (signed as a Pre-Command if ``signed``), MAC'd by the ACB."""
        self.counter += 1
        apdu = GeneralSigning(
            CRA.COMMAND, self.counter, SUPPLIER, recipient.eui64, OtherInformation(code), payload
        )
        if signed:
            supplier_ds = self.keys.supplier.private_key(SUPPLIER, DS)
            assert supplier_ds is not None
            apdu = sign_pre_command(apdu, supplier_ds)
        return protect(apdu, self.keys.dcc, ACB).encode()

    async def send(self, device: Member, gbcs: bytes, wait: float = 120) -> bytes:
        """``gbcs`` through the hub's tunnel to ``device``; what the device sends back."""
        await self.client.put(device.eui64, gbcs)
        async with self.clock.timeout(wait):
            return await self.client.received[device.eui64].get()

    def checked(self, answer: bytes) -> Any:
        """The Supplier's check of a response: a valid signature (critical) or MAC; the payload."""
        analysis = analyse(answer, self.keys.supplier, ACB)
        assert analysis.apdu is not None and analysis.apdu.cra is CRA.RESPONSE
        if isinstance(analysis.message, GeneralCiphering):
            assert analysis.mac is Verdict.VALID
        else:
            assert analysis.signature is Verdict.VALID
        return analysis.payload


def _asynchronous(handle: Any) -> Any:
    async def application(msg: ApsMessage) -> None:
        handle(msg)

    return application


def join_command(role: JoinMethodAndRole, other: Member, device_type: DeviceType) -> bytes:
    return encode_asn1(
        "JoinDeviceCommand",
        {
            "joinMethodAndRole": role,
            "otherDeviceEntityIdentifier": other.eui64.big(),
            "otherDeviceType": device_type,
        },
    )


CS03A1 = MessageCode.CS03A1_METHOD_A_JOIN_METER
CS03A2 = MessageCode.CS03A2_METHOD_A_JOIN_NON_METER
JOIN_PPMID = join_command(JoinMethodAndRole.METHOD_A_INITIATOR, PPMID, DeviceType.PPMID)
JOIN_ESME = join_command(JoinMethodAndRole.METHOD_A_RESPONDER, ESME, DeviceType.ESME)


async def premises(tmp_path: Path) -> Premises:
    """Hub, ESME and PPMID joined by install code, each meter with its CBKE link key to the hub,
    the hub's tunnel client ready."""
    clock = VirtualClock()
    han = VirtualHan(clock, seed=11)
    nodes = make_nodes(han, clock, 11, (HUB, ESME, PPMID))
    client = TunnelClient(nodes[HUB.eui64].stack, clock)
    nodes[HUB.eui64].applications[TUNNELING] = _asynchronous(client.handle)
    p = Premises(clock, han, nodes, keys(), client, None, None, tmp_path)  # type: ignore[arg-type]
    p.power_on()
    await han.start()
    loop = asyncio.get_running_loop()
    p.tasks += [loop.create_task(node.serve()) for node in nodes.values()]
    for i, m in enumerate((ESME, PPMID)):
        await han.admit_and_join(nodes[m.eui64].stack, bytes([i + 1]) * 16)
        await nodes[m.eui64].cbke.establish(HUB.eui64)
    await clock.sleep(1.0)  # the hub installs its side once the last frame lands
    return p


def join_response(payload: Any) -> int:
    assert isinstance(payload, Asn1Payload) and isinstance(payload.value, int)
    return payload.value


async def test_method_a_join_then_credit_and_top_up_and_a_power_cycle(tmp_path: Path) -> None:
    p = await premises(tmp_path)
    esme_stack, ppmid_stack = p.nodes[ESME.eui64].stack, p.nodes[PPMID.eui64].stack

    # CS03A1 before the PPMID knows the ESME: the PPMID refuses CBKE, the ESME answers failure.
    refused = p.checked(await p.send(ESME, p.command(CS03A1, ESME, JOIN_PPMID)))
    assert join_response(refused) == 1 and p.esme.join_log.get(PPMID.eui64) is None
    assert esme_stack.link_key(PPMID.eui64) is None
    assert p.nodes[PPMID.eui64].cbke.results[ESME.eui64] == REFUSED_PARTNER_STATUS

    # An unsigned CS03A1: refused by the gate with alert 0x8F3D.
    alert = analyse(await p.send(ESME, p.command(CS03A1, ESME, JOIN_PPMID, signed=False)))
    assert isinstance(alert.payload, DataNotification)
    assert alert.payload.alert_code == AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE

    # CS03A2 to the PPMID, then CS03A1 to the ESME: partners, sharing a CBKE link key.
    assert join_response(p.checked(await p.send(PPMID, p.command(CS03A2, PPMID, JOIN_ESME)))) == 0
    joined = p.checked(await p.send(ESME, p.command(CS03A1, ESME, JOIN_PPMID)))
    assert join_response(joined) == 0
    key = esme_stack.link_key(PPMID.eui64)
    assert key is not None and ppmid_stack.link_key(ESME.eui64) == key
    assert key != esme_stack.link_key(HUB.eui64)

    # CS07 and CS08 (non-critical: MAC'd responses).
    cs07 = p.command(MessageCode.CS07_READ_DEVICE_JOIN_DETAILS, ESME, b"\x05\x00", signed=False)
    details = p.checked(await p.send(ESME, cs07))
    assert isinstance(details, Asn1Payload)
    assert details.value["deviceLogEntries"] == [{"deviceId": PPMID.eui64.big(), "deviceType": 5}]
    cs08 = p.command(MessageCode.CS08_READ_PPMID_HCALCS_FIRMWARE_VERSION, PPMID, b"\x05\x00", False)
    answer = await p.send(PPMID, cs08)
    p.checked(answer)
    assert _content(answer) == _content(CS08_RESPONSE)  # firmware 01 23 AB CD, read success

    # The PPMID reads credit and tops up: once, and never with a forged or malformed UTRN.
    assert (await p.ppmid.read_credit(ESME.eui64)).credit_remaining == 2000
    token = utrn.generate(utrn.meter_test_key(ESME.eui64), ESME.eui64, 1, 1500)
    topped = await p.ppmid.top_up(ESME.eui64, str(token))
    assert (topped.result, topped.value, topped.credit_remaining) == (
        ResultType.ACCEPTED,
        1500,
        3500,
    )
    assert (await p.ppmid.read_credit(ESME.eui64)).credit_remaining == 3500
    again = await p.ppmid.top_up(ESME.eui64, str(token))
    assert again.result is ResultType.REJECTED_DUPLICATE_TOP_UP and again.credit_remaining == 3500
    forged = str(token)[:-1] + str((token.check + 1) % 10)
    bad = await p.ppmid.top_up(ESME.eui64, forged)
    assert bad.result is ResultType.REJECTED_INVALID_TOP_UP
    other_meter = utrn.generate(utrn.meter_test_key(PPMID.eui64), PPMID.eui64, 2, 1500)
    wrong = await p.ppmid.top_up(ESME.eui64, str(other_meter))
    assert wrong.result is ResultType.REJECTED_INVALID_TOP_UP
    short = await p.ppmid.top_up(ESME.eui64, "12345")
    assert short.result is ResultType.REJECTED_INVALID_TOP_UP

    # ECS70 as the DCC builds it (preset not specified): the ESME takes the hub's time, which
    # lies inside the validity interval.
    code = MessageCode.ECS70_SET_CLOCK_ON_ESME
    set_clock = p.checked(await p.send(ESME, p.command(code, ESME, _ecs70(p))))
    assert isinstance(set_clock, AccessResponse)
    assert [r.result for r in set_clock.results] == [DataAccessResult.SUCCESS] * 5
    when = read_cosem_date_time(set_clock.data[3].value)  # type: ignore[arg-type]
    assert when is not None and abs(when - p.clock.datetime()) < datetime.timedelta(seconds=5)
    assert set_clock.data[4].value == 0  # status: OK

    # A preset outside its own validity interval: preset and adjustment fail, the clock stays.
    outside = _ecs70(p, preset=p.clock.datetime() + datetime.timedelta(hours=1))
    refused_clock = p.checked(await p.send(ESME, p.command(code, ESME, outside)))
    assert isinstance(refused_clock, AccessResponse)
    assert [r.result for r in refused_clock.results] == [
        DataAccessResult.SUCCESS,
        PRESET_OUTSIDE_VALIDITY,
        NO_PRESET_HELD,
        DataAccessResult.SUCCESS,
        DataAccessResult.SUCCESS,
    ]
    still = read_cosem_date_time(refused_clock.data[3].value)  # type: ignore[arg-type]
    assert still is not None and abs(still - p.clock.datetime()) < datetime.timedelta(seconds=5)

    # Power cycle: partners, credit, used UTRNs, clock and anti-replay come back.
    await p.esme.aclose()
    p.power_on()
    for device in (ESME, PPMID):  # tunnels do not survive it: the hub opens new ones
        await p.client.open(device.eui64)
    assert p.esme.join_log.get(PPMID.eui64) is not None
    assert p.ppmid.join_log.get(ESME.eui64) is not None
    assert p.esme.registers.credit_remaining == 3500
    assert abs(p.esme.meter_clock.now() - p.clock.datetime()) < datetime.timedelta(seconds=5)
    replayed = await p.ppmid.top_up(ESME.eui64, str(token))
    assert replayed.result is ResultType.REJECTED_DUPLICATE_TOP_UP

    # CS04AC: the ESME drops the PPMID and the key they shared: what the PPMID still sends
    # under that key no longer gets through.
    unjoin = encode_asn1("UnjoinDeviceCommand", PPMID.eui64.big())
    code = MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN
    assert join_response(p.checked(await p.send(ESME, p.command(code, ESME, unjoin)))) == 0
    assert esme_stack.link_key(PPMID.eui64) is None
    with pytest.raises(DeliveryError):
        await p.ppmid.read_credit(ESME.eui64)
    for task in p.tasks:
        task.cancel()
    await p.han.stop()


def _ecs70(p: Premises, preset: datetime.datetime | None = None) -> bytes:
    """ECS70 with a one-minute validity interval from now; with ``preset`` specified if given."""
    now = p.clock.datetime()
    request = ecs70_payload(p.counter + 1, now, now + datetime.timedelta(minutes=1))
    if preset is not None:
        data = list(request.data)
        data[1] = Data.structure(Data.octet_string(date_time(preset)), *data[1].items[1:])
        request = replace(request, data=tuple(data))
    return request.encode()


def _content(message: bytes) -> bytes:
    decoded = decode_message(message)
    apdu = decoded.apdu if isinstance(decoded, GeneralCiphering) else decoded
    assert isinstance(apdu, GeneralSigning)
    return apdu.content
