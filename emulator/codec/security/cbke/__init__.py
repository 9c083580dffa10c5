"""ZigBee Smart Energy Certificate-Based Key Establishment (ZSE 1.x Annex C), sans-IO.

* ``curves``: GF(2^m) and Koblitz-curve arithmetic for sect163k1 (suite 1) and sect283k1 (suite 2),
  the pure-Python reference backend;
* ``openssl``: the same point operations through the system libcrypto (ctypes), chosen
  automatically by ``backend.default_backend()`` when available;
* ``certificate``: the 48- and 74-byte implicit certificate layouts;
* ``ecqv``: public-key reconstruction, certificate checks (Terminate statuses), issue maths;
* ``ecmqv``: the shared secret Z;
* ``kdf``: AES-MMO KDF (MacKey, KeyData) and the MACU/MACV key-confirmation values;
* ``exchange``: the Key Establishment cluster exchange as a state machine (no IO).
"""

from __future__ import annotations

from .backend import CurveBackend, available_backends, default_backend, get_backend
from .certificate import ImplicitCertificate, Suite1Certificate, Suite2Certificate
from .curves import SECT163K1, SECT283K1, Curve, Point
from .ecmqv import shared_secret
from .ecqv import (
    CertificateCheck,
    check_certificate,
    reconstruct_public_key,
    validate_certificate,
)
from .errors import CbkeDecodeError
from .exchange import (
    Credentials,
    KeMessage,
    KeyEstablishment,
    KeyEstablishmentCommand,
    KeyEstablishmentState,
    Role,
    Step,
)
from .kdf import derive_keys, macu, macv, mmo_hash
from .suites import SUITE_1, SUITE_2, KeyEstablishmentStatus, KeyEstablishmentSuite, suite_params

__all__ = [
    "SECT163K1",
    "SECT283K1",
    "SUITE_1",
    "SUITE_2",
    "CbkeDecodeError",
    "CertificateCheck",
    "Credentials",
    "Curve",
    "CurveBackend",
    "ImplicitCertificate",
    "KeMessage",
    "KeyEstablishment",
    "KeyEstablishmentCommand",
    "KeyEstablishmentState",
    "KeyEstablishmentStatus",
    "KeyEstablishmentSuite",
    "Point",
    "Role",
    "Step",
    "Suite1Certificate",
    "Suite2Certificate",
    "available_backends",
    "check_certificate",
    "default_backend",
    "derive_keys",
    "get_backend",
    "macu",
    "macv",
    "mmo_hash",
    "reconstruct_public_key",
    "shared_secret",
    "suite_params",
    "validate_certificate",
]
