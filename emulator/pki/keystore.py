"""The RTDS keystore layout on disk: ``<eui>-ka.pem``, ``<eui>-ds.pem``, ``<eui>-ka.key``,
``<eui>-ds.key`` with lower-case hex EUI-64s, as DCC's test tools read and write it.

It implements the codec's ``KeyStore`` interface; it lives here, beside the test PKI, because it
reads and writes files and the codecs are sans-IO (DESIGN.md rule 2).
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.keystore import KeyUsage


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
