"""The sans-IO Key Establishment exchange: both roles end to end (Annex C vectors and fresh
credentials), and every failure path ends with the right Terminate status and no key."""

from __future__ import annotations

import random
from typing import Any

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke.backend import CurveBackend
from emulator.codec.security.cbke.exchange import (
    Credentials,
    KeMessage,
    KeyEstablishment,
    KeyEstablishmentCommand,
    KeyEstablishmentState,
    Step,
    TerminateKeyEstablishment,
    choose_suite,
    suite_bitmap,
)
from emulator.codec.security.cbke.suites import KeyEstablishmentStatus, KeyEstablishmentSuite

Cmd = KeyEstablishmentCommand
Status = KeyEstablishmentStatus
S1, S2 = KeyEstablishmentSuite.CRYPTO_SUITE_1, KeyEstablishmentSuite.CRYPTO_SUITE_2
KEYS = {S1: "suite1_annex_C5", S2: "suite2_annex_C6"}


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def party(annex_c: dict[str, Any], suite: KeyEstablishmentSuite, role: str) -> dict[str, Any]:
    v = annex_c[KEYS[suite]]
    p = v[role]
    return {
        "creds": Credentials(
            suite, h(p["cert"]), int(p["static_private"], 16), h(v["ca_public_key"])
        ),
        "eui": Eui64(p["ieee"]),
        "eph": int(p["ephemeral_private"], 16),
    }


def pair(
    annex_c: dict[str, Any], suite: KeyEstablishmentSuite, backend: CurveBackend, **kw: Any
) -> tuple[KeyEstablishment, KeyEstablishment]:
    u = party(annex_c, suite, "initiator_U")
    v = party(annex_c, suite, "responder_V")
    init = KeyEstablishment.initiator(
        u["creds"], v["eui"], backend=backend, ephemeral_private_key=u["eph"], **kw
    )
    resp = KeyEstablishment.responder(
        v["creds"], u["eui"], backend=backend, ephemeral_private_key=v["eph"], **kw
    )
    return init, resp


def run(init: KeyEstablishment, resp: KeyEstablishment) -> list[tuple[str, KeMessage]]:
    """Drive both ends to the finish; return the transcript."""
    transcript: list[tuple[str, KeMessage]] = []
    message: KeMessage | None = init.start()
    sender, receiver = init, resp
    while message is not None:
        transcript.append((sender.role.value, message))
        step = receiver.receive(message.command, message.payload)
        message = step.send
        sender, receiver = receiver, sender
    return transcript


@pytest.mark.parametrize("suite", [S1, S2], ids=["suite1", "suite2"])
def test_annex_c_exchange(
    annex_c: dict[str, Any], suite: KeyEstablishmentSuite, backend: CurveBackend
) -> None:
    v = annex_c[KEYS[suite]]
    init, resp = pair(annex_c, suite, backend)
    transcript = run(init, resp)
    payloads = [m.payload for _, m in transcript]
    commands = [m.command for _, m in transcript]
    assert (
        commands
        == [Cmd.INITIATE_KEY_ESTABLISHMENT] * 2
        + [Cmd.EPHEMERAL_DATA] * 2
        + [Cmd.CONFIRM_KEY_DATA] * 2
    )
    assert payloads[0] == int(suite).to_bytes(2, "little") + b"\x03\x06" + h(
        v["initiator_U"]["cert"]
    )
    assert payloads[1][4:] == h(v["responder_V"]["cert"])
    assert payloads[2] == h(v["initiator_U"]["ephemeral_public"])
    assert payloads[3] == h(v["responder_V"]["ephemeral_public"])
    assert payloads[4] == h(v["MACU"])
    assert payloads[5] == h(v["MACV"])
    assert init.state is resp.state is KeyEstablishmentState.ESTABLISHED
    assert init.link_key == resp.link_key == h(v["key_data"])
    assert init.peer_ephemeral_data_generate_time == 3
    assert resp.peer_confirm_key_generate_time == 6


def test_random_ephemerals_agree(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    rng = random.Random(7)
    for suite in (S1, S2):
        u = party(annex_c, suite, "initiator_U")
        v = party(annex_c, suite, "responder_V")
        init = KeyEstablishment.initiator(u["creds"], v["eui"], backend=backend, rng=rng.randbytes)
        resp = KeyEstablishment.responder(v["creds"], u["eui"], backend=backend, rng=rng.randbytes)
        run(init, resp)
        assert init.link_key is not None and init.link_key == resp.link_key
        assert init.link_key != h(annex_c[KEYS[suite]]["key_data"])


def expect_terminate(step: Step, status: KeyEstablishmentStatus, ke: KeyEstablishment) -> None:
    assert step.send is not None and step.send.command is Cmd.TERMINATE_KEY_ESTABLISHMENT
    assert TerminateKeyEstablishment.from_bytes(step.send.payload).status == status
    assert step.status is status and step.link_key is None
    assert ke.state is KeyEstablishmentState.TERMINATED and ke.status is status
    assert ke.link_key is None and ke._keys is None and ke._link_key is None


def first_request(
    annex_c: dict[str, Any], backend: CurveBackend, suite: KeyEstablishmentSuite = S1
) -> tuple[KeyEstablishment, KeyEstablishment, KeMessage]:
    init, resp = pair(annex_c, suite, backend)
    return init, resp, init.start()


def test_unsupported_suite(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    init, _resp, msg = first_request(annex_c, backend)
    for suite in (b"\x02\x00", b"\x04\x00", b"\x00\x00"):
        r = KeyEstablishment.responder(
            party(annex_c, S1, "responder_V")["creds"], init.partner, backend=backend
        )
        step = r.receive(msg.command, suite + msg.payload[2:])
        expect_terminate(step, Status.UNSUPPORTED_SUITE, r)
        assert step.send is not None
        assert TerminateKeyEstablishment.from_bytes(step.send.payload).suite == 0x0001


def test_malformed_initiate(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    _init, resp, msg = first_request(annex_c, backend)
    expect_terminate(resp.receive(msg.command, msg.payload[:-1]), Status.BAD_MESSAGE, resp)
    _init, resp, msg = first_request(annex_c, backend)
    expect_terminate(resp.receive(msg.command, msg.payload[:3]), Status.BAD_MESSAGE, resp)


def test_certificate_from_another_issuer(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    _init, resp, msg = first_request(annex_c, backend)
    tampered = bytearray(msg.payload)
    tampered[4 + 30] ^= 0x01  # Issuer starts at byte 30 of a suite 1 certificate
    expect_terminate(resp.receive(msg.command, bytes(tampered)), Status.UNKNOWN_ISSUER, resp)


def test_certificate_for_another_eui(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    u = party(annex_c, S1, "initiator_U")
    v = party(annex_c, S1, "responder_V")
    init = KeyEstablishment.initiator(u["creds"], v["eui"], backend=backend)
    resp = KeyEstablishment.responder(v["creds"], Eui64(0x99), backend=backend)
    msg = init.start()
    expect_terminate(resp.receive(msg.command, msg.payload), Status.INVALID_CERTIFICATE, resp)
    # And the initiator checks the responder's certificate the same way.
    init = KeyEstablishment.initiator(u["creds"], Eui64(0x98), backend=backend)
    resp = KeyEstablishment.responder(v["creds"], u["eui"], backend=backend)
    step = resp.receive(Cmd.INITIATE_KEY_ESTABLISHMENT, init.start().payload)
    assert step.send is not None
    expect_terminate(
        init.receive(step.send.command, step.send.payload), Status.INVALID_CERTIFICATE, init
    )


def test_certificate_point_not_on_curve(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    _init, resp, msg = first_request(annex_c, backend)
    tampered = bytearray(msg.payload)
    tampered[4] = 0x05  # PublicReconstrKey prefix
    expect_terminate(resp.receive(msg.command, bytes(tampered)), Status.INVALID_CERTIFICATE, resp)


def advance_to_ephemeral(
    annex_c: dict[str, Any], backend: CurveBackend, suite: KeyEstablishmentSuite
) -> tuple[KeyEstablishment, KeyEstablishment, KeMessage]:
    init, resp = pair(annex_c, suite, backend)
    step = resp.receive(Cmd.INITIATE_KEY_ESTABLISHMENT, init.start().payload)
    assert step.send is not None
    step = init.receive(step.send.command, step.send.payload)
    assert step.send is not None and step.send.command is Cmd.EPHEMERAL_DATA
    return init, resp, step.send


@pytest.mark.parametrize("suite", [S1, S2], ids=["suite1", "suite2"])
def test_ephemeral_point_not_on_curve(
    annex_c: dict[str, Any], backend: CurveBackend, suite: KeyEstablishmentSuite
) -> None:
    init, resp, _msg = advance_to_ephemeral(annex_c, backend, suite)
    curve = init._own().params.curve
    x = 2
    while True:  # an x with no point (Tr != 0)
        beta = x ^ curve.a ^ curve.inv(curve.sqr(x))
        ht = curve.half_trace(beta)
        if curve.sqr(ht) ^ ht != beta:
            break
        x += 1
    bad = b"\x02" + x.to_bytes(curve.field_length, "big")
    expect_terminate(resp.receive(Cmd.EPHEMERAL_DATA, bad), Status.BAD_MESSAGE, resp)
    _init2, resp2, msg2 = advance_to_ephemeral(annex_c, backend, suite)
    expect_terminate(
        resp2.receive(Cmd.EPHEMERAL_DATA, msg2.payload[:-1]), Status.BAD_MESSAGE, resp2
    )


def test_wrong_macu(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    init, resp, msg = advance_to_ephemeral(annex_c, backend, S1)
    step = resp.receive(msg.command, msg.payload)
    assert step.send is not None
    step = init.receive(step.send.command, step.send.payload)
    assert step.send is not None and step.send.command is Cmd.CONFIRM_KEY_DATA
    bad = bytes([step.send.payload[0] ^ 0x80]) + step.send.payload[1:]
    expect_terminate(resp.receive(Cmd.CONFIRM_KEY_DATA, bad), Status.BAD_KEY_CONFIRM, resp)


def test_wrong_macv(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    init, resp, msg = advance_to_ephemeral(annex_c, backend, S1)
    step = resp.receive(msg.command, msg.payload)
    assert step.send is not None
    step = init.receive(step.send.command, step.send.payload)
    assert step.send is not None
    step = resp.receive(step.send.command, step.send.payload)
    assert step.send is not None and resp.link_key is not None
    final = init.receive(Cmd.CONFIRM_KEY_DATA, bytes(16))
    expect_terminate(final, Status.BAD_KEY_CONFIRM, init)
    # The responder holds its key until the initiator's Terminate withdraws it.
    assert resp.link_key is not None and final.send is not None
    step = resp.receive(final.send.command, final.send.payload)
    assert step.send is None and step.status is Status.BAD_KEY_CONFIRM
    assert resp.state is KeyEstablishmentState.TERMINATED and resp.link_key is None


def test_wrong_peer_key_pair_fails_key_confirmation(
    annex_c: dict[str, Any], backend: CurveBackend
) -> None:
    """A device whose private key does not match its certificate: BAD_KEY_CONFIRM, no key."""
    u = party(annex_c, S1, "initiator_U")
    v = party(annex_c, S1, "responder_V")
    broken = Credentials(
        S1, u["creds"].certificate, u["creds"].private_key ^ 0x100, u["creds"].ca_public_key
    )
    assert not broken.check(backend)
    init = KeyEstablishment.initiator(broken, v["eui"], backend=backend)
    resp = KeyEstablishment.responder(v["creds"], u["eui"], backend=backend)
    transcript = run(init, resp)
    last = transcript[-1][1]
    assert last.command is Cmd.TERMINATE_KEY_ESTABLISHMENT
    assert resp.status is Status.BAD_KEY_CONFIRM and init.status is Status.BAD_KEY_CONFIRM
    assert init.link_key is None and resp.link_key is None


def test_out_of_turn_and_terminate(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    init, resp = pair(annex_c, S1, backend)
    expect_terminate(resp.receive(Cmd.CONFIRM_KEY_DATA, bytes(16)), Status.BAD_MESSAGE, resp)
    # Further commands after the end are answered but do not change the outcome.
    step = resp.receive(Cmd.EPHEMERAL_DATA, bytes(22))
    assert step.send is not None and step.status is None and resp.status is Status.BAD_MESSAGE

    init, resp = pair(annex_c, S1, backend)
    init.start()
    step = init.receive(
        Cmd.TERMINATE_KEY_ESTABLISHMENT, TerminateKeyEstablishment(1, 10, 1).to_bytes()
    )
    assert step.send is None and step.status is Status.UNKNOWN_ISSUER
    assert init.state is KeyEstablishmentState.TERMINATED and init.link_key is None
    init, resp = pair(annex_c, S1, backend)
    step = resp.receive(Cmd.TERMINATE_KEY_ESTABLISHMENT, b"\x09")
    assert step.send is None and step.status is Status.BAD_MESSAGE
    with pytest.raises(RuntimeError):
        resp.start()


def test_established_key_survives_stray_messages(
    annex_c: dict[str, Any], backend: CurveBackend
) -> None:
    init, resp = pair(annex_c, S1, backend)
    run(init, resp)
    key = init.link_key
    assert (
        init.receive(Cmd.TERMINATE_KEY_ESTABLISHMENT, TerminateKeyEstablishment(3, 0, 1).to_bytes())
        == Step()
    )
    step = init.receive(Cmd.EPHEMERAL_DATA, bytes(22))
    assert step.send is not None and step.send.command is Cmd.TERMINATE_KEY_ESTABLISHMENT
    assert init.link_key == key and init.state is KeyEstablishmentState.ESTABLISHED


def test_suite_negotiation(annex_c: dict[str, Any], backend: CurveBackend) -> None:
    assert choose_suite([1, 2], 0x0003) is S2
    assert choose_suite([1], 0x0003) is S1
    assert choose_suite([2], 0x0001) is None
    both_v = [party(annex_c, s, "responder_V")["creds"] for s in (S1, S2)]
    assert suite_bitmap(both_v) == 3
    u = party(annex_c, S1, "initiator_U")
    resp = KeyEstablishment.responder(both_v, u["eui"], backend=backend)
    assert resp.supported_suites == 3
    init = KeyEstablishment.initiator(u["creds"], Eui64(1), backend=backend)
    step = resp.receive(Cmd.INITIATE_KEY_ESTABLISHMENT, init.start().payload)
    assert resp.suite is S1 and step.send is not None
    assert step.send.payload[4:] == both_v[0].certificate
    with pytest.raises(ValueError):
        KeyEstablishment.initiator(u["creds"], Eui64(1), suite=S2)


def test_credentials_repr_hides_private_key(annex_c: dict[str, Any]) -> None:
    creds = party(annex_c, S1, "initiator_U")["creds"]
    assert f"{creds.private_key:x}" not in repr(creds).lower()
    assert "private_key" not in repr(creds)
