"""AES-CCM* at security level 5 (ENC-MIC-32) for NWK and APS frames, ZigBee PRO R22 §4.3-4.5.

CCM* with a 4-byte MIC and a 13-byte nonce is plain CCM with M=4, L=2, so ``cryptography``'s
``AESCCM`` does the work. The nonce is source address (8, little-endian) || frame counter (4) ||
security control with the real level (R22 §4.5.2.2); the authenticated data is the frame's header
through the auxiliary header, again with the real level restored (§4.3.1.1, §4.4.1.1). Frame
counters are the caller's: they arrive in the auxiliary header and nothing here remembers them.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from ..errors import SecurityError
from ..eui64 import Eui64
from ..zigbee.aps import ApsFrame
from ..zigbee.auxiliary import SECURITY_LEVEL_ENC_MIC_32, AuxiliaryHeader, KeyId
from ..zigbee.nwk import NwkFrame
from .keys import key_load_key, key_transport_key

LEVEL = SECURITY_LEVEL_ENC_MIC_32


@lru_cache(maxsize=4096)
def _cipher(key: bytes) -> AESCCM:
    """One AESCCM per key: building it costs more than a short frame's encryption."""
    return AESCCM(key, tag_length=4)


def nonce(source: Eui64, aux: AuxiliaryHeader) -> bytes:
    return source.air() + aux.frame_counter.to_bytes(4, "little") + bytes((aux.control(LEVEL),))


def _seal(key: bytes, source: Eui64, aux: AuxiliaryHeader, aad: bytes, plain: bytes) -> bytes:
    return _cipher(key).encrypt(nonce(source, aux), plain, aad)


def _open(key: bytes, source: Eui64, aux: AuxiliaryHeader, aad: bytes, sealed: bytes) -> bytes:
    try:
        return _cipher(key).decrypt(nonce(source, aux), sealed, aad)
    except InvalidTag:
        raise SecurityError(
            "MIC check failed: wrong key, nonce or tampered frame", len(aad)
        ) from None


def _nwk_source(frame: NwkFrame) -> Eui64:
    if frame.aux is None:
        raise ValueError("frame has no auxiliary security header")
    if frame.aux.source is None:
        raise SecurityError("NWK auxiliary header lacks the source address (extended nonce)", 2)
    return frame.aux.source


def secure_nwk(frame: NwkFrame, plaintext: bytes, network_key: bytes) -> bytes:
    """The on-air bytes of ``frame`` (whose ``aux`` names source and counter) with
    ``plaintext`` as its encrypted payload."""
    aux = frame.aux
    assert aux is not None and aux.key_id == KeyId.NETWORK_KEY
    return frame.header() + _seal(
        network_key, _nwk_source(frame), aux, frame.header(LEVEL), plaintext
    )


def _received_aad(wire: bytes, aux: AuxiliaryHeader, payload: bytes) -> bytes:
    """The authenticated data from the bytes a frame was decoded from: its header with the real
    security level patched in. Cheaper than re-encoding the header on every received frame."""
    end = len(wire) - len(payload)
    at = end - aux.size
    return wire[:at] + bytes((wire[at] | LEVEL,)) + wire[at + 1 : end]


def unsecure_nwk(frame: NwkFrame, network_key: bytes, wire: bytes | None = None) -> bytes:
    """The plain payload of a secured NWK frame; :class:`SecurityError` if it does not verify.

    ``wire``, when given, must be the bytes ``frame`` was decoded from (the receive path has them).
    """
    aux = frame.aux
    if aux is None:
        raise SecurityError("NWK frame is not secured", 0)
    aad = frame.header(LEVEL) if wire is None else _received_aad(wire, aux, frame.payload)
    return _open(network_key, _nwk_source(frame), aux, aad, frame.payload)


def aps_key(key: bytes, key_id: KeyId) -> bytes:
    """The key an APS frame is secured with, from the link key (or the network key)."""
    if key_id == KeyId.KEY_TRANSPORT_KEY:
        return key_transport_key(key)
    if key_id == KeyId.KEY_LOAD_KEY:
        return key_load_key(key)
    return key


def secure_aps(frame: ApsFrame, plaintext: bytes, key: bytes, source: Eui64) -> bytes:
    """Secure an APS frame. ``key`` is the link key (or network key for key id 1); the
    key-transport and key-load keys are derived from it as ``frame.aux.key_id`` says. ``source``
    is the sender's EUI-64, used when the auxiliary header does not carry it."""
    aux = frame.aux
    assert aux is not None
    src = aux.source or source
    return frame.header() + _seal(
        aps_key(key, aux.key_id), src, aux, frame.header(LEVEL), plaintext
    )


def unsecure_aps(
    frame: ApsFrame, key: bytes, source: Eui64 | None, wire: bytes | None = None
) -> bytes:
    """The plain payload of a secured APS frame (for a command, the identifier comes first).

    ``wire``, when given, must be the bytes ``frame`` was decoded from.
    """
    aux = frame.aux
    if aux is None:
        raise SecurityError("APS frame is not secured", 0)
    src = aux.source or source
    if src is None:
        raise SecurityError("sender's EUI-64 unknown and not in the auxiliary header", 0)
    aad = frame.header(LEVEL) if wire is None else _received_aad(wire, aux, frame.payload)
    return _open(aps_key(key, aux.key_id), src, aux, aad, frame.payload)
