"""The Supplier role and the DCC end to end with tiny fake devices behind a fake hub.

Keys from the test SMKI; each fake device checks commands with ``GbcsGate`` (MAC by the ACB,
Supplier's signature on critical commands) and answers as GBCS says (signed for critical
commands, MAC'd otherwise). Modelled time: the DCC and the Supplier run on a ``VirtualClock``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.dcc import ACB, CHF, ESME, PPMID, SUPPLIER

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    DS,
    GeneralSigning,
    MemoryKeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    decode_message,
)
from emulator.codec.gbcs.asn1 import decode_asn1, encode_asn1
from emulator.codec.gbcs.crypto import sign_message
from emulator.codec.gbcs.dlms import (
    AccessRequest,
    Data,
    DataAccessResult,
    DataNotification,
    DataType,
    date_time,
    invoke_id_for,
)
from emulator.devices.gbcs_gate import Accepted, GbcsGate
from emulator.han.clock import VirtualClock
from emulator.han.stack.state import MemoryStateStore
from emulator.pki.smki import Credential, RemotePartyRole, TestSmki, memory_store
from rig.dcc import (
    Dcc,
    DeviceType,
    Inventory,
    JoinServiceCritical,
    ReadDeviceLog,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceResponse,
    SmiStatus,
    Supplier,
    UnjoinServiceCritical,
)

SRV = ServiceReferenceVariant
GSME = Eui64("00DB1234567890A1")
EPOCH = datetime(2015, 1, 1, tzinfo=UTC)


def _store(own: tuple[Credential, ...], *others: tuple[Credential, ...]) -> MemoryKeyStore:
    store = memory_store(own)
    for group in others:
        for c in group:
            store.put_certificate(c.eui, c.usage, c.certificate)
    return store


@dataclass
class Keys:
    dcc: MemoryKeyStore
    dcc_without_supplier: MemoryKeyStore
    supplier: MemoryKeyStore
    devices: dict[int, MemoryKeyStore]


def issue_keys() -> Keys:
    smki = TestSmki(seed="tests/rig/dcc/supplier")
    acb = smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER)
    supplier = smki.issue_organisation_pair(SUPPLIER, RemotePartyRole.SUPPLIER)
    devices = {int(e): smki.issue_device_pair(e) for e in (CHF, ESME, GSME, PPMID)}
    every_device = tuple(c for pair in devices.values() for c in pair)
    return Keys(
        dcc=_store(acb, supplier[1:], every_device),  # the Supplier's DS certificate only
        dcc_without_supplier=_store(acb, every_device),
        supplier=_store(supplier, every_device),
        devices={e: _store(own, acb, supplier) for e, own in devices.items()},
    )


class FakeHub:
    """Every device behind one WAN link: a ``GbcsGate`` each, canned answers per use case."""

    def __init__(self, dcc: Dcc, keys: Keys, clock: VirtualClock) -> None:
        self.dcc = dcc
        self.gates = {
            e: GbcsGate(Eui64(e), store, ACB, MemoryStateStore(), clock)
            for e, store in keys.devices.items()
        }
        self.silent: set[int] = set()
        self.join_result = 0

    async def serve(self) -> None:
        link = self.dcc.link(CHF)
        assert link is not None
        while True:
            data = await link.to_hub.get()
            message = decode_message(data)
            recipient = int(message.apdu.recipient)  # type: ignore[union-attr]
            if recipient in self.silent:
                continue
            gate = self.gates[recipient]
            verdict = gate.check(data)
            replies = (
                [self.answer(gate, verdict)]
                if isinstance(verdict, Accepted)
                else gate.rejection_replies(verdict)
            )
            for reply in replies:
                link.from_hub.put_nowait(reply)

    def answer(self, gate: GbcsGate, accepted: Accepted) -> bytes:
        apdu = accepted.apdu
        code = apdu.message_code
        if isinstance(accepted.payload, AccessRequest):  # ECS70, CCS06
            request = accepted.payload
            n = len(request.specifications)
            data = [Data(DataType.ARRAY, ())] if code == 0x010F else [Data.null()] * n
            return gate.respond(apdu, request, data, [DataAccessResult.SUCCESS] * n)
        if code in (0x000D, 0x00AB, 0x00AF, 0x000F):
            return gate.reply(apdu, encode_asn1("JoinDeviceResponse", self.join_result))
        if code == MessageCode.GCS28_SET_CLOCK_ON_GSME:
            time = gate.now().replace(tzinfo=None, microsecond=0)
            body = {"deviceTime": time, "deviceTimeStatus": 0}
            return gate.reply(apdu, encode_asn1("SetTimeResponse", body))
        if code == MessageCode.CS07_READ_DEVICE_JOIN_DETAILS:
            body2 = {
                "responseCode": 0,
                "deviceLogEntries": [{"deviceId": PPMID.big(), "deviceType": 5}],
            }
            return gate.reply(apdu, encode_asn1("ReadDeviceJoinDetailsResponse", body2))
        raise AssertionError(f"no canned answer for {code:#06x}")


@dataclass
class World:
    dcc: Dcc
    supplier: Supplier
    hub: FakeHub
    clock: VirtualClock
    keys: Keys

    def status(self, eui: Eui64) -> SmiStatus:
        record = self.dcc.inventory.smi(eui)
        assert record is not None
        return record.status


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = VirtualClock(EPOCH)
    keys = issue_keys()
    inv = Inventory(tmp_path / "dcc.sqlite")
    inv.prenotify(CHF, DeviceType.CHF, "CH", "HUB", "1", None, SUPPLIER)
    inv.ch_install_success(CHF)
    for eui, t in ((ESME, DeviceType.ESME), (GSME, DeviceType.GSME), (PPMID, DeviceType.PPMID)):
        inv.prenotify(eui, t, "MF", "M", "1", None, SUPPLIER)
        inv.whitelist(eui, CHF)
    dcc = Dcc(inv, keys.dcc, acb=ACB, clock=clock)
    dcc.attach_link(CHF)
    hub = FakeHub(dcc, keys, clock)
    async with dcc, asyncio.TaskGroup() as tg:
        task = tg.create_task(hub.serve())
        yield World(dcc, Supplier(dcc, keys.supplier, SUPPLIER, clock=clock), hub, clock, keys)
        task.cancel()


async def _done(
    world: World, srv: ServiceReferenceVariant, target: Eui64, body: object
) -> ServiceResponse:
    sent = await world.supplier.submit(target, srv, body)  # type: ignore[arg-type]
    assert sent.response_code is ResponseCode.I99, sent
    answer = await world.supplier.response_to(sent.request_id)
    assert isinstance(answer, ServiceResponse)
    return answer


async def test_commissioning_an_esme_and_a_gsme(world: World) -> None:
    for meter in (ESME, GSME):
        resp = await _done(world, SRV.COMMISSION_DEVICE, meter, world.supplier.commission_body())
        assert resp.response_code is ResponseCode.I0 and resp.device_signature is Verdict.VALID
        assert world.supplier.check(resp) is Verdict.VALID  # signed by the meter, not MAC'd
        assert world.status(meter) is SmiStatus.COMMISSIONED
    # commissioned already: 8.1.1 again is E5
    again = await world.supplier.submit(
        ESME, SRV.COMMISSION_DEVICE, world.supplier.commission_body()
    )
    assert again.response_code is ResponseCode.E5


async def test_ppmid_join_commissions_the_ppmid(world: World) -> None:
    resp = await _done(world, SRV.JOIN_SERVICE_CRITICAL, ESME, JoinServiceCritical(PPMID))
    assert world.supplier.check(resp) is Verdict.VALID
    assert world.status(PPMID) is SmiStatus.WHITELISTED  # the meter's side changes nothing
    resp = await _done(world, SRV.JOIN_SERVICE_CRITICAL, PPMID, JoinServiceCritical(ESME))
    assert decode_asn1("JoinDeviceResponse", decode_message(resp.gbcs_payload).content) == 0  # type: ignore[arg-type, union-attr]
    assert world.status(PPMID) is SmiStatus.COMMISSIONED
    resp = await _done(world, SRV.UNJOIN_SERVICE_CRITICAL, ESME, UnjoinServiceCritical(PPMID))
    assert resp.device_signature is Verdict.VALID


async def test_failed_join_leaves_the_ppmid_whitelisted(world: World) -> None:
    world.hub.join_result = 1
    await _done(world, SRV.JOIN_SERVICE_CRITICAL, PPMID, JoinServiceCritical(ESME))
    assert world.status(PPMID) is SmiStatus.WHITELISTED


async def test_read_device_logs(world: World) -> None:
    resp = await _done(world, SRV.READ_DEVICE_LOG, ESME, ReadDeviceLog())  # CS07, MAC'd
    assert resp.device_signature is None and world.supplier.check(resp) is Verdict.VALID
    resp = await _done(world, SRV.READ_DEVICE_LOG, CHF, ReadDeviceLog())  # CCS06 via the ACB
    message = decode_message(resp.gbcs_payload)  # type: ignore[arg-type]
    assert message.apdu.message_code == 0x010F  # type: ignore[union-attr]
    assert world.supplier.check(resp) is Verdict.UNKNOWN_KEY  # the ACB's MAC, not ours


async def test_a_device_that_never_answers_gives_e21_in_modelled_time(world: World) -> None:
    world.hub.silent.add(int(GSME))
    sent = await world.supplier.submit(
        GSME, SRV.COMMISSION_DEVICE, world.supplier.commission_body()
    )
    assert sent.response_code is ResponseCode.I99
    start = world.clock.now()
    answer = await world.supplier.response_to(sent.request_id, timeout=2 * 3600)
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.E21
    assert world.clock.now() - start == pytest.approx(3600)
    assert world.status(GSME) is SmiStatus.WHITELISTED


async def test_signed_copy_from_an_unknown_signer_is_refused(world: World) -> None:
    world.dcc.acb.keystore = world.keys.dcc_without_supplier
    sent = await world.supplier.submit(
        ESME, SRV.COMMISSION_DEVICE, world.supplier.commission_body()
    )
    assert sent.response_code is ResponseCode.E1
    assert "unknown-key" in str(world.dcc.inventory.journal("response")[-1]["note"])


async def test_only_the_registered_supplier_gets_a_pre_command(world: World) -> None:
    stranger = Supplier(world.dcc, world.keys.supplier, Eui64("90B3D51F30020000"))
    sent = await stranger.submit(ESME, SRV.COMMISSION_DEVICE, stranger.commission_body())
    assert sent.response_code is ResponseCode.E4


async def test_supplier_keeps_what_it_did_not_ask_for(world: World) -> None:
    a = await world.supplier.submit(ESME, SRV.READ_DEVICE_LOG, ReadDeviceLog())
    b = await world.supplier.submit(GSME, SRV.READ_DEVICE_LOG, ReadDeviceLog())
    second = await world.supplier.response_to(b.request_id)
    first = await world.supplier.response_to(a.request_id)
    assert isinstance(first, ServiceResponse) and isinstance(second, ServiceResponse)
    assert first.request_id == a.request_id and world.supplier.alerts == []


def _critical_alert(world: World, code: int, counter: int) -> GeneralSigning:
    """A signed-only (critical) DLMS alert from the ESME to the ACB."""
    key = world.keys.devices[int(ESME)].private_key(ESME, DS)
    assert key is not None
    body = Data.structure(Data(DataType.LONG_UNSIGNED, code), Data.octet_string(date_time(EPOCH)))
    apdu = GeneralSigning(
        CRA.ALERT,
        counter,
        ESME,
        ACB,
        OtherInformation(MessageCode.GENERIC_CRITICAL_ALERT),
        DataNotification(invoke_id_for(counter), body).encode(),
    )
    return sign_message(apdu, key)


async def test_a_signed_critical_alert_reaches_the_supplier(world: World) -> None:
    good = _critical_alert(world, 0x8F1C, 7).encode()
    bad = good[:-1] + bytes([good[-1] ^ 1])
    assert await world.dcc.receive(CHF, bad) == []
    [alert] = await world.dcc.receive(CHF, good)
    assert await world.supplier.alert(0x8F1C) == alert
    assert alert.device_alert_code == "8F1C"  # type: ignore[union-attr]
    accepted = [row["accepted"] for row in world.dcc.inventory.journal("alert")]
    assert accepted == [0, 1]
