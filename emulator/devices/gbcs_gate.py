"""The checks every device applies to a GBCS command before acting on it (GBCS §5, [U] detail).

Decodes, checks it is a command for this device, that its MAC verifies with the keys the device
holds, and that its originator counter rises strictly per originator (anti-replay, persisted so a
power cycle does not reopen old counters). Rejections are counted by reason, never acted on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import (
    CRA,
    GeneralCiphering,
    GeneralSigning,
    KeyStore,
    OtherInformation,
    Verdict,
    analyse,
    protect,
)
from ..codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessResponse,
    AccessResponseKind,
    AccessResponseSpecification,
    Data,
    DataAccessResult,
)
from ..codec.gbcs.payload import Payload
from ..han.stack.state import StateStore


@dataclass(frozen=True)
class Accepted:
    apdu: GeneralSigning
    payload: Payload | None


class GbcsGate:
    def __init__(self, eui64: Eui64, keystore: KeyStore, acb: Eui64, store: StateStore) -> None:
        self.eui64 = eui64
        self.keystore = keystore
        self.acb = acb
        self.store = store
        self.rejected: Counter[str] = Counter()

    def check(self, data: bytes) -> Accepted | None:
        try:
            analysis = analyse(data, self.keystore, self.acb)
        except DecodeError:
            self.rejected["malformed"] += 1
            return None
        apdu = analysis.apdu
        if apdu is None or apdu.cra is not CRA.COMMAND or apdu.recipient != self.eui64:
            self.rejected["not a command for this device"] += 1
            return None
        if analysis.mac is not Verdict.VALID:
            self.rejected["MAC"] += 1
            return None
        key = f"gbcs/last-counter/{apdu.originator.hex}"
        last = self.store.load(key)
        if last is not None and apdu.originator_counter <= int(last):
            self.rejected["replayed counter"] += 1
            return None
        self.store.save(key, apdu.originator_counter)
        return Accepted(apdu, analysis.payload)

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
            response.encode(),
        )
        return self.protect(apdu).encode()


_RESPONSE_KIND = {
    AccessRequestKind.ACTION: AccessResponseKind.ACTION,
    AccessRequestKind.SET: AccessResponseKind.SET,
    AccessRequestKind.GET: AccessResponseKind.GET,
}
