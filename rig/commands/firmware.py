"""`hil-rig firmware ...`: build, inspect and verify GB OTA firmware images.

Thin over ``emulator.codec.ota`` (layout and decisions documented there). Private keys are read,
used and never printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.ota import (
    GbOtaImage,
    OtaDecodeError,
    TrailerPlacement,
    build_image,
    manufacturer_image_sha256,
    parse_image,
    verify_signature,
)

_PLACEMENTS = {"auto": None, **{p.value: p for p in TrailerPlacement}}


class _IntParam(click.ParamType[int, Any]):
    """An integer in decimal or with a 0x prefix, within ``bits`` bits."""

    name = "integer"

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value), 0)
            except ValueError:
                self.fail(f"{value!r} is not an integer (decimal or 0x...)", param, ctx)
        if not 0 <= number < 1 << self.bits:
            self.fail(f"{value!r} does not fit in {self.bits} bits", param, ctx)
        return number


U16 = _IntParam(16)
U32 = _IntParam(32)

_placement_option = click.option(
    "--trailer-placement",
    type=click.Choice(sorted(_PLACEMENTS)),
    default="auto",
    show_default=True,
    help="Whether the OTA header's image size counts the GB signature trailer "
    "(after: it does not; within: it does; auto: after, unless only 'within' fits).",
)


def _load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # Say nothing about the file's content: it may be key material.
        raise click.BadParameter(
            "not an unencrypted PEM private key", param_hint="--sign-key"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise click.BadParameter("not a P-256 (secp256r1) EC private key", param_hint="--sign-key")
    return key


def _load_certificate_key(path: Path) -> ec.EllipticCurvePublicKey:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as e:
        raise click.BadParameter(f"not a PEM X.509 certificate: {e}", param_hint="--cert") from None
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise click.BadParameter("the certificate's key is not P-256", param_hint="--cert")
    return key


def _signature_status(image_signed: bool, valid: bool | None) -> str:
    """One of "valid", "invalid", "absent", "no-cert" (the inspect --json contract)."""
    if not image_signed:
        return "absent"
    if valid is None:
        return "no-cert"
    return "valid" if valid else "invalid"


@click.group()
def firmware() -> None:
    """Build, inspect and verify GB OTA firmware images (OTA header || Manufacturer Image ||
    00 40 || Supplier signature)."""


@firmware.command()
@click.option("--manufacturer", type=U16, required=True, help="Manufacturer code (0x....).")
@click.option("--image-type", type=U16, required=True, help="OTA image type (0x....).")
@click.option("--version", "file_version", type=U32, required=True, help="File version.")
@click.option("--hw-min", type=U16, help="Minimum hardware version (with --hw-max).")
@click.option("--hw-max", type=U16, help="Maximum hardware version (with --hw-min).")
@click.option(
    "--payload",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Firmware payload, carried in the Upgrade Image sub-element.",
)
@click.option(
    "--sign-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Supplier DS private key (PEM, P-256); without it the image is unsigned.",
)
@click.option("--header-string", default="", help="OTA header string (up to 32 bytes).")
@click.option(
    "--trailer-placement",
    type=click.Choice([p.value for p in TrailerPlacement]),
    default=TrailerPlacement.AFTER_IMAGE_SIZE.value,
    show_default=True,
    help="Whether the OTA header's image size counts the GB signature trailer.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output file."
)
def build(
    manufacturer: int,
    image_type: int,
    file_version: int,
    hw_min: int | None,
    hw_max: int | None,
    payload: Path,
    sign_key: Path | None,
    header_string: str,
    trailer_placement: str,
    out: Path,
) -> None:
    """Build a GB OTA image from a payload file."""
    if (hw_min is None) != (hw_max is None):
        raise click.UsageError("give --hw-min and --hw-max together")
    if hw_min is not None and hw_max is not None and hw_min > hw_max:
        raise click.UsageError("--hw-min is greater than --hw-max")
    key = _load_private_key(sign_key) if sign_key else None
    try:
        data = build_image(
            manufacturer_id=manufacturer,
            image_type=image_type,
            file_version=file_version,
            payload=payload.read_bytes(),
            minimum_hardware_version=hw_min,
            maximum_hardware_version=hw_max,
            private_key=key,
            header_string=header_string,
            placement=TrailerPlacement(trailer_placement),
        )
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    out.write_bytes(data)
    image = parse_image(data, TrailerPlacement(trailer_placement))
    click.echo(
        f"{out}: {len(data)} bytes, manufacturer {manufacturer:#06x}, image type "
        f"{image_type:#06x}, version {file_version:#010x}, "
        f"{'signed' if key else 'unsigned'}, manufacturer image sha256 "
        f"{manufacturer_image_sha256(image).hex()}"
    )


def _read(path: Path, placement: str) -> GbOtaImage:
    try:
        return parse_image(path.read_bytes(), _PLACEMENTS[placement])
    except OtaDecodeError as e:
        click.echo(f"error: {path}: not a GB OTA image: {e}", err=True)
        sys.exit(2)


@firmware.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Supplier DS certificate (PEM, P-256) to check the signature with.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_placement_option
def inspect(file: Path, cert: Path | None, as_json: bool, trailer_placement: str) -> None:
    """Show an image's header fields, Manufacturer Image hash and signature status.

    Exits 2 if the file is not a GB OTA image.
    """
    public = _load_certificate_key(cert) if cert else None
    image = _read(file, trailer_placement)
    valid = None if public is None else verify_signature(image, public)
    record = {
        "manufacturer": image.manufacturer_id,
        "image_type": image.image_type,
        "file_version": image.file_version,
        "header_length": image.header_length,
        "image_size": image.image_size,
        "manufacturer_image_sha256": manufacturer_image_sha256(image).hex(),
        "signature": _signature_status(image.signed, valid),
    }
    if as_json:
        click.echo(json.dumps(record))
        return
    hw = (
        "absent"
        if image.minimum_hardware_version is None
        else f"{image.minimum_hardware_version:#06x}..{image.maximum_hardware_version:#06x}"
    )
    elements = (
        "not ZigBee sub-elements"
        if image.subelements is None
        else ", ".join(f"tag {e.tag:#06x} ({len(e.data)} bytes)" for e in image.subelements)
    )
    lines = [
        f"file               {file} ({len(image.encode())} bytes)",
        f"manufacturer       {image.manufacturer_id:#06x}",
        f"image type         {image.image_type:#06x}",
        f"file version       {image.file_version:#010x}",
        f"header version     {image.header_version:#06x}, stack {image.stack_version:#06x}",
        f"header string      {image.header_string.rstrip(bytes(1))!r}",
        f"header length      {image.header_length}",
        f"image size         {image.image_size} (trailer {image.placement.value} image size)",
        f"hardware versions  {hw}",
        f"manufacturer image {len(image.manufacturer_image)} bytes: {elements}",
        f"  sha256           {record['manufacturer_image_sha256']}",
        f"signature          {record['signature']}",
    ]
    click.echo("\n".join(lines))


@firmware.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Supplier DS certificate (PEM, P-256).",
)
@click.option("--allow-unsigned", is_flag=True, help="Accept an image without a signature.")
@_placement_option
def verify(file: Path, cert: Path, allow_unsigned: bool, trailer_placement: str) -> None:
    """Check an image's Supplier signature over its Manufacturer Image.

    Exits 0 if valid, 1 if the signature is invalid or absent, 2 if the file is not a GB OTA image.
    """
    public = _load_certificate_key(cert)
    image = _read(file, trailer_placement)
    digest = manufacturer_image_sha256(image).hex()
    if not image.signed:
        if allow_unsigned:
            click.echo(f"{file}: unsigned (allowed); manufacturer image sha256 {digest}")
            return
        click.echo(f"error: {file}: the image carries no Supplier signature", err=True)
        sys.exit(1)
    if not verify_signature(image, public):
        click.echo(
            f"error: {file}: INVALID Supplier signature over the manufacturer image "
            f"(sha256 {digest}) for the key in {cert}",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{file}: signature valid; manufacturer image sha256 {digest}")
