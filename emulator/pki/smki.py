"""A test SMKI: organisation and device certificates in the GB profile, exported RTDS-style.

TEST-ONLY. Every private key here is derived from a public seed string, so anyone can recompute
it; nothing issued by this module may protect anything real.

Profile (GBCS 4.3 / SMKI, DOMAIN.md section 4, checked against the RTDS keystore): X.509 v3,
ecdsa-with-SHA256 on P-256, 8-byte subject/authority key identifiers, critical KeyUsage (one bit:
digitalSignature for DS, keyAgreement for KA), critical CertificatePolicies. Device certificates
have an empty subject and a critical SubjectAltName otherName hardwareModuleName {hwType,
hwSerialNum = EUI-64}; organisation certificates name the party with OU = remote party role (two
digits) and x500UniqueIdentifier = the EUI-64, plus an optional CN.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asn1tools
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.keystore import KeyUsage, MemoryKeyStore
from emulator.pki.keystore import DirectoryKeyStore

GB_SMKI_POLICY = x509.ObjectIdentifier("1.2.826.0.1.8641679.1.2.1.4")
"""Certificate policy OID seen in the RTDS organisation and device certificates (DCC arc)."""
HW_TYPE_GB_DEVICE = "1.2.826.0.1.8641679.1.2.2.1"
"""hwType of the hardwareModuleName in RTDS device certificates."""
HARDWARE_MODULE_NAME = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4")  # RFC 4108
DEVICE_NOT_AFTER = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)
"""Device certificates do not expire (RTDS: notAfter 99991231235959Z)."""
DEFAULT_NOT_BEFORE = datetime.datetime(2015, 1, 1, tzinfo=datetime.UTC)
ORGANISATION_VALIDITY = datetime.timedelta(days=3652)
DEFAULT_SEED = "gb-han-rig test SMKI - TEST ONLY"

_HMN = asn1tools.compile_string(
    """
    HMN DEFINITIONS ::= BEGIN
    HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING }
    END
    """,
    "der",
)


class RemotePartyRole(enum.IntEnum):
    """Remote party role carried as the organisation certificate's OU (GBCS 4.3.2) [I].

    Values as the RTDS organisation certificates use them (supplier 02, network operator 03, ACB
    04, issuing authority 07); the others follow the GBCS RemotePartyRole list.
    """

    RECOVERY = 1
    SUPPLIER = 2
    NETWORK_OPERATOR = 3
    ACCESS_CONTROL_BROKER = 4
    TRANSITIONAL_COS = 5
    WAN_PROVIDER = 6
    ISSUING_AUTHORITY = 7
    OTHER_USER = 8


@dataclass(frozen=True)
class Credential:
    """One certificate and its (test-only) private key."""

    eui: Eui64
    usage: KeyUsage
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey


def derive_test_key(label: str, seed: str = DEFAULT_SEED) -> ec.EllipticCurvePrivateKey:
    """TEST-ONLY deterministic P-256 key for ``label``: anyone can recompute it from the seed."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    digest = hashlib.sha256(f"{seed}/{label}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (order - 1) + 1, ec.SECP256R1())


def _ski(key: ec.EllipticCurvePublicKey) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(key).digest[:8]


def hardware_module_name(eui: Eui64) -> bytes:
    """DER of the hardwareModuleName otherName value for ``eui``."""
    return bytes(
        _HMN.encode(
            "HardwareModuleName", {"hwType": HW_TYPE_GB_DEVICE, "hwSerialNum": Eui64(eui).big()}
        )
    )


def eui_from_certificate(cert: x509.Certificate) -> Eui64 | None:
    """The EUI-64 a GB certificate is for: hwSerialNum (device) or x500UniqueIdentifier (org)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id == HARDWARE_MODULE_NAME:
                value = _HMN.decode("HardwareModuleName", other.value)
                return Eui64(bytes(value["hwSerialNum"]))
    for attr in cert.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER):
        if isinstance(attr.value, bytes) and len(attr.value) == 9 and attr.value[0] == 0:
            return Eui64(attr.value[1:])
    return None


class TestSmki:
    """A TEST-ONLY SMKI: root, organisation CA and device CA, issuing GB-profile certificates.

    Keys derive from ``seed`` (see ``derive_test_key``), so the same seed gives the same keys.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self, seed: str = DEFAULT_SEED, not_before: datetime.datetime = DEFAULT_NOT_BEFORE
    ) -> None:
        self.seed = seed
        self.not_before = not_before
        self.root_key = derive_test_key("root", seed)
        self.root = self._ca_cert(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST-ONLY GB SMKI ROOT")]),
            self.root_key,
            None,
        )
        self.organisation_ca_key = derive_test_key("organisation-ca", seed)
        self.organisation_ca = self._ca_cert(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "Z1 TEST-ONLY"),
                ]
            ),
            self.organisation_ca_key,
            (self.root, self.root_key),
        )
        self.device_ca_key = derive_test_key("device-ca", seed)
        self.device_ca = self._ca_cert(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "E357 TEST-ONLY")]),
            self.device_ca_key,
            (self.root, self.root_key),
        )

    def _ca_cert(
        self,
        name: x509.Name,
        key: ec.EllipticCurvePrivateKey,
        issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    ) -> x509.Certificate:
        issuer_name = name if issuer is None else issuer[0].subject
        signing_key = key if issuer is None else issuer[1]
        issuer_ski = _ski(signing_key.public_key())
        b = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.not_before)
            .not_valid_after(self.not_before + 2 * ORGANISATION_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier(_ski(key.public_key())), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier(issuer_ski, None, None), critical=False)
        )
        return b.sign(signing_key, hashes.SHA256())

    def _leaf(
        self,
        subject: x509.Name,
        key: ec.EllipticCurvePrivateKey,
        usage: KeyUsage,
        issuer: x509.Certificate,
        issuer_key: ec.EllipticCurvePrivateKey,
        not_after: datetime.datetime,
        san: x509.SubjectAlternativeName | None,
    ) -> x509.Certificate:
        ds = usage is KeyUsage.DIGITAL_SIGNING
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=ds,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=not ds,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier(_ski(key.public_key())), critical=False)
            .add_extension(
                x509.CertificatePolicies([x509.PolicyInformation(GB_SMKI_POLICY, None)]),
                critical=True,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier(_ski(issuer_key.public_key()), None, None),
                critical=False,
            )
        )
        if san is not None:
            b = b.add_extension(san, critical=True)
        return b.sign(issuer_key, hashes.SHA256())

    def issue_device(self, eui: Eui64 | str, usage: KeyUsage) -> Credential:
        """A device KA or DS certificate: empty subject, hardwareModuleName SAN with the EUI-64."""
        eui = Eui64(eui)
        key = derive_test_key(f"device/{eui.hex}/{usage.value}", self.seed)
        san = x509.SubjectAlternativeName(
            [x509.OtherName(HARDWARE_MODULE_NAME, hardware_module_name(eui))]
        )
        cert = self._leaf(
            x509.Name([]), key, usage, self.device_ca, self.device_ca_key, DEVICE_NOT_AFTER, san
        )
        return Credential(eui, usage, cert, key)

    def issue_organisation(
        self, eui: Eui64 | str, role: RemotePartyRole, usage: KeyUsage, name: str | None = None
    ) -> Credential:
        """An organisation certificate (ACB, Supplier, Network Operator, ...) for ``eui``."""
        eui = Eui64(eui)
        key = derive_test_key(f"organisation/{eui.hex}/{usage.value}", self.seed)
        attrs: list[x509.NameAttribute[str] | x509.NameAttribute[bytes]] = []
        if name is not None:
            attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
        attrs += [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{int(role):02d}"),
            # x500UniqueIdentifier is a BIT STRING; cryptography takes its content octets as given,
            # so the leading 00 (no unused bits) is ours to write, as in the RTDS certificates.
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + eui.big(), _ASN1Type.BitString
            ),
        ]
        cert = self._leaf(
            x509.Name(attrs),
            key,
            usage,
            self.organisation_ca,
            self.organisation_ca_key,
            self.not_before + ORGANISATION_VALIDITY,
            None,
        )
        return Credential(eui, usage, cert, key)

    def issue_device_pair(self, eui: Eui64 | str) -> tuple[Credential, Credential]:
        """KA and DS credentials of a device."""
        return (
            self.issue_device(eui, KeyUsage.KEY_AGREEMENT),
            self.issue_device(eui, KeyUsage.DIGITAL_SIGNING),
        )

    def issue_organisation_pair(
        self, eui: Eui64 | str, role: RemotePartyRole, name: str | None = None
    ) -> tuple[Credential, Credential]:
        return (
            self.issue_organisation(eui, role, KeyUsage.KEY_AGREEMENT, name),
            self.issue_organisation(eui, role, KeyUsage.DIGITAL_SIGNING, name),
        )


def export(
    credentials: Iterable[Credential], directory: str | Path, with_private_keys: bool = True
) -> DirectoryKeyStore:
    """Write credentials in the RTDS keystore layout and return a store reading that directory."""
    store = DirectoryKeyStore(directory)
    for c in credentials:
        store.put_certificate(c.eui, c.usage, c.certificate)
        if with_private_keys:
            store.put_private_key(c.eui, c.usage, c.private_key)
    return store


def memory_store(credentials: Iterable[Credential]) -> MemoryKeyStore:
    """The same credentials in an in-memory keystore."""
    store = MemoryKeyStore()
    for c in credentials:
        store.put_certificate(c.eui, c.usage, c.certificate)
        store.put_private_key(c.eui, c.usage, c.private_key)
    return store
