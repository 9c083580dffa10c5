"""What a device SRV becomes in GBCS: DUIS validation, then the command to send (a ``Plan``).

SRVs 8.1.1, 8.7.1, 8.7.2, 8.8.1, 8.8.2 and 8.9 (``Dcc`` keeps 8.11 and 11.2 itself). The Service
User originates these commands: originator = the RequestID's originator, originator counter = its
counter (RTDS CS03A1 / CS03B / CS04AC / ECS70 / GCS28 ...); except CCS06, which the ACB originates
with the Service User as supplementary remote party (RTDS CCS06 response). A critical command's
``Plan.apdu`` has no signature element (the Pre-Command); a non-critical one has the empty ``00``.

Routing (8.7.1, DUIS / GBCS use cases, device types as the RTDS commands pair them):

========================  ==================  ======  =========================================
SRV                       target              other   GBCS
========================  ==================  ======  =========================================
8.7.1                     ESME                PPMID,  CS03A1 Method A initiator
                                              HCALCS
8.7.1                     GSME                PPMID   CS03C Method C + the PPMID's KA certificate
8.7.1                     PPMID, HCALCS       ESME,   CS03A2 Method A responder ([U] GSME)
                                              GSME
8.7.2                     GSME / GPF          GPF /   CS03B Method B ([U] the GPF side)
                                              GSME
8.8.1                     ESME, GSME, PPMID,  any     CS04AC
                          HCALCS
8.8.2                     GSME, GPF           any     CS04B
8.9                       CHF                         CCS06 (``CHF_DEVICE_LOG_READ``) [U]
8.9                       ESME, GSME, PPMID,          CS07
                          HCALCS
8.1.1                     ESME                        ECS70
8.1.1                     GSME                        GCS28
========================  ==================  ======  =========================================

Validation (first failure wins): target and other device in the SMI (E19; [U] an unjoin's other
device need not be: it may have left the SMI and still sit in a log), device types (E11), the
requester is the target's registered supplier (E4), statuses (E5): the target (and a join's other
device) Whitelisted, InstalledNotCommissioned or Commissioned, a GPF also Pending [U]; 8.1.1 only
Whitelisted or InstalledNotCommissioned; a CHF Commissioned or InstalledNotCommissioned.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.serialization import Encoding

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    CRITICAL_COMMANDS,
    KA,
    GeneralSigning,
    KeyStore,
    MessageCode,
    OtherInformation,
)
from emulator.codec.gbcs.asn1 import DeviceType as Asn1DeviceType
from emulator.codec.gbcs.asn1 import JoinMethodAndRole
from emulator.codec.gbcs.clock import ecs70_payload, gcs28_payload
from emulator.codec.gbcs.device_log import ccs03_payload, ccs06_payload
from emulator.codec.gbcs.join import join_payload, read_device_join_details_payload, unjoin_payload

from . import requests as r
from .inventory import GPF_EUI_OFFSET, Inventory, SmiRecord, SmiStatus

T = r.DeviceType


class Rejected(Exception):
    """Validation failed with a DUIS response code."""

    def __init__(self, code: r.ResponseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class ChfDeviceLogRead(enum.Enum):
    """[U] Which use case 8.9 to a CHF sends: DUIS maps both CCS06 and CCS07 to 8.9. CCS06 (device
    log with link quality, RTDS CCS06 response) is the default: CCS07 answers with the CHF's and
    GPF's logs *including their install codes* (RTDS CCS07 response), secrets the rig keeps out
    of journals. Only CCS06 is built here."""

    CCS06 = "CCS06"


CHF_DEVICE_LOG_READ = ChfDeviceLogRead.CCS06


@dataclass(frozen=True, slots=True)
class Plan:
    """One GBCS command to send for a request, and where its response comes from."""

    code: MessageCode
    ch_id: Eui64
    """The Communications Hub whose WAN link carries it."""
    responder: Eui64
    """Who answers (the target device)."""
    device_id: Eui64
    """The device whose SMI record the response may change."""
    apdu: GeneralSigning

    @property
    def critical(self) -> bool:
        return self.code in CRITICAL_COMMANDS


ASN1_DEVICE_TYPE = {
    T.ESME: Asn1DeviceType.ESME,
    T.GSME: Asn1DeviceType.GSME,
    T.CHF: Asn1DeviceType.CHF,
    T.GPF: Asn1DeviceType.GPF,
    T.HCALCS: Asn1DeviceType.HCALCS,
    T.PPMID: Asn1DeviceType.PPMID,
}
"""DUIS device types as the join payloads encode them."""

IN_SERVICE = (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED)
GPF_IN_SERVICE = (SmiStatus.PENDING, *IN_SERVICE)
CHF_IN_SERVICE = (SmiStatus.COMMISSIONED, SmiStatus.INSTALLED_NOT_COMMISSIONED)
COMMISSIONABLE = (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED)
METERS = (T.ESME, T.GSME)
JOINING_NON_METERS = (T.PPMID, T.HCALCS)


def device(inventory: Inventory, device_id: Eui64) -> SmiRecord:
    record = inventory.smi(device_id)
    if record is None:
        raise Rejected(r.DEVICE_DOES_NOT_EXIST, f"{device_id} is not in the SMI")
    return record


def _types(record: SmiRecord, allowed: tuple[r.DeviceType, ...], what: str) -> None:
    if record.device_type not in allowed:
        raise Rejected(
            r.INVALID_DEVICE_TYPE_FOR_SRV, f"{what} is a {record.device_type.value}, not that"
        )


def _supplier(record: SmiRecord, rid: r.RequestId) -> None:
    if record.registered_supplier != rid.originator:
        raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")


def _status(record: SmiRecord, allowed: tuple[SmiStatus, ...]) -> None:
    if record.status not in allowed:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"{record.device_id} is {record.status.value}")


def ch_of(record: SmiRecord) -> Eui64:
    """The CH whose WAN carries commands to ``record`` (a GPF: its own CH [U])."""
    if record.ch_id is not None:
        return record.ch_id
    if record.device_type is T.GPF:
        return Eui64(int(record.device_id) - GPF_EUI_OFFSET)
    raise Rejected(r.INVALID_DEVICE_STATUS, f"{record.device_id} is on no CH's device log")


def _in_service(record: SmiRecord) -> None:
    _status(record, GPF_IN_SERVICE if record.device_type is T.GPF else IN_SERVICE)


def supplier_command(
    code: MessageCode, rid: r.RequestId, recipient: Eui64, content: bytes
) -> GeneralSigning:
    """The Service User's command: its counter; a critical one without signature element."""
    return GeneralSigning(
        CRA.COMMAND,
        rid.counter,
        rid.originator,
        Eui64(recipient),
        OtherInformation(int(code)),
        content,
        signature=None if code in CRITICAL_COMMANDS else b"",
    )


def dcc_command(
    code: MessageCode, counter: int, originator: Eui64, recipient: Eui64, rid: r.RequestId,
    content: bytes,
) -> GeneralSigning:  # fmt: skip
    """A command the DCC originates for a Service User's request (the ACB, or its TransCoS
    party): the DCC's own ``counter``, the requester as supplementary remote party with its
    request counter (as the RTDS CCS01/CCS06/DBCH commands carry them)."""
    return GeneralSigning(
        CRA.COMMAND,
        counter,
        Eui64(originator),
        Eui64(recipient),
        OtherInformation(int(code), rid.originator, rid.counter),
        content,
    )


def _plan(code: MessageCode, rid: r.RequestId, target: SmiRecord, content: bytes) -> Plan:
    apdu = supplier_command(code, rid, target.device_id, content)
    return Plan(code, ch_of(target), target.device_id, target.device_id, apdu)


def join(
    inventory: Inventory,
    keystore: KeyStore,
    request: r.ServiceRequest,
    body: r.JoinServiceCritical | r.JoinServiceNonCritical,
) -> Plan:
    """8.7.1 / 8.7.2: CS03A1, CS03A2, CS03C or CS03B (see the module table)."""
    rid = request.request_id
    target = device(inventory, rid.target)
    other = device(inventory, body.other_device_id)
    pair = (target.device_type, other.device_type)
    certificate: bytes | None = None
    if isinstance(body, r.JoinServiceNonCritical):
        if pair not in ((T.GSME, T.GPF), (T.GPF, T.GSME)):
            raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "8.7.2 joins a GSME and a GPF")
        code, role = MessageCode.CS03B_METHOD_B_JOIN, JoinMethodAndRole.METHOD_B
    elif pair == (T.GSME, T.PPMID):
        code, role = MessageCode.CS03C_METHOD_C_JOIN, JoinMethodAndRole.METHOD_C
    elif target.device_type in METERS and other.device_type in JOINING_NON_METERS:
        if target.device_type is T.GSME:
            raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "a GSME joins no HCALCS")
        code, role = MessageCode.CS03A1_METHOD_A_JOIN_METER, JoinMethodAndRole.METHOD_A_INITIATOR
    elif target.device_type in JOINING_NON_METERS and other.device_type in METERS:
        code = MessageCode.CS03A2_METHOD_A_JOIN_NON_METER
        role = JoinMethodAndRole.METHOD_A_RESPONDER
    else:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, f"8.7.1 does not join a {pair}")
    _supplier(target, rid)
    _in_service(target)
    _in_service(other)
    if code is MessageCode.CS03C_METHOD_C_JOIN:
        cert = keystore.certificate(other.device_id, KA)
        if cert is None:
            # [U] no DUIS code for "no SMKI certificate": the device is not ready for service
            raise Rejected(r.INVALID_DEVICE_STATUS, f"no KA certificate for {other.device_id}")
        certificate = cert.public_bytes(Encoding.DER)
    content = join_payload(role, other.device_id, ASN1_DEVICE_TYPE[other.device_type], certificate)
    return _plan(code, rid, target, content)


def unjoin(
    inventory: Inventory,
    request: r.ServiceRequest,
    body: r.UnjoinServiceCritical | r.UnjoinServiceNonCritical,
) -> Plan:
    """8.8.1 (CS04AC) / 8.8.2 (CS04B)."""
    rid = request.request_id
    target = device(inventory, rid.target)
    if isinstance(body, r.UnjoinServiceCritical):
        _types(target, (*METERS, *JOINING_NON_METERS), "the target of 8.8.1")
        code = MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN
    else:
        _types(target, (T.GSME, T.GPF), "the target of 8.8.2")
        code = MessageCode.CS04B_METHOD_B_UNJOIN
    _supplier(target, rid)
    _in_service(target)
    return _plan(code, rid, target, unjoin_payload(body.other_device_id))


def commission(
    inventory: Inventory, request: r.ServiceRequest, body: r.CommissionDeviceSynchroniseClock
) -> Plan:
    """8.1.1: ECS70 (ESME) or GCS28 (GSME), validity [CurrentDateTime, + TolerancePeriod]."""
    rid = request.request_id
    target = device(inventory, rid.target)
    _types(target, METERS, "the target of 8.1.1")
    _supplier(target, rid)
    _status(target, COMMISSIONABLE)
    start = body.current_date_time
    end = start + timedelta(seconds=body.tolerance_period)
    if target.device_type is T.ESME:
        code = MessageCode.ECS70_SET_CLOCK_ON_ESME
        content = ecs70_payload(rid.counter, start, end).encode()
    else:
        code = MessageCode.GCS28_SET_CLOCK_ON_GSME
        content = gcs28_payload(start, end)
    return _plan(code, rid, target, content)


def read_device_log(
    inventory: Inventory, request: r.ServiceRequest, acb: Eui64, acb_counter_floor: int
) -> Plan:
    """8.9: CCS06 from the ACB to a CHF, CS07 from the Service User to a HAN device."""
    rid = request.request_id
    target = device(inventory, rid.target)
    _types(target, (T.CHF, *METERS, *JOINING_NON_METERS), "the target of 8.9")
    _supplier(target, rid)
    if target.device_type is not T.CHF:
        _in_service(target)
        code = MessageCode.CS07_READ_DEVICE_JOIN_DETAILS
        return _plan(code, rid, target, read_device_join_details_payload())
    _status(target, CHF_IN_SERVICE)
    counter = inventory.next_counter(floor=acb_counter_floor)
    code = MessageCode.CCS06_READ_CHF_DEVICE_LOG_AND_CHECK_HAN_COMMUNICATIONS
    apdu = dcc_command(code, counter, acb, target.device_id, rid, ccs06_payload(counter).encode())
    return Plan(code, target.device_id, target.device_id, target.device_id, apdu)


RESTORABLE = (SmiStatus.PENDING,)
"""[U] A device 8.12.1 may restore: one an 8.11 Remove sent back to Pending."""


def restore_device_log(
    inventory: Inventory,
    request: r.ServiceRequest,
    body: r.RestoreHANDeviceLog,
    acb: Eui64,
    acb_counter_floor: int,
) -> Plan:
    """8.12.1: CCS03 from the ACB to the target CHF, naming devices removed from its log."""
    rid = request.request_id
    ch = device(inventory, rid.target)
    _types(ch, (T.CHF,), "the target of 8.12.1")
    _status(ch, CHF_IN_SERVICE)
    for device_id in body.device_ids:
        record = device(inventory, device_id)
        _types(record, (*METERS, *JOINING_NON_METERS), "a device 8.12.1 restores")
        _supplier(record, rid)
        _status(record, RESTORABLE)
    counter = inventory.next_counter(floor=acb_counter_floor)
    code = MessageCode.CCS03_RESTORE_CHF_DEVICE_LOG
    content = ccs03_payload(counter, body.device_ids).encode()
    apdu = dcc_command(code, counter, acb, ch.device_id, rid, content)
    return Plan(code, ch.device_id, ch.device_id, body.device_ids[0], apdu)
