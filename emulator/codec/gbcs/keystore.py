"""Where GBCS keys come from: a ``KeyStore`` interface and the RTDS directory layout.

The RTDS keystore (SmartDCCInnovation/gbcs-parser ``test/rtds``) names files by lower-case hex EUI:
``<eui>-ka.pem`` / ``<eui>-ds.pem`` (X.509 certificates), ``<eui>-ka.key`` / ``<eui>-ds.key``
(PKCS#8 private keys). KA = Key Agreement (ECDH, for MACs and payload encryption), DS = Digital
Signing (ECDSA). Every key here is P-256.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
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


class DirectoryKeyStore:
    """Reads and writes the RTDS keystore layout in ``root``; files are read once and cached."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._certs: dict[tuple[int, KeyUsage], x509.Certificate | None] = {}
        self._keys: dict[tuple[int, KeyUsage], ec.EllipticCurvePrivateKey | None] = {}

    def path(self, eui: Eui64, usage: KeyUsage, private: bool) -> Path:
        return self.root / f"{Eui64(eui).hex}-{usage.value}.{'key' if private else 'pem'}"

    def certificate(self, eui: Eui64, usage: KeyUsage) -> x509.Certificate | None:
        k = (int(eui), usage)
        if k not in self._certs:
            p = self.path(eui, usage, private=False)
            self._certs[k] = x509.load_pem_x509_certificate(p.read_bytes()) if p.is_file() else None
        return self._certs[k]

    def private_key(self, eui: Eui64, usage: KeyUsage) -> ec.EllipticCurvePrivateKey | None:
        k = (int(eui), usage)
        if k not in self._keys:
            p = self.path(eui, usage, private=True)
            key = None
            if p.is_file():
                loaded = serialization.load_pem_private_key(p.read_bytes(), password=None)
                key = loaded if isinstance(loaded, ec.EllipticCurvePrivateKey) else None
            self._keys[k] = key
        return self._keys[k]

    def put_certificate(self, eui: Eui64, usage: KeyUsage, cert: x509.Certificate) -> Path:
        p = self.path(eui, usage, private=False)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._certs[(int(eui), usage)] = cert
        return p

    def put_private_key(self, eui: Eui64, usage: KeyUsage, key: ec.EllipticCurvePrivateKey) -> Path:
        p = self.path(eui, usage, private=True)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self._keys[(int(eui), usage)] = key
        return p
