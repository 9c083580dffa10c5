"""Device responses from the SM WAN: matched to the command they answer, checked, turned into
DUIS ``ServiceResponse``s, and the SMI changes they make.

It exists so what a response means for the SMI (8.11's device log, 8.1.1 commissioning, 8.7.1
joins, 11.3's new firmware) is apart from sending commands and from alerts.

Devices answer critical commands signed with their DS key and not MAC'd (``DF 09 ...``) to the
Service User: the DCC passes the response through; it verifies the signature when its keystore
holds the device's DS certificate and reports the verdict (``ServiceResponse.device_signature``,
journal note). A response whose signature is invalid still reaches the Service User (theirs to
judge) but changes nothing in the SMI [U]. 11.2 Read Firmware Version of an ESME (ECS52) is
answered to the Supplier, MAC'd with a key the DCC does not hold: passed through unchecked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRITICAL_COMMANDS,
    GbcsDecodeError,
    GeneralCiphering,
    GeneralSigning,
    MessageCode,
    Verdict,
    signature_verdict,
)
from emulator.codec.gbcs.asn1 import decode_asn1
from emulator.codec.gbcs.dlms import AccessResponse, DataAccessResult, decode_dlms

from . import firmware
from . import requests as r
from .acb import AccessControlBroker
from .inventory import Inventory, TransitionError
from .wan_link import Outstanding, Pending

log = logging.getLogger(__name__)

Respond = Callable[..., r.ServiceResponse]
"""``Dcc._response``: a journalled ``ServiceResponse``."""
DccAlertFor = Callable[[r.DccAlertCode, r.ServiceRequest, str], r.DccAlert]
"""``Dcc._dcc_alert``: a journalled ``DccAlert`` about a request."""
Reject = Callable[[bytes, str], list[r.DccMessage]]
"""``Dcc._reject``: journal a WAN message as not accepted."""

DEVICE_LOG_CODES = (
    MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG,
    MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG,
    MessageCode.CCS03_RESTORE_CHF_DEVICE_LOG,
)


def on_response(
    message: GeneralCiphering | GeneralSigning,
    data: bytes,
    *,
    inventory: Inventory,
    acb: AccessControlBroker,
    trans_cos: Eui64 | None,
    outstanding: Outstanding,
    respond: Respond,
    dcc_alert: DccAlertFor,
    reject: Reject,
) -> list[r.DccMessage]:
    """The DUIS messages a device response gives (none if it answers no outstanding command)."""
    apdu = message.apdu if isinstance(message, GeneralCiphering) else message
    key = (int(apdu.originator), apdu.originator_counter)
    pending = outstanding.get(key)
    if pending is None or apdu.message_code != pending.message_code:
        return reject(data, "response to no outstanding command")
    request = pending.request
    if apdu.recipient not in (acb.eui, request.request_id.originator, trans_cos):
        return reject(data, f"addressed to {apdu.recipient}, not the ACB or requester")
    signed = isinstance(message, GeneralSigning)
    if signed != (pending.message_code in CRITICAL_COMMANDS):
        return reject(
            data,
            "signed-only response to a non-critical command, or MAC'd response to a critical one",
        )
    # a response to the ACB is the DCC's to verify; one to a Service User is theirs, but a
    # signed one the DCC checks when it holds the device's DS certificate
    to_acb = apdu.recipient == acb.eui
    verdict = acb.mac_verdict(message) if to_acb and not signed else Verdict.VALID
    device_signature = signature_verdict(apdu, acb.keystore) if signed else None
    outstanding.close(key)
    if verdict is not Verdict.VALID:
        # [U] The DCC closes the request: no SMI change, N24 to the requester.
        reject(data, f"response MAC {verdict.value}")
        return [dcc_alert(r.UPDATE_HAN_DEVICE_LOG_FAILED, request, f"response MAC {verdict.value}")]
    response_id = r.ResponseId(
        apdu.originator, request.request_id.originator, request.request_id.counter
    )
    note = "" if device_signature is None else f"device signature {device_signature.value}"
    out: list[r.DccMessage] = [
        respond(
            request,
            r.SUCCESS,
            response_id=response_id,
            gbcs=data,
            note=note,
            device_signature=device_signature,
        )
    ]
    if pending.message_code not in DEVICE_LOG_CODES:
        if device_signature is not Verdict.INVALID:
            settle(inventory, pending, apdu)
        return out
    ok = all_succeeded(apdu.content)
    if ok:
        try:
            code = pending.message_code
            if code is MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG:
                inventory.whitelist(pending.device_id, apdu.originator)
            elif code is MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG:
                inventory.remove_from_whitelist(pending.device_id)
            else:  # CCS03: every device restored is back on that CHF's log
                assert isinstance(request.body, r.RestoreHANDeviceLog)
                for device_id in request.body.device_ids:
                    inventory.whitelist(device_id, apdu.originator)
        except TransitionError as e:
            ok = False
            log.warning("SMI not updated: %s", e)
    if not ok:
        out.append(dcc_alert(r.UPDATE_HAN_DEVICE_LOG_FAILED, request, "device log not updated"))
    return out


def settle(inventory: Inventory, pending: Pending, apdu: GeneralSigning) -> None:
    """The SMI change a successful 8.1.1 / 8.7.1 response makes (``inventory.py``)."""
    code = pending.message_code
    try:
        clock_set = (
            code is MessageCode.ECS70_SET_CLOCK_ON_ESME and all_succeeded(apdu.content)
        ) or (
            code is MessageCode.GCS28_SET_CLOCK_ON_GSME and asn1_ok("SetTimeResponse", apdu.content)
        )
        if clock_set:
            inventory.commission(pending.device_id)
        elif code is MessageCode.CS03A2_METHOD_A_JOIN_NON_METER and join_succeeded(apdu.content):
            inventory.commission_joined(pending.device_id)
        elif code is MessageCode.CS06_ACTIVATE_FIRMWARE:
            firmware.firmware_changed(inventory, pending.device_id, code, apdu.content)
    except TransitionError as e:
        log.warning("SMI not updated: %s", e)


def all_succeeded(content: bytes) -> bool:
    """Every ACCESS result in a DLMS access-response is success."""
    try:
        payload = decode_dlms(content)
    except GbcsDecodeError:
        return False
    return isinstance(payload, AccessResponse) and all(
        s.result == DataAccessResult.SUCCESS for s in payload.results
    )


def asn1_ok(type_name: str, content: bytes) -> bool:
    try:
        decode_asn1(type_name, content)
    except GbcsDecodeError:
        return False
    return True


def join_succeeded(content: bytes) -> bool:
    """A ``JoinDeviceResponse`` of 0 (success)."""
    try:
        return bool(decode_asn1("JoinDeviceResponse", content) == 0)
    except GbcsDecodeError:
        return False
