"""UTRNs (prepayment top-up codes): a documented test scheme standing in for GB's [U].

A GB UTRN is a 20-digit token the Supplier generates for one meter; the consumer keys it in on
the PPMID, which hands it to the meter in a ZSE Prepayment Consumer Top Up. The real algorithm is
not in our sources, so this scheme is ours (test-only), sans-IO, used by both ends (the
Supplier's generator in the rig, the meter's check)::

    digits  1-5   sequence number  00000-99999; a meter accepts each one once (replay = duplicate)
    digits  6-12  value in pence   0000000-9999999 (up to 99,999.99 GBP)
    digits 13-20  check            HMAC-SHA256(key, "UTRN" || meter EUI-64 (8, BE)
                                   || sequence (4, BE) || value (4, BE)): the first 8 bytes as an
                                   unsigned big-endian integer, mod 10^8

``key`` is the meter's own UTRN key (``meter_test_key`` derives one per meter): a UTRN made for
another meter, with a digit changed, or by someone without the key fails the check.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from .errors import DecodeError
from .eui64 import Eui64

UTRN_DIGITS = 20
SEQUENCE_DIGITS, VALUE_DIGITS, CHECK_DIGITS = 5, 7, 8
MAX_SEQUENCE = 10**SEQUENCE_DIGITS - 1
MAX_VALUE = 10**VALUE_DIGITS - 1


class UtrnDecodeError(DecodeError):
    layer = "utrn"


@dataclass(frozen=True)
class Utrn:
    sequence: int
    value: int
    """Credit in pence."""
    check: int

    def __str__(self) -> str:
        sequence = f"{self.sequence:0{SEQUENCE_DIGITS}d}"
        return f"{sequence}{self.value:0{VALUE_DIGITS}d}{self.check:0{CHECK_DIGITS}d}"

    def encode(self) -> bytes:
        """The ASCII digits, as the Consumer Top Up's top-up code carries them."""
        return str(self).encode("ascii")


def meter_test_key(meter: Eui64, seed: str = "") -> bytes:
    """A meter's test-only UTRN key, derived from its EUI-64 (and a run's seed)."""
    return hashlib.sha256(f"test UTRN key/{seed}/{meter.hex}".encode()).digest()


def _check(key: bytes, meter: Eui64, sequence: int, value: int) -> int:
    message = b"UTRN" + int(meter).to_bytes(8, "big") + sequence.to_bytes(4, "big")
    digest = hmac.new(key, message + value.to_bytes(4, "big"), hashlib.sha256).digest()
    return int(int.from_bytes(digest[:8], "big") % 10**CHECK_DIGITS)


def generate(key: bytes, meter: Eui64, sequence: int, value: int) -> Utrn:
    """The UTRN crediting ``value`` pence to ``meter`` under sequence number ``sequence``."""
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"UTRN sequence out of range: {sequence}")
    if not 0 <= value <= MAX_VALUE:
        raise ValueError(f"UTRN value out of range: {value}")
    return Utrn(sequence, value, _check(key, meter, sequence, value))


def decode(code: bytes | str) -> Utrn:
    """Split a UTRN into its fields; raises ``UtrnDecodeError`` unless it is 20 decimal digits."""
    text = code.decode("ascii", "replace") if isinstance(code, bytes) else code
    if len(text) != UTRN_DIGITS:
        raise UtrnDecodeError(f"a UTRN has {UTRN_DIGITS} digits, not {len(text)}", 0)
    for i, c in enumerate(text):
        if c not in "0123456789":
            raise UtrnDecodeError(f"not a decimal digit: {c!r}", i)
    value_end = SEQUENCE_DIGITS + VALUE_DIGITS
    return Utrn(
        int(text[:SEQUENCE_DIGITS]), int(text[SEQUENCE_DIGITS:value_end]), int(text[value_end:])
    )


def authentic(key: bytes, meter: Eui64, utrn: Utrn) -> bool:
    """Whether ``utrn`` was made for ``meter`` with ``key``."""
    return hmac.compare_digest(
        str(utrn.check).encode(), str(_check(key, meter, utrn.sequence, utrn.value)).encode()
    )
