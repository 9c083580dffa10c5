"""The DCC's firmware SRVs: 11.1 / 11.4 distribution, 11.3 activation, 11.2 for every device type.

- **11.1 Update Firmware** (ESME, GSME, CHF) and **11.4 Update PPMID Firmware**: validated like
  any device SRV (E19, E11, E4, E5), the image must be a GB OTA image (``INVALID_FIRMWARE_IMAGE``
  [U]); 11.4 also needs the PPMID's SMI SMETS version to be SMETS2+ (MP202 requirement 7,
  ``PPMID_NOT_ENROLLED_IN_SMETS2``). The image then travels to the target's CH as an
  ``ImageDelivery`` on the link's image queue (``WanLink.images``): it is not a GBCS message.
  What comes back are alerts: the device's receipt alert (0x8F72 / 0x8F1C) for 11.1, the CHF's
  CCS08 (0x8F8A / 0x8F89) for 11.4.
- **11.3 Activate Firmware** (critical): CS06 from the Supplier {hash, its request counter,
  optional execution time}. A response (or the future-dated 0x00CA alert) with outcome 0 sets the
  device's SMI firmware version to the one it reports; ``CPL_MISS`` says what happens when that
  version is not on the CPL for the device's model.
- **11.2 Read Firmware Version**: ECS52 (ESME, CHF), GCS38 (GSME, the RTDS GBZ read), CS08 (PPMID:
  ACB-originated with the Supplier as supplementary remote party, as the RTDS CS08 command).
"""

from __future__ import annotations

import datetime
import enum
import logging
from typing import Any

from emulator.codec.errors import DecodeError
from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import CRA, GbcsDecodeError, MessageCode, decode_payload
from emulator.codec.gbcs.asn1 import encode_asn1
from emulator.codec.gbcs.gbz import GbzComponent, GbzPayload
from emulator.codec.ota import parse_image
from emulator.devices.ota_server import Distribution, ImageDelivery

from . import requests as r
from .inventory import Inventory, SmetsVersion, SmiRecord, SmiStatus, TransitionError
from .services import Plan, Rejected, dcc_command, device, supplier_command

log = logging.getLogger(__name__)

T = r.DeviceType
UPDATE_FIRMWARE_TYPES = (T.ESME, T.GSME, T.CHF)
READ_FIRMWARE_TYPES = (T.ESME, T.GSME, T.CHF, T.PPMID)
IN_SERVICE = (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED)
CHF_IN_SERVICE = (SmiStatus.COMMISSIONED, SmiStatus.INSTALLED_NOT_COMMISSIONED)


class CplMiss(enum.Enum):
    """[U] What the DCC does when a device reports a firmware version its model has no CPL row
    for. DUIS suspends devices whose model leaves the CPL (DOMAIN.md section 3); the same is
    applied to a device that runs an unlisted version, and the journal note says why."""

    SUSPEND = "suspend"


CPL_MISS = CplMiss.SUSPEND

GCS38_METERING = 0x0702
GCS38_ATTRIBUTE = 0x0206
"""The Metering attribute the RTDS GCS38 command reads for the GSME's firmware version:
CurrentMeterID, ``06 02`` on the wire (ZCL attribute ids are little-endian)."""


def gcs38_payload() -> bytes:
    """GCS38's GBZ payload: one Read Attributes of Metering CurrentMeterID (RTDS GCS38)."""
    read = GbzComponent(
        0x01, GCS38_METERING, bytes((0x00, 0x00, 0x00)), GCS38_ATTRIBUTE.to_bytes(2, "little")
    )
    return GbzPayload.of(read).encode()


def _check(record: SmiRecord, rid: r.RequestId, types: tuple[r.DeviceType, ...]) -> None:
    if record.device_type not in types:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, f"not for a {record.device_type.value}")
    if record.registered_supplier != rid.originator:
        raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
    allowed = CHF_IN_SERVICE if record.device_type is T.CHF else IN_SERVICE
    if record.status not in allowed:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"{record.device_id} is {record.status.value}")


def ch_of(record: SmiRecord) -> Eui64:
    if record.device_type is T.CHF:
        return record.device_id
    if record.ch_id is None:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"{record.device_id} is on no CH's device log")
    return record.ch_id


def distribution(
    inventory: Inventory,
    request: r.ServiceRequest,
    body: r.UpdateFirmware | r.UpdatePPMIDFirmware,
) -> tuple[Eui64, ImageDelivery]:
    """11.1 / 11.4: the CH to hand the image to, and the delivery."""
    rid = request.request_id
    target = device(inventory, rid.target)
    if isinstance(body, r.UpdatePPMIDFirmware):
        _check(target, rid, (T.PPMID,))
        if target.smets_version is not SmetsVersion.SMETS2_PLUS:
            raise Rejected(
                r.PPMID_NOT_ENROLLED_IN_SMETS2,
                "MP202 requirement 7: OTA firmware goes only to a PPMID enrolled in a SMETS2+ "
                f"system; {target.device_id} is "
                f"{target.smets_version.value if target.smets_version else 'of no SMETS version'}",
            )
        kind = Distribution.UPDATE_PPMID_FIRMWARE
    else:
        _check(target, rid, UPDATE_FIRMWARE_TYPES)
        kind = Distribution.UPDATE_FIRMWARE
    try:
        parse_image(body.firmware_image)
    except DecodeError as e:
        raise Rejected(r.INVALID_FIRMWARE_IMAGE, f"not a GB OTA image: {e}") from None
    return ch_of(target), ImageDelivery(target.device_id, body.firmware_image, kind)


def activation(inventory: Inventory, request: r.ServiceRequest, body: r.ActivateFirmware) -> Plan:
    """11.3: CS06 {hash, the request counter, execution time} from the Supplier."""
    rid = request.request_id
    target = device(inventory, rid.target)
    _check(target, rid, (*UPDATE_FIRMWARE_TYPES, T.PPMID))
    code = MessageCode.CS06_ACTIVATE_FIRMWARE
    content = activate_firmware_command(
        body.manufacturer_image_hash, rid.counter, body.execution_date_time
    )
    apdu = supplier_command(code, rid, target.device_id, content)
    return Plan(code, ch_of(target), target.device_id, target.device_id, apdu)


def activate_firmware_command(
    digest: bytes, counter: int, when: datetime.datetime | None = None
) -> bytes:
    """CS06's ActivateFirmwareCommand {hash, the request's counter, execution time (UTC,
    whole seconds)}; byte for byte the RTDS CS06 commands' payloads."""
    value: dict[str, Any] = {"manufacturerImageHash": digest, "originatorCounter": counter}
    if when is not None:
        value["executionDateTime"] = when.replace(tzinfo=None, microsecond=0)
    return encode_asn1("ActivateFirmwareCommand", value)


def read_version(
    inventory: Inventory, request: r.ServiceRequest, acb: Eui64, acb_counter_floor: int
) -> Plan | None:
    """11.2 to a GSME (GCS38) or a PPMID (CS08); ``None`` for the ESME / CHF (ECS52, the
    DCC's own path)."""
    rid = request.request_id
    target = device(inventory, rid.target)
    _check(target, rid, READ_FIRMWARE_TYPES)
    if target.device_type is T.GSME:
        code = MessageCode.GCS38_READ_GSME_FIRMWARE_VERSION
        apdu = supplier_command(code, rid, target.device_id, gcs38_payload())
        return Plan(code, ch_of(target), target.device_id, target.device_id, apdu)
    if target.device_type is T.PPMID:
        counter = inventory.next_counter(floor=acb_counter_floor)
        code = MessageCode.CS08_READ_PPMID_HCALCS_FIRMWARE_VERSION
        content = encode_asn1("ReadFirmwareVersionCommand", None)
        apdu = dcc_command(code, counter, acb, target.device_id, rid, content)
        return Plan(code, ch_of(target), target.device_id, target.device_id, apdu)
    return None


def new_version(code: int, value: Any) -> bytes | None:
    """The firmware version a successful CS06 response or 0x00CA alert reports, else ``None``."""
    if code == MessageCode.CS06_ACTIVATE_FIRMWARE and isinstance(value, tuple):
        choice, outcome = value
        if choice != "executionOutcome":
            return None
    elif code == MessageCode.FUTURED_DATED_FIRMWARE_ACTIVATION_ALERT and isinstance(value, dict):
        outcome = value.get("executionOutcome")
    else:
        return None
    if not isinstance(outcome, dict) or outcome.get("responseCode") != 0:
        return None
    version = outcome.get("firmwareVersion")
    return bytes(version) if isinstance(version, bytes | bytearray) else None


def record_version(inventory: Inventory, device_id: Eui64, version: bytes) -> str:
    """Set the device's SMI firmware version; apply ``CPL_MISS`` if the CPL lacks it. Returns
    a journal note."""
    text = version.hex().upper()
    record = inventory.smi(device_id)
    if record is None:
        return f"firmware {text} reported by a device not in the SMI"
    inventory.set_firmware_version(device_id, text)
    rows = inventory.cpl_entries(record.manufacturer, record.model, record.device_type, text)
    if rows:
        return f"firmware version {text}"
    try:
        inventory.suspend(device_id)
    except TransitionError as e:
        log.warning("SMI not updated: %s", e)
    log.warning("%s runs firmware %s, not on the CPL for its model: Suspended", device_id, text)
    return f"firmware version {text} not on the CPL for the model: Suspended"


def firmware_changed(inventory: Inventory, device_id: Eui64, code: int, content: bytes) -> None:
    """A CS06 response or 0x00CA alert reporting a new running version: SMI and CPL."""
    try:
        value = decode_payload(code, CRA.ALERT if code != 0x0012 else CRA.RESPONSE, content)
    except GbcsDecodeError:
        return
    version = new_version(code, getattr(value, "value", None))
    if version is not None:
        note = record_version(inventory, device_id, version)
        log.info("%s: %s", device_id, note)
