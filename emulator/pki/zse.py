"""A test Certificate Authority for ZSE implicit (ECQV) certificates. TEST-ONLY KEYS.

Emulated devices need CBKE credentials (a suite 1 or suite 2 implicit certificate and its private
key) issued by a CA the Trust Center knows. ``ZseTestCa`` issues them with the SEC 4 ECQV
procedure (``emulator.codec.security.cbke.ecqv``), and judges a peer's certificate the way the
Key Establishment cluster must: a certificate of another CA is UNKNOWN_ISSUER, one for another
EUI-64 (or otherwise unacceptable) INVALID_CERTIFICATE (ZSE Annex C.3.1.2.3.1).

Everything here is deterministic given ``rng`` and has no clock: pass ``valid_from`` for suite 2
certificates. The CA and the issued ``Credentials`` serialise to small JSON-able dicts, so they can
be persisted with the device (the StateStore comes later). Private keys appear in those dicts in
hex: they are test keys for a test rig, labelled so, and never logged or printed (reprs hide them).

``CERTICOM_TEST_CA_SUITE1`` / ``CERTICOM_TEST_CA_SUITE2`` are the public halves of the test CAs
that signed the SE Annex C.5/C.6 example certificates (issuers "TESTSECA" and 1112131415161718):
enough to accept real devices carrying Certicom test certificates.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke import ecqv
from emulator.codec.security.cbke.backend import CurveBackend, default_backend
from emulator.codec.security.cbke.certificate import (
    KEY_USAGE_KEY_AGREEMENT,
    SE_PROFILE_ID,
    VALID_TO_NO_EXPIRY,
    ImplicitCertificate,
    Suite1Certificate,
    Suite2Certificate,
)
from emulator.codec.security.cbke.exchange import Credentials
from emulator.codec.security.cbke.kdf import mmo_hash
from emulator.codec.security.cbke.suites import (
    KeyEstablishmentStatus,
    KeyEstablishmentSuite,
    SuiteParams,
    suite_params,
)

Rng = Callable[[int], bytes]

#: Written into every serialised form that holds a private key.
TEST_ONLY_NOTE = "TEST-ONLY key material from the GB HAN rig's test CA; never use in production"

#: KeyUsage of issued suite 2 certificates: key agreement and digital signature, as in C.6.
DEFAULT_KEY_USAGE = 0x88
#: ProfileAttributeData of issued suite 1 certificates: the SE profile id, then zeros.
DEFAULT_PROFILE_ATTRIBUTE_DATA = SE_PROFILE_ID.to_bytes(2, "big") + bytes(8)


@dataclass(frozen=True)
class TrustAnchor:
    """What a device needs to accept certificates of one CA: its Issuer id and public key."""

    suite: KeyEstablishmentSuite
    issuer: bytes
    public_key: bytes

    def validate(
        self,
        certificate: bytes,
        subject: Eui64 | None = None,
        *,
        now: int | None = None,
        backend: CurveBackend | None = None,
    ) -> KeyEstablishmentStatus | None:
        """The Terminate status a Key Establishment responder would answer, or None if fine."""
        return ecqv.validate_certificate(
            suite_params(self.suite),
            certificate,
            issuer=self.issuer,
            ca_public_key=self.public_key,
            subject=subject,
            now=now,
            backend=backend,
        )


CERTICOM_TEST_CA_SUITE1 = TrustAnchor(
    KeyEstablishmentSuite.CRYPTO_SUITE_1,
    issuer=b"TESTSECA",
    public_key=bytes.fromhex("0200FDE8A7F3D1084224962A4E7C54E69AC3F04DA6B8"),
)
CERTICOM_TEST_CA_SUITE2 = TrustAnchor(
    KeyEstablishmentSuite.CRYPTO_SUITE_2,
    issuer=bytes.fromhex("1112131415161718"),
    public_key=bytes.fromhex(
        "0207A445022D9F39F49BDC38380026A27A9E0A1799313AB28C5C1A1C6B605154DB1DFF6752"
    ),
)


def _random_scalar(params: SuiteParams, rng: Rng) -> int:
    n = params.curve.n
    bits = n.bit_length()
    while True:
        k = int.from_bytes(rng(params.curve.field_length), "big") & ((1 << bits) - 1)
        if 0 < k < n:
            return k


@dataclass(frozen=True)
class ZseTestCa:
    """A test CA for one crypto suite. The private key is TEST-ONLY and kept out of repr."""

    suite: KeyEstablishmentSuite
    issuer: bytes
    public_key: bytes
    private_key: int = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.issuer) != 8:
            raise ValueError(f"Issuer is 8 bytes, got {len(self.issuer)}")

    @classmethod
    def generate(
        cls,
        suite: KeyEstablishmentSuite = KeyEstablishmentSuite.CRYPTO_SUITE_2,
        *,
        issuer: bytes | None = None,
        rng: Rng = secrets.token_bytes,
        backend: CurveBackend | None = None,
    ) -> ZseTestCa:
        """A new CA key. The default Issuer is the first 8 bytes of H(public key), so two test
        CAs never share an Issuer and a certificate from the other one is UNKNOWN_ISSUER."""
        be = backend or default_backend()
        params = suite_params(suite)
        d = _random_scalar(params, rng)
        q = be.multiply_base(params.curve, d)
        assert q is not None  # 0 < d < n
        public = be.compress(params.curve, q)
        return cls(
            KeyEstablishmentSuite(suite),
            issuer if issuer is not None else mmo_hash(public)[:8],
            public,
            d,
        )

    @property
    def params(self) -> SuiteParams:
        return suite_params(self.suite)

    @property
    def trust_anchor(self) -> TrustAnchor:
        return TrustAnchor(self.suite, self.issuer, self.public_key)

    # ------------------------------------------------------------------ issue

    def issue(
        self,
        subject: Eui64,
        *,
        rng: Rng = secrets.token_bytes,
        valid_from: int = 0,
        valid_to: int = VALID_TO_NO_EXPIRY,
        key_usage: int = DEFAULT_KEY_USAGE,
        profile_attribute_data: bytes = DEFAULT_PROFILE_ATTRIBUTE_DATA,
        serial_number: bytes | None = None,
        backend: CurveBackend | None = None,
    ) -> Credentials:
        """Certificate and private key for ``subject``, playing both ECQV roles (SEC 4 §2.4-2.5).

        The device side's k_U never leaves this call; the result is checked (d_U G must equal the
        reconstructed key) before it is returned.
        """
        be = backend or default_backend()
        params = self.params
        serial = serial_number if serial_number is not None else rng(8)
        while True:
            k_u = _random_scalar(params, rng)
            request = ecqv.certificate_request(params, k_u, be)
            try:
                certificate, r = self.issue_from_request(
                    subject,
                    request,
                    rng=rng,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    key_usage=key_usage,
                    profile_attribute_data=profile_attribute_data,
                    serial_number=serial,
                    backend=be,
                )
            except ValueError:
                continue  # P_U at infinity: draw again
            d_u = ecqv.private_key_from_issue(params, k_u=k_u, certificate=certificate, r=r)
            if d_u == 0:
                continue
            if not ecqv.key_pair_matches(params, certificate, d_u, self.public_key, be):
                raise AssertionError("ECQV issue produced a key pair that does not reconstruct")
            return Credentials(self.suite, certificate.to_bytes(), d_u, self.public_key)

    def issue_from_request(
        self,
        subject: Eui64,
        request: bytes,
        *,
        rng: Rng = secrets.token_bytes,
        valid_from: int = 0,
        valid_to: int = VALID_TO_NO_EXPIRY,
        key_usage: int = DEFAULT_KEY_USAGE,
        profile_attribute_data: bytes = DEFAULT_PROFILE_ATTRIBUTE_DATA,
        serial_number: bytes | None = None,
        backend: CurveBackend | None = None,
    ) -> tuple[ImplicitCertificate, int]:
        """The CA half of ECQV: a certificate around P_U = R_U + k G and the value r.

        ``request`` is the device's compressed R_U = k_U G; it computes d_U = e k_U + r mod n.
        """
        params = self.params
        subject = Eui64(subject)
        serial = serial_number if serial_number is not None else rng(8)

        def layout(point: bytes) -> ImplicitCertificate:
            if self.suite is KeyEstablishmentSuite.CRYPTO_SUITE_1:
                return Suite1Certificate(
                    public_reconstruction_key=point,
                    subject=subject,
                    issuer=self.issuer,
                    profile_attribute_data=profile_attribute_data,
                )
            return Suite2Certificate(
                serial_number=serial,
                issuer=self.issuer,
                valid_from=valid_from,
                valid_to=valid_to,
                subject=subject,
                key_usage=key_usage,
                public_reconstruction_key=point,
            )

        return ecqv.generate_certificate(
            params,
            ca_private_key=self.private_key,
            request=request,
            k=_random_scalar(params, rng),
            make_certificate=layout,
            backend=backend,
        )

    # ------------------------------------------------------------------ validate

    def validate(
        self,
        certificate: bytes,
        subject: Eui64 | None = None,
        *,
        now: int | None = None,
        backend: CurveBackend | None = None,
    ) -> KeyEstablishmentStatus | None:
        """None if ``certificate`` is ours (and for ``subject``, when given), else the Terminate
        status: UNKNOWN_ISSUER for another CA's, INVALID_CERTIFICATE for another EUI-64's or a
        malformed one, BAD_MESSAGE for the wrong length."""
        return self.trust_anchor.validate(certificate, subject, now=now, backend=backend)

    # ------------------------------------------------------------------ persistence

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form; ``private_key`` is a TEST-ONLY key in hex."""
        return {
            "comment": TEST_ONLY_NOTE,
            "suite": int(self.suite),
            "issuer": self.issuer.hex(),
            "public_key": self.public_key.hex(),
            "private_key": ecqv.private_key_to_bytes(self.params.curve, self.private_key).hex(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ZseTestCa:
        suite = KeyEstablishmentSuite(int(data["suite"]))
        params = suite_params(suite)
        ca = cls(
            suite,
            bytes.fromhex(data["issuer"]),
            bytes.fromhex(data["public_key"]),
            ecqv.private_key_from_bytes(params.curve, bytes.fromhex(data["private_key"])),
        )
        return ca

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ZseTestCa:
        return cls.from_dict(json.loads(text))


def credentials_to_dict(credentials: Credentials) -> dict[str, Any]:
    """A device's CBKE credentials as a JSON-able dict; ``private_key`` is TEST-ONLY, in hex."""
    curve = credentials.params.curve
    return {
        "comment": TEST_ONLY_NOTE,
        "suite": int(credentials.suite),
        "certificate": credentials.certificate.hex(),
        "private_key": ecqv.private_key_to_bytes(curve, credentials.private_key).hex(),
        "ca_public_key": credentials.ca_public_key.hex(),
    }


def credentials_from_dict(data: dict[str, Any]) -> Credentials:
    suite = KeyEstablishmentSuite(int(data["suite"]))
    curve = suite_params(suite).curve
    return Credentials(
        suite,
        bytes.fromhex(data["certificate"]),
        ecqv.private_key_from_bytes(curve, bytes.fromhex(data["private_key"])),
        bytes.fromhex(data["ca_public_key"]),
    )


__all__ = [
    "CERTICOM_TEST_CA_SUITE1",
    "CERTICOM_TEST_CA_SUITE2",
    "DEFAULT_KEY_USAGE",
    "DEFAULT_PROFILE_ATTRIBUTE_DATA",
    "KEY_USAGE_KEY_AGREEMENT",
    "TEST_ONLY_NOTE",
    "TrustAnchor",
    "ZseTestCa",
    "credentials_from_dict",
    "credentials_to_dict",
]
