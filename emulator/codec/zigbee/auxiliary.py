"""The ZigBee auxiliary security header carried by secured NWK and APS frames.

ZigBee PRO R22 §4.5.1. On the air the security-level subfield is sent as 0 (§4.3.1.1 step 7,
§4.4.1.1): receivers substitute the network's level, which for ZigBee PRO and Smart Energy is
always 5, ENC-MIC-32. ``encode()`` writes what goes on the air; ``control(level)`` gives the byte
with the real level for the CCM* nonce and the authenticated data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from ..errors import DecodeError
from ..eui64 import Eui64
from ..reader import Reader

SECURITY_LEVEL_ENC_MIC_32 = 5
"""nwkSecurityLevel of ZigBee PRO (R22 §4.3.1): AES-CCM* with a 4-byte MIC."""


class KeyId(IntEnum):
    """Key identifier subfield, R22 Table 4.24."""

    DATA_KEY = 0  # a link key
    NETWORK_KEY = 1
    KEY_TRANSPORT_KEY = 2
    KEY_LOAD_KEY = 3


@dataclass(frozen=True, slots=True)
class AuxiliaryHeader:
    key_id: KeyId
    frame_counter: int
    source: Eui64 | None = None  # present when the extended nonce bit is set
    key_seq: int | None = None  # present for the network key only

    def control(self, level: int = 0) -> int:
        return level | (self.key_id << 3) | ((self.source is not None) << 5)

    def encode(self, level: int = 0) -> bytes:
        out = bytes((self.control(level),)) + self.frame_counter.to_bytes(4, "little")
        if self.source is not None:
            out += self.source.air()
        if self.key_id == KeyId.NETWORK_KEY:
            out += bytes((self.key_seq or 0,))
        return out

    @property
    def size(self) -> int:
        return 5 + (8 if self.source is not None else 0) + (self.key_id == KeyId.NETWORK_KEY)

    @classmethod
    def decode(cls, r: Reader) -> AuxiliaryHeader:
        """Decode at the reader's position and advance past the header."""
        aux = cls.decode_at(r.data, r.pos, r.error)
        r.pos += aux.size
        return aux

    @classmethod
    def decode_at(cls, data: bytes, pos: int, error: type[DecodeError]) -> AuxiliaryHeader:
        if len(data) < pos + 5:
            raise error("truncated auxiliary security header", len(data))
        control, counter = _CONTROL_COUNTER.unpack_from(data, pos)
        if control & 0xC0:
            raise error("reserved bits set in security control", pos)
        level = control & 0x07
        if level not in (0, SECURITY_LEVEL_ENC_MIC_32):
            raise error(f"security level {level} is not used by ZigBee PRO", pos)
        key_id = _KEY_IDS[(control >> 3) & 0x03]
        end = pos + 5 + (8 if control & 0x20 else 0) + (key_id == KeyId.NETWORK_KEY)
        if len(data) < end:
            raise error("truncated auxiliary security header", len(data))
        source = Eui64.from_air(data[pos + 5 : pos + 13]) if control & 0x20 else None
        key_seq = data[end - 1] if key_id == KeyId.NETWORK_KEY else None
        return cls(key_id, counter, source, key_seq)


_CONTROL_COUNTER = struct.Struct("<BI")
_KEY_IDS = tuple(KeyId)


MIC_LENGTH = 4
