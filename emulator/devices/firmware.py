"""A device's firmware use cases in GBCS: the receipt alert, CS06 Activate Firmware, the version.

Shared by the ESME (DLMS alerts), the GSME (GBZ alerts), the PPMID and the CHF. One
``DeviceFirmware`` owns the device's ``FirmwareSlots`` and its ``OtaClient`` (none for the CHF,
whose image arrives with the delivery itself) and answers:

- **Firmware Distribution Receipt Alert** once a downloaded 11.1 image is checked: 0x00CE (ESME,
  CHF: DLMS data-notification {alert code, time stamp, calculated hash}) or 0x00CF (GSME: GBZ
  alert header, then the hash as ``09 20 || hash``), alert code 0x8F72 verified / 0x8F1C failed,
  signed with the device's DS key and not MAC'd, to its Supplier (RTDS FDRA-DLMS / FDRA-ZigBee;
  [U] ``RECEIPT_ALERT_RECIPIENT``: the RTDS alerts go to the Supplier, the image's signer).
- **CS06 Activate Firmware** (critical: the gate has checked the Supplier's signature): no
  verified image held -> 1 NO_IMAGE_HELD; hash mismatch -> 2 HASH_MISMATCH; a future execution
  time -> ``commandAccepted`` NULL now and, at that modelled time, alert 0x00CA
  {0x8F66, time, counter, outcome} to the command's originator; else activate -> 0 and the new
  version. Every successful activation also raises 0x8F43 "change in the executing firmware
  version" to the ACB (generic alert 0x1001 [U], MAC'd). The response carries the device's
  date-time in its header as the RTDS responses do.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ..codec.eui64 import Eui64
from ..codec.gbcs import CRA, DS, AlertCode, GeneralSigning, MessageCode, OtherInformation
from ..codec.gbcs.asn1 import ActivateFirmwareResult, encode_asn1
from ..codec.gbcs.crypto import sign_message
from ..codec.gbcs.dlms import Data, DataNotification, DataType, date_time, invoke_id_for
from ..codec.gbcs.gbz import GbzPayload
from ..codec.gbcs.keystore import public_key
from ..codec.zcl.time import utc_time
from ..han.clock import Clock
from .firmware_slots import FirmwareSlots
from .gbcs_gate import Accepted, GbcsGate
from .ota_client import OtaClient, Verification

log = logging.getLogger(__name__)


class AlertFormat(enum.Enum):
    DLMS = "dlms"
    GBZ = "gbz"


RECEIPT_ALERT_RECIPIENT = "supplier"
"""[U] Who receives the receipt alert: the device's Supplier, as in the RTDS FDRA alerts."""

HASH_OCTET_STRING = b"\x09\x20"
"""The hash after the GBZ alert header: a DLMS-style octet-string tag and length (RTDS
FDRA-ZigBee: ``09 20 || 32 bytes``)."""

Sender = Callable[[bytes], Awaitable[None]]


class DeviceFirmware:
    def __init__(
        self,
        gate: GbcsGate,
        clock: Clock,
        slots: FirmwareSlots,
        alert_format: AlertFormat,
        supplier: Eui64 | None,
        ota: OtaClient | None = None,
        *,
        receipt_alert: bool = True,
    ) -> None:
        self.gate = gate
        self.clock = clock
        self.slots = slots
        self.alert_format = alert_format
        self.supplier = None if supplier is None else Eui64(supplier)
        self.ota = ota
        self.receipt_alert_enabled = receipt_alert
        """11.1 devices check the Supplier signature and send the receipt alert; an 11.4 PPMID
        does neither (its images are unsigned; the hub reports the transfer with CCS08)."""
        self.send: Sender | None = None
        """Where alerts raised outside a command's turn go (the tunnel's push, or the GSME's
        next PUT)."""
        self.receipts: list[Verification] = []
        self.activations = 0
        self._timers: list[asyncio.TimerHandle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        with contextlib.suppress(RuntimeError):  # no running loop: nothing can be pending
            self._rearm()
        if ota is not None:
            if receipt_alert:
                ota.supplier_keys = self.supplier_keys
            ota.on_verified = self._verified
            d = slots.download
            if d is not None and not d.verified:  # power-up with a download cut short: resume
                with contextlib.suppress(RuntimeError):
                    ota.start()

    @property
    def version(self) -> bytes:
        return self.slots.running_version

    def supplier_keys(self) -> list[ec.EllipticCurvePublicKey]:
        """The Supplier DS keys the device trusts for 11.1 images."""
        if self.supplier is None:
            return []
        key = public_key(self.gate.keystore, self.supplier, DS)
        return [] if key is None else [key]

    # -- receipt ----------------------------------------------------------------------------------
    async def _verified(self, verification: Verification) -> None:
        self.receipts.append(verification)
        if self.receipt_alert_enabled:
            await self.send_alert(self.receipt_alert(verification))

    def receipt_alert(self, verification: Verification) -> bytes:
        """The Firmware Distribution Receipt Alert for ``verification``."""
        code = (
            AlertCode.FIRMWARE_VERIFICATION_SUCCESSFUL
            if verification.ok
            else AlertCode.FIRMWARE_VERIFICATION_FAILED
        )
        counter = self.gate.next_counter()
        now = self.gate.now()
        if self.alert_format is AlertFormat.DLMS:
            message_code = MessageCode.FIRMWARE_DISTRIBUTION_RECEIPT_ALERT_ESME
            body = Data.structure(
                Data(DataType.LONG_UNSIGNED, code),
                Data.octet_string(date_time(now)),
                Data.octet_string(verification.hash),
            )
            content = DataNotification(invoke_id_for(counter), body).encode()
        else:
            message_code = MessageCode.FIRMWARE_DISTRIBUTION_RECEIPT_ALERT_GSME
            content = GbzPayload(
                (), 1, code, utc_time(now), HASH_OCTET_STRING + verification.hash
            ).encode()
        recipient = self.supplier or self.gate.acb
        return self.signed(CRA.ALERT, counter, recipient, message_code, content)

    # -- CS06 -------------------------------------------------------------------------------------
    def activate(self, accepted: Accepted, command: dict[str, Any]) -> list[bytes]:
        """CS06: the signed response, and the 0x8F43 alert when the image runs now."""
        apdu = accepted.apdu
        if not isinstance(command, dict):
            return self.gate.rejection_replies(self.gate._reject("malformed"))
        digest = bytes(command["manufacturerImageHash"])
        counter = int(command["originatorCounter"])
        when = command.get("executionDateTime")
        d = self.slots.download
        if d is None or not d.verified:
            return [self._response(apdu, ActivateFirmwareResult.NO_IMAGE_HELD)]
        if bytes.fromhex(d.hash) != digest:
            return [self._response(apdu, ActivateFirmwareResult.HASH_MISMATCH)]
        if isinstance(when, datetime.datetime):
            when = when.replace(tzinfo=datetime.UTC)
            delay = (when - self.gate.now()).total_seconds()
            if delay > 0:
                self._schedule(delay, apdu.originator, counter, when)
                content = encode_asn1("ActivateFirmwareResponse", ("commandAccepted", None))
                return [self._reply(apdu, content)]
        self.slots.activate()
        self.activations += 1
        return [self._response(apdu, ActivateFirmwareResult.SUCCESS), self._changed_alert()]

    @property
    def _pending_key(self) -> str:
        return f"{self.slots.prefix}/pending-activations"

    def pending_activations(self) -> list[dict[str, Any]]:
        """Future-dated CS06s accepted and not yet run: {when (ISO 8601, UTC), originator,
        counter}; in the state store, so a power cycle keeps them (``_rearm``)."""
        return list(self.gate.store.load(self._pending_key) or [])

    def _schedule(self, delay: float, originator: Eui64, counter: int, when: Any) -> None:
        pending = self.pending_activations()
        pending.append({"when": when.isoformat(), "originator": originator.hex, "counter": counter})
        self.gate.store.save(self._pending_key, pending)
        self._arm(delay, originator, counter, when)

    def _arm(self, delay: float, originator: Eui64, counter: int, when: Any) -> None:
        def fire() -> None:
            task = asyncio.get_running_loop().create_task(
                self._activate_later(originator, counter, when)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self._timers.append(self.clock.call_later(delay, fire))

    def _rearm(self) -> None:
        """After a power cycle: arm the stored future-dated activations again (one whose time
        passed while the device was off runs at once)."""
        for entry in self.pending_activations():
            when = datetime.datetime.fromisoformat(entry["when"])
            delay = (when - self.gate.now()).total_seconds()
            self._arm(delay, Eui64(entry["originator"]), int(entry["counter"]), when)

    async def _activate_later(self, originator: Eui64, counter: int, when: Any) -> None:
        """The future-dated activation: run the image, then alert 0x00CA and 0x8F43."""
        pending = [
            e
            for e in self.pending_activations()
            if not (e["originator"] == originator.hex and e["counter"] == counter)
        ]
        self.gate.store.save(self._pending_key, pending)
        d = self.slots.download
        if d is not None and d.verified:
            self.slots.activate()
            self.activations += 1
            result = ActivateFirmwareResult.SUCCESS
        else:
            result = ActivateFirmwareResult.ACTIVATION_FAILURE
        value = {
            "alertCode": AlertCode.FUTURE_DATE_HAN_INTERFACE_COMMAND_SUCCESSFULLY_ACTIONED,
            "executionDateTime": when.replace(tzinfo=None),
            "originatorCounter": counter,
            "executionOutcome": {"responseCode": int(result), "firmwareVersion": self.version},
        }
        alert = self.signed(
            CRA.ALERT,
            self.gate.next_counter(),
            originator,
            MessageCode.FUTURED_DATED_FIRMWARE_ACTIVATION_ALERT,
            encode_asn1("ActivateFirmwareAlert", value),
        )
        await self.send_alert(alert)
        if result is ActivateFirmwareResult.SUCCESS:
            await self.send_alert(self._changed_alert())

    def _response(self, apdu: GeneralSigning, result: ActivateFirmwareResult) -> bytes:
        outcome = {"responseCode": int(result), "firmwareVersion": self.version}
        content = encode_asn1("ActivateFirmwareResponse", ("executionOutcome", outcome))
        return self._reply(apdu, content)

    def _reply(self, command: GeneralSigning, content: bytes) -> bytes:
        """The signed response to CS06, with the device's date-time in its header (RTDS)."""
        other = command.other_information
        response = GeneralSigning(
            CRA.RESPONSE,
            command.originator_counter,
            self.gate.eui64,
            command.originator,
            OtherInformation(
                other.message_code,
                other.supplementary_remote_party_id,
                other.supplementary_remote_party_counter,
            ),
            content,
            date_time(self.gate.now()),
        )
        return self._sign(response)

    def _changed_alert(self) -> bytes:
        """0x8F43, change in the executing firmware version: {alert code, time stamp}, to the
        ACB under the generic non-critical alert [U]."""
        code = AlertCode.CHANGE_IN_THE_EXECUTING_FIRMWARE_VERSION
        now = self.gate.now()
        if self.alert_format is AlertFormat.DLMS:
            body = Data.structure(
                Data(DataType.LONG_UNSIGNED, code), Data.octet_string(date_time(now))
            )
            return self.gate.alert(MessageCode.GENERIC_NON_CRITICAL_ALERT, body).encode()
        counter = self.gate.next_counter()
        apdu = GeneralSigning(
            CRA.ALERT,
            counter,
            self.gate.eui64,
            self.gate.acb,
            OtherInformation(MessageCode.GENERIC_NON_CRITICAL_ALERT),
            GbzPayload((), 0, code, utc_time(now)).encode(),
        )
        return self.gate.protect(apdu).encode()

    # -- helpers ----------------------------------------------------------------------------------
    def signed(self, cra: CRA, counter: int, recipient: Eui64, code: int, content: bytes) -> bytes:
        apdu = GeneralSigning(
            cra, counter, self.gate.eui64, recipient, OtherInformation(code), content
        )
        return self._sign(apdu)

    def _sign(self, apdu: GeneralSigning) -> bytes:
        signer = self.gate.keystore.private_key(self.gate.eui64, DS)
        if signer is None:
            raise ValueError(f"{self.gate.eui64} holds no Digital Signing key")
        return sign_message(apdu, signer).encode()

    async def send_alert(self, gbcs: bytes) -> None:
        if self.send is None:
            log.warning("%s: no way to send a firmware alert", self.gate.eui64)
            return
        try:
            await self.send(gbcs)
        except Exception as exc:  # a lost alert is the hub's to chase; the device goes on
            log.info("%s: firmware alert not sent: %s", self.gate.eui64, exc)

    async def aclose(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.ota is not None:
            await self.ota.aclose()
