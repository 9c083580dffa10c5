"""GBCS cryptography (GBCS section 4 and 7.2, DOMAIN.md section 2), all through ``cryptography``.

- KDF: ``SHA-256(00000001 || Z || OtherInfo)[:16]`` (NIST SP 800-56A single-step), Z the
  static-static ECDH shared secret on P-256, OtherInfo = algorithm ID || originator || ``09`` ||
  type || counter || recipient.
- MAC: AES-128-GCM with no plaintext (GMAC), 12-byte tag, IV = originator || ``00000000``.
- Signatures: ECDSA P-256 / SHA-256, carried as raw r||s (32 + 32 bytes).
- Payload encryption: AES-128-GCM, same IV, AAD ``31``, KDF type 04, 12-byte tag.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..eui64 import Eui64
from .codes import CRA
from .headers import MAC_LENGTH, SIGNATURE_LENGTH, GeneralCiphering, GeneralSigning

KDF_ALGORITHM_ID = bytes.fromhex("60857406080300")
"""The AlgorithmID of the KDF OtherInfo (GBCS 4.3.3.x): the DER OID body of the GBCS KDF."""
KDF_COUNTER = b"\x00\x00\x00\x01"
PAYLOAD_ENCRYPTION_AAD = b"\x31"
"""AAD of encrypted payload parts: the security control byte 0x31 (authenticated + encrypted)."""
TAG_LENGTH = 12


class KdfType(enum.IntEnum):
    """The message-type byte of the KDF OtherInfo: the CRA flag, or 04 for payload encryption."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3
    PAYLOAD_ENCRYPTION = 4


def kdf(z: bytes, originator: Eui64, kdf_type: int, counter: int, recipient: Eui64) -> bytes:
    """Derive a 16-byte AES key from shared secret ``z`` and the message identity."""
    other = (
        KDF_ALGORITHM_ID
        + originator.big()
        + b"\x09"
        + bytes([kdf_type])
        + counter.to_bytes(8, "big")
        + recipient.big()
    )
    return hashlib.sha256(KDF_COUNTER + z + other).digest()[:16]


def shared_secret(private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey) -> bytes:
    """Static-static ECDH on P-256: the x-coordinate of the shared point."""
    return private.exchange(ec.ECDH(), public)


def derive_key(
    private: ec.EllipticCurvePrivateKey,
    public: ec.EllipticCurvePublicKey,
    originator: Eui64,
    kdf_type: int,
    counter: int,
    recipient: Eui64,
) -> bytes:
    return kdf(shared_secret(private, public), originator, kdf_type, counter, recipient)


def message_mac_key(
    apdu: GeneralSigning, private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey
) -> bytes:
    """The MAC key of ``apdu``: KDF type = its CRA flag, over its originator, counter, recipient."""
    return derive_key(
        private, public, apdu.originator, int(apdu.cra), apdu.originator_counter, apdu.recipient
    )


def payload_encryption_key(
    apdu: GeneralSigning, private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey
) -> bytes:
    """The payload-encryption key of ``apdu`` (KDF type 04).

    The counter is the supplementary originator counter when present, else the originator counter;
    the recipient is the supplementary remote party when present, else the recipient (GBCS 7.2.x,
    as the RTDS ECS17b response confirms).
    """
    other = apdu.other_information
    counter = other.supplementary_originator_counter
    party = other.supplementary_remote_party_id
    return derive_key(
        private,
        public,
        apdu.originator,
        KdfType.PAYLOAD_ENCRYPTION,
        apdu.originator_counter if counter is None else counter,
        apdu.recipient if party is None else party,
    )


def _iv(originator: Eui64) -> bytes:
    return originator.big() + b"\x00\x00\x00\x00"


def gcm_encrypt(key: bytes, originator: Eui64, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """AES-128-GCM with GBCS's IV; returns (ciphertext, 12-byte tag)."""
    enc = Cipher(algorithms.AES(key), modes.GCM(_iv(originator))).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return ct, enc.tag[:TAG_LENGTH]


def gcm_decrypt(
    key: bytes, originator: Eui64, ciphertext: bytes, tag: bytes, aad: bytes
) -> bytes | None:
    """Decrypt and authenticate; ``None`` when the tag does not match."""
    if len(tag) != TAG_LENGTH:
        return None
    dec = Cipher(
        algorithms.AES(key), modes.GCM(_iv(originator), tag, min_tag_length=TAG_LENGTH)
    ).decryptor()
    dec.authenticate_additional_data(aad)
    try:
        return dec.update(ciphertext) + dec.finalize()
    except InvalidTag:
        return None


def compute_mac(key: bytes, apdu: GeneralSigning) -> bytes:
    """The 12-byte GMAC of a general-signing APDU under ``key``."""
    probe = GeneralCiphering(apdu, bytes(MAC_LENGTH))
    return gcm_encrypt(key, apdu.originator, b"", probe.aad())[1]


def mac_matches(key: bytes, message: GeneralCiphering) -> bool:
    expected = gcm_encrypt(key, message.apdu.originator, b"", message.aad())[1]
    return hmac.compare_digest(expected, message.mac)


def add_mac(key: bytes, apdu: GeneralSigning) -> GeneralCiphering:
    """Wrap ``apdu`` in a MAC header with its MAC under ``key``."""
    return GeneralCiphering(apdu, compute_mac(key, apdu))


def sign_raw(private: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA P-256 / SHA-256 signature as 64-byte r||s."""
    r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_raw(public: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    if len(signature) != SIGNATURE_LENGTH:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    try:
        public.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def sign_message(apdu: GeneralSigning, private: ec.EllipticCurvePrivateKey) -> GeneralSigning:
    """``apdu`` with a signature over its signed data (e.g. a Supplier signing a Pre-Command)."""
    return GeneralSigning(
        apdu.cra,
        apdu.originator_counter,
        apdu.originator,
        apdu.recipient,
        apdu.other_information,
        apdu.content,
        apdu.date_time,
        sign_raw(private, apdu.signed_data()),
    )


def sign_pre_command(
    pre_command: GeneralSigning, supplier_ds: ec.EllipticCurvePrivateKey
) -> GeneralSigning:
    """Pre-Command signing by a Supplier (GBCS 7.2.x): a command without signature gets one."""
    if pre_command.cra is not CRA.COMMAND:
        raise ValueError("only commands are Pre-Commands")
    return sign_message(pre_command, supplier_ds)


def encrypt_payload(key: bytes, originator: Eui64, plaintext: bytes) -> bytes:
    """Encrypted payload part: ciphertext || 12-byte tag, AAD ``31``."""
    ct, tag = gcm_encrypt(key, originator, plaintext, PAYLOAD_ENCRYPTION_AAD)
    return ct + tag


def decrypt_payload(key: bytes, originator: Eui64, ciphertext_and_tag: bytes) -> bytes | None:
    """Reverse of ``encrypt_payload``; ``None`` when authentication fails."""
    if len(ciphertext_and_tag) < TAG_LENGTH:
        return None
    return gcm_decrypt(
        key,
        originator,
        ciphertext_and_tag[:-TAG_LENGTH],
        ciphertext_and_tag[-TAG_LENGTH:],
        PAYLOAD_ENCRYPTION_AAD,
    )
