"""The ZigBee auxiliary security header carried by secured NWK and APS frames.

ZigBee PRO R22 §4.5.1. On the air the security-level subfield is sent as 0 (§4.3.1.1 step 7,
§4.4.1.1): receivers substitute the network's level, which for ZigBee PRO and Smart Energy is
always 5, ENC-MIC-32. ``encode()`` writes what goes on the air; ``control(level)`` gives the byte
with the real level for the CCM* nonce and the authenticated data.
"""

from __future__ import annotations

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

    @classmethod
    def decode(cls, r: Reader) -> AuxiliaryHeader:
        start = r.pos
        control = r.u8("security control")
        if control & 0xC0:
            raise r.fail("reserved bits set in security control", start)
        level = control & 0x07
        if level not in (0, SECURITY_LEVEL_ENC_MIC_32):
            raise r.fail(f"security level {level} is not used by ZigBee PRO", start)
        key_id = KeyId((control >> 3) & 0x03)
        counter = r.u32("frame counter")
        source = Eui64.from_air(r.take(8, "source address")) if control & 0x20 else None
        key_seq = r.u8("key sequence number") if key_id == KeyId.NETWORK_KEY else None
        return cls(key_id, counter, source, key_seq)


MIC_LENGTH = 4


def split_mic(r: Reader, error: type[DecodeError]) -> bytes:
    """The rest of a secured frame (ciphertext + MIC), which must hold at least the MIC."""
    if r.remaining < MIC_LENGTH:
        raise error(f"secured frame too short for its {MIC_LENGTH}-byte MIC", r.pos)
    return r.rest()
