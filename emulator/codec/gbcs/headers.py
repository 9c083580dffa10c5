"""The GBCS envelope: MAC header (general-ciphering), grouping header (general-signing), signature.

Byte layouts from GBCS section 7.2 as summarised in DOMAIN.md section 2 and checked against the RTDS
4.5.0 messages; the general-ciphering/general-signing APDUs are DLMS Green Book 9.3 APDUs with every
field GBCS leaves empty written as a zero length.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..eui64 import Eui64
from ..reader import Reader
from .ber import encode_date_time, encode_length, read_date_time, read_length
from .codes import CRA
from .errors import GbcsDecodeError

GENERAL_CIPHERING = 0xDD
GENERAL_SIGNING = 0xDF

TRANSACTION_ID_LENGTH = 9  # CRA flag + 8-byte originator counter
SYSTEM_TITLE_LENGTH = 8
MAC_LENGTH = 12
SIGNATURE_LENGTH = 64  # ECDSA P-256 r||s
SECURITY_HEADER_LENGTH = 5  # security control byte + 4-byte invocation counter

SECURITY_CONTROL_AUTHENTICATION_ONLY = 0x11
"""Security control byte of the MAC header: authentication only, GBCS key set (GBCS 7.2.4)."""

# [U] DOMAIN.md section 2: the GMAC AAD is ``11 00 00 00 00 00`` followed by the general-signing
# APDU. We read its first five bytes as the security header (security control byte + invocation
# counter, so a changed counter fails the MAC) and append this constant sixth byte, whose spec
# meaning is unconfirmed; with GBCS's zero invocation counter this reproduces every RTDS MAC.
MAC_AAD_TRAILER = b"\x00"

# The six empty general-ciphering fields GBCS sends before the ciphered content: transaction-id,
# originator-system-title, recipient-system-title, date-time, other-information, key-info.
_EMPTY_CIPHERING_FIELDS = bytes(6)


def _u64(r: Reader, what: str) -> int:
    return int.from_bytes(r.take(8, what), "big")


def _expect_length(r: Reader, expected: int, what: str) -> None:
    at = r.pos
    got = r.u8(f"{what} length")
    if got != expected:
        raise GbcsDecodeError(f"wrong {what} length {got} (expected {expected})", at)


def _read_cra(r: Reader) -> CRA:
    at = r.pos
    flag = r.u8("CRA flag")
    try:
        return CRA(flag)
    except ValueError:
        raise GbcsDecodeError(f"unknown CRA flag 0x{flag:02X}", at) from None


@dataclass(frozen=True, slots=True)
class OtherInformation:
    """The grouping header's other-information: message code, then optional supplementary fields.

    Variants by length (GBCS 7.2.9): 2 (code only), 10 (+ supplementary remote party ID), 18 (+ its
    counter), 26 (+ supplementary originator counter), more than 26 (code, ID, counter, then the
    remote party's Key Agreement certificate, DER).
    """

    message_code: int
    supplementary_remote_party_id: Eui64 | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    remote_party_ka_certificate: bytes | None = None

    def encode(self) -> bytes:
        if not 0 <= self.message_code <= 0xFFFF:
            raise ValueError("message code out of range")
        out = self.message_code.to_bytes(2, "big")
        has_counter = self.supplementary_remote_party_counter is not None
        if self.supplementary_remote_party_id is None:
            if (
                has_counter
                or self.supplementary_originator_counter is not None
                or (self.remote_party_ka_certificate is not None)
            ):
                raise ValueError("supplementary fields need a supplementary remote party ID")
            return out
        out += self.supplementary_remote_party_id.big()
        if self.supplementary_remote_party_counter is None:
            if self.supplementary_originator_counter is not None or (
                self.remote_party_ka_certificate is not None
            ):
                raise ValueError("supplementary fields need a supplementary remote party counter")
            return out
        out += self.supplementary_remote_party_counter.to_bytes(8, "big")
        if self.supplementary_originator_counter is not None:
            if self.remote_party_ka_certificate is not None:
                raise ValueError("originator counter and KA certificate are exclusive")
            out += self.supplementary_originator_counter.to_bytes(8, "big")
        elif self.remote_party_ka_certificate is not None:
            if len(self.remote_party_ka_certificate) <= 8:
                raise ValueError("a KA certificate is longer than 8 bytes")
            out += self.remote_party_ka_certificate
        return out

    @classmethod
    def decode(cls, data: bytes, base: int = 0) -> OtherInformation:
        """Decode the other-information content (without its length); offsets start at ``base``."""
        n = len(data)
        if n < 2 or (2 < n < 10) or (10 < n < 18) or (18 < n < 26):
            raise GbcsDecodeError(f"wrong other-information length {n}", base)
        r = Reader(data, GbcsDecodeError)
        code = int.from_bytes(r.take(2, "message code"), "big")
        if n == 2:
            return cls(code)
        party = Eui64(r.take(8, "supplementary remote party ID"))
        if n == 10:
            return cls(code, party)
        counter = _u64(r, "supplementary remote party counter")
        if n == 18:
            return cls(code, party, counter)
        if n == 26:
            return cls(code, party, counter, _u64(r, "supplementary originator counter"))
        return cls(code, party, counter, remote_party_ka_certificate=r.rest())


@dataclass(frozen=True, slots=True)
class GeneralSigning:
    """A grouping header with its payload and signature element (``DF 09 ...``).

    ``signature`` is ``None`` when the message has no signature element at all (a Pre-Command as the
    DCC receives it), ``b""`` for the empty element ``00``, or the 64-byte ECDSA r||s.
    """

    cra: CRA
    originator_counter: int
    originator: Eui64
    recipient: Eui64
    other_information: OtherInformation
    content: bytes
    date_time: bytes | None = None
    signature: bytes | None = b""

    @property
    def message_code(self) -> int:
        return self.other_information.message_code

    def signed_data(self) -> bytes:
        """The bytes a signature covers: after the ``DF`` tag up to the end of the payload."""
        other = self.other_information.encode()
        return b"".join(
            (
                bytes([TRANSACTION_ID_LENGTH, int(self.cra)]),
                self.originator_counter.to_bytes(8, "big"),
                bytes([SYSTEM_TITLE_LENGTH]),
                self.originator.big(),
                bytes([SYSTEM_TITLE_LENGTH]),
                self.recipient.big(),
                encode_date_time(self.date_time),
                encode_length(len(other)),
                other,
                encode_length(len(self.content)),
                self.content,
            )
        )

    def encode(self) -> bytes:
        out = bytes([GENERAL_SIGNING]) + self.signed_data()
        if self.signature is not None:
            out += encode_length(len(self.signature)) + self.signature
        return out

    @classmethod
    def decode(cls, data: bytes) -> GeneralSigning:
        r = Reader(data, GbcsDecodeError)
        return cls.read(r, len(data))

    @classmethod
    def read(cls, r: Reader, end: int) -> GeneralSigning:
        """Read one general-signing APDU that ends exactly at ``end``."""
        at = r.pos
        tag = r.u8("general-signing tag")
        if tag != GENERAL_SIGNING:
            raise GbcsDecodeError(f"wrong tag 0x{tag:02X} (expected general-signing 0xDF)", at)
        _expect_length(r, TRANSACTION_ID_LENGTH, "transaction-id")
        cra = _read_cra(r)
        counter = _u64(r, "originator counter")
        _expect_length(r, SYSTEM_TITLE_LENGTH, "originator system title")
        originator = Eui64(r.take(8, "originator system title"))
        _expect_length(r, SYSTEM_TITLE_LENGTH, "recipient system title")
        recipient = Eui64(r.take(8, "recipient system title"))
        date_time = read_date_time(r)
        other_len = read_length(r, "other-information length")
        other_at = r.pos
        other = OtherInformation.decode(r.take(other_len, "other-information"), other_at)
        content_len = read_length(r, "content length")
        if r.pos + content_len > end:
            raise GbcsDecodeError(f"content length {content_len} runs past the message", r.pos)
        content = r.take(content_len, "content")
        signature: bytes | None = None
        if r.pos < end:
            sig_at = r.pos
            sig_len = read_length(r, "signature length")
            if sig_len not in (0, SIGNATURE_LENGTH):
                raise GbcsDecodeError(
                    f"wrong signature length {sig_len} (expected 0 or 64)", sig_at
                )
            if r.pos + sig_len > end:
                raise GbcsDecodeError("truncated signature", r.pos)
            signature = r.take(sig_len, "signature")
        if r.pos != end:
            raise GbcsDecodeError(f"{end - r.pos} trailing bytes after general-signing", r.pos)
        return cls(cra, counter, originator, recipient, other, content, date_time, signature)


@dataclass(frozen=True, slots=True)
class GeneralCiphering:
    """A MAC'd message: MAC header, the general-signing APDU, 12-byte GMAC (``DD 00 ...``)."""

    apdu: GeneralSigning
    mac: bytes
    security_control: int = SECURITY_CONTROL_AUTHENTICATION_ONLY
    invocation_counter: int = 0

    def aad(self) -> bytes:
        """The GMAC additional authenticated data (see ``MAC_AAD_TRAILER``)."""
        return (
            bytes([self.security_control])
            + self.invocation_counter.to_bytes(4, "big")
            + MAC_AAD_TRAILER
            + self.apdu.encode()
        )

    def encode(self) -> bytes:
        if len(self.mac) != MAC_LENGTH:
            raise ValueError("a GBCS MAC is 12 bytes")
        inner = self.apdu.encode()
        body = (
            bytes([self.security_control])
            + self.invocation_counter.to_bytes(4, "big")
            + inner
            + self.mac
        )
        return (
            bytes([GENERAL_CIPHERING]) + _EMPTY_CIPHERING_FIELDS + encode_length(len(body)) + body
        )

    @classmethod
    def decode(cls, data: bytes) -> GeneralCiphering:
        r = Reader(data, GbcsDecodeError)
        tag = r.u8("general-ciphering tag")
        if tag != GENERAL_CIPHERING:
            raise GbcsDecodeError(f"wrong tag 0x{tag:02X} (expected general-ciphering 0xDD)", 0)
        fields_at = r.pos
        fields = r.take(len(_EMPTY_CIPHERING_FIELDS), "general-ciphering header")
        if fields != _EMPTY_CIPHERING_FIELDS:
            bad = next(i for i, b in enumerate(fields) if b)
            raise GbcsDecodeError("non-empty general-ciphering header field", fields_at + bad)
        length_at = r.pos
        n = read_length(r, "ciphered content length")
        if r.remaining < n:
            raise GbcsDecodeError(
                f"ciphered content length {n} but only {r.remaining} bytes follow", length_at
            )
        if r.remaining > n:
            raise GbcsDecodeError(f"{r.remaining - n} trailing bytes after MAC", r.pos + n)
        if n < SECURITY_HEADER_LENGTH + MAC_LENGTH + 1:
            raise GbcsDecodeError(f"ciphered content length {n} too short", length_at)
        sc_at = r.pos
        security_control = r.u8("security control")
        if security_control != SECURITY_CONTROL_AUTHENTICATION_ONLY:
            raise GbcsDecodeError(
                f"unsupported security control 0x{security_control:02X} (expected 0x11)", sc_at
            )
        invocation = int.from_bytes(r.take(4, "invocation counter"), "big")
        end = len(data) - MAC_LENGTH
        apdu = GeneralSigning.read(r, end)
        mac = r.take(MAC_LENGTH, "MAC")
        return cls(apdu, mac, security_control, invocation)
