"""Routing header + General Block Transfer: encode, decode, split and reassemble."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    GbcsDecodeError,
    GbtBlock,
    GbtReassembler,
    RoutingHeader,
    decode_message,
    reassemble,
    split,
)

ROUTING = RoutingHeader(
    CRA.RESPONSE, 1300, Eui64("00DB1234567890A2"), Eui64("90B3D51F30000002"), 0x010B
)


def test_block_layout() -> None:
    block = GbtBlock(ROUTING, 1, b"\xab" * 3, last_block=True)
    raw = block.encode()
    assert raw.hex() == (
        "dd"
        "09"
        "02"
        "0000000000000514"
        "08"
        "00db1234567890a2"
        "08"
        "90b3d51f30000002"
        "00"
        "02"
        "010b"
        "00"
        "0f"
        "00"
        "00000000"
        "e0"
        "81"
        "0001"
        "0000"
        "03"
        "ababab"
    )
    assert decode_message(raw) == block


@given(st.binary(max_size=3000), st.integers(1, 700))
def test_split_and_reassemble(message: bytes, size: int) -> None:
    blocks = split(message, ROUTING, size)
    assert [b.block_number for b in blocks] == list(range(1, len(blocks) + 1))
    assert [b.last_block for b in blocks] == [False] * (len(blocks) - 1) + [True]
    wire = [b.encode() for b in blocks]
    decoded = [GbtBlock.decode(w) for w in wire]
    assert decoded == blocks
    assert reassemble(reversed(decoded)) == message


def test_reassembler_tracks_messages_and_ignores_duplicates() -> None:
    r = GbtReassembler()
    a = split(b"A" * 10, ROUTING, 4)
    other = RoutingHeader(CRA.ALERT, 7, ROUTING.originator, ROUTING.recipient, 0x0018)
    b = split(b"B" * 5, other, 4)
    assert r.add(a[0]) is None
    assert r.add(b[1]) is None
    assert r.add(a[0]) is None
    assert r.pending == 2
    assert r.add(a[2]) is None
    assert r.add(b[0]) == b"B" * 5
    assert r.add(a[1]) == b"A" * 10
    assert r.pending == 0


def test_missing_block_and_bad_numbers() -> None:
    blocks = split(b"x" * 10, ROUTING, 3)
    with pytest.raises(GbcsDecodeError, match="incomplete"):
        reassemble([blocks[0], blocks[-1]])
    with pytest.raises(GbcsDecodeError):
        GbtReassembler().add(GbtBlock(ROUTING, 0, b""))


def test_inconsistent_routing_is_rejected() -> None:
    r = GbtReassembler()
    r.add(GbtBlock(ROUTING, 1, b"a"))
    changed = RoutingHeader(CRA.RESPONSE, 1300, ROUTING.originator, ROUTING.recipient, 0x0001)
    with pytest.raises(GbcsDecodeError, match="routing"):
        r.add(GbtBlock(changed, 2, b"b", last_block=True))


def test_truncated_and_over_long_blocks() -> None:
    raw = GbtBlock(ROUTING, 2, b"hello", last_block=True).encode()
    for n in range(len(raw)):
        with pytest.raises(GbcsDecodeError):
            decode_message(raw[:n])
    with pytest.raises(GbcsDecodeError):
        decode_message(raw + b"\x00")
