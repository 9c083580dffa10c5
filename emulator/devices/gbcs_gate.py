"""The checks every device applies to a GBCS command before acting on it (GBCS §5, [U] detail).

Decodes, checks it is a command for this device, that its MAC verifies with the keys the device
holds, and that its originator counter rises strictly per originator (anti-replay, persisted so a
power cycle does not reopen old counters). Rejections are counted by reason and come back as a
``Rejected`` naming the GBCS alert the device raises for it (``alert``): 0x8F1E when the command
does not decode, 0x8F3D when its MAC fails or its counter does not rise [U] (DOMAIN.md names both
for a command failing its checks, our sources do not map reasons to codes). A message that is not
a command for this device raises nothing: it is not the device's to judge.

A critical command (``CRITICAL_COMMANDS``) must also carry a valid signature by a party whose
Digital Signing certificate the device holds (its Supplier's, placed in its trust store when the
keys were issued): a missing or bad signature is 0x8F3D, a signer the device does not know 0x8F30
"source does not have authority for command" [U]. The response to a critical command is signed
with the device's own DS key and not MAC'd; every other response is MAC'd (RTDS 4.5.0).

Change of supplier (``trust_anchors.py``): ``update_security_credentials`` answers CS02b
supplierByTransCoS for every device, and the Supplier anchor it installed is put back in the
keystore when the gate is built (power-on).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import (
    CRA,
    CRITICAL_COMMANDS,
    DS,
    AlertCode,
    GeneralCiphering,
    GeneralSigning,
    KeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    analyse,
    protect,
)
from ..codec.gbcs.asn1 import encode_asn1
from ..codec.gbcs.crypto import sign_message
from ..codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessResponse,
    AccessResponseKind,
    AccessResponseSpecification,
    Data,
    DataAccessResult,
    DataNotification,
    DataType,
    date_time,
    invoke_id_for,
)
from ..codec.gbcs.payload import Payload
from ..han.clock import Clock
from ..han.stack.state import StateStore
from . import trust_anchors


@dataclass(frozen=True)
class Accepted:
    apdu: GeneralSigning
    payload: Payload | None


@dataclass(frozen=True)
class Rejected:
    reason: str
    alert: AlertCode | None


_ALERT_FOR = {
    "malformed": AlertCode.INTEGRITY_CHECK_OF_CONTENT_OR_FORMAT_OF_COMMAND_FAILED,
    "MAC": AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE,
    "replayed counter": AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE,
    "signature": AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE,
    "unknown signer": AlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND,
}


class GbcsGate:
    def __init__(
        self,
        eui64: Eui64,
        keystore: KeyStore,
        acb: Eui64,
        store: StateStore,
        clock: Clock | None = None,
    ) -> None:
        self.eui64 = eui64
        self.clock = clock
        self.keystore = keystore
        self.acb = acb
        self.store = store
        self.rejected: Counter[str] = Counter()
        trust_anchors.restore(keystore, store)

    def check(self, data: bytes) -> Accepted | Rejected:
        try:
            analysis = analyse(data, self.keystore, self.acb)
        except DecodeError:
            return self._reject("malformed")
        apdu = analysis.apdu
        if apdu is None or apdu.cra is not CRA.COMMAND or apdu.recipient != self.eui64:
            return self._reject("not a command for this device")
        if analysis.mac is not Verdict.VALID:
            return self._reject("MAC")
        key = f"gbcs/last-counter/{apdu.originator.hex}"
        last = self.store.load(key)
        if last is not None and apdu.originator_counter <= int(last):
            return self._reject("replayed counter")
        if apdu.message_code in CRITICAL_COMMANDS:
            if analysis.signature is Verdict.UNKNOWN_KEY:
                return self._reject("unknown signer")
            if analysis.signature is not Verdict.VALID:
                return self._reject("signature")
        self.store.save(key, apdu.originator_counter)
        if analysis.payload_error is not None:
            return self._reject("malformed")
        return Accepted(apdu, analysis.payload)

    def update_security_credentials(self, accepted: Accepted) -> list[bytes] | None:
        """CS02b supplierByTransCoS (``trust_anchors.py``): the replies; ``None`` for any other
        command. Signed by anyone but a Transitional CoS party: 0x8F30, nothing changes."""
        apdu = accepted.apdu
        if apdu.message_code not in trust_anchors.HANDLED:
            return None
        if not trust_anchors.signed_by_transitional_cos(self.keystore, apdu.originator):
            return self.rejection_replies(self._reject("unknown signer"))
        value = getattr(accepted.payload, "value", None)
        outcome = trust_anchors.replace_supplier(self.keystore, self.store, value)
        content = encode_asn1("SupplierTrustAnchorReplacementResponse", int(outcome))
        return [self.reply(apdu, content)]

    def _reject(self, reason: str) -> Rejected:
        self.rejected[reason] += 1
        return Rejected(reason, _ALERT_FOR.get(reason))

    def next_counter(self) -> int:
        """The device's own originator counter, for what it originates (alerts): strictly rising
        and persisted."""
        counter = int(self.store.load("gbcs/originator-counter") or 0) + 1
        self.store.save("gbcs/originator-counter", counter)
        return counter

    def alert(self, message_code: int, body: Data) -> GeneralCiphering:
        """A MAC'd DLMS alert (data-notification) to the ACB with the device's next counter."""
        counter = self.next_counter()
        apdu = GeneralSigning(
            CRA.ALERT,
            counter,
            self.eui64,
            self.acb,
            OtherInformation(message_code),
            DataNotification(invoke_id_for(counter), body).encode(),
        )
        return self.protect(apdu)

    def now(self) -> datetime.datetime:
        """The device's clock (modelled time when it has a ``Clock``, else the wall clock)."""
        return self.clock.datetime() if self.clock else datetime.datetime.now(datetime.UTC)

    def rejection_replies(self, rejected: Rejected) -> list[bytes]:
        """What the device sends back for a rejected command: its alert, if it raises one."""
        alert = self.rejection_alert(rejected)
        return [] if alert is None else [alert.encode()]

    def rejection_alert(self, rejected: Rejected) -> GeneralCiphering | None:
        """The generic alert for a rejected command, if the rejection raises one: {alert code,
        time stamp} under message code 0x1001, generic non-critical alert [U]."""
        if rejected.alert is None:
            return None
        body = Data.structure(
            Data(DataType.LONG_UNSIGNED, rejected.alert), Data.octet_string(date_time(self.now()))
        )
        return self.alert(MessageCode.GENERIC_NON_CRITICAL_ALERT, body)

    def protect(self, apdu: GeneralSigning) -> GeneralCiphering:
        """MAC what the device sends, keyed with the other party as GBCS says."""
        return protect(apdu, self.keystore, self.acb)

    def respond(
        self,
        command: GeneralSigning,
        request: AccessRequest,
        data: Sequence[Data],
        results: Sequence[DataAccessResult],
    ) -> bytes:
        """The MAC'd response to a DLMS ACCESS command: one data item and one result per request
        specification, the command's counter and other-information, as the RTDS responses show."""
        response = AccessResponse(
            request.invoke_id,
            tuple(data),
            tuple(
                AccessResponseSpecification(_RESPONSE_KIND[spec.kind], int(result))
                for spec, result in zip(request.specifications, results, strict=True)
            ),
        )
        return self.reply(command, response.encode())

    def reply(self, command: GeneralSigning, content: bytes) -> bytes:
        """The response to ``command`` carrying ``content``: its counter and other-information;
        signed with the device's DS key for a critical command, MAC'd otherwise."""
        other = command.other_information
        apdu = GeneralSigning(
            CRA.RESPONSE,
            command.originator_counter,
            self.eui64,
            command.originator,
            OtherInformation(
                other.message_code,
                other.supplementary_remote_party_id,
                other.supplementary_remote_party_counter,
            ),
            content,
        )
        if command.message_code not in CRITICAL_COMMANDS:
            return self.protect(apdu).encode()
        signer = self.keystore.private_key(self.eui64, DS)
        if signer is None:
            raise ValueError(f"{self.eui64} holds no Digital Signing key for a critical response")
        return sign_message(apdu, signer).encode()


_RESPONSE_KIND = {
    AccessRequestKind.ACTION: AccessResponseKind.ACTION,
    AccessRequestKind.SET: AccessResponseKind.SET,
    AccessRequestKind.GET: AccessResponseKind.GET,
}
