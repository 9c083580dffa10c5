"""Critical SRVs through the Pre-Command transform, against the RTDS 4.5.0 messages.

For each critical RTDS command (CS03A1, CS03A2, CS03C, CS04AC, ECS70, GCS28) the DCC's Pre-Command
for the RTDS inputs is the RTDS command without its signature, byte for byte, and the RTDS signed
copy sent back (CV 5) goes out on the WAN as the RTDS command, MAC included. Non-critical CS03B
and CS04B go out as the RTDS commands at once. Tampered or unexpected Signed Pre-Commands are
refused; signed device responses are passed through with the DCC's signature verdict.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from support.dcc import ACB, CHF, ESME, SUPPLIER, code_of, only
from support.rtds import RTDS_KEYSTORE, rtds_bytes

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    KA,
    GeneralCiphering,
    GeneralSigning,
    KeyUsage,
    MemoryKeyStore,
    Verdict,
    analyse,
    decode_message,
)
from emulator.codec.gbcs.crypto import sign_pre_command
from rig.dcc import (
    CommandVariant,
    CommissionDeviceSynchroniseClock,
    Dcc,
    DecommissionDevice,
    DeviceType,
    Inventory,
    JoinServiceCritical,
    JoinServiceNonCritical,
    PreCommand,
    ReadDeviceLog,
    ReadInventory,
    RequestId,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SignedPreCommand,
    SmiStatus,
    Supplier,
    UnjoinServiceCritical,
    UnjoinServiceNonCritical,
    UpdateInventory,
)
from rig.dcc.requests import RequestBody

GSME = Eui64("00DB1234567890A1")
GPF = Eui64("00DB1234567890A3")
HCALCS_A5 = Eui64("00DB1234567890A5")
HCALCS_9A = Eui64("00DB12345678909A")
ESME_93 = Eui64("00DB123456789093")
PPMID_98 = Eui64("00DB123456789098")
GPF_9C = Eui64("00DB12345678909C")
SRV = ServiceReferenceVariant


class Layered:
    """Keystores looked up in order (the RTDS keystore plus certificates it lacks)."""

    def __init__(self, *stores: object) -> None:
        self.stores = stores

    def certificate(self, eui: Eui64, usage: KeyUsage) -> x509.Certificate | None:
        for s in self.stores:
            c = s.certificate(eui, usage)  # type: ignore[attr-defined]
            if c is not None:
                return c  # type: ignore[no-any-return]
        return None

    def private_key(self, eui: Eui64, usage: KeyUsage) -> ec.EllipticCurvePrivateKey | None:
        for s in self.stores:
            k = s.private_key(eui, usage)  # type: ignore[attr-defined]
            if k is not None:
                return k  # type: ignore[no-any-return]
        return None


def _ppmid_98_certificate() -> x509.Certificate:
    """The PPMID's KA certificate the RTDS CS03C carries (the DCC has it from SMKI)."""
    apdu = decode_message(rtds_bytes("CS03CCritical_8.7.1_SUCCESS_COMMAND_GBCS.HEX"))
    assert isinstance(apdu, GeneralCiphering)
    content = apdu.apdu.content
    at = content.index(bytes.fromhex("3082019F"))
    return x509.load_der_x509_certificate(content[at:])


SMKI = MemoryKeyStore()
SMKI.put_certificate(PPMID_98, KA, _ppmid_98_certificate())
KEYSTORE = Layered(RTDS_KEYSTORE, SMKI)


def enrol(inv: Inventory, eui: Eui64, device_type: DeviceType, on_ch: bool = True) -> None:
    """Put ``eui`` in the SMI, registered to the RTDS supplier, Whitelisted on the CHF."""
    inv.prenotify(eui, device_type, "MF", "MODEL", "0001", None, SUPPLIER)
    if on_ch:
        inv.whitelist(eui, CHF)


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    inv = Inventory(tmp_path / "dcc.sqlite")
    inv.prenotify(CHF, DeviceType.CHF, "CH", "HUB", "0001", None, SUPPLIER)
    inv.ch_install_success(CHF)
    enrol(inv, GPF, DeviceType.GPF, on_ch=False)
    for eui, t in (
        (ESME, DeviceType.ESME),
        (GSME, DeviceType.GSME),
        (HCALCS_A5, DeviceType.HCALCS),
        (HCALCS_9A, DeviceType.HCALCS),
        (ESME_93, DeviceType.ESME),
        (PPMID_98, DeviceType.PPMID),
    ):
        enrol(inv, eui, t)
    enrol(inv, GPF_9C, DeviceType.GPF, on_ch=False)  # the RTDS CS03B's GPF: another CH's
    return inv


@pytest.fixture
async def dcc(inventory: Inventory) -> AsyncIterator[Dcc]:
    d = Dcc(inventory, KEYSTORE, acb=ACB)  # type: ignore[arg-type]
    d.attach_link(CHF)
    async with d:
        yield d


def sent(dcc: Dcc) -> bytes:
    link = dcc.link(CHF)
    assert link is not None
    return link.to_hub.get_nowait()


@dataclass(frozen=True)
class Case:
    name: str
    srv: ServiceReferenceVariant
    target: Eui64
    counter: int
    body: RequestBody


CRITICAL = [
    Case("CS03A1_8.7.1", SRV.JOIN_SERVICE_CRITICAL, ESME, 1000, JoinServiceCritical(HCALCS_9A)),
    Case(
        "CS03A2Critical_8.7.1",
        SRV.JOIN_SERVICE_CRITICAL,
        HCALCS_A5,
        1000,
        JoinServiceCritical(ESME_93),
    ),
    Case(
        "CS03CCritical_8.7.1", SRV.JOIN_SERVICE_CRITICAL, GSME, 1004, JoinServiceCritical(PPMID_98)
    ),
    Case(
        "CS04ACCritical_8.8.1",
        SRV.UNJOIN_SERVICE_CRITICAL,
        ESME,
        1001,
        UnjoinServiceCritical(Eui64("00DB123456789099")),
    ),
    Case(
        "ECS70Commission_8.1.1",
        SRV.COMMISSION_DEVICE,
        ESME,
        1000,
        CommissionDeviceSynchroniseClock(datetime(2014, 12, 31, 23, 59, 10, tzinfo=UTC), 60),
    ),
    Case(
        "GCS28Commission_8.1.1",
        SRV.COMMISSION_DEVICE,
        GSME,
        1000,
        CommissionDeviceSynchroniseClock(datetime(2014, 12, 31, 23, 30, tzinfo=UTC), 3600),
    ),
]


def request_for(case: Case) -> ServiceRequest:
    return ServiceRequest(RequestId(SUPPLIER, case.target, case.counter), case.srv, case.body)


def rtds_command(case: Case) -> tuple[bytes, GeneralSigning]:
    data = rtds_bytes(f"{case.name}_SUCCESS_COMMAND_GBCS.HEX")
    message = decode_message(data)
    assert isinstance(message, GeneralCiphering)
    return data, message.apdu


@pytest.mark.parametrize("case", CRITICAL, ids=lambda c: c.name)
async def test_pre_command_then_rtds_signature_gives_the_rtds_command(dcc: Dcc, case: Case) -> None:
    command, signed = rtds_command(case)
    request = request_for(case)
    assert request.command_variant is CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND
    pre = only(await dcc.submit(request))
    assert isinstance(pre, PreCommand) and pre.response_code is ResponseCode.I0
    assert pre.gbcs_payload == replace(signed, signature=None).encode()
    assert dcc.link(CHF).to_hub.empty()  # type: ignore[union-attr]  # nothing out before CV 5
    back = SignedPreCommand(request.request_id, case.srv, signed.encode())
    assert code_of(await dcc.submit(back)) is ResponseCode.I99
    assert sent(dcc) == command  # the Supplier's signature, the ACB's MAC


def test_cs03a1_pre_command_is_the_rtds_precommand_file() -> None:
    _, signed = rtds_command(CRITICAL[0])
    assert replace(signed, signature=None).encode() == rtds_bytes(
        "CS03A1_8.7.1_SUCCESS_PRECOMMAND_GBCS.HEX"
    )


@pytest.mark.parametrize(
    ("name", "target", "counter", "srv", "body"),
    [
        ("CS03B_8.7.2", GSME, 1001, SRV.JOIN_SERVICE_NON_CRITICAL, JoinServiceNonCritical(GPF_9C)),
        (
            "CS04B_8.8.2",
            GSME,
            1000,
            SRV.UNJOIN_SERVICE_NON_CRITICAL,
            UnjoinServiceNonCritical(Eui64("0102030405060708")),
        ),
    ],
)
async def test_non_critical_joins_go_out_as_the_rtds_commands(
    dcc: Dcc,
    name: str,
    target: Eui64,
    counter: int,
    srv: ServiceReferenceVariant,
    body: RequestBody,
) -> None:
    request = ServiceRequest(RequestId(SUPPLIER, target, counter), srv, body)
    assert code_of(await dcc.submit(request)) is ResponseCode.I99
    assert sent(dcc) == rtds_bytes(f"{name}_SUCCESS_COMMAND_GBCS.HEX")


async def test_supplier_role_signs_and_the_command_verifies(dcc: Dcc) -> None:
    supplier = Supplier(dcc, RTDS_KEYSTORE, SUPPLIER, counter=999)
    reply = await supplier.submit(ESME, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(HCALCS_9A))
    assert reply.response_code is ResponseCode.I99
    analysis = analyse(sent(dcc), RTDS_KEYSTORE, ACB)
    assert analysis.mac is Verdict.VALID and analysis.signature is Verdict.VALID
    assert analysis.counter == 1000 and analysis.originator == SUPPLIER


async def _pre_command(dcc: Dcc) -> tuple[ServiceRequest, GeneralSigning]:
    request = request_for(CRITICAL[0])
    pre = only(await dcc.submit(request))
    assert isinstance(pre, PreCommand)
    apdu = decode_message(pre.gbcs_payload)
    assert isinstance(apdu, GeneralSigning)
    return request, apdu


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize("how", ["payload", "signature", "other signer", "unsigned"])
async def test_tampered_signed_pre_command_is_refused(dcc: Dcc, how: str) -> None:
    request, apdu = await _pre_command(dcc)
    supplier_ds = RTDS_KEYSTORE.private_key(SUPPLIER, KeyUsage.DIGITAL_SIGNING)
    assert supplier_ds is not None
    good = sign_pre_command(apdu, supplier_ds).encode()
    data = {
        "payload": _flip(good, len(good) - 70),  # in the join payload, under the signature
        "signature": _flip(good, len(good) - 1),
        "other signer": sign_pre_command(apdu, ec.generate_private_key(ec.SECP256R1())).encode(),
        "unsigned": apdu.encode(),
    }[how]
    srv = request.service_reference_variant
    assert code_of(await dcc.submit(SignedPreCommand(request.request_id, srv, data))) is (
        ResponseCode.E1
    )
    assert dcc.link(CHF).to_hub.empty()  # type: ignore[union-attr]
    # the Pre-Command is still outstanding: the right signed copy goes through
    assert code_of(await dcc.submit(SignedPreCommand(request.request_id, srv, good))) is (
        ResponseCode.I99
    )


async def test_signed_pre_command_without_pre_command_or_twice_is_e12(dcc: Dcc) -> None:
    request, apdu = await _pre_command(dcc)
    supplier_ds = RTDS_KEYSTORE.private_key(SUPPLIER, KeyUsage.DIGITAL_SIGNING)
    assert supplier_ds is not None
    good = sign_pre_command(apdu, supplier_ds).encode()
    srv = request.service_reference_variant
    other = RequestId(SUPPLIER, ESME, 4242)
    assert code_of(await dcc.submit(SignedPreCommand(other, srv, good))) is ResponseCode.E12
    assert code_of(await dcc.submit(SignedPreCommand(request.request_id, srv, good))) is (
        ResponseCode.I99
    )
    assert code_of(await dcc.submit(SignedPreCommand(request.request_id, srv, good))) is (
        ResponseCode.E12
    )
    local = SignedPreCommand(
        request.request_id, srv, good, CommandVariant.SIGNED_PRE_COMMAND_LOCAL_DELIVERY
    )
    assert code_of(await dcc.submit(local)) is ResponseCode.E12


async def _send_rtds(dcc: Dcc, case: Case) -> None:
    request = request_for(case)
    await dcc.submit(request)
    _, signed = rtds_command(case)
    await dcc.submit(SignedPreCommand(request.request_id, case.srv, signed.encode()))
    sent(dcc)


async def test_signed_response_is_passed_through_with_its_verdict(dcc: Dcc) -> None:
    await _send_rtds(dcc, CRITICAL[0])
    response = rtds_bytes("CS03A1_8.7.1_SUCCESS_RESPONSE_GBCS.HEX")
    resp = only(await dcc.receive(CHF, response))
    assert isinstance(resp, ServiceResponse) and resp.response_code is ResponseCode.I0
    assert resp.gbcs_payload == response and resp.device_signature is Verdict.VALID
    assert str(resp.response_id) == "00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1000"
    supplier = Supplier(dcc, RTDS_KEYSTORE, SUPPLIER)
    assert supplier.check(resp) is Verdict.VALID
    assert await dcc.receive(CHF, response) == []  # closed


async def test_badly_signed_response_is_passed_through_but_changes_nothing(dcc: Dcc) -> None:
    await _send_rtds(dcc, CRITICAL[5])  # GCS28
    good = rtds_bytes("GCS28Commission_8.1.1_SUCCESS_RESPONSE_GBCS.HEX")
    response = _flip(good, len(good) - 1)
    resp = only(await dcc.receive(CHF, response))
    assert isinstance(resp, ServiceResponse) and resp.device_signature is Verdict.INVALID
    assert Supplier(dcc, RTDS_KEYSTORE, SUPPLIER).check(resp) is Verdict.INVALID
    assert dcc.inventory.smi(GSME).status is SmiStatus.WHITELISTED  # type: ignore[union-attr]
    note = dcc.inventory.journal("response")[-1]["note"]
    assert note == "device signature invalid"


async def test_gcs28_response_commissions_the_gsme_and_its_gpf(dcc: Dcc) -> None:
    await _send_rtds(dcc, CRITICAL[5])
    response = rtds_bytes("GCS28Commission_8.1.1_SUCCESS_RESPONSE_GBCS.HEX")
    resp = only(await dcc.receive(CHF, response))
    assert isinstance(resp, ServiceResponse) and resp.device_signature is Verdict.VALID
    assert dcc.inventory.smi(GSME).status is SmiStatus.COMMISSIONED  # type: ignore[union-attr]
    assert dcc.inventory.smi(GPF).status is SmiStatus.COMMISSIONED  # type: ignore[union-attr]


async def test_signed_response_to_a_non_critical_command_is_refused(dcc: Dcc) -> None:
    request = ServiceRequest(
        RequestId(SUPPLIER, GSME, 1001),
        SRV.JOIN_SERVICE_NON_CRITICAL,
        JoinServiceNonCritical(GPF_9C),
    )
    await dcc.submit(request)
    sent(dcc)
    # a DF 09 response with the CS03B header: neither the MAC'd kind nor to a critical command
    forged = replace(
        decode_message(rtds_bytes("CS03A1_8.7.1_SUCCESS_RESPONSE_GBCS.HEX")),  # type: ignore[type-var]
        originator=GSME,
        originator_counter=1001,
    )
    assert isinstance(forged, GeneralSigning)
    forged = replace(forged, other_information=replace(forged.other_information, message_code=0x0E))
    assert await dcc.receive(CHF, forged.encode()) == []
    cs03b = rtds_bytes("CS03B_8.7.2_SUCCESS_RESPONSE_GBCS.HEX")
    resp = only(await dcc.receive(CHF, cs03b))
    assert isinstance(resp, ServiceResponse) and resp.device_signature is None


async def test_unsigned_df09_from_the_wan_is_rejected(dcc: Dcc) -> None:
    precommand = rtds_bytes("CS03A1_8.7.1_SUCCESS_PRECOMMAND_GBCS.HEX")
    assert await dcc.receive(CHF, precommand) == []
    assert dcc.inventory.journal("response")[-1]["accepted"] == 0


# ---- validation codes and DCC-only SRVs ---------------------------------------------------------

OTHER_SUPPLIER = Eui64("90B3D51F30020000")
NEW_PPMID = Eui64("00DB1234567890B0")


def req(
    target: Eui64,
    srv: ServiceReferenceVariant,
    body: RequestBody,
    cv: CommandVariant | None = None,
    supplier: Eui64 = SUPPLIER,
) -> ServiceRequest:
    return ServiceRequest(RequestId(supplier, target, 77), srv, body, cv)


COMMISSION = CommissionDeviceSynchroniseClock(datetime(2015, 1, 1, tzinfo=UTC), 60)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (req(ESME, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(NEW_PPMID)), ResponseCode.E19),
        (req(NEW_PPMID, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(ESME)), ResponseCode.E19),
        (req(ESME, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(ESME_93)), ResponseCode.E11),
        (req(GSME, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(HCALCS_9A)), ResponseCode.E11),
        (req(ESME, SRV.JOIN_SERVICE_NON_CRITICAL, JoinServiceNonCritical(GPF)), ResponseCode.E11),
        (req(PPMID_98, SRV.COMMISSION_DEVICE, COMMISSION), ResponseCode.E11),
        (
            req(ESME, SRV.UNJOIN_SERVICE_NON_CRITICAL, UnjoinServiceNonCritical(GPF)),
            ResponseCode.E11,
        ),
        (req(GPF, SRV.READ_DEVICE_LOG, ReadDeviceLog()), ResponseCode.E11),
        (
            req(
                ESME,
                SRV.JOIN_SERVICE_CRITICAL,
                JoinServiceCritical(HCALCS_9A),
                supplier=OTHER_SUPPLIER,
            ),
            ResponseCode.E4,
        ),
        (req(ESME, SRV.COMMISSION_DEVICE, COMMISSION, supplier=OTHER_SUPPLIER), ResponseCode.E4),
        (
            req(
                ESME,
                SRV.JOIN_SERVICE_CRITICAL,
                JoinServiceCritical(HCALCS_9A),
                CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
            ),
            ResponseCode.E12,
        ),
        (
            req(
                GSME,
                SRV.JOIN_SERVICE_NON_CRITICAL,
                JoinServiceNonCritical(GPF_9C),
                CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,
            ),
            ResponseCode.E12,
        ),
        (
            req(ESME, SRV.READ_DEVICE_LOG, ReadDeviceLog(), CommandVariant.DCC_ONLY),
            ResponseCode.E12,
        ),
    ],
)
async def test_validation_codes(dcc: Dcc, request_: ServiceRequest, code: ResponseCode) -> None:
    assert code_of(await dcc.submit(request_)) is code
    assert dcc.link(CHF).to_hub.empty()  # type: ignore[union-attr]


async def test_statuses_e5(dcc: Dcc) -> None:
    dcc.inventory.prenotify(NEW_PPMID, DeviceType.PPMID, "MF", "M", "1", None, SUPPLIER)
    pending = req(ESME, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(NEW_PPMID))
    assert code_of(await dcc.submit(pending)) is ResponseCode.E5  # not whitelisted yet
    dcc.inventory.commission(ESME)
    assert code_of(await dcc.submit(req(ESME, SRV.COMMISSION_DEVICE, COMMISSION))) is (
        ResponseCode.E5
    )
    dcc.inventory.decommission(GSME)
    gone = req(GSME, SRV.READ_DEVICE_LOG, ReadDeviceLog())
    assert code_of(await dcc.submit(gone)) is ResponseCode.E5


async def test_read_inventory(dcc: Dcc) -> None:
    request = req(ACB, SRV.READ_INVENTORY, ReadInventory(CHF))
    assert request.command_variant is CommandVariant.DCC_ONLY
    resp = only(await dcc.submit(request))
    assert isinstance(resp, ServiceResponse) and resp.response_code is ResponseCode.I0
    by_id = {d.device_id: d for d in resp.inventory}
    assert by_id[CHF].device_status == "Commissioned" and by_id[CHF].device_type is DeviceType.CHF
    assert by_id[ESME].device_status == "Whitelisted" and by_id[ESME].chf_id == CHF
    assert GPF_9C not in by_id  # another CH's
    one = only(await dcc.submit(req(ACB, SRV.READ_INVENTORY, ReadInventory(ESME))))
    assert isinstance(one, ServiceResponse) and [d.device_id for d in one.inventory] == [ESME]
    assert code_of(await dcc.submit(req(ACB, SRV.READ_INVENTORY, ReadInventory(NEW_PPMID)))) is (
        ResponseCode.E19
    )


async def test_decommission_device(dcc: Dcc) -> None:
    other = req(ACB, SRV.DECOMMISSION_DEVICE, DecommissionDevice(ESME), supplier=OTHER_SUPPLIER)
    assert code_of(await dcc.submit(other)) is ResponseCode.E4
    assert code_of(
        await dcc.submit(req(ACB, SRV.DECOMMISSION_DEVICE, DecommissionDevice(ESME)))
    ) is (ResponseCode.I0)
    assert dcc.inventory.smi(ESME).status is SmiStatus.DECOMMISSIONED  # type: ignore[union-attr]
    assert code_of(
        await dcc.submit(req(ACB, SRV.DECOMMISSION_DEVICE, DecommissionDevice(ESME)))
    ) is (ResponseCode.E5)
    join = req(ESME, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(HCALCS_9A))
    assert code_of(await dcc.submit(join)) is ResponseCode.E5


async def test_update_inventory_deletes_a_pending_device(dcc: Dcc) -> None:
    dcc.inventory.prenotify(NEW_PPMID, DeviceType.PPMID, "MF", "M", "1", None, SUPPLIER)
    assert code_of(await dcc.submit(req(ACB, SRV.UPDATE_INVENTORY, UpdateInventory(ESME)))) is (
        ResponseCode.E5
    )
    assert code_of(
        await dcc.submit(req(ACB, SRV.UPDATE_INVENTORY, UpdateInventory(NEW_PPMID)))
    ) is (ResponseCode.I0)
    assert dcc.inventory.smi(NEW_PPMID) is None


async def test_pre_command_exchange_is_journalled(dcc: Dcc) -> None:
    await _send_rtds(dcc, CRITICAL[4])  # ECS70
    requests = dcc.inventory.journal("request")
    assert [r["command_variant"] for r in requests] == [4, 5, 5]  # request, signed copy, GBCS
    assert "signed_pre_command" in str(requests[1]["body"])
    assert "2014-12-31T23:59:10+00:00" in str(requests[0]["body"])
    responses = dcc.inventory.journal("response")
    assert [r["note"] for r in responses] == ["Pre-Command", ""]
    assert [r["response_code"] for r in responses] == ["I0", "I99"]


async def test_signed_copy_without_sm_wan_is_e20_and_can_come_again(dcc: Dcc) -> None:
    case = CRITICAL[0]
    command, signed = rtds_command(case)
    request = request_for(case)
    await dcc.submit(request)
    dcc.detach_link(CHF)
    back = SignedPreCommand(request.request_id, case.srv, signed.encode())
    assert code_of(await dcc.submit(back)) is ResponseCode.E20
    dcc.attach_link(CHF)
    assert code_of(await dcc.submit(back)) is ResponseCode.I99
    assert sent(dcc) == command
