"""Byte-exact round trips of the certificate and Key Establishment payload codecs, and the
sans-IO rule: whatever bytes arrive, only CbkeDecodeError escapes a decoder and the exchange
always answers with a Step."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke.backend import PURE
from emulator.codec.security.cbke.certificate import (
    Suite1Certificate,
    Suite2Certificate,
    decode_certificate,
)
from emulator.codec.security.cbke.curves import SECT163K1, SECT283K1
from emulator.codec.security.cbke.errors import CbkeDecodeError
from emulator.codec.security.cbke.exchange import (
    Credentials,
    InitiateKeyEstablishment,
    KeyEstablishment,
    KeyEstablishmentCommand,
    KeyEstablishmentState,
    TerminateKeyEstablishment,
    terminate_message,
)
from emulator.codec.security.cbke.suites import KeyEstablishmentStatus, KeyEstablishmentSuite


@given(st.binary(min_size=48, max_size=48))
def test_suite1_certificate_round_trip(data: bytes) -> None:
    cert = Suite1Certificate.from_bytes(data)
    assert cert.to_bytes() == data
    assert decode_certificate(1, data) == cert


@given(st.binary(min_size=74, max_size=74))
def test_suite2_certificate_round_trip(data: bytes) -> None:
    cert = Suite2Certificate.from_bytes(data)
    assert cert.to_bytes() == data
    assert decode_certificate(2, data) == cert


@given(st.integers(0, 3), st.binary(max_size=100))
def test_certificate_decoders_only_raise_decode_errors(suite: int, data: bytes) -> None:
    try:
        decode_certificate(suite, data)
    except CbkeDecodeError as exc:
        assert exc.layer == "cbke"


def test_certificate_field_ranges() -> None:
    with pytest.raises(ValueError):
        Suite1Certificate(bytes(21), Eui64(1), bytes(8), bytes(10))
    with pytest.raises(ValueError):
        Suite2Certificate(bytes(8), bytes(8), 1 << 40, 0, Eui64(1), 0x88, bytes(37))


@given(st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=80))
def test_initiate_round_trip(suite: int, t1: int, t2: int, identity: bytes) -> None:
    message = InitiateKeyEstablishment(suite, t1, t2, identity)
    assert InitiateKeyEstablishment.from_bytes(message.to_bytes()) == message


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFF))
def test_terminate_round_trip(status: int, wait: int, suite: int) -> None:
    message = TerminateKeyEstablishment(status, wait, suite)
    data = message.to_bytes()
    assert len(data) == 4
    assert TerminateKeyEstablishment.from_bytes(data) == message


@given(st.binary(max_size=8))
def test_payload_decoders_only_raise_decode_errors(data: bytes) -> None:
    for decoder in (InitiateKeyEstablishment.from_bytes, TerminateKeyEstablishment.from_bytes):
        with contextlib.suppress(CbkeDecodeError):
            decoder(data)


@given(st.binary(min_size=0, max_size=40), st.sampled_from([SECT163K1, SECT283K1]))
def test_decompress_only_raises_decode_errors(data: bytes, curve: Any) -> None:
    try:
        point = PURE.decompress(curve, data)
    except CbkeDecodeError:
        return
    assert curve.is_on_curve(point)


def test_terminate_message_helper() -> None:
    message = terminate_message(KeyEstablishmentStatus.NO_RESOURCES, 0x0002, 30)
    assert message.command is KeyEstablishmentCommand.TERMINATE_KEY_ESTABLISHMENT
    assert message.payload == bytes([4, 30, 2, 0])


@given(
    steps=st.integers(0, 2),
    command=st.integers(0, 255),
    payload=st.binary(max_size=80),
)
@settings(max_examples=60, deadline=None)
def test_exchange_survives_any_input(
    annex_c: dict[str, Any], steps: int, command: int, payload: bytes
) -> None:
    v = annex_c["suite1_annex_C5"]
    ca = bytes.fromhex(v["ca_public_key"])

    def creds(role: str) -> Credentials:
        p = v[role]
        return Credentials(
            KeyEstablishmentSuite.CRYPTO_SUITE_1,
            bytes.fromhex(p["cert"]),
            int(p["static_private"], 16),
            ca,
        )

    init = KeyEstablishment.initiator(creds("initiator_U"), Eui64(1), backend=PURE)
    resp = KeyEstablishment.responder(creds("responder_V"), Eui64(2), backend=PURE)
    message = init.start()
    for _ in range(steps):  # advance both ends a little
        step = resp.receive(message.command, message.payload)
        assert step.send is not None
        step = init.receive(step.send.command, step.send.payload)
        assert step.send is not None
        message = step.send
    for ke in (init, resp):
        step = ke.receive(command, payload)
        if ke.state is KeyEstablishmentState.TERMINATED:
            assert ke.link_key is None
        if step.status is not None:
            assert ke.state is KeyEstablishmentState.TERMINATED
