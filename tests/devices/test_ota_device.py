"""The device side of OTA: image checks, firmware slots across a power cycle."""

from __future__ import annotations

import random

from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.ota import build_image, manufacturer_image_sha256, parse_image
from emulator.codec.zcl.ota import ImageId
from emulator.devices.firmware_slots import CHUNK, FirmwareSlots
from emulator.devices.ota_client import Failure, OtaClientProfile, check_image
from emulator.han.stack.state import MemoryStateStore

PROFILE = OtaClientProfile(manufacturer=0xA0E1, image_type=0x0081, hardware_version=0x0150)
SUPPLIER = ec.derive_private_key(7, ec.SECP256R1())
OTHER = ec.derive_private_key(11, ec.SECP256R1())


def image(**changes: int) -> bytes:
    fields = {"manufacturer_id": 0xA0E1, "image_type": 0x0081, "file_version": 0x01020304}
    fields.update(changes)
    return build_image(
        **fields, payload=bytes(range(256)) * 20, minimum_hardware_version=0x100,
        maximum_hardware_version=0x1FF, private_key=SUPPLIER,
    )  # fmt: skip


def test_a_good_image_verifies_and_reports_the_manufacturer_image_hash() -> None:
    data = image()
    result = check_image(data, PROFILE, [SUPPLIER.public_key()])
    assert result.ok and result.hash == manufacturer_image_sha256(parse_image(data))


def test_each_check_names_its_failure() -> None:
    key = [SUPPLIER.public_key()]
    assert check_image(image(manufacturer_id=1), PROFILE, key).failure is Failure.MANUFACTURER
    assert check_image(image(image_type=2), PROFILE, key).failure is Failure.IMAGE_TYPE
    other_hw = OtaClientProfile(manufacturer=0xA0E1, image_type=0x0081, hardware_version=0x300)
    assert check_image(image(), other_hw, key).failure is Failure.HARDWARE_VERSION
    assert check_image(image(), PROFILE, [OTHER.public_key()]).failure is Failure.SIGNATURE
    assert check_image(b"not an image", PROFILE, key).failure is Failure.MALFORMED


def test_a_corrupted_block_fails_the_signature_and_the_hash_shows_it() -> None:
    data = bytearray(image())
    data[200] ^= 0xFF  # one byte of the Manufacturer Image, as a corrupted block would
    result = check_image(bytes(data), PROFILE, [SUPPLIER.public_key()])
    assert result.failure is Failure.SIGNATURE
    assert result.hash != check_image(image(), PROFILE, [SUPPLIER.public_key()]).hash


def test_the_download_slot_resumes_from_its_stored_offset_after_a_power_cycle() -> None:
    store = MemoryStateStore()
    data = image()
    slots = FirmwareSlots(store, "esme/firmware", bytes.fromhex("0123ABCD"))
    slots.start(ImageId(0xA0E1, 0x0081, 0x01020304), len(data))
    offset = 0
    while offset < CHUNK + 200:  # past a chunk boundary
        slots.append(offset, data[offset : offset + 64])
        offset += 64
    again = FirmwareSlots(store, "esme/firmware", bytes.fromhex("0123ABCD"))  # power cycle
    # the partial chunk in RAM is lost: the download resumes from the last whole chunk
    assert again.download is not None and again.download.offset == CHUNK
    offset = CHUNK
    while offset < len(data):
        again.append(offset, data[offset : offset + 64])
        offset += 64
    assert again.image() == data
    again.verified(manufacturer_image_sha256(parse_image(data)))
    assert again.activate() == bytes.fromhex("01020304")
    assert FirmwareSlots(store, "esme/firmware", b"\0" * 4).running_version == bytes.fromhex(
        "01020304"
    )


def test_a_discarded_download_leaves_the_running_version() -> None:
    store = MemoryStateStore()
    slots = FirmwareSlots(store, "p", bytes.fromhex("0123ABCD"))
    slots.start(ImageId(1, 2, 3), 10)
    slots.append(0, bytes(10))
    slots.discard()
    assert slots.download is None and slots.running_version == bytes.fromhex("0123ABCD")


def test_blocks_across_chunk_boundaries_resume_whole_after_any_power_cycle() -> None:
    """48-byte blocks straddle the 1 KiB chunks; a power cycle after any block, and a stale
    chunk of an earlier download, still give back the image byte for byte."""
    data = image()
    store = MemoryStateStore()
    slots = FirmwareSlots(store, "esme/firmware", bytes(4))
    slots.start(ImageId(9, 9, 9), len(data))  # an earlier download, dropped at 2.5 chunks
    for at in range(0, CHUNK * 5 // 2, 64):
        slots.append(at, bytes(64))
    slots.start(ImageId(0xA0E1, 0x0081, 0x01020304), len(data))
    rng = random.Random(3)
    while not (d := slots.download).complete:  # type: ignore[union-attr]
        slots.append(d.offset, data[d.offset : d.offset + 48])  # type: ignore[union-attr]
        if rng.random() < 0.05:
            slots = FirmwareSlots(store, "esme/firmware", bytes(4))  # power cycle
            d = slots.download
            assert d is not None and (d.offset % CHUNK == 0 or d.complete)
    assert slots.image() == data
    assert FirmwareSlots(store, "esme/firmware", bytes(4)).image() == data
