"""The test SMKI issues GB-profile certificates and exports them in the RTDS keystore layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import DS, KA, public_key
from emulator.pki.keystore import DirectoryKeyStore
from emulator.pki.smki import (
    DEVICE_NOT_AFTER,
    GB_SMKI_POLICY,
    HARDWARE_MODULE_NAME,
    RemotePartyRole,
    TestSmki,
    derive_test_key,
    eui_from_certificate,
    export,
    hardware_module_name,
)

ESME = Eui64("00DB1234567890A0")
ACB = Eui64("90B3D51F30000002")
RTDS_KEYSTORE = Path(__file__).parents[1] / "data" / "keystore"


@pytest.fixture(scope="module")
def smki() -> TestSmki:
    return TestSmki(seed="test_smki")


def _verify_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    cert.verify_directly_issued_by(issuer)


def test_device_certificate_profile(smki: TestSmki) -> None:
    ka, ds = smki.issue_device_pair(ESME)
    for cred, usage in ((ka, KA), (ds, DS)):
        cert = cred.certificate
        assert cred.usage is usage
        assert cert.version is x509.Version.v3
        assert cert.subject == x509.Name([])
        assert cert.signature_hash_algorithm is not None
        assert cert.signature_hash_algorithm.name == "sha256"
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        assert cert.not_valid_after_utc == DEVICE_NOT_AFTER
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert ku.critical
        assert ku.value.key_agreement == (usage is KA)
        assert ku.value.digital_signature == (usage is DS)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert san.critical
        (other,) = san.value.get_values_for_type(x509.OtherName)
        assert other.type_id == HARDWARE_MODULE_NAME
        assert other.value == hardware_module_name(ESME)
        assert eui_from_certificate(cert) == ESME
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
        assert policies.critical and policies.value[0].policy_identifier == GB_SMKI_POLICY
        assert (
            len(cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest)
            == 8
        )
        _verify_issued_by(cert, smki.device_ca)
    _verify_issued_by(smki.device_ca, smki.root)


def test_hardware_module_name_matches_the_rtds_encoding() -> None:
    rtds = x509.load_pem_x509_certificate((RTDS_KEYSTORE / "00db1234567890a0-ka.pem").read_bytes())
    san = rtds.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    (other,) = san.get_values_for_type(x509.OtherName)
    assert other.value == hardware_module_name(ESME)
    assert eui_from_certificate(rtds) == ESME


@pytest.mark.parametrize(
    "role",
    [
        RemotePartyRole.ACCESS_CONTROL_BROKER,
        RemotePartyRole.SUPPLIER,
        RemotePartyRole.NETWORK_OPERATOR,
    ],
)
def test_organisation_certificate_profile(smki: TestSmki, role: RemotePartyRole) -> None:
    ka, ds = smki.issue_organisation_pair(ACB, role, "TEST PARTY")
    for cred in (ka, ds):
        cert = cred.certificate
        subject = cert.subject
        assert (
            subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
            == f"{role:02d}"
        )
        assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "TEST PARTY"
        assert eui_from_certificate(cert) == ACB
        _verify_issued_by(cert, smki.organisation_ca)


def test_organisation_unique_identifier_matches_rtds_form(smki: TestSmki) -> None:
    ours = smki.issue_organisation(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER, DS).certificate
    rtds = x509.load_pem_x509_certificate((RTDS_KEYSTORE / "90b3d51f30000002-ka.pem").read_bytes())
    uid = NameOID.X500_UNIQUE_IDENTIFIER
    assert (
        ours.subject.get_attributes_for_oid(uid)[0].value
        == rtds.subject.get_attributes_for_oid(uid)[0].value
    )


def test_keys_are_deterministic_and_labelled_test_only() -> None:
    a = derive_test_key("x", "seed").private_numbers().private_value
    assert a == derive_test_key("x", "seed").private_numbers().private_value
    assert a != derive_test_key("y", "seed").private_numbers().private_value
    assert TestSmki(seed="s").root.subject.rfc4514_string().startswith("CN=TEST-ONLY")


def test_export_in_rtds_layout(smki: TestSmki, tmp_path: Path) -> None:
    creds = [
        *smki.issue_device_pair(ESME),
        *smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER),
    ]
    store = export(creds, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "00db1234567890a0-ds.key",
        "00db1234567890a0-ds.pem",
        "00db1234567890a0-ka.key",
        "00db1234567890a0-ka.pem",
        "90b3d51f30000002-ds.key",
        "90b3d51f30000002-ds.pem",
        "90b3d51f30000002-ka.key",
        "90b3d51f30000002-ka.pem",
    ]
    assert (
        (tmp_path / "00db1234567890a0-ka.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    )
    assert (
        (tmp_path / "00db1234567890a0-ka.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    )
    fresh = DirectoryKeyStore(tmp_path)
    for c in creds:
        assert fresh.certificate(c.eui, c.usage) == c.certificate
        key = fresh.private_key(c.eui, c.usage)
        assert key is not None
        assert key.private_numbers() == c.private_key.private_numbers()
    pub = public_key(store, ESME, KA)
    assert (
        pub is not None
        and pub.public_numbers() == creds[0].private_key.public_key().public_numbers()
    )
    public_only = export(creds, tmp_path / "public", with_private_keys=False)
    assert public_only.private_key(ESME, KA) is None
    assert public_only.certificate(ESME, KA) is not None


def test_rtds_keystore_layout_is_read() -> None:
    store = DirectoryKeyStore(RTDS_KEYSTORE)
    assert store.certificate(ESME, KA) is not None
    assert store.private_key(ESME, KA) is None
    assert store.private_key(ACB, KA) is not None
    assert public_key(store, Eui64("0000000000000001"), KA) is None
