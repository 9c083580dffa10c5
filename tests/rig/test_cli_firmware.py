"""`hil-rig firmware build | inspect | verify`: the --json contract, signatures, bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.gbcs.keystore import KeyUsage
from emulator.codec.ota import manufacturer_image_from_payload
from emulator.pki.smki import RemotePartyRole, TestSmki
from rig.commands.firmware import firmware

SAMPLES_DIR = Path(__file__).parents[2] / "firmware_images"
INSPECT_FIELDS = [
    "manufacturer",
    "image_type",
    "file_version",
    "header_length",
    "image_size",
    "manufacturer_image_sha256",
    "signature",
]


def _run(*args: str) -> Any:
    return CliRunner().invoke(firmware, list(args))


@pytest.fixture(scope="module")
def smki() -> TestSmki:
    return TestSmki()


@pytest.fixture
def pki(tmp_path: Path, smki: TestSmki) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for label, eui in (("supplier", "90B3D51F30010000"), ("other", "90B3D51F30020000")):
        cred = smki.issue_organisation(eui, RemotePartyRole.SUPPLIER, KeyUsage.DIGITAL_SIGNING)
        key = tmp_path / f"{label}.key"
        key.write_bytes(
            cred.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert = tmp_path / f"{label}.pem"
        cert.write_bytes(cred.certificate.public_bytes(serialization.Encoding.PEM))
        files[f"{label}_key"] = key
        files[f"{label}_cert"] = cert
    return files


def _build(tmp_path: Path, payload: bytes, *extra: str) -> tuple[Any, Path]:
    source = tmp_path / "payload.bin"
    source.write_bytes(payload)
    out = tmp_path / "image.ota"
    result = _run(
        "build",
        "--manufacturer",
        "0x1234",
        "--image-type",
        "0x0081",
        "--version",
        "0x01020304",
        "--hw-min",
        "0x0100",
        "--hw-max",
        "0x01ff",
        "--payload",
        str(source),
        "--out",
        str(out),
        *extra,
    )
    return result, out


def test_cli_firmware_build_inspect_json_verify(tmp_path: Path, pki: dict[str, Path]) -> None:
    payload = bytes(range(256)) * 8
    built, out = _build(tmp_path, payload, "--sign-key", str(pki["supplier_key"]))
    assert built.exit_code == 0, built.output
    key_body = pki["supplier_key"].read_text().splitlines()[1]
    assert key_body not in built.output
    mi = manufacturer_image_from_payload(payload)

    result = _run("inspect", str(out), "--cert", str(pki["supplier_cert"]), "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert list(record) == INSPECT_FIELDS
    assert record == {
        "manufacturer": 0x1234,
        "image_type": 0x0081,
        "file_version": 0x01020304,
        "header_length": 60,
        "image_size": 60 + len(mi),
        "manufacturer_image_sha256": hashlib.sha256(mi).hexdigest(),
        "signature": "valid",
    }
    assert out.stat().st_size == 60 + len(mi) + 66

    result = _run("verify", str(out), "--cert", str(pki["supplier_cert"]))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output

    text = _run("inspect", str(out))
    assert text.exit_code == 0
    assert "0x1234" in text.output and "no-cert" in text.output


def test_cli_firmware_inspect_no_cert_and_absent(tmp_path: Path, pki: dict[str, Path]) -> None:
    built, out = _build(tmp_path, b"x" * 2000, "--sign-key", str(pki["supplier_key"]))
    assert built.exit_code == 0, built.output
    record = json.loads(_run("inspect", str(out), "--json").output)
    assert record["signature"] == "no-cert"

    built, out = _build(tmp_path, b"x" * 2000)
    assert built.exit_code == 0, built.output
    record = json.loads(
        _run("inspect", str(out), "--json", "--cert", str(pki["supplier_cert"])).output
    )
    assert record["signature"] == "absent"
    result = _run("verify", str(out), "--cert", str(pki["supplier_cert"]))
    assert result.exit_code == 1
    assert "no Supplier signature" in result.output
    result = _run("verify", str(out), "--cert", str(pki["supplier_cert"]), "--allow-unsigned")
    assert result.exit_code == 0, result.output


def test_cli_firmware_wrong_key_is_invalid(tmp_path: Path, pki: dict[str, Path]) -> None:
    built, out = _build(tmp_path, b"y" * 1500, "--sign-key", str(pki["other_key"]))
    assert built.exit_code == 0, built.output
    record = json.loads(
        _run("inspect", str(out), "--json", "--cert", str(pki["supplier_cert"])).output
    )
    assert record["signature"] == "invalid"
    result = _run("verify", str(out), "--cert", str(pki["supplier_cert"]))
    assert result.exit_code == 1
    assert "INVALID" in result.output
    assert _run("verify", str(out), "--cert", str(pki["other_cert"])).exit_code == 0


def test_cli_firmware_tampered_and_garbage(tmp_path: Path, pki: dict[str, Path]) -> None:
    built, out = _build(tmp_path, b"z" * 3000, "--sign-key", str(pki["supplier_key"]))
    assert built.exit_code == 0, built.output
    data = bytearray(out.read_bytes())
    data[100] ^= 0xFF
    out.write_bytes(bytes(data))
    result = _run("verify", str(out), "--cert", str(pki["supplier_cert"]))
    assert result.exit_code == 1
    garbage = tmp_path / "garbage.ota"
    garbage.write_bytes(b"\x1e\xf1\xee\x0b" + b"\x00" * 20)
    for command in ("inspect", "verify"):
        result = _run(command, str(garbage), "--cert", str(pki["supplier_cert"]))
        assert result.exit_code == 2
        assert "not a GB OTA image" in result.output
        assert "offset" in result.output


def test_cli_firmware_rejects_bad_keys_and_options(tmp_path: Path, pki: dict[str, Path]) -> None:
    other_curve = tmp_path / "k1.key"
    other_curve.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    result, _ = _build(tmp_path, b"p", "--sign-key", str(other_curve))
    assert result.exit_code == 2
    assert "P-256" in result.output
    result, _ = _build(tmp_path, b"p", "--sign-key", str(pki["supplier_cert"]))
    assert result.exit_code == 2
    source = tmp_path / "payload.bin"
    result = _run(
        "build", "--manufacturer", "0x10000", "--image-type", "1", "--version", "1",
        "--payload", str(source), "--out", str(tmp_path / "x.ota"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "16 bits" in result.output


def test_cli_firmware_inspects_every_sample() -> None:
    index = json.loads((SAMPLES_DIR / "index.json").read_text())
    for entry in index["images"]:
        result = _run("inspect", str(SAMPLES_DIR / entry["name"]), "--json")
        assert result.exit_code == 0, result.output
        record = json.loads(result.output)
        assert record["manufacturer"] == entry["manufacturer"]
        assert record["image_type"] == entry["image_type"]
        assert record["file_version"] == entry["version"]
        assert record["manufacturer_image_sha256"] == entry["manufacturer_image_sha256"]
        assert record["signature"] == ("no-cert" if entry["signed"] else "absent")


DUIS_SAMPLE = Path(__file__).parents[1] / "data" / "ota" / "duis-11.1-sample.ota"
RTDS_SUPPLIER_DS = Path(__file__).parents[1] / "data" / "keystore" / "90b3d51f30010000-ds.pem"


def test_cli_firmware_reads_the_duis_11_1_sample_image() -> None:
    """The DUIS 11.1 template's FirmwareImage (SmartDCCInnovation duis-templates): a raw
    Manufacturer Image whose trailer the header's Total Image Size counts; the RTDS Supplier's
    signature over it verifies."""
    runner = CliRunner()
    args = [str(DUIS_SAMPLE), "--cert", str(RTDS_SUPPLIER_DS)]
    shown = runner.invoke(firmware, ["inspect", *args, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == {
        "manufacturer": 0x121D,
        "image_type": 0x0000,
        "file_version": 0xACDCACDC,
        "header_length": 60,
        "image_size": 361,
        "manufacturer_image_sha256": hashlib.sha256(DUIS_SAMPLE.read_bytes()[60:-66]).hexdigest(),
        "signature": "valid",
    }
    assert runner.invoke(firmware, ["verify", *args]).exit_code == 0
