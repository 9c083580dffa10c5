"""A bounded cursor over bytes that reports short reads as the caller's DecodeError."""

from __future__ import annotations

from .errors import DecodeError


class Reader:
    """Reads little-endian fields from ``data``; every overrun raises ``error`` with its offset."""

    __slots__ = ("data", "error", "pos")

    def __init__(self, data: bytes, error: type[DecodeError] = DecodeError, pos: int = 0) -> None:
        self.data = data
        self.error = error
        self.pos = pos

    def fail(self, reason: str, offset: int | None = None) -> DecodeError:
        return self.error(reason, self.pos if offset is None else offset)

    def take(self, n: int, what: str = "field") -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"truncated {what}: need {n} bytes, have {len(self.data) - self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self, what: str = "field") -> int:
        return self.take(1, what)[0]

    def u16(self, what: str = "field") -> int:
        return int.from_bytes(self.take(2, what), "little")

    def u64(self, what: str = "field") -> int:
        return int.from_bytes(self.take(8, what), "little")

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def expect_end(self, what: str = "frame") -> None:
        if self.pos != len(self.data):
            raise self.fail(f"{len(self.data) - self.pos} trailing bytes after {what}")
