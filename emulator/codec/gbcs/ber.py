"""BER/A-XDR definite lengths as GBCS uses them: ``LL``, ``81 LL``, ``82 LLLL``.

Sources: GBCS 7.2, X.690 8.1.3.

Decoding accepts any definite form up to four length bytes; encoding always writes the shortest
form, so a non-minimal input decodes but does not re-encode byte-exact (the CLI reports that).
"""

from __future__ import annotations

from ..reader import Reader
from .errors import GbcsDecodeError

MAX_LENGTH_OCTETS = 4


def read_length(r: Reader, what: str = "length") -> int:
    """Read one definite length at the cursor."""
    start = r.pos
    first = r.u8(what)
    if first < 0x80:
        return first
    n = first & 0x7F
    if n == 0:
        raise GbcsDecodeError(f"indefinite {what} is not allowed in GBCS", start)
    if n > MAX_LENGTH_OCTETS:
        raise GbcsDecodeError(f"{what} uses {n} length octets (at most {MAX_LENGTH_OCTETS})", start)
    return int.from_bytes(r.take(n, what), "big")


def encode_length(n: int) -> bytes:
    """The shortest definite encoding of ``n``."""
    if n < 0:
        raise ValueError(f"negative length {n}")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(body) > MAX_LENGTH_OCTETS:
        raise ValueError(f"length {n} too large")
    return bytes([0x80 | len(body)]) + body


def take_counted(r: Reader, what: str) -> bytes:
    """A length-prefixed octet string: its length, then exactly that many bytes."""
    n = read_length(r, f"{what} length")
    return r.take(n, what)
