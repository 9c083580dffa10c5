"""One GBCS message end to end: envelope, payload, verdicts, and the re-encoding check.

``decode_message`` is the pure envelope decoder; ``analyse`` adds the payload codec, MAC and
signature verdicts, payload decryption, and whether encoding the decoded objects gives the input
back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import DecodeError
from ..eui64 import Eui64
from . import crypto
from .codes import CRA, use_case_of
from .errors import GbcsDecodeError
from .gbt import GbtBlock, RoutingHeader
from .headers import GENERAL_CIPHERING, GENERAL_SIGNING, GeneralCiphering, GeneralSigning
from .keystore import KeyStore
from .payload import Payload, decode_payload, encrypted_parts
from .verify import Verdict, mac_verdict, payload_key, signature_verdict

GBT_ROUTING_MARKER = 0x09
"""Second byte of a routing header (transaction-id length); a MAC header has 0x00 there."""

GbcsMessage = GeneralCiphering | GeneralSigning | GbtBlock


def decode_message(data: bytes) -> GbcsMessage:
    """Decode the envelope of one GBCS message: MAC'd, signed-only, or one GBT block."""
    if len(data) < 2:
        raise GbcsDecodeError(f"truncated GBCS message: {len(data)} bytes", len(data))
    if data[0] == GENERAL_SIGNING:
        return GeneralSigning.decode(data)
    if data[0] == GENERAL_CIPHERING:
        if data[1] == GBT_ROUTING_MARKER:
            return GbtBlock.decode(data)
        return GeneralCiphering.decode(data)
    raise GbcsDecodeError(f"wrong tag 0x{data[0]:02X} (expected 0xDD or 0xDF)", 0)


def apdu_of(message: GbcsMessage) -> GeneralSigning | None:
    if isinstance(message, GeneralCiphering):
        return message.apdu
    if isinstance(message, GeneralSigning):
        return message
    return None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the rig learns from one message."""

    raw: bytes
    message: GbcsMessage
    payload: Payload | None
    mac: Verdict
    signature: Verdict
    payload_error: DecodeError | None = None
    decrypted: tuple[bytes | None, ...] = field(default=())

    @property
    def apdu(self) -> GeneralSigning | None:
        return apdu_of(self.message)

    @property
    def _routing(self) -> RoutingHeader | None:
        return self.message.routing if isinstance(self.message, GbtBlock) else None

    @property
    def _header(self) -> RoutingHeader | GeneralSigning:
        """The routing header of a GBT block, else the APDU: both name the same fields."""
        return self._routing or self._apdu()

    @property
    def cra(self) -> CRA:
        return self._header.cra

    @property
    def message_code(self) -> int:
        return self._header.message_code

    @property
    def use_case(self) -> str:
        return use_case_of(self.message_code)

    @property
    def originator(self) -> Eui64:
        return self._header.originator

    @property
    def recipient(self) -> Eui64:
        return self._header.recipient

    @property
    def counter(self) -> int:
        """The originator counter (the transaction's identity with the originator)."""
        return self._header.originator_counter

    def _apdu(self) -> GeneralSigning:
        apdu = self.apdu
        assert apdu is not None
        return apdu

    def reencode(self) -> bytes:
        """Encode the decoded objects again, the payload from its decoded form when there is one."""
        m = self.message
        apdu = self.apdu
        if apdu is not None and self.payload is not None:
            apdu = replace(apdu, content=self.payload.encode())
            m = replace(m, apdu=apdu) if isinstance(m, GeneralCiphering) else apdu
        return m.encode()

    @property
    def reencoded_equal(self) -> bool:
        try:
            return self.reencode() == self.raw
        except (ValueError, TypeError, OverflowError):
            return False


def analyse(data: bytes, keystore: KeyStore | None = None, acb: Eui64 | None = None) -> Analysis:
    """Decode ``data`` and judge it. Raises ``GbcsDecodeError`` only if the envelope is bad;
    a payload that does not decode is reported in ``payload_error`` with its offset in ``data``.
    """
    message = decode_message(data)
    apdu = apdu_of(message)
    payload: Payload | None = None
    payload_error: DecodeError | None = None
    decrypted: tuple[bytes | None, ...] = ()
    if apdu is not None:
        try:
            payload = decode_payload(apdu.message_code, apdu.cra, apdu.content)
        except GbcsDecodeError as e:
            payload_error = e.shifted(_content_offset(data, apdu))
        if payload is not None and keystore is not None:
            parts = encrypted_parts(payload)
            key = payload_key(apdu, keystore) if parts else None
            if key is not None:
                decrypted = tuple(crypto.decrypt_payload(key, apdu.originator, p) for p in parts)
    return Analysis(
        data,
        message,
        payload,
        mac_verdict(message, keystore, acb),
        signature_verdict(apdu, keystore),
        payload_error,
        decrypted,
    )


def _content_offset(data: bytes, apdu: GeneralSigning) -> int:
    at = data.find(apdu.content)
    return max(at, 0)
