"""The ZSE test CA: issued credentials reconstruct and run CBKE; foreign certificates are refused
with the Key Establishment Terminate statuses; the CA and credentials survive a JSON round trip."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke import ecqv
from emulator.codec.security.cbke.backend import PURE, available_backends
from emulator.codec.security.cbke.certificate import Suite1Certificate, Suite2Certificate
from emulator.codec.security.cbke.exchange import KeMessage, KeyEstablishment, KeyEstablishmentState
from emulator.codec.security.cbke.suites import KeyEstablishmentStatus, KeyEstablishmentSuite
from emulator.pki.zse import (
    CERTICOM_TEST_CA_SUITE1,
    CERTICOM_TEST_CA_SUITE2,
    ZseTestCa,
    credentials_from_dict,
    credentials_to_dict,
)

S1, S2 = KeyEstablishmentSuite.CRYPTO_SUITE_1, KeyEstablishmentSuite.CRYPTO_SUITE_2
SUITES = [pytest.param(S1, id="suite1"), pytest.param(S2, id="suite2")]
METER = Eui64("00-DB-12-34-56-78-90-A0")
HUB = Eui64("00-DB-12-34-56-78-90-A1")


def seeded(seed: int) -> random.Random:
    return random.Random(seed)


@pytest.mark.parametrize("suite", SUITES)
def test_issue_reconstructs_and_validates(suite: KeyEstablishmentSuite) -> None:
    rng = seeded(1)
    ca = ZseTestCa.generate(suite, rng=rng.randbytes)
    creds = ca.issue(METER, rng=rng.randbytes, valid_from=1_700_000_000)
    assert creds.suite is suite and creds.ca_public_key == ca.public_key
    assert creds.subject == METER and creds.issuer == ca.issuer
    assert len(creds.certificate) == {S1: 48, S2: 74}[suite]
    assert creds.check()
    assert ca.validate(creds.certificate) is None
    assert ca.validate(creds.certificate, METER) is None
    cert = creds.decoded
    if isinstance(cert, Suite2Certificate):
        assert cert.valid_from == 1_700_000_000 and cert.key_usage == 0x88
        assert ca.validate(creds.certificate, METER, now=1_700_000_000) is None
        assert ca.validate(creds.certificate, METER, now=1_699_999_999) is (
            KeyEstablishmentStatus.INVALID_CERTIFICATE
        )
    else:
        assert isinstance(cert, Suite1Certificate)
        assert cert.profile_attribute_data[:2] == b"\x01\x09"


@pytest.mark.parametrize("suite", SUITES)
def test_refuses_other_ca_and_other_eui(suite: KeyEstablishmentSuite) -> None:
    rng = seeded(2)
    ca = ZseTestCa.generate(suite, rng=rng.randbytes)
    other = ZseTestCa.generate(suite, rng=rng.randbytes)
    assert other.issuer != ca.issuer
    foreign = other.issue(METER, rng=rng.randbytes)
    assert ca.validate(foreign.certificate, METER) is KeyEstablishmentStatus.UNKNOWN_ISSUER
    mine = ca.issue(METER, rng=rng.randbytes)
    assert ca.validate(mine.certificate, HUB) is KeyEstablishmentStatus.INVALID_CERTIFICATE
    assert ca.validate(mine.certificate[:-1], METER) is KeyEstablishmentStatus.BAD_MESSAGE
    # Same issuer id, different CA key: the certificate is accepted by the checks but its key
    # does not reconstruct; CBKE then fails key confirmation.
    impostor = ZseTestCa.generate(suite, issuer=ca.issuer, rng=rng.randbytes)
    fake = impostor.issue(METER, rng=rng.randbytes)
    assert ca.validate(fake.certificate, METER) is None
    assert not ecqv.key_pair_matches(ca.params, fake.decoded, fake.private_key, ca.public_key)


@pytest.mark.parametrize("suite", SUITES)
def test_issued_credentials_run_cbke(suite: KeyEstablishmentSuite) -> None:
    rng = seeded(3)
    ca = ZseTestCa.generate(suite, rng=rng.randbytes)
    hub, meter = ca.issue(HUB, rng=rng.randbytes), ca.issue(METER, rng=rng.randbytes)
    for backend in available_backends().values():
        init = KeyEstablishment.initiator(meter, HUB, rng=rng.randbytes, backend=backend)
        resp = KeyEstablishment.responder(hub, METER, rng=rng.randbytes, backend=backend)
        message: KeMessage | None = init.start()
        a, b = init, resp
        while message is not None:
            message = b.receive(message.command, message.payload).send
            a, b = b, a
        assert init.state is resp.state is KeyEstablishmentState.ESTABLISHED
        assert init.link_key is not None and init.link_key == resp.link_key

    # A device from another CA is stopped at the first message with UNKNOWN_ISSUER.
    stranger = ZseTestCa.generate(suite, rng=rng.randbytes).issue(METER, rng=rng.randbytes)
    init = KeyEstablishment.initiator(stranger, HUB, rng=rng.randbytes)
    resp = KeyEstablishment.responder(hub, METER, rng=rng.randbytes)
    start = init.start()
    step = resp.receive(start.command, start.payload)
    assert step.status is KeyEstablishmentStatus.UNKNOWN_ISSUER and resp.link_key is None


@pytest.mark.parametrize("suite", SUITES)
def test_json_round_trip(suite: KeyEstablishmentSuite) -> None:
    rng = seeded(4)
    ca = ZseTestCa.generate(suite, rng=rng.randbytes)
    again = ZseTestCa.from_json(ca.to_json())
    assert again == ca
    creds = ca.issue(METER, rng=rng.randbytes)
    assert "TEST-ONLY" in ca.to_dict()["comment"]
    assert "TEST-ONLY" in credentials_to_dict(creds)["comment"]
    text = json.dumps(credentials_to_dict(creds))
    assert credentials_from_dict(json.loads(text)) == creds
    assert f"{ca.private_key:x}" not in repr(ca)
    assert "private_key" not in repr(ca) and "private_key" not in repr(creds)


def test_deterministic_for_a_seed() -> None:
    a = ZseTestCa.generate(S2, rng=seeded(5).randbytes)
    b = ZseTestCa.generate(S2, rng=seeded(5).randbytes)
    assert a == b
    assert a.issue(METER, rng=seeded(6).randbytes) == b.issue(METER, rng=seeded(6).randbytes)


def test_issue_from_request_is_sec4_ecqv() -> None:
    """The device keeps k_U: request R_U, receive (cert, r), compute d_U = e k_U + r."""
    rng = seeded(7)
    ca = ZseTestCa.generate(S1, rng=rng.randbytes)
    k_u = 0x1234567890ABCDEF
    request = ecqv.certificate_request(ca.params, k_u, PURE)
    cert, r = ca.issue_from_request(METER, request, rng=rng.randbytes, backend=PURE)
    d_u = ecqv.private_key_from_issue(ca.params, k_u=k_u, certificate=cert, r=r)
    assert ecqv.key_pair_matches(ca.params, cert, d_u, ca.public_key, PURE)


@given(seed=st.integers(min_value=0, max_value=2**32), eui=st.integers(0, 2**64 - 1))
@settings(max_examples=10, deadline=None)
def test_issue_then_reconstruct_property(seed: int, eui: int) -> None:
    rng = seeded(seed)
    for suite in (S1, S2):
        ca = ZseTestCa.generate(suite, rng=rng.randbytes)
        creds = ca.issue(Eui64(eui), rng=rng.randbytes)
        q = ecqv.reconstruct_public_key(ca.params, creds.decoded, ca.public_key)
        assert q == PURE.multiply_base(ca.params.curve, creds.private_key)
        assert ca.validate(creds.certificate, Eui64(eui)) is None


def test_certicom_test_cas_accept_the_annex_c_certificates() -> None:
    c5 = bytes.fromhex(
        "03045FDFC8D85FFB8B3993CB72DDCAA55F00B3E87D6D0000000000000001544553545345434101090006000000000000"
    )
    c6 = bytes.fromhex(
        "002622A505E8938F270D081112131415161718005292A35BFFFFFFFF0A0B0C0D0E0F101188"
        "0303B4E9DC543A64333C982308022B54E67E2F15F532551B0A11E2E2C1C1D3097A4324E7ED"
    )
    assert CERTICOM_TEST_CA_SUITE1.validate(c5, Eui64(1)) is None
    assert CERTICOM_TEST_CA_SUITE2.validate(c6, Eui64("0A0B0C0D0E0F1011")) is None
    assert (
        CERTICOM_TEST_CA_SUITE2.validate(c6, Eui64(1)) is KeyEstablishmentStatus.INVALID_CERTIFICATE
    )


def test_issuer_must_be_eight_bytes() -> None:
    with pytest.raises(ValueError):
        ZseTestCa(S1, b"short", bytes(22), 1)
