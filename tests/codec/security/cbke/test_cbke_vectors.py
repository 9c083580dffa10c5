"""Every intermediate value of the SE Annex C.5 (suite 1) and C.6 (suite 2) worked examples, on
each backend, plus public-key reconstruction for every published certificate set."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke import ecmqv, ecqv, kdf
from emulator.codec.security.cbke.backend import CurveBackend
from emulator.codec.security.cbke.certificate import (
    Suite1Certificate,
    Suite2Certificate,
    decode_certificate,
)
from emulator.codec.security.cbke.exchange import InitiateKeyEstablishment
from emulator.codec.security.cbke.suites import SUITE_1, SUITE_2, SuiteParams

SETS = [
    pytest.param("suite1_annex_C5", SUITE_1, id="C5-suite1"),
    pytest.param("suite2_annex_C6", SUITE_2, id="C6-suite2"),
]
ROLES = ("initiator_U", "responder_V")


def h(value: str) -> bytes:
    return bytes.fromhex(value)


@pytest.mark.parametrize(("key", "params"), SETS)
def test_static_and_ephemeral_keys(
    annex_c: dict[str, Any], key: str, params: SuiteParams, backend: CurveBackend
) -> None:
    v = annex_c[key]
    curve = params.curve
    assert v["curve"] == curve.name
    for role in ROLES:
        party = v[role]
        for priv, pub in (
            ("static_private", "static_public"),
            ("ephemeral_private", "ephemeral_public"),
        ):
            d = int(party[priv], 16)
            assert len(h(party[priv])) == curve.field_length
            q = backend.multiply_base(curve, d)
            assert q is not None
            assert backend.compress(curve, q) == h(party[pub])
            assert backend.decompress(curve, h(party[pub])) == q


@pytest.mark.parametrize(("key", "params"), SETS)
def test_ecqv_reconstruction(
    annex_c: dict[str, Any], key: str, params: SuiteParams, backend: CurveBackend
) -> None:
    v = annex_c[key]
    for role in ROLES:
        party = v[role]
        raw = h(party["cert"])
        cert = decode_certificate(params.suite, raw)
        assert cert.to_bytes() == raw
        assert cert.subject == Eui64(party["ieee"])
        q = ecqv.reconstruct_public_key(params, cert, h(v["ca_public_key"]), backend)
        assert backend.compress(params.curve, q) == h(party["static_public"])
        assert ecqv.key_pair_matches(
            params, cert, int(party["static_private"], 16), h(v["ca_public_key"]), backend
        )


@pytest.mark.parametrize(("key", "params"), SETS)
def test_ecmqv_kdf_and_macs(
    annex_c: dict[str, Any], key: str, params: SuiteParams, backend: CurveBackend
) -> None:
    v = annex_c[key]
    curve = params.curve
    u, w = v["initiator_U"], v["responder_V"]

    def z_for(me: dict[str, str], peer: dict[str, str]) -> bytes:
        return ecmqv.shared_secret(
            curve,
            static_private=int(me["static_private"], 16),
            ephemeral_private=int(me["ephemeral_private"], 16),
            ephemeral_public=backend.decompress(curve, h(me["ephemeral_public"])),
            peer_static_public=backend.decompress(curve, h(peer["static_public"])),
            peer_ephemeral_public=backend.decompress(curve, h(peer["ephemeral_public"])),
            backend=backend,
        )

    z_u, z_v = z_for(u, w), z_for(w, u)
    assert z_u == z_v == h(v["Z"])
    assert len(z_u) == curve.field_length  # suite 1's Z keeps its leading 00
    keys = kdf.derive_keys(z_u)
    assert keys.mac_key == h(v["mac_key"])
    assert keys.key_data == h(v["key_data"])

    id_u, id_v = Eui64(u["ieee"]), Eui64(w["ieee"])
    qeu, qev = h(u["ephemeral_public"]), h(w["ephemeral_public"])
    assert kdf.macu_message(id_u, id_v, qeu, qev) == h(v["macu_message"])
    assert kdf.macv_message(id_u, id_v, qeu, qev) == h(v["macv_message"])
    assert len(h(v["macu_message"])) == {SUITE_1: 61, SUITE_2: 91}[params]
    assert kdf.macu(keys.mac_key, id_u, id_v, qeu, qev) == h(v["MACU"])
    assert kdf.macv(keys.mac_key, id_u, id_v, qeu, qev) == h(v["MACV"])


def test_associate_value_widths() -> None:
    # L = ceil(bitlen(n) / 2): 82 on sect163k1, 141 on sect283k1 (SEC 1 §3.4).
    from emulator.codec.security.cbke.curves import Point

    ones = Point((1 << 300) - 1, 0)
    assert ecmqv.associate_value(SUITE_1.curve, ones) == (1 << 83) - 1
    assert ecmqv.associate_value(SUITE_2.curve, ones) == (1 << 142) - 1


def test_suite2_certificate_fields(annex_c: dict[str, Any]) -> None:
    cert = Suite2Certificate.from_bytes(h(annex_c["suite2_annex_C6"]["responder_V"]["cert"]))
    assert cert.type == 0
    assert cert.serial_number == h("2622A505E8938F27")
    assert (cert.curve, cert.hash) == (0x0D, 0x08)
    assert cert.issuer == h("1112131415161718")
    assert cert.valid_from == 0x5292A35B  # 2013-11-25 01:09:47 UTC
    assert cert.valid_to == 0xFFFFFFFF and cert.valid_at(2**39)
    assert not cert.valid_at(0x5292A35A)
    assert cert.subject == Eui64("0A-0B-0C-0D-0E-0F-10-11")
    assert cert.key_usage == 0x88


def test_suite1_certificate_fields(annex_c: dict[str, Any]) -> None:
    cert = Suite1Certificate.from_bytes(h(annex_c["suite1_annex_C5"]["responder_V"]["cert"]))
    assert cert.subject == Eui64(1)
    assert cert.issuer == b"TESTSECA"
    assert cert.profile_attribute_data == h("01090006000000000000")


def test_initiate_request_payload(annex_c: dict[str, Any]) -> None:
    """C.5.2.1: 01 00 03 06 || cert_U (suite 1 LE, times 3 and 6)."""
    cert_u = h(annex_c["suite1_annex_C5"]["initiator_U"]["cert"])
    payload = InitiateKeyEstablishment(1, 3, 6, cert_u).to_bytes()
    assert payload == h("01000306") + cert_u
    assert InitiateKeyEstablishment.from_bytes(payload).identity == cert_u


def test_published_certificate_sets(cert_sets: list[dict[str, str]], backend: CurveBackend) -> None:
    assert len(cert_sets) == 23
    for record in cert_sets:
        raw = h(record["cert"])
        params = SUITE_1 if len(raw) == 48 else SUITE_2
        cert = decode_certificate(params.suite, raw)
        q = ecqv.reconstruct_public_key(params, cert, h(record["ca"]), backend)
        if record["pub"] is not None:  # five records publish no public key
            assert backend.compress(params.curve, q) == h(record["pub"]), record["src"]
        d = ecqv.private_key_from_bytes(params.curve, h(record["priv"]))
        assert backend.multiply_base(params.curve, d) == q, record["src"]


def test_mmo_hash_install_code_vector() -> None:
    """DOMAIN.md §4: the AES-MMO hash of code||CRC is the install-code link key."""
    assert kdf.mmo_hash(h("83FED3407A939723A5C639B26916D505C3B5")) == h(
        "66B6900981E1EE3CA4206B6B861C02BB"
    )


def test_keyed_hash_rejects_wrong_key_length() -> None:
    with pytest.raises(ValueError):
        kdf.keyed_hash(b"\x00" * 15, b"")
