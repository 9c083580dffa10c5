"""Link keys from install codes, and the keyed hashes ZigBee derives further keys with.

Install codes: ZigBee PRO R22 §4.6.3.2 / ZSE §5.4.8.1.1 (code || CRC-16/X-25 little-endian, then
the Matyas-Meyer-Oseas hash). zigpy does both (`convert_install_code`, `aes_mmo_hash`, with the CRC
from `crccheck`, a zigpy dependency); they are used here rather than written again. GBCS carries
16-byte codes without the CRC (DOMAIN.md §4), so :func:`with_crc` appends it first.
"""

from __future__ import annotations

from functools import lru_cache

from crccheck.crc import CrcX25
from zigpy.util import aes_mmo_hash, convert_install_code

INSTALL_CODE_LENGTHS = (6, 8, 12, 16)
_BLOCK = 16


def with_crc(code: bytes) -> bytes:
    """The install code followed by its CRC-16/X-25, little-endian, as printed on a device."""
    if len(code) not in INSTALL_CODE_LENGTHS:
        raise ValueError(f"an install code is 6, 8, 12 or 16 bytes, got {len(code)}")
    crc: bytes = CrcX25.calcbytes(code, byteorder="little")
    return code + crc


def link_key_from_install_code(code_with_crc: bytes) -> bytes:
    """The preconfigured TC link key of an install code that carries its CRC (raises on bad CRC)."""
    return bytes(convert_install_code(code_with_crc))


def install_code_key(code: bytes) -> bytes:
    """The preconfigured TC link key of an install code as GBCS and the rig carry it, without its
    CRC (the CRC is computed here)."""
    return link_key_from_install_code(with_crc(code))


def hmac_mmo(key: bytes, message: bytes) -> bytes:
    """HMAC with the AES-MMO hash, ZigBee PRO R22 §B.1.4 (block and key size 16)."""
    if len(key) != _BLOCK:
        raise ValueError("keyed hash keys are 16 bytes")
    inner = bytes(k ^ 0x36 for k in key)
    outer = bytes(k ^ 0x5C for k in key)
    return bytes(aes_mmo_hash(outer + bytes(aes_mmo_hash(inner + message))))


@lru_cache(maxsize=1024)
def key_transport_key(link_key: bytes) -> bytes:
    """Key-transport key, R22 §4.5.3: HMAC-MMO(link key, 0x00). Memoised: pure function."""
    return hmac_mmo(link_key, b"\x00")


@lru_cache(maxsize=1024)
def key_load_key(link_key: bytes) -> bytes:
    """Key-load key, R22 §4.5.3: HMAC-MMO(link key, 0x02)."""
    return hmac_mmo(link_key, b"\x02")


def verify_key_hash(link_key: bytes) -> bytes:
    """The Verify-Key hash a joiner proves its TC link key with, R22 §4.4.10.7: input 0x03."""
    return hmac_mmo(link_key, b"\x03")
