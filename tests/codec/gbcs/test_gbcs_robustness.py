"""Bad input gives one GbcsDecodeError with an offset, never another exception; tampering shows."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.rtds import RTDS_KEYSTORE, RTDS_MESSAGES

from emulator.codec.errors import DecodeError
from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    GbcsDecodeError,
    GeneralCiphering,
    GeneralSigning,
    Verdict,
    analyse,
    decode_message,
)
from emulator.codec.gbcs.describe import describe
from emulator.codec.gbcs.dlms import decode_data, decode_dlms
from emulator.codec.gbcs.gbz import decode_gbz
from emulator.codec.gbcs.payload import RawPayload, decode_payload

MESSAGES = RTDS_MESSAGES
ACB = Eui64("90B3D51F30000002")
KEYSTORE = RTDS_KEYSTORE
PROTECTED = [
    m
    for m in MESSAGES
    if m["expected"]["mac_header"] or m["expected"]["signature_valid"] is not None
]


def _ids(m: dict[str, Any]) -> str:
    return str(m["name"]).removesuffix("_GBCS.HEX")


@pytest.mark.parametrize("m", PROTECTED, ids=_ids)
def test_flipping_any_byte_flips_a_verdict_or_fails_cleanly(m: dict[str, Any]) -> None:
    raw = bytes.fromhex(m["hex"])
    base = analyse(raw, KEYSTORE, ACB)
    assert base.mac is not Verdict.INVALID and base.signature is not Verdict.INVALID
    for i in range(len(raw)):
        for mask in (0x01, 0x80):
            bad = raw[:i] + bytes([raw[i] ^ mask]) + raw[i + 1 :]
            try:
                a = analyse(bad, KEYSTORE, ACB)
            except GbcsDecodeError as e:
                assert 0 <= e.offset <= len(bad)
                continue
            assert (a.mac, a.signature) != (base.mac, base.signature), (i, mask)


@pytest.mark.parametrize("m", MESSAGES, ids=_ids)
def test_every_truncation_is_a_clean_decode_error(m: dict[str, Any]) -> None:
    raw = bytes.fromhex(m["hex"])
    msg = decode_message(raw)
    # A signed-only message cut just before its signature element is a well-formed unsigned one.
    unsigned = len(msg.signed_data()) + 1 if isinstance(msg, GeneralSigning) else -1
    for n in range(len(raw)):
        if n == unsigned:
            cut = decode_message(raw[:n])
            assert isinstance(cut, GeneralSigning) and cut.signature is None
            continue
        with pytest.raises(GbcsDecodeError) as info:
            decode_message(raw[:n])
        assert 0 <= info.value.offset <= n
        assert info.value.layer == "gbcs"


@pytest.mark.parametrize("m", MESSAGES, ids=_ids)
def test_over_long_input_is_a_clean_decode_error(m: dict[str, Any]) -> None:
    raw = bytes.fromhex(m["hex"])
    with pytest.raises(GbcsDecodeError, match=r"trailing|length") as info:
        decode_message(raw + b"\x01")
    assert info.value.offset > 0


def test_wrong_tag() -> None:
    raw = bytes.fromhex(MESSAGES[0]["hex"])
    with pytest.raises(GbcsDecodeError, match="wrong tag") as info:
        decode_message(b"\xdc" + raw[1:])
    assert info.value.offset == 0


def test_wrong_lengths_are_named() -> None:
    raw = bytearray(bytes.fromhex(MESSAGES[0]["hex"]))
    # the originator system title length sits after DD, 6 empty fields, 81 91, SH(5), DF 09 CRA ctr
    at = 1 + 6 + 2 + 5 + 2 + 1 + 8
    assert raw[at] == 8
    raw[at] = 7
    with pytest.raises(GbcsDecodeError, match="originator system title length") as info:
        decode_message(bytes(raw))
    assert info.value.offset == at


def test_unknown_message_code_keeps_code_and_raw_payload() -> None:
    assert decode_payload(0x7FFF, CRA.COMMAND, b"\xd9\x01") == RawPayload(b"\xd9\x01")
    msg = decode_message(bytes.fromhex(MESSAGES[0]["hex"]))
    assert isinstance(msg, GeneralCiphering)
    other = replace(msg.apdu.other_information, message_code=0x7FFF)
    raw = replace(msg, apdu=replace(msg.apdu, other_information=other)).encode()
    a = analyse(raw, KEYSTORE, ACB)
    assert a.message_code == 0x7FFF
    assert a.use_case == "0x7FFF"
    assert a.payload == RawPayload(msg.apdu.content)
    assert a.mac is Verdict.INVALID  # the MAC was for the original code
    assert a.reencoded_equal


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_another_exception(data: bytes) -> None:
    for prefix in (b"", b"\xdf\x09", b"\xdd\x00\x00\x00\x00\x00\x00", b"\xdd\x09"):
        with contextlib.suppress(DecodeError):
            describe(analyse(prefix + data, KEYSTORE, ACB)).lines()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_payload_decoders_never_raise_anything_else(data: bytes) -> None:
    for fn in (
        lambda: decode_dlms(data),
        lambda: decode_data(data),
        lambda: decode_gbz(b"\x01\x09" + data, alert=False),
        lambda: decode_gbz(b"\x01\x09" + data, alert=True),
    ):
        with contextlib.suppress(DecodeError):
            fn()
    for code in (0x0001, 0x000D, 0x00AF, 0x0012, 0x00CA, 0x0084, 0x00CF, 0x0128, 0x008C):
        for cra in CRA:
            with contextlib.suppress(DecodeError):
                decode_payload(code, cra, data)


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 52), st.integers(0, 10_000), st.binary(min_size=1, max_size=4))
def test_spliced_rtds_messages_never_escape(index: int, at: int, junk: bytes) -> None:
    raw = bytes.fromhex(MESSAGES[index]["hex"])
    at %= len(raw)
    for bad in (raw[:at] + junk + raw[at:], raw[:at] + junk + raw[at + len(junk) :]):
        try:
            a = analyse(bad, KEYSTORE, ACB)
        except DecodeError:
            continue
        assert isinstance(a.reencoded_equal, bool)
        assert describe(a).lines()
