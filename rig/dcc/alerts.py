"""Device alerts from the SM WAN: checked, journalled, and passed on as DUIS alerts.

It exists so how the DCC judges an alert (MAC'd to the ACB, or signed to the device's Supplier),
what it journals (CS14's whitelist alerts kept secret) and what it becomes (a ``DeviceAlert``, or
a ``DualBandCHAlert`` DCC Alert for the sub-GHz ones) is one piece.

A signed-only alert (critical alert) is accepted unless its signature is absent or invalid [U]:
the DCC may not hold every device's DS certificate.
"""

from __future__ import annotations

import logging
from datetime import datetime

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    Asn1Payload,
    GbcsDecodeError,
    GeneralCiphering,
    GeneralSigning,
    MessageCode,
    Verdict,
    decode_payload,
    signature_verdict,
)
from emulator.codec.gbcs.dlms import DataNotification
from emulator.codec.gbcs.gbz import GbzPayload

from . import dual_band, firmware
from . import requests as r
from .acb import AccessControlBroker
from .inventory import Inventory

log = logging.getLogger(__name__)


def to_supplier(inventory: Inventory, apdu: GeneralSigning) -> bool:
    """A signed alert a device addresses to its registered Supplier (the firmware receipt
    and future-dated activation alerts of the RTDS): the DCC passes it on."""
    record = inventory.smi(apdu.originator)
    return (
        bool(apdu.signature) and record is not None and record.registered_supplier == apdu.recipient
    )


def on_alert(
    ch_id: Eui64,
    message: GeneralCiphering | GeneralSigning,
    data: bytes,
    *,
    inventory: Inventory,
    acb: AccessControlBroker,
    now: datetime,
) -> list[r.DccMessage]:
    """The DUIS alert a device alert gives (none if it is not accepted), journalled."""
    apdu = message.apdu if isinstance(message, GeneralCiphering) else message
    secret = (
        apdu.message_code == MessageCode.CS14_DEVICE_ADDITION_TO_REMOVAL_FROM_HAN_WHITELIST_ALERTS
    )
    alert_code = _alert_code(apdu.message_code, apdu.content)
    code_text = "????" if alert_code is None else f"{alert_code:04X}"
    if isinstance(message, GeneralCiphering):
        verdict = acb.mac_verdict(message)
    else:
        verdict = signature_verdict(message, acb.keystore)
        if verdict is Verdict.UNKNOWN_KEY:
            verdict = Verdict.VALID  # [U] the DCC may not hold every device's DS certificate
    ch = inventory.smi(apdu.originator)
    recipient = ch.registered_supplier if ch is not None and ch.registered_supplier else None
    response_id = r.ResponseId(apdu.originator, recipient or acb.eui, apdu.originator_counter)
    accepted = verdict is Verdict.VALID and alert_code is not None
    inventory.journal_alert(
        now,
        "device",
        code_text,
        str(response_id),
        None,
        data,
        accepted,
        "" if accepted else f"MAC/signature {verdict.value}",
        secret=secret,
    )
    if not accepted or alert_code is None:
        log.warning("alert %s from %s rejected (MAC %s)", code_text, ch_id, verdict.value)
        return []
    if alert_code in dual_band.SUB_GHZ_ALERTS:  # SRPD 15.5(c): a DCC Alert (DualBandCHAlert)
        return [dual_band.to_dual_band_alert(apdu, alert_code, recipient or acb.eui, now, data)]
    if apdu.message_code == MessageCode.FUTURED_DATED_FIRMWARE_ACTIVATION_ALERT:
        firmware.firmware_changed(inventory, apdu.originator, apdu.message_code, apdu.content)
    return [r.DeviceAlert(response_id, alert_code, now, data)]


def _alert_code(message_code: int, content: bytes) -> int | None:
    """The GBCS alert code of an alert: a DLMS data-notification's, a GBZ alert header's (the
    GSME's receipt alert 0x00CF), or the ``alertCode`` of an ASN.1 alert (GCS62, CS06's 0x00CA,
    CCS08)."""
    try:
        payload = decode_payload(message_code, CRA.ALERT, content)
    except GbcsDecodeError:
        return None
    if isinstance(payload, DataNotification):
        return payload.alert_code
    if isinstance(payload, GbzPayload):
        return payload.alert_code
    if isinstance(payload, Asn1Payload) and isinstance(payload.value, dict):
        code = payload.value.get("alertCode")
        return code if isinstance(code, int) else None
    return None
