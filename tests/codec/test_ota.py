"""GB OTA images (emulator.codec.ota): layout, zigpy, signatures, bad input, samples."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zigpy.ota.image import OTAImage, OTAImageHeader

from emulator.codec.errors import DecodeError
from emulator.codec.ota import (
    HW_VERSIONS_HEADER_LENGTH,
    SIGNATURE_LENGTH_FIELD,
    TRAILER_LENGTH,
    GbOtaImage,
    OtaDecodeError,
    TrailerPlacement,
    build_image,
    manufacturer_image_from_payload,
    manufacturer_image_sha256,
    parse_image,
    sign,
    verify_signature,
)
from emulator.pki.smki import derive_test_key

SAMPLES_DIR = Path(__file__).parents[2] / "firmware_images"
SUPPLIER = derive_test_key("tests/ota/supplier")
OTHER = derive_test_key("tests/ota/other")


def _image(signed: bool = True, payload: bytes = b"firmware" * 40, **kw: object) -> bytes:
    args: dict[str, object] = {
        "manufacturer_id": 0x1234,
        "image_type": 0x0081,
        "file_version": 0x01020304,
        "payload": payload,
        "minimum_hardware_version": 0x0100,
        "maximum_hardware_version": 0x01FF,
        "private_key": SUPPLIER if signed else None,
    }
    args.update(kw)
    return build_image(**args)  # type: ignore[arg-type]


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ota_samples_build", SAMPLES_DIR / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_ota_gb_layout_is_header_manufacturer_image_0040_signature() -> None:
    payload = bytes(range(256)) * 3
    data = _image(payload=payload)
    mi = manufacturer_image_from_payload(payload)
    assert data[:4] == bytes.fromhex("1ef1ee0b")
    assert len(data) == HW_VERSIONS_HEADER_LENGTH + len(mi) + TRAILER_LENGTH
    assert data[60 : 60 + len(mi)] == mi
    assert mi[:6] == bytes.fromhex("0000") + len(payload).to_bytes(4, "little")
    assert data[60 + len(mi) : 62 + len(mi)] == bytes.fromhex("0040")
    image = parse_image(data)
    assert image.header_length == 60
    assert image.image_size == 60 + len(mi)  # the trailer is outside the ZigBee file
    assert image.manufacturer_image == mi
    assert image.upgrade_image == payload
    assert image.signature == data[-64:]
    assert image.placement is TrailerPlacement.AFTER_IMAGE_SIZE
    assert manufacturer_image_sha256(image) == hashlib.sha256(mi).digest()
    assert manufacturer_image_sha256(mi) == hashlib.sha256(mi).digest()


def test_ota_round_trip_byte_exact_signed_and_unsigned() -> None:
    for signed in (True, False):
        data = _image(signed=signed, header_string="hello")
        image = parse_image(data)
        assert isinstance(image, GbOtaImage)
        assert image.encode() == data
        assert image.signed is signed
        assert (image.manufacturer_id, image.image_type, image.file_version) == (
            0x1234,
            0x0081,
            0x01020304,
        )
        assert (image.minimum_hardware_version, image.maximum_hardware_version) == (0x100, 0x1FF)
        assert image.header_string.rstrip(b"\0") == b"hello"
        assert image.header.manufacturer_id == 0x1234
        with pytest.raises(AttributeError):
            image.signature = None  # type: ignore[misc]


def test_ota_build_is_deterministic() -> None:
    assert _image() == _image()


def test_ota_without_hardware_versions_has_56_byte_header() -> None:
    data = _image(minimum_hardware_version=None, maximum_hardware_version=None)
    image = parse_image(data)
    assert image.header_length == 56
    assert image.minimum_hardware_version is None
    assert verify_signature(image, SUPPLIER.public_key())
    with pytest.raises(ValueError):
        _image(minimum_hardware_version=1, maximum_hardware_version=None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    manufacturer=st.integers(0, 0xFFFF),
    image_type=st.integers(0, 0xFFFF),
    version=st.integers(0, 0xFFFFFFFF),
    hw=st.none() | st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
    header_string=st.binary(max_size=32),
    payload=st.binary(max_size=300),
    signed=st.booleans(),
    placement=st.sampled_from(list(TrailerPlacement)),
)
def test_ota_header_fields_round_trip(
    manufacturer: int,
    image_type: int,
    version: int,
    hw: tuple[int, int] | None,
    header_string: bytes,
    payload: bytes,
    signed: bool,
    placement: TrailerPlacement,
) -> None:
    data = _image(
        signed=signed,
        payload=payload,
        manufacturer_id=manufacturer,
        image_type=image_type,
        file_version=version,
        minimum_hardware_version=None if hw is None else hw[0],
        maximum_hardware_version=None if hw is None else hw[1],
        header_string=header_string,
        placement=placement,
    )
    # an unsigned image reads the same either way; explicit WITHIN_IMAGE_SIZE wants a trailer
    image = parse_image(data, placement if signed else None)
    assert image.encode() == data
    assert (image.manufacturer_id, image.image_type, image.file_version) == (
        manufacturer,
        image_type,
        version,
    )
    assert image.header_length == (56 if hw is None else 60)
    assert image.header_string == header_string.ljust(32, b"\0")
    hw_read = (image.minimum_hardware_version, image.maximum_hardware_version)
    assert hw_read == ((None, None) if hw is None else hw)
    assert image.signed is signed
    assert image.upgrade_image == payload
    assert verify_signature(image, SUPPLIER.public_key()) is signed
    zigbee_size = image.header_length + len(image.manufacturer_image)
    if placement is TrailerPlacement.AFTER_IMAGE_SIZE or not signed:
        assert image.image_size == zigbee_size
        # zigpy reads the ZigBee OTA file and leaves exactly the GB trailer
        zig, rest = OTAImage.deserialize(data)
        assert rest == image.trailer
        assert zig.serialize() == data[:zigbee_size]
        assert zig.header.manufacturer_id == manufacturer
        assert zig.header.image_type == image_type
        assert zig.header.file_version == version
        assert [bytes(e.data) for e in zig.subelements] == [payload]
    else:
        assert image.image_size == len(data) == zigbee_size + TRAILER_LENGTH
        assert parse_image(data).placement is TrailerPlacement.WITHIN_IMAGE_SIZE  # auto-detected
        header, _ = OTAImageHeader.deserialize(data)
        assert header.image_size == len(data)


def test_ota_signature_valid_invalid_absent() -> None:
    signed = parse_image(_image())
    assert verify_signature(signed, SUPPLIER.public_key())
    assert not verify_signature(signed, OTHER.public_key())
    unsigned = parse_image(_image(signed=False))
    assert unsigned.signature is None
    assert not verify_signature(unsigned, SUPPLIER.public_key())
    # the signature covers the Manufacturer Image only
    assert signed.signature == sign(signed.manufacturer_image, SUPPLIER)


def test_ota_tampering_manufacturer_image_or_signature_is_detected() -> None:
    data = _image()
    image = parse_image(data)
    mi_start = image.header_length
    mi_end = mi_start + len(image.manufacturer_image)
    for offset in (mi_start, mi_start + 5, mi_start + 6, (mi_start + mi_end) // 2, mi_end - 1):
        tampered = bytearray(data)
        tampered[offset] ^= 0x01
        assert not verify_signature(parse_image(bytes(tampered)), SUPPLIER.public_key()), offset
    for offset in range(mi_end + 2, len(data), 7):
        tampered = bytearray(data)
        tampered[offset] ^= 0x80
        assert not verify_signature(parse_image(bytes(tampered)), SUPPLIER.public_key()), offset
    # a header change is not covered by the Supplier signature (SIGNATURE_SCOPE)
    tampered = bytearray(data)
    tampered[14] ^= 0x01  # file version
    assert verify_signature(parse_image(bytes(tampered)), SUPPLIER.public_key())


def test_ota_truncation_raises_ota_decode_error_with_offset() -> None:
    data = _image()
    image_size = parse_image(data).image_size
    for n in range(len(data)):
        prefix = data[:n]
        if n == image_size:
            # stripping the whole trailer leaves a valid unsigned image: `verify` rejects it
            assert parse_image(prefix).signature is None
            continue
        with pytest.raises(OtaDecodeError) as info:
            parse_image(prefix)
        assert 0 <= info.value.offset <= n
        assert info.value.layer == "ota"


def test_ota_specific_errors_and_offsets() -> None:
    data = _image()
    image_size = parse_image(data).image_size
    with pytest.raises(OtaDecodeError) as info:
        parse_image(b"\x00" + data[1:])
    assert info.value.offset == 0
    bad = bytearray(data)
    bad[image_size + 1] = 0x41
    with pytest.raises(OtaDecodeError, match="0041") as info:
        parse_image(bytes(bad))
    assert info.value.offset == image_size
    with pytest.raises(OtaDecodeError) as info:
        parse_image(data + b"\x00")
    assert info.value.offset == len(data)
    bad = bytearray(data)
    bad[6] = 58  # header length disagrees with the field control
    with pytest.raises(OtaDecodeError) as info:
        parse_image(bytes(bad))
    assert info.value.offset == 6
    with pytest.raises(OtaDecodeError):
        parse_image(data, TrailerPlacement.WITHIN_IMAGE_SIZE)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.binary(max_size=200).map(lambda b: _image()[:60] + b))
def test_ota_garbage_raises_only_ota_decode_error(data: bytes) -> None:
    for placement in (None, *TrailerPlacement):
        try:
            image = parse_image(data, placement)
        except OtaDecodeError as e:
            assert isinstance(e, DecodeError)
            assert 0 <= e.offset <= len(data)
        else:
            assert image.encode() == data


def test_ota_every_sample_parses_with_zigpy_and_ours() -> None:
    files = sorted(SAMPLES_DIR.glob("*.ota"))
    assert {f.name.split("-")[0] for f in files} == {"esme", "gsme", "ch", "ppmid"}
    for path in files:
        data = path.read_bytes()
        assert 1024 <= len(data) <= 256 * 1024
        image = parse_image(data)
        assert image.encode() == data
        zig, rest = OTAImage.deserialize(data)
        assert rest == image.trailer
        assert zig.header.header_length == image.header_length == 60
        assert zig.header.image_size == image.image_size
        assert zig.serialize() == data[: image.image_size]


def test_ota_index_matches_sample_files() -> None:
    index = json.loads((SAMPLES_DIR / "index.json").read_text())
    entries = index["images"]
    assert sorted(e["name"] for e in entries) == sorted(p.name for p in SAMPLES_DIR.glob("*.ota"))
    assert sum(e["size"] for e in entries) < 600 * 1024
    supplier = _load_generator().supplier_credential().private_key.public_key()
    for e in entries:
        data = (SAMPLES_DIR / e["name"]).read_bytes()
        image = parse_image(data)
        assert e["size"] == len(data)
        assert e["manufacturer"] == image.manufacturer_id
        assert e["image_type"] == image.image_type
        assert e["version"] == image.file_version
        assert e["name"].endswith(f"-{image.file_version:08x}.ota")
        assert e["manufacturer_image_sha256"] == manufacturer_image_sha256(image).hex()
        assert e["signed"] is image.signed
        assert verify_signature(image, supplier) is image.signed
    ppmid = next(e for e in entries if e["name"].startswith("ppmid-"))
    assert ppmid["image_type"] == 0x0084
    assert ppmid["signed"] is False


def test_ota_sample_generator_is_reproducible(tmp_path: Path) -> None:
    _load_generator().build_all(tmp_path)
    committed = sorted(p.name for p in SAMPLES_DIR.iterdir() if p.suffix in (".ota", ".json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (SAMPLES_DIR / name).read_bytes(), name


def test_ota_signature_length_field_is_big_endian_64() -> None:
    assert SIGNATURE_LENGTH_FIELD == b"\x00\x40"
