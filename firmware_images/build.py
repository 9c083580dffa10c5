"""Generate the sample GB OTA firmware images and ``index.json`` (``make firmware``).

TEST-ONLY. Payloads are pseudo-random bytes derived from ``SEED``; the Supplier signing key is
``emulator.pki.smki.TestSmki``'s DS key for the RTDS supplier EUI, which anyone can recompute, so no
private key is stored here. Signatures are deterministic (RFC 6979): running this twice writes
byte-identical files.

Usage: ``python firmware_images/build.py [--out DIR] [--export-cert PEM]``
(``--export-cert`` writes the Supplier DS certificate, to use with ``hil-rig firmware verify``;
it is not committed because TestSmki gives certificates random serial numbers.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parent))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from emulator.codec.gbcs.keystore import KeyUsage  # noqa: E402
from emulator.codec.ota import (  # noqa: E402
    HW_VERSIONS_HEADER_LENGTH,
    SUBELEMENT_HEADER_LENGTH,
    TRAILER_LENGTH,
    build_image,
    manufacturer_image_sha256,
    parse_image,
)
from emulator.pki.smki import Credential, RemotePartyRole, TestSmki  # noqa: E402

SEED = "gb-han-rig firmware samples v1 - TEST ONLY"
SUPPLIER_EUI = "90B3D51F30010000"
"""The RTDS test supplier (DOMAIN.md section 7); its DS key here comes from TestSmki."""
INDEX = "index.json"


@dataclass(frozen=True)
class Sample:
    key: str
    device_type: str
    manufacturer: int
    image_type: int
    version: int
    hw_min: int
    hw_max: int
    size: int
    """Total file size in bytes (1 KiB..256 KiB)."""
    signed: bool

    @property
    def name(self) -> str:
        return f"{self.key}-{self.version:08x}.ota"

    @property
    def header_string(self) -> str:
        return f"GB-HAN-RIG TEST-ONLY {self.key.upper()}"


# Manufacturer codes and the ESME/GSME/CH image types are fictitious test values [U]; 0x0084 is the
# image type of the DUIS 11.4 PPMID sample (DOMAIN.md section 5), unsigned like it.
SAMPLES: tuple[Sample, ...] = (
    Sample("esme", "ESME", 0xA0E1, 0x0081, 0x01020304, 0x0100, 0x01FF, 96 * 1024, True),
    Sample("gsme", "GSME", 0xA0E2, 0x0082, 0x01020305, 0x0100, 0x01FF, 48 * 1024, True),
    Sample("ch", "CH", 0xA0E3, 0x0083, 0x02000001, 0x0200, 0x02FF, 256 * 1024, True),
    Sample(
        "ppmid", "PPMID (dual-mode)", 0xA0E4, 0x0084, 0x00000102, 0x0001, 0x0001, 4 * 1024, False
    ),
)


def supplier_credential(smki: TestSmki | None = None) -> Credential:
    smki = smki if smki is not None else TestSmki()
    return smki.issue_organisation(SUPPLIER_EUI, RemotePartyRole.SUPPLIER, KeyUsage.DIGITAL_SIGNING)


def payload_for(sample: Sample) -> bytes:
    """Deterministic payload: sized so that the whole file is exactly ``sample.size`` bytes."""
    n = sample.size - HW_VERSIONS_HEADER_LENGTH - SUBELEMENT_HEADER_LENGTH
    n -= TRAILER_LENGTH if sample.signed else 0
    banner = f"TEST-ONLY {sample.device_type} firmware {sample.version:#010x}\n".encode()
    return banner + hashlib.shake_256(f"{SEED}/{sample.name}".encode()).digest(n - len(banner))


def build_sample(sample: Sample, key: ec.EllipticCurvePrivateKey | None) -> bytes:
    return build_image(
        manufacturer_id=sample.manufacturer,
        image_type=sample.image_type,
        file_version=sample.version,
        payload=payload_for(sample),
        minimum_hardware_version=sample.hw_min,
        maximum_hardware_version=sample.hw_max,
        private_key=key if sample.signed else None,
        header_string=sample.header_string,
    )


def build_all(out: Path) -> dict[str, object]:
    """Write every sample and ``index.json`` into ``out``; return the index."""
    out.mkdir(parents=True, exist_ok=True)
    key = supplier_credential().private_key
    entries = []
    for sample in SAMPLES:
        data = build_sample(sample, key)
        assert len(data) == sample.size, (sample.name, len(data))
        image = parse_image(data)
        (out / sample.name).write_bytes(data)
        entries.append(
            {
                "name": sample.name,
                "device_type": sample.device_type,
                "manufacturer": sample.manufacturer,
                "image_type": sample.image_type,
                "version": sample.version,
                "hw_min": sample.hw_min,
                "hw_max": sample.hw_max,
                "size": len(data),
                "manufacturer_image_sha256": manufacturer_image_sha256(image).hex(),
                "signed": image.signed,
            }
        )
    index: dict[str, object] = {
        "generator": "firmware_images/build.py",
        "test_only": True,
        "seed": SEED,
        "signer": {"role": "supplier", "eui": SUPPLIER_EUI, "keys": "emulator.pki.smki.TestSmki"},
        "layout": "OTA header || Manufacturer Image || 0040 || ECDSA P-256 r||s over the"
        " Manufacturer Image (see emulator/codec/ota.py)",
        "images": entries,
    }
    (out / INDEX).write_text(json.dumps(index, indent=2) + "\n")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    parser.add_argument(
        "--export-cert", type=Path, help="also write the Supplier DS certificate (PEM) here"
    )
    args = parser.parse_args(argv)
    index = build_all(args.out)
    if args.export_cert:
        cert = supplier_credential().certificate
        args.export_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    images = index["images"]
    assert isinstance(images, list)
    for entry in images:
        print(f"{args.out / entry['name']}: {entry['size']} bytes, signed={entry['signed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
