"""EUI-64: the 64-bit IEEE address every HAN device and GBCS party is named by."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[-:\s]")


class Eui64(int):
    """A 64-bit extended address, kept as its big-endian numeric value.

    Prints the DUIS way (``00-DB-12-34-56-78-90-A0``); parses the DUIS, colon and bare-hex forms.
    On the air (802.15.4, ZigBee) it travels little-endian; in GBCS, big-endian.
    """

    def __new__(cls, value: int | str | bytes | Eui64) -> Eui64:
        if isinstance(value, str):
            digits = _SEPARATORS.sub("", value)
            if not re.fullmatch(r"[0-9A-Fa-f]{16}", digits):
                raise ValueError(f"not an EUI-64: {value!r}")
            value = int(digits, 16)
        elif isinstance(value, bytes | bytearray):
            if len(value) != 8:
                raise ValueError(f"an EUI-64 is 8 bytes, got {len(value)}")
            value = int.from_bytes(value, "big")
        if not 0 <= value < 1 << 64:
            raise ValueError(f"EUI-64 out of range: {value:#x}")
        return super().__new__(cls, value)

    @classmethod
    def from_air(cls, data: bytes) -> Eui64:
        """From the 8 little-endian bytes 802.15.4 and ZigBee carry."""
        if len(data) != 8:
            raise ValueError(f"an EUI-64 is 8 bytes, got {len(data)}")
        return int.__new__(cls, int.from_bytes(data, "little"))

    def air(self) -> bytes:
        """The 8 little-endian bytes for 802.15.4 and ZigBee headers."""
        return int(self).to_bytes(8, "little")

    def big(self) -> bytes:
        """The 8 big-endian bytes GBCS carries."""
        return int(self).to_bytes(8, "big")

    @property
    def hex(self) -> str:
        """Bare lower-case hex, as in RTDS keystore file names."""
        return f"{int(self):016x}"

    def __str__(self) -> str:
        h = f"{int(self):016X}"
        return "-".join(h[i : i + 2] for i in range(0, 16, 2))

    def __repr__(self) -> str:
        return f"Eui64('{self}')"
