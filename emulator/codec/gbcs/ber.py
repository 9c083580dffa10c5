"""BER/A-XDR definite lengths as GBCS uses them: ``LL``, ``81 LL``, ``82 LLLL``.

Sources: GBCS 7.2, X.690 8.1.3.

Decoding accepts any definite form up to four length bytes; encoding always writes the shortest
form, so a non-minimal input decodes but does not re-encode byte-exact (the CLI reports that).
"""

from __future__ import annotations

from ..reader import Reader
from .errors import GbcsDecodeError

MAX_LENGTH_OCTETS = 4
DATE_TIME_LENGTH = 12  # DLMS date-time octet-string


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


def read_date_time(r: Reader) -> bytes | None:
    """An optional DLMS date-time: a zero length (absent) or 12 then the 12-byte octet-string."""
    at = r.pos
    n = r.u8("date-time length")
    if n == 0:
        return None
    if n != DATE_TIME_LENGTH:
        raise GbcsDecodeError(f"wrong date-time length {n} (expected 0 or 12)", at)
    return r.take(n, "date-time")


def encode_date_time(date_time: bytes | None) -> bytes:
    """The inverse of :func:`read_date_time`; a present date-time must be 12 bytes."""
    if date_time is None:
        return b"\x00"
    if len(date_time) != DATE_TIME_LENGTH:
        raise ValueError("a GBCS date-time is 12 bytes")
    return bytes([DATE_TIME_LENGTH]) + date_time
