"""Where GBCS keys come from: a ``KeyStore`` interface and the RTDS directory layout.

The RTDS keystore (SmartDCCInnovation/gbcs-parser ``test/rtds``) names files by lower-case hex EUI:
``<eui>-ka.pem`` / ``<eui>-ds.pem`` (X.509 certificates), ``<eui>-ka.key`` / ``<eui>-ds.key``
(PKCS#8 private keys). KA = Key Agreement (ECDH, for MACs and payload encryption), DS = Digital
Signing (ECDSA). Every key here is P-256.
"""

from __future__ import annotations

import enum
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ..eui64 import Eui64


class KeyUsage(enum.Enum):
    """Which of a party's two key pairs (GBCS 4.3.1)."""

    KEY_AGREEMENT = "ka"
    DIGITAL_SIGNING = "ds"


KA = KeyUsage.KEY_AGREEMENT
DS = KeyUsage.DIGITAL_SIGNING


class KeyStore(Protocol):
    """Looks keys up by party and usage; ``None`` when the store does not hold that key."""

    def certificate(self, eui: Eui64, usage: KeyUsage) -> x509.Certificate | None: ...

    def private_key(self, eui: Eui64, usage: KeyUsage) -> ec.EllipticCurvePrivateKey | None: ...


def public_key(store: KeyStore, eui: Eui64, usage: KeyUsage) -> ec.EllipticCurvePublicKey | None:
    """A party's public key: from its certificate, else from its private key, else ``None``."""
    cert = store.certificate(eui, usage)
    if cert is not None:
        key = cert.public_key()
        return key if isinstance(key, ec.EllipticCurvePublicKey) else None
    private = store.private_key(eui, usage)
    return private.public_key() if private is not None else None


class MemoryKeyStore:
    """A keystore held in dictionaries (tests, emulated devices)."""

    def __init__(self) -> None:
        self._certs: dict[tuple[int, KeyUsage], x509.Certificate] = {}
        self._keys: dict[tuple[int, KeyUsage], ec.EllipticCurvePrivateKey] = {}

    def certificate(self, eui: Eui64, usage: KeyUsage) -> x509.Certificate | None:
        return self._certs.get((int(eui), usage))

    def private_key(self, eui: Eui64, usage: KeyUsage) -> ec.EllipticCurvePrivateKey | None:
        return self._keys.get((int(eui), usage))

    def put_certificate(self, eui: Eui64, usage: KeyUsage, cert: x509.Certificate) -> None:
        self._certs[(int(eui), usage)] = cert

    def put_private_key(self, eui: Eui64, usage: KeyUsage, key: ec.EllipticCurvePrivateKey) -> None:
        self._keys[(int(eui), usage)] = key

    def remove_certificate(self, eui: Eui64, usage: KeyUsage) -> None:
        """Forget a party's certificate (a trust anchor replaced); absent is fine."""
        self._certs.pop((int(eui), usage), None)

    def certificates(self) -> list[tuple[Eui64, KeyUsage, x509.Certificate]]:
        """Every certificate held, by party and usage."""
        return [(Eui64(eui), usage, cert) for (eui, usage), cert in self._certs.items()]
