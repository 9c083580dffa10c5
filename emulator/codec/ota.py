"""GB OTA firmware images (DUIS 11.1 / GBCS section 11, DOMAIN.md section 5), sans-IO.

Layout of a GB image as this module builds and reads it::

    |<---------- ZigBee OTA file (zigpy parses this part) ---------->|<-- GB trailer -->|
    | OTA header (0x0BEEF11E, 60 bytes with hw versions) | Manuf. Image | 00 40 |  r||s  |
    0                                          header_length     image_size   +2      +66

Decisions (DOMAIN.md section 5 and section 8: "the exact image-hash input" is still open):

- ``MANUFACTURER_IMAGE`` [I]: the Manufacturer Image is the byte range
  ``[header_length, image_size)``, i.e. everything the ZigBee header's Total Image Size covers
  after the header: the ZigBee sub-element area *with* tags and lengths, not the payload of the
  upgrade-image sub-element and not the whole OTA file. DOMAIN.md lists "ZigBee OTA file (header
  ..., 60 bytes)" and then the Manufacturer Image, so the header is the only ZigBee part before
  it; with Total Image Size = header + Manufacturer Image, header || Manufacturer Image is a
  complete ZigBee OTA file, which the GB trailer follows. ``build_image`` puts the payload into
  one Upgrade Image sub-element (tag 0x0000) so that zigpy and any ZigBee OTA server read the
  file; ``parse_image`` does not require the Manufacturer Image to be sub-elements
  (``GbOtaImage.subelements`` is ``None`` when it is not).
- ``TRAILER_PLACEMENT`` [U]: Total Image Size does *not* count the GB trailer
  (``TrailerPlacement.AFTER_IMAGE_SIZE``); otherwise zigpy would read ``00 40`` as a sub-element
  tag and fail. ``WITHIN_IMAGE_SIZE`` is supported explicitly (and by a narrow auto-detection in
  ``parse_image``) until the real DUIS 11.1 sample settles it.
- ``SIGNATURE_LENGTH_FIELD``: ``00 40`` is read as a big-endian (GBCS-style) length of 64,
  followed by the ECDSA P-256 / SHA-256 signature as raw r||s (as elsewhere in GBCS) [I].
- ``SIGNATURE_SCOPE`` [S]: the Supplier signs the Manufacturer Image only (not the OTA header).
- ``ACTIVATE_FIRMWARE_HASH`` [I]: the hash of the Activate Firmware command (CS06) is SHA-256 of
  the Manufacturer Image (``manufacturer_image_sha256``).
- Signatures made here are deterministic (RFC 6979), so images build reproducibly; verification
  accepts any valid ECDSA signature.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from zigpy.ota.image import (
    FieldControl,
    HeaderString,
    OTAImage,
    OTAImageHeader,
    SubElement,
)

from .errors import DecodeError
from .gbcs.crypto import verify_raw

OTA_MAGIC: Final = 0x0BEEF11E
OTA_HEADER_VERSION: Final = 0x0100
"""ZigBee OTA header version 1.0."""
ZIGBEE_PRO_STACK_VERSION: Final = 0x0002
BASE_HEADER_LENGTH: Final = 56
"""OTA header without the optional fields (ZCL 11.4.2)."""
HW_VERSIONS_HEADER_LENGTH: Final = 60
"""The header of GB images: base header + minimum and maximum hardware version."""
HEADER_STRING_LENGTH: Final = 32
UPGRADE_IMAGE_TAG: Final = 0x0000
SUBELEMENT_HEADER_LENGTH: Final = 6
"""Tag (2 bytes) and length (4 bytes, little endian) of a ZigBee OTA sub-element."""

SIGNATURE_LENGTH: Final = 64
"""ECDSA P-256 signature, raw r||s."""
SIGNATURE_LENGTH_FIELD: Final = SIGNATURE_LENGTH.to_bytes(2, "big")
"""The ``00 40`` before the signature: big-endian length 64 [I]."""
TRAILER_LENGTH: Final = len(SIGNATURE_LENGTH_FIELD) + SIGNATURE_LENGTH

MANUFACTURER_IMAGE: Final = "header_length..image_size"
"""[I] The Manufacturer Image is bytes [header_length, image_size): the ZigBee sub-element area."""
SIGNATURE_SCOPE: Final = "manufacturer-image"
"""[S] The Supplier signature covers the Manufacturer Image only (DOMAIN.md section 5)."""
ACTIVATE_FIRMWARE_HASH: Final = "sha256(manufacturer-image)"
"""[I] The CS06 Activate Firmware hash: SHA-256 of the Manufacturer Image."""

# Offsets in the OTA header (all fields little endian).
_OFF_HEADER_LENGTH = 6
_OFF_FIELD_CONTROL = 8
_OFF_IMAGE_SIZE = 52


class TrailerPlacement(enum.Enum):
    """Whether the ZigBee header's Total Image Size counts the GB signature trailer."""

    AFTER_IMAGE_SIZE = "after"
    """image_size = header_length + len(Manufacturer Image); the trailer follows the ZigBee file."""
    WITHIN_IMAGE_SIZE = "within"
    """image_size = whole file, trailer included (zigpy cannot parse such a file).

    Only signed images differ: an unsigned image is the same bytes under both placements, and
    ``parse_image`` with an explicit ``WITHIN_IMAGE_SIZE`` requires the trailer."""


TRAILER_PLACEMENT: Final = TrailerPlacement.AFTER_IMAGE_SIZE
"""[U] The placement ``build_image`` writes and ``parse_image`` tries first."""


class OtaDecodeError(DecodeError):
    layer = "ota"


@dataclass(frozen=True)
class OtaSubElement:
    """One ZigBee OTA sub-element (tag, data), as zigpy's ``SubElement`` but immutable."""

    tag: int
    data: bytes


@dataclass(frozen=True)
class GbOtaImage:
    """A parsed GB OTA image. ``encode()`` gives back the exact input bytes."""

    header_bytes: bytes
    manufacturer_image: bytes
    signature: bytes | None
    """64-byte r||s, or ``None`` for an unsigned image (e.g. the DUIS 11.4 PPMID sample)."""
    placement: TrailerPlacement
    manufacturer_id: int
    image_type: int
    file_version: int
    header_version: int
    stack_version: int
    header_string: bytes
    field_control: int
    header_length: int
    image_size: int
    minimum_hardware_version: int | None
    maximum_hardware_version: int | None
    subelements: tuple[OtaSubElement, ...] | None
    """The Manufacturer Image read as ZigBee sub-elements, or ``None`` if it is not."""

    @property
    def signed(self) -> bool:
        return self.signature is not None

    @property
    def header(self) -> OTAImageHeader:
        """A fresh zigpy ``OTAImageHeader`` for the header bytes."""
        header: OTAImageHeader = OTAImageHeader.deserialize(self.header_bytes)[0]
        return header

    @property
    def zigbee_file(self) -> bytes:
        """The ZigBee OTA file part: header || Manufacturer Image (|| trailer if within)."""
        return (
            self.header_bytes
            + self.manufacturer_image
            + (self.trailer if self.placement is TrailerPlacement.WITHIN_IMAGE_SIZE else b"")
        )

    @property
    def trailer(self) -> bytes:
        return b"" if self.signature is None else SIGNATURE_LENGTH_FIELD + self.signature

    @property
    def upgrade_image(self) -> bytes | None:
        """Data of the first Upgrade Image sub-element (tag 0x0000), if any."""
        for element in self.subelements or ():
            if element.tag == UPGRADE_IMAGE_TAG:
                return element.data
        return None

    def encode(self) -> bytes:
        return self.header_bytes + self.manufacturer_image + self.trailer


def manufacturer_image_from_payload(payload: bytes) -> bytes:
    """The Manufacturer Image ``build_image`` makes: one Upgrade Image sub-element."""
    data: bytes = SubElement(tag_id=UPGRADE_IMAGE_TAG, data=payload).serialize()
    return data


def manufacturer_image_sha256(image: GbOtaImage | bytes) -> bytes:
    """SHA-256 of the Manufacturer Image (of a parsed image, or of Manufacturer Image bytes).

    This is the Activate Firmware hash under ``ACTIVATE_FIRMWARE_HASH`` [I].
    """
    data = image.manufacturer_image if isinstance(image, GbOtaImage) else image
    return hashlib.sha256(data).digest()


def sign(manufacturer_image: bytes, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The Supplier signature over ``manufacturer_image``: ECDSA P-256 / SHA-256, raw r||s.

    Deterministic (RFC 6979): the same key and image always give the same bytes.
    """
    if not isinstance(private_key.curve, ec.SECP256R1):
        raise ValueError(f"the signing key must be P-256, not {private_key.curve.name}")
    der = private_key.sign(
        manufacturer_image, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    )
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_signature(image: GbOtaImage, public_key: ec.EllipticCurvePublicKey) -> bool:
    """True if ``image`` carries a valid Supplier signature under ``public_key``.

    False for an unsigned image or a key that is not P-256.
    """
    if image.signature is None or not isinstance(public_key.curve, ec.SECP256R1):
        return False
    return verify_raw(public_key, image.manufacturer_image, image.signature)


def build_header(
    *,
    manufacturer_id: int,
    image_type: int,
    file_version: int,
    image_size: int,
    minimum_hardware_version: int | None = None,
    maximum_hardware_version: int | None = None,
    header_string: bytes | str = b"",
    stack_version: int = ZIGBEE_PRO_STACK_VERSION,
    header_version: int = OTA_HEADER_VERSION,
) -> bytes:
    """An OTA header with header_length computed; hardware versions both present or both absent."""
    if (minimum_hardware_version is None) != (maximum_hardware_version is None):
        raise ValueError("give both hardware versions or neither")
    hw = minimum_hardware_version is not None
    raw_string = header_string.encode() if isinstance(header_string, str) else header_string
    if len(raw_string) > HEADER_STRING_LENGTH:
        raise ValueError(f"header string longer than {HEADER_STRING_LENGTH} bytes")
    for name, value, bits in (
        ("manufacturer_id", manufacturer_id, 16),
        ("image_type", image_type, 16),
        ("file_version", file_version, 32),
        ("image_size", image_size, 32),
        ("stack_version", stack_version, 16),
        ("header_version", header_version, 16),
        ("minimum_hardware_version", minimum_hardware_version or 0, 16),
        ("maximum_hardware_version", maximum_hardware_version or 0, 16),
    ):
        if not 0 <= value < 1 << bits:
            raise ValueError(f"{name} {value:#x} does not fit in {bits} bits")
    header_length = HW_VERSIONS_HEADER_LENGTH if hw else BASE_HEADER_LENGTH
    fields: dict[str, object] = {
        "upgrade_file_id": OTA_MAGIC,
        "header_version": header_version,
        "header_length": header_length,
        "field_control": FieldControl.HARDWARE_VERSIONS_PRESENT if hw else 0,
        "manufacturer_id": manufacturer_id,
        "image_type": image_type,
        "file_version": file_version,
        "stack_version": stack_version,
        "header_string": HeaderString(raw_string.ljust(HEADER_STRING_LENGTH, b"\x00")),
        "image_size": image_size,
    }
    if hw:
        fields["minimum_hardware_version"] = minimum_hardware_version
        fields["maximum_hardware_version"] = maximum_hardware_version
    data: bytes = OTAImageHeader(**fields).serialize()
    assert len(data) == header_length
    return data


def build_image(
    *,
    manufacturer_id: int,
    image_type: int,
    file_version: int,
    payload: bytes,
    minimum_hardware_version: int | None = None,
    maximum_hardware_version: int | None = None,
    private_key: ec.EllipticCurvePrivateKey | None = None,
    header_string: bytes | str = b"",
    stack_version: int = ZIGBEE_PRO_STACK_VERSION,
    placement: TrailerPlacement = TRAILER_PLACEMENT,
) -> bytes:
    """A GB OTA image: OTA header || Manufacturer Image [|| 00 40 || Supplier signature].

    The Manufacturer Image is one Upgrade Image sub-element holding ``payload``; it is signed with
    ``private_key`` (the Supplier's P-256 DS key) when one is given, else the image is unsigned.
    header_length and image_size are computed here (zigpy does not).
    """
    manufacturer_image = manufacturer_image_from_payload(payload)
    hw = minimum_hardware_version is not None or maximum_hardware_version is not None
    header_length = HW_VERSIONS_HEADER_LENGTH if hw else BASE_HEADER_LENGTH
    trailer = (
        b""
        if private_key is None
        else SIGNATURE_LENGTH_FIELD + sign(manufacturer_image, private_key)
    )
    image_size = header_length + len(manufacturer_image)
    if placement is TrailerPlacement.WITHIN_IMAGE_SIZE:
        image_size += len(trailer)
    header = build_header(
        manufacturer_id=manufacturer_id,
        image_type=image_type,
        file_version=file_version,
        image_size=image_size,
        minimum_hardware_version=minimum_hardware_version,
        maximum_hardware_version=maximum_hardware_version,
        header_string=header_string,
        stack_version=stack_version,
    )
    if placement is TrailerPlacement.AFTER_IMAGE_SIZE:
        # Let zigpy assemble the ZigBee file: it checks image_size against what it serialises.
        zigbee = OTAImage(
            header=OTAImageHeader.deserialize(header)[0],
            subelements=[SubElement(tag_id=UPGRADE_IMAGE_TAG, data=payload)],
        )
        zigbee_file: bytes = zigbee.serialize()
        assert zigbee_file == header + manufacturer_image
    return header + manufacturer_image + trailer


def parse_subelements(data: bytes) -> tuple[OtaSubElement, ...] | None:
    """``data`` as a sequence of ZigBee OTA sub-elements exactly filling it, else ``None``."""
    elements: list[OtaSubElement] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < SUBELEMENT_HEADER_LENGTH:
            return None
        tag = int.from_bytes(data[offset : offset + 2], "little")
        length = int.from_bytes(data[offset + 2 : offset + 6], "little")
        start = offset + SUBELEMENT_HEADER_LENGTH
        if length > len(data) - start:
            return None
        elements.append(OtaSubElement(tag, data[start : start + length]))
        offset = start + length
    return tuple(elements)


def _u16(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 2], "little")


def _expected_header_length(field_control: int) -> int:
    length = BASE_HEADER_LENGTH
    if field_control & FieldControl.SECURITY_CREDENTIAL_VERSION_PRESENT:
        length += 1
    if field_control & FieldControl.DEVICE_SPECIFIC_FILE_PRESENT:
        length += 8
    if field_control & FieldControl.HARDWARE_VERSIONS_PRESENT:
        length += 4
    return length


def _detect_placement(data: bytes, header_length: int, image_size: int) -> TrailerPlacement:
    """Auto-detection: ``AFTER_IMAGE_SIZE`` unless the file is exactly image_size long, ends in
    something shaped like a trailer, and the whole reading is not a clean run of sub-elements:
    either only the trailer-less reading is, or neither is (a raw Manufacturer Image, as in the
    DUIS 11.1 sample image, whose image_size counts its trailer)."""
    if (
        len(data) == image_size
        and image_size - TRAILER_LENGTH >= header_length
        and data[-TRAILER_LENGTH:-SIGNATURE_LENGTH] == SIGNATURE_LENGTH_FIELD
        and parse_subelements(data[header_length:image_size]) is None
    ):
        return TrailerPlacement.WITHIN_IMAGE_SIZE
    return TrailerPlacement.AFTER_IMAGE_SIZE


def parse_image(data: bytes, placement: TrailerPlacement | None = None) -> GbOtaImage:
    """Read a GB OTA image; raises ``OtaDecodeError`` (with a byte offset) and nothing else.

    ``placement=None`` reads the trailer after image_size (``TRAILER_PLACEMENT``) and falls back to
    ``WITHIN_IMAGE_SIZE`` only in the unambiguous case described in ``_detect_placement``.
    """
    data = bytes(data)
    if len(data) < BASE_HEADER_LENGTH:
        raise OtaDecodeError(
            f"{len(data)} bytes: shorter than an OTA header ({BASE_HEADER_LENGTH})", len(data)
        )
    magic = int.from_bytes(data[0:4], "little")
    if magic != OTA_MAGIC:
        raise OtaDecodeError(f"OTA file identifier {magic:#010x}, expected {OTA_MAGIC:#010x}", 0)
    header_length = _u16(data, _OFF_HEADER_LENGTH)
    field_control = _u16(data, _OFF_FIELD_CONTROL)
    expected = _expected_header_length(field_control)
    if field_control & ~0x0007:
        raise OtaDecodeError(f"unknown header field control bits {field_control:#06x}", 8)
    if header_length != expected:
        raise OtaDecodeError(
            f"header length {header_length}, field control {field_control:#06x} implies {expected}",
            _OFF_HEADER_LENGTH,
        )
    if len(data) < header_length:
        raise OtaDecodeError(
            f"{len(data)} bytes: truncated OTA header of {header_length} bytes", len(data)
        )
    image_size = int.from_bytes(data[_OFF_IMAGE_SIZE : _OFF_IMAGE_SIZE + 4], "little")
    if image_size < header_length:
        raise OtaDecodeError(
            f"total image size {image_size} smaller than the header ({header_length})",
            _OFF_IMAGE_SIZE,
        )
    if image_size > len(data):
        raise OtaDecodeError(
            f"truncated: total image size {image_size}, only {len(data)} bytes", len(data)
        )
    if placement is None:
        placement = _detect_placement(data, header_length, image_size)

    signature: bytes | None
    if placement is TrailerPlacement.AFTER_IMAGE_SIZE:
        manufacturer_image = data[header_length:image_size]
        rest = data[image_size:]
        if not rest:
            signature = None
        elif len(rest) < TRAILER_LENGTH:
            raise OtaDecodeError(
                f"{len(rest)} bytes after the ZigBee file: truncated GB signature trailer"
                f" ({TRAILER_LENGTH} bytes)",
                len(data),
            )
        elif rest[:2] != SIGNATURE_LENGTH_FIELD:
            raise OtaDecodeError(
                f"signature length field {rest[:2].hex()}, expected {SIGNATURE_LENGTH_FIELD.hex()}",
                image_size,
            )
        elif len(rest) > TRAILER_LENGTH:
            raise OtaDecodeError(
                f"{len(rest) - TRAILER_LENGTH} bytes after the signature",
                image_size + TRAILER_LENGTH,
            )
        else:
            signature = rest[2:]
    else:
        if len(data) != image_size:
            raise OtaDecodeError(
                f"{len(data) - image_size} bytes after the total image size", image_size
            )
        end = image_size - TRAILER_LENGTH
        if end < header_length:
            raise OtaDecodeError("no room for the GB signature trailer", _OFF_IMAGE_SIZE)
        if data[end : end + 2] != SIGNATURE_LENGTH_FIELD:
            raise OtaDecodeError(
                f"signature length field {data[end : end + 2].hex()},"
                f" expected {SIGNATURE_LENGTH_FIELD.hex()}",
                end,
            )
        manufacturer_image = data[header_length:end]
        signature = data[end + 2 : image_size]

    header_bytes = data[:header_length]
    try:
        zigpy_header, rest_of_header = OTAImageHeader.deserialize(header_bytes)
        reencoded: bytes = zigpy_header.serialize()
    except Exception as e:  # zigpy raises assorted types; only ours may escape
        raise OtaDecodeError(f"zigpy cannot read the OTA header: {e}", 0) from None
    if rest_of_header or reencoded != header_bytes:
        raise OtaDecodeError("OTA header does not re-encode byte-exact", 0)
    hw = bool(field_control & FieldControl.HARDWARE_VERSIONS_PRESENT)
    return GbOtaImage(
        header_bytes=header_bytes,
        manufacturer_image=manufacturer_image,
        signature=signature,
        placement=placement,
        manufacturer_id=_u16(data, 10),
        image_type=_u16(data, 12),
        file_version=int.from_bytes(data[14:18], "little"),
        header_version=_u16(data, 4),
        stack_version=_u16(data, 18),
        header_string=data[20:52],
        field_control=field_control,
        header_length=header_length,
        image_size=image_size,
        minimum_hardware_version=_u16(data, header_length - 4) if hw else None,
        maximum_hardware_version=_u16(data, header_length - 2) if hw else None,
        subelements=parse_subelements(manufacturer_image),
    )
