"""MAC and signature verdicts for GBCS messages, with keys from a ``KeyStore``.

Key pairing (GBCS 7.2.x, DOMAIN.md section 2, reproduced on every RTDS message): a command's MAC is
keyed between the Access Control Broker and the recipient device, whoever originated the command;
responses' and alerts' MACs between originator and recipient. ECDH is symmetric, so either party's
private key with the other's public key gives the same MAC key. A signature is verified with the
originator's Digital Signing public key.
"""

from __future__ import annotations

import enum

from cryptography.hazmat.primitives.asymmetric import ec

from ..eui64 import Eui64
from . import crypto
from .codes import CRA
from .errors import GbcsCryptoError
from .headers import GeneralCiphering, GeneralSigning
from .keystore import DS, KA, KeyStore, public_key


class Verdict(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"
    UNKNOWN_KEY = "unknown-key"


def mac_parties(apdu: GeneralSigning, acb: Eui64 | None) -> tuple[Eui64, Eui64] | None:
    """The two parties whose KA keys give the MAC key; ``None``: a command, ACB unknown."""
    if apdu.cra is CRA.COMMAND:
        return None if acb is None else (acb, apdu.recipient)
    return apdu.originator, apdu.recipient


def _ka_pair(
    keystore: KeyStore, a: Eui64, b: Eui64
) -> tuple[ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey] | None:
    """Our private KA key and their public one: ``a``'s private and ``b``'s public, else the
    reverse; ``None`` if the keystore holds neither combination."""
    for mine, theirs in ((a, b), (b, a)):
        private = keystore.private_key(mine, KA)
        public = public_key(keystore, theirs, KA)
        if private is not None and public is not None:
            return private, public
    return None


def mac_key(apdu: GeneralSigning, keystore: KeyStore, acb: Eui64 | None) -> bytes | None:
    """The MAC key of ``apdu``, if the keystore holds one private and the other public KA key."""
    parties = mac_parties(apdu, acb)
    if parties is None:
        return None
    a, b = parties
    pair = _ka_pair(keystore, b, a)
    return None if pair is None else crypto.message_mac_key(apdu, *pair)


def mac_verdict(message: object, keystore: KeyStore | None, acb: Eui64 | None) -> Verdict:
    if not isinstance(message, GeneralCiphering):
        return Verdict.ABSENT
    key = None if keystore is None else mac_key(message.apdu, keystore, acb)
    if key is None:
        return Verdict.UNKNOWN_KEY
    return Verdict.VALID if crypto.mac_matches(key, message) else Verdict.INVALID


def signature_verdict(apdu: GeneralSigning | None, keystore: KeyStore | None) -> Verdict:
    if apdu is None or not apdu.signature:
        return Verdict.ABSENT
    public = None if keystore is None else public_key(keystore, apdu.originator, DS)
    if public is None:
        return Verdict.UNKNOWN_KEY
    ok = crypto.verify_raw(public, apdu.signed_data(), apdu.signature)
    return Verdict.VALID if ok else Verdict.INVALID


def payload_key(apdu: GeneralSigning, keystore: KeyStore) -> bytes | None:
    """The payload-encryption key (KDF type 04) between the originator and the remote party."""
    other = apdu.other_information.supplementary_remote_party_id
    party = apdu.recipient if other is None else other
    pair = _ka_pair(keystore, party, apdu.originator)
    return None if pair is None else crypto.payload_encryption_key(apdu, *pair)


def protect(apdu: GeneralSigning, keystore: KeyStore, acb: Eui64 | None) -> GeneralCiphering:
    """Wrap ``apdu`` in a MAC header keyed from ``keystore`` (what our ACB and devices send)."""
    key = mac_key(apdu, keystore, acb)
    if key is None:
        raise GbcsCryptoError("no KA key pair for this message's MAC")
    return crypto.add_mac(key, apdu)
