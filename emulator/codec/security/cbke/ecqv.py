"""ECQV implicit certificates (SEC 4; ZSE Annex C.4.2.2-C.4.2.3): reconstruction, checks, issue.

Reconstruction (SEC 4 §3.5, ZSE C.4.2.2.6): Q_U = e * P_U + Q_CA, where P_U is the certificate's
PublicReconstrKey and e is the AES-MMO hash of the *whole* certificate as sent (48 or 74 bytes),
read as a 128-bit big-endian integer. e < n on both curves, so there is no reduction; the
Annex C vectors and every published certificate set pin this down.

Issue (SEC 4 §2.4-§2.5), for the test CA: the requester picks k_U and sends R_U = k_U G; the CA
picks k, sets P_U = R_U + k G, encodes the certificate, and returns r = e k + d_CA mod n; the
requester's private key is d_U = e k_U + r mod n, and d_U G equals the reconstructed Q_U.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...eui64 import Eui64
from .backend import CurveBackend, default_backend
from .certificate import (
    CERTIFICATE_TYPE_IMPLICIT,
    CURVE_SECT283K1,
    HASH_AES_MMO,
    KEY_USAGE_KEY_AGREEMENT,
    ImplicitCertificate,
    Suite2Certificate,
    decode_certificate,
)
from .curves import Curve, Point
from .errors import CbkeDecodeError
from .kdf import mmo_hash
from .suites import KeyEstablishmentStatus, SuiteParams


def certificate_hash(certificate: bytes) -> int:
    """e = H(certificate) as a big-endian integer (C.4.2.2.6: the MMO hash of the whole cert)."""
    return int.from_bytes(mmo_hash(certificate), "big")


def reconstruct_public_key(
    params: SuiteParams,
    certificate: ImplicitCertificate,
    ca_public_key: bytes,
    backend: CurveBackend | None = None,
) -> Point:
    """Q_U = e * P_U + Q_CA (SEC 4 §3.5).

    ``CbkeDecodeError`` if the reconstruction point or the CA key is not a point of the suite's
    curve, or the result is the point at infinity.
    """
    be = backend or default_backend()
    curve = params.curve
    p_u = be.decompress(curve, certificate.public_reconstruction_key)
    q_ca = be.decompress(curve, ca_public_key)
    e = certificate_hash(certificate.to_bytes())
    q_u = be.add(curve, be.multiply(curve, e, p_u), q_ca)
    if q_u is None:
        raise CbkeDecodeError("reconstructed public key is the point at infinity", 0)
    return q_u


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """The verdict on a peer's certificate: ``status`` None means acceptable."""

    status: KeyEstablishmentStatus | None
    certificate: ImplicitCertificate | None = None
    public_key: Point | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status is None


def check_certificate(
    params: SuiteParams,
    data: bytes,
    *,
    issuer: bytes,
    ca_public_key: bytes,
    subject: Eui64 | None = None,
    now: int | None = None,
    require_key_agreement: bool = True,
    backend: CurveBackend | None = None,
) -> CertificateCheck:
    """Judge a peer's certificate as the Key Establishment cluster must (C.3.1.2.3, C.3.1.3.1).

    In order: undecodable bytes (wrong length) -> BAD_MESSAGE; an Issuer other than the known
    CA -> UNKNOWN_ISSUER (the spec's first check); a suite 2 Type/Curve/Hash this suite does not
    use, no key-agreement KeyUsage bit, outside its validity period (only when ``now`` is given),
    a Subject other than the partner's EUI-64 (``subject``), or a PublicReconstrKey that is not a
    curve point -> INVALID_CERTIFICATE. On success the reconstructed public key comes back.

    Decision: a Subject mismatch is INVALID_CERTIFICATE ("bad certificate"); the spec only says
    the device "should verify the certificate belongs to the address", and zsmartsystems answers
    BAD_MESSAGE there.
    """
    if len(data) != params.certificate_length:
        return CertificateCheck(
            KeyEstablishmentStatus.BAD_MESSAGE,
            reason=f"certificate is {len(data)} bytes, suite needs {params.certificate_length}",
        )
    cert = decode_certificate(params.suite, data)
    if cert.issuer != issuer:
        return CertificateCheck(
            KeyEstablishmentStatus.UNKNOWN_ISSUER, cert, reason=f"issuer {cert.issuer.hex()}"
        )
    if isinstance(cert, Suite2Certificate):
        problem = _suite2_problem(cert, now, require_key_agreement)
        if problem:
            return CertificateCheck(
                KeyEstablishmentStatus.INVALID_CERTIFICATE, cert, reason=problem
            )
    if subject is not None and cert.subject != subject:
        return CertificateCheck(
            KeyEstablishmentStatus.INVALID_CERTIFICATE,
            cert,
            reason=f"subject {cert.subject} is not the partner {subject}",
        )
    try:
        public_key = reconstruct_public_key(params, cert, ca_public_key, backend)
    except CbkeDecodeError as exc:
        return CertificateCheck(KeyEstablishmentStatus.INVALID_CERTIFICATE, cert, reason=exc.reason)
    return CertificateCheck(None, cert, public_key)


def validate_certificate(
    params: SuiteParams,
    data: bytes,
    *,
    issuer: bytes,
    ca_public_key: bytes,
    subject: Eui64 | None = None,
    now: int | None = None,
    backend: CurveBackend | None = None,
) -> KeyEstablishmentStatus | None:
    """The Terminate status ``check_certificate`` would end the exchange with, or None if fine."""
    return check_certificate(
        params,
        data,
        issuer=issuer,
        ca_public_key=ca_public_key,
        subject=subject,
        now=now,
        backend=backend,
    ).status


def _suite2_problem(cert: Suite2Certificate, now: int | None, require_key_agreement: bool) -> str:
    if cert.type != CERTIFICATE_TYPE_IMPLICIT:
        return f"certificate type {cert.type:#04x} is not implicit (0x00)"
    if cert.curve != CURVE_SECT283K1:
        return f"curve {cert.curve:#04x} is not sect283k1 (0x0d)"
    if cert.hash != HASH_AES_MMO:
        return f"hash {cert.hash:#04x} is not AES-MMO (0x08)"
    if require_key_agreement and not cert.key_usage & KEY_USAGE_KEY_AGREEMENT:
        return f"key usage {cert.key_usage:#04x} does not allow key agreement"
    if now is not None and not cert.valid_at(now):
        return "outside the validity period"
    return ""


# ---------------------------------------------------------------------- keys


def private_key_to_bytes(curve: Curve, d: int) -> bytes:
    """A private key as the fixed-width big-endian octets the vectors use (21 or 36 bytes)."""
    return d.to_bytes(curve.field_length, "big")


def private_key_from_bytes(curve: Curve, data: bytes) -> int:
    """The integer private key in 1..n-1; ``ValueError`` otherwise."""
    if len(data) != curve.field_length:
        raise ValueError(f"{curve.name} private key is {curve.field_length} bytes, got {len(data)}")
    d = int.from_bytes(data, "big")
    if not 0 < d < curve.n:
        raise ValueError("private key out of range 1..n-1")
    return d


def key_pair_matches(
    params: SuiteParams,
    certificate: ImplicitCertificate,
    private_key: int,
    ca_public_key: bytes,
    backend: CurveBackend | None = None,
) -> bool:
    """Whether d G equals the key the certificate reconstructs to (own credentials sanity check)."""
    be = backend or default_backend()
    try:
        q_u = reconstruct_public_key(params, certificate, ca_public_key, be)
    except CbkeDecodeError:
        return False
    return 0 < private_key < params.curve.n and be.multiply_base(params.curve, private_key) == q_u


# ---------------------------------------------------------------------- issue (SEC 4 §2.4-§2.5)


def certificate_request(
    params: SuiteParams, k_u: int, backend: CurveBackend | None = None
) -> bytes:
    """R_U = k_U G, compressed: what a device sends its CA (SEC 4 §2.4 Cert_Request)."""
    be = backend or default_backend()
    r_u = be.multiply_base(params.curve, k_u)
    if r_u is None:
        raise ValueError("k_U must not be a multiple of n")
    return be.compress(params.curve, r_u)


def generate_certificate(
    params: SuiteParams,
    *,
    ca_private_key: int,
    request: bytes,
    k: int,
    make_certificate: Callable[[bytes], ImplicitCertificate],
    backend: CurveBackend | None = None,
) -> tuple[ImplicitCertificate, int]:
    """The CA side (SEC 4 §2.4 Cert_Generate): the certificate and r = e k + d_CA mod n.

    ``make_certificate`` lays out the suite's fields around the compressed P_U = R_U + k G.
    ``ValueError`` if P_U is infinity (the CA should pick another k).
    """
    be = backend or default_backend()
    curve = params.curve
    r_u = be.decompress(curve, request)
    p_u = be.add(curve, r_u, be.multiply_base(curve, k))
    if p_u is None:
        raise ValueError("P_U is the point at infinity; choose another k")
    certificate = make_certificate(be.compress(curve, p_u))
    e = certificate_hash(certificate.to_bytes())
    return certificate, (e * k + ca_private_key) % curve.n


def private_key_from_issue(
    params: SuiteParams, *, k_u: int, certificate: ImplicitCertificate, r: int
) -> int:
    """The requester side (SEC 4 §2.5 Cert_Reception): d_U = e k_U + r mod n."""
    e = certificate_hash(certificate.to_bytes())
    return (e * k_u + r) % params.curve.n
