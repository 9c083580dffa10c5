"""Routing header + General Block Transfer (``DD 09 ...``): long GBCS messages cut into blocks.

Layout from GBCS 7.3 as read by Wireshark's ``packet-gbcs.c``: a general-ciphering routing header
(transaction-id, business originator and target, empty date-time, other-information holding the
message code, empty key-info, then the ciphered-content length, security control byte and invocation
counter) followed by a DLMS General-Block-Transfer APDU (``E0``, block control, block number, block
number acknowledged, BER length, block data). Blocks are numbered from 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..eui64 import Eui64
from ..reader import Reader
from .ber import encode_length, read_length
from .codes import CRA
from .errors import GbcsDecodeError
from .headers import (
    GENERAL_CIPHERING,
    SECURITY_HEADER_LENGTH,
    SYSTEM_TITLE_LENGTH,
    TRANSACTION_ID_LENGTH,
)

GENERAL_BLOCK_TRANSFER = 0xE0

BLOCK_CONTROL_LAST_BLOCK = 0x80
BLOCK_CONTROL_STREAMING = 0x40
BLOCK_CONTROL_WINDOW = 0x3F

# [U] DOMAIN.md section 8 leaves GBT block sizes open. 512 bytes of block data keeps a block plus
# its headers well under the ZSE tunnel's 1500-byte maximum incoming transfer size.
DEFAULT_GBT_BLOCK_SIZE = 512
# [U] The security control byte of a routing header: GBT blocks carry no MAC of their own (the
# reassembled message does), so the routing header says "no protection".
ROUTING_SECURITY_CONTROL = 0x00


@dataclass(frozen=True, slots=True)
class RoutingHeader:
    """Who a block travels between and what it carries; the same for every block of one message."""

    cra: CRA
    originator_counter: int
    originator: Eui64
    recipient: Eui64
    message_code: int
    security_control: int = ROUTING_SECURITY_CONTROL
    invocation_counter: int = 0

    def encode_prefix(self) -> bytes:
        """The header up to (not including) the ciphered-content length."""
        return b"".join(
            (
                bytes([GENERAL_CIPHERING, TRANSACTION_ID_LENGTH, int(self.cra)]),
                self.originator_counter.to_bytes(8, "big"),
                bytes([SYSTEM_TITLE_LENGTH]),
                self.originator.big(),
                bytes([SYSTEM_TITLE_LENGTH]),
                self.recipient.big(),
                b"\x00",  # date-time: none
                b"\x02",
                self.message_code.to_bytes(2, "big"),
                b"\x00",  # key-info: none
            )
        )


@dataclass(frozen=True, slots=True)
class GbtBlock:
    """One General Block Transfer block with its routing header."""

    routing: RoutingHeader
    block_number: int
    block_data: bytes
    last_block: bool = False
    streaming: bool = False
    window: int = 1
    block_number_ack: int = 0

    def encode(self) -> bytes:
        if not 0 <= self.window <= BLOCK_CONTROL_WINDOW:
            raise ValueError("GBT window out of range")
        control = (
            (BLOCK_CONTROL_LAST_BLOCK if self.last_block else 0)
            | (BLOCK_CONTROL_STREAMING if self.streaming else 0)
            | self.window
        )
        gbt = (
            bytes([GENERAL_BLOCK_TRANSFER, control])
            + self.block_number.to_bytes(2, "big")
            + self.block_number_ack.to_bytes(2, "big")
            + encode_length(len(self.block_data))
            + self.block_data
        )
        security = bytes(
            [self.routing.security_control]
        ) + self.routing.invocation_counter.to_bytes(4, "big")
        return (
            self.routing.encode_prefix()
            + encode_length(SECURITY_HEADER_LENGTH + len(gbt))
            + security
            + gbt
        )

    @classmethod
    def decode(cls, data: bytes) -> GbtBlock:
        r = Reader(data, GbcsDecodeError)
        tag = r.u8("routing header tag")
        if tag != GENERAL_CIPHERING:
            raise GbcsDecodeError(f"wrong tag 0x{tag:02X} (expected 0xDD)", 0)
        at = r.pos
        if r.u8("transaction-id length") != TRANSACTION_ID_LENGTH:
            raise GbcsDecodeError("wrong transaction-id length (expected 9)", at)
        at = r.pos
        flag = r.u8("CRA flag")
        try:
            cra = CRA(flag)
        except ValueError:
            raise GbcsDecodeError(f"unknown CRA flag 0x{flag:02X}", at) from None
        counter = int.from_bytes(r.take(8, "originator counter"), "big")
        titles = []
        for what in ("business originator", "business target"):
            at = r.pos
            if r.u8(f"{what} length") != SYSTEM_TITLE_LENGTH:
                raise GbcsDecodeError(f"wrong {what} length (expected 8)", at)
            titles.append(Eui64(r.take(8, what)))
        at = r.pos
        if r.u8("date-time length") != 0:
            raise GbcsDecodeError("routing header date-time must be empty", at)
        at = r.pos
        if read_length(r, "other-information length") != 2:
            raise GbcsDecodeError("routing header other-information must be a message code", at)
        code = int.from_bytes(r.take(2, "message code"), "big")
        at = r.pos
        if r.u8("key-info length") != 0:
            raise GbcsDecodeError("routing header key-info must be empty", at)
        at = r.pos
        n = read_length(r, "ciphered content length")
        if n != r.remaining:
            raise GbcsDecodeError(f"ciphered content length {n} but {r.remaining} bytes follow", at)
        security_control = r.u8("security control")
        invocation = int.from_bytes(r.take(4, "invocation counter"), "big")
        at = r.pos
        tag = r.u8("GBT tag")
        if tag != GENERAL_BLOCK_TRANSFER:
            raise GbcsDecodeError(f"wrong tag 0x{tag:02X} (expected general-block-transfer)", at)
        control = r.u8("block control")
        number = int.from_bytes(r.take(2, "block number"), "big")
        ack = int.from_bytes(r.take(2, "block number ack"), "big")
        at = r.pos
        length = read_length(r, "block data length")
        if length != r.remaining:
            raise GbcsDecodeError(f"block data length {length} but {r.remaining} bytes follow", at)
        block = r.take(length, "block data")
        routing = RoutingHeader(
            cra, counter, titles[0], titles[1], code, security_control, invocation
        )
        return cls(
            routing,
            number,
            block,
            last_block=bool(control & BLOCK_CONTROL_LAST_BLOCK),
            streaming=bool(control & BLOCK_CONTROL_STREAMING),
            window=control & BLOCK_CONTROL_WINDOW,
            block_number_ack=ack,
        )


def split(
    message: bytes, routing: RoutingHeader, block_size: int = DEFAULT_GBT_BLOCK_SIZE
) -> list[GbtBlock]:
    """Cut an encoded GBCS message into GBT blocks numbered from 1, the last one flagged."""
    if block_size <= 0:
        raise ValueError("block size must be positive")
    chunks = [message[i : i + block_size] for i in range(0, len(message), block_size)] or [b""]
    return [
        GbtBlock(routing, i + 1, chunk, last_block=i == len(chunks) - 1)
        for i, chunk in enumerate(chunks)
    ]


def reassemble(blocks: Iterable[GbtBlock]) -> bytes:
    """Join the blocks of one message (any order); raises GbcsDecodeError if any is missing."""
    r = GbtReassembler()
    result: bytes | None = None
    for block in blocks:
        result = r.add(block)
    if result is None:
        raise GbcsDecodeError("incomplete GBT message: last block or earlier blocks missing", 0)
    return result


class GbtReassembler:
    """Collects GBT blocks per (originator, counter) and returns each message when it is complete.

    Sans-IO and single-owner: the caller feeds blocks in arrival order, duplicates are ignored.
    """

    def __init__(self) -> None:
        self._parts: dict[tuple[int, int], dict[int, GbtBlock]] = {}

    def add(self, block: GbtBlock) -> bytes | None:
        if block.block_number < 1:
            raise GbcsDecodeError("GBT block numbers start at 1", 0)
        key = (int(block.routing.originator), block.routing.originator_counter)
        parts = self._parts.setdefault(key, {})
        first = next(iter(parts.values()), None)
        if first is not None and first.routing != block.routing:
            raise GbcsDecodeError("GBT block routing header differs from earlier blocks", 0)
        parts.setdefault(block.block_number, block)
        last = [b.block_number for b in parts.values() if b.last_block]
        if not last or len(parts) != last[0] or max(parts) != last[0]:
            return None
        del self._parts[key]
        return b"".join(parts[i].block_data for i in range(1, last[0] + 1))

    @property
    def pending(self) -> int:
        """How many messages are partly received."""
        return len(self._parts)
