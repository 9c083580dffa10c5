"""The ZSE key derivation function and key-confirmation MACs, over the ZigBee AES-MMO hash.

* H is the Matyas-Meyer-Oseas hash with AES-128 of the ZigBee specification (05-3474 Annex
  B.6), the hash of both suites (the suite 2 certificate's Hash field 0x08 names it). zigpy's
  ``aes_mmo_hash`` implements it (the same function derives install-code link keys), so it is
  used rather than rewritten.
* MAC is the ZigBee keyed hash (05-3474 B.1.4), HMAC built on H with a 16-byte block:
  MAC_K(M) = H((K xor opad) || H((K xor ipad) || M)), opad = 0x5C.., ipad = 0x36... It is
  :func:`emulator.codec.security.keys.hmac_mmo`, imported here as ``keyed_hash``.
* KDF (ZSE Annex C.4.2.4.3 / C.5.3.2): MacKey = H(Z || 00000001), KeyData = H(Z || 00000002);
  KeyData becomes the APS link key.
* Key confirmation (C.4.2.4.4, Table C-14): MACU = MAC_MacKey(02 || IDU || IDV || QEU || QEV),
  MACV = MAC_MacKey(03 || IDV || IDU || QEV || QEU). IDs are the EUI-64s big-endian, as in the
  certificate subject; QE are the compressed ephemeral keys exactly as sent.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from zigpy.util import aes_mmo_hash

from ...eui64 import Eui64
from ..keys import hmac_mmo as keyed_hash

#: The one-byte message prefixes of MACU and MACV (C.4.2.4.4).
MACU_PREFIX = 0x02
MACV_PREFIX = 0x03


def mmo_hash(data: bytes) -> bytes:
    """H(data): the 16-byte ZigBee AES-MMO hash (05-3474 B.6)."""
    return bytes(aes_mmo_hash(bytes(data)))


@dataclass(frozen=True, slots=True)
class DerivedKeys:
    """MacKey and KeyData from the shared secret Z (C.4.2.4.3). Test-only secrets: not printed."""

    mac_key: bytes = field(repr=False)
    key_data: bytes = field(repr=False)


def derive_keys(shared_secret: bytes) -> DerivedKeys:
    """KDF(Z): MacKey = H(Z || 00000001), KeyData = H(Z || 00000002) (C.4.2.4.3)."""
    return DerivedKeys(
        mac_key=mmo_hash(shared_secret + (1).to_bytes(4, "big")),
        key_data=mmo_hash(shared_secret + (2).to_bytes(4, "big")),
    )


def macu_message(initiator: Eui64, responder: Eui64, qeu: bytes, qev: bytes) -> bytes:
    """02 || IDU || IDV || QEU || QEV: what MACU authenticates."""
    return bytes([MACU_PREFIX]) + initiator.big() + responder.big() + qeu + qev


def macv_message(initiator: Eui64, responder: Eui64, qeu: bytes, qev: bytes) -> bytes:
    """03 || IDV || IDU || QEV || QEU: what MACV authenticates."""
    return bytes([MACV_PREFIX]) + responder.big() + initiator.big() + qev + qeu


def macu(mac_key: bytes, initiator: Eui64, responder: Eui64, qeu: bytes, qev: bytes) -> bytes:
    """MACU, sent by the initiator in Confirm Key Data Request (C.4.2.4.4)."""
    return keyed_hash(mac_key, macu_message(initiator, responder, qeu, qev))


def macv(mac_key: bytes, initiator: Eui64, responder: Eui64, qeu: bytes, qev: bytes) -> bytes:
    """MACV, sent by the responder in Confirm Key Data Response (C.4.2.4.4)."""
    return keyed_hash(mac_key, macv_message(initiator, responder, qeu, qev))


def macs_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison, out of habit (timing is not a threat model in the rig)."""
    return hmac.compare_digest(a, b)
