"""The checks of the device SRVs whose GBCS command the ACB itself originates: 8.11 Add / Remove
(CCS01 / CCS02), 6.28-6.32 sub-GHz (``dual_band.py``) and 11.2 to an ESME (ECS52).

It exists so the DUIS validation of these SRVs (the order of their E-codes, their [U] choices)
reads apart from sending them. Each check raises ``Rejected`` on the first failure, or returns
the SMI records the command is built from; the DCC then needs the CH's link, a counter and the
ACB.
"""

from __future__ import annotations

from datetime import date

from emulator.codec.gbcs.device_log import HanDeviceType

from . import requests as r
from . import tsat
from .acb import HAN_DEVICE_TYPE
from .inventory import Inventory, SmiRecord, SmiStatus
from .services import Rejected, device
from .tsat_gate import check_tsat, cpl_rows

CH_STATUSES_FOR_8_11 = (SmiStatus.COMMISSIONED, SmiStatus.INSTALLED_NOT_COMMISSIONED)
DEVICE_STATUSES_FOR_ADD = (SmiStatus.PENDING, SmiStatus.WHITELISTED)
DEVICE_STATUSES_FOR_REMOVE = (SmiStatus.WHITELISTED,)
# [U] on the HAN: the DCC has no 8.1.1 yet, so a joined meter stays Whitelisted in the SMI
DEVICE_STATUSES_FOR_READ = (
    SmiStatus.WHITELISTED,
    SmiStatus.INSTALLED_NOT_COMMISSIONED,
    SmiStatus.COMMISSIONED,
)


def check_update_han_device_log(
    inventory: Inventory,
    request: r.ServiceRequest,
    body: r.UpdateHANDeviceLog,
    on: date,
    unlisted: tsat.Unlisted,
) -> tuple[SmiRecord, SmiRecord, HanDeviceType, str]:
    """8.11: the target CHF, the device, its device-log type and the journal note."""
    rid = request.request_id
    ch = device(inventory, rid.target)
    dev = device(inventory, body.device_id)
    if ch.device_type is not r.DeviceType.CHF:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "8.11 is sent to a CHF")
    han_type = HAN_DEVICE_TYPE.get(dev.device_type)
    if han_type is None:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "device type not on a CHF device log")
    if dev.registered_supplier != rid.originator:
        raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
    if ch.status not in CH_STATUSES_FOR_8_11:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"CHF is {ch.status.value}")
    allowed = DEVICE_STATUSES_FOR_ADD if body.add else DEVICE_STATUSES_FOR_REMOVE
    if dev.status not in allowed:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"device is {dev.status.value}")
    if body.request_type is r.RequestType.REMOVE and dev.ch_id != ch.device_id:
        raise Rejected(r.INVALID_DEVICE_STATUS, "device is not on this CHF's log")
    note = ""
    if body.add is not None and dev.status is SmiStatus.PENDING:
        note = check_tsat(cpl_rows(inventory, dev), r.INVALID_DEVICE_STATUS, on, unlisted)
    return ch, dev, han_type, note


def check_sub_ghz(inventory: Inventory, request: r.ServiceRequest) -> SmiRecord:
    """6.28-6.32: the target CHF.

    Refused E11 when the CHF's CPL rows are all CHTS v1.0, a single-band hub [U] (no DUIS
    code is public for "not a dual-band CH")."""
    rid = request.request_id
    ch = device(inventory, rid.target)
    if ch.device_type is not r.DeviceType.CHF:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "sub-GHz SRVs go to a CHF")
    versions = {tsat.parse_version(e.smets_chts_version) for e in cpl_rows(inventory, ch)}
    if versions and versions <= {(tsat.Spec.CHTS, "1.0")}:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "CHTS v1.0: a single-band CH")
    if ch.registered_supplier != rid.originator:
        raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the CH's supplier")
    if ch.status not in CH_STATUSES_FOR_8_11:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"CHF is {ch.status.value}")
    return ch


def check_read_esme_firmware_version(inventory: Inventory, request: r.ServiceRequest) -> SmiRecord:
    """11.2 to an ESME: the ESME, on a CH's device log."""
    rid = request.request_id
    dev = device(inventory, rid.target)
    if dev.device_type is not r.DeviceType.ESME:
        # [U] 11.2 also reads GSME / CHF versions (other use cases), not modelled yet
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "11.2 is modelled for an ESME")
    if dev.registered_supplier != rid.originator:
        raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
    if dev.status not in DEVICE_STATUSES_FOR_READ or dev.ch_id is None:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"device is {dev.status.value}")
    return dev
