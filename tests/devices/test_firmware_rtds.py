"""CS06 and the firmware alerts against the RTDS vectors, byte for byte as far as the keys allow.

The RTDS keystore holds the Supplier's DS private key but not the ESME's: the Supplier's CS06
commands are rebuilt and signed with the real key (everything before the signature is equal, and
both signatures verify with the Supplier's certificate); the ESME's responses and alerts are
produced by ``DeviceFirmware`` from the RTDS inputs (its clock at the RTDS date-time, its counter,
its running and downloaded versions) and signed with a test key in the ESME's place: everything
before the signature equals the RTDS message.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    DS,
    KA,
    GeneralCiphering,
    GeneralSigning,
    MemoryKeyStore,
    MessageCode,
)
from emulator.codec.gbcs.asn1 import decode_asn1
from emulator.codec.gbcs.crypto import sign_message, verify_raw
from emulator.codec.gbcs.message import apdu_of, decode_message
from emulator.codec.zcl.ota import ImageId
from emulator.devices.firmware import AlertFormat, DeviceFirmware
from emulator.devices.firmware_slots import FirmwareSlots
from emulator.devices.gbcs_gate import Accepted, GbcsGate
from emulator.devices.ota_client import Verification
from emulator.han.clock import VirtualClock
from emulator.han.stack.state import MemoryStateStore
from rig.dcc import requests as r
from rig.dcc.firmware import activate_firmware_command
from rig.dcc.services import supplier_command
from tests.support.rtds import RTDS_KEYSTORE, rtds_bytes

ESME = Eui64("00DB1234567890A0")
GSME = Eui64("00DB1234567890A1")
SUPPLIER = Eui64("90B3D51F30010000")
ACB = Eui64("90B3D51F30000002")
RTDS_TIME = datetime.datetime(2015, 1, 1, tzinfo=datetime.UTC)
"""The date-time the RTDS responses and receipt alerts carry."""
RTDS_HASH = bytes.fromhex("AA758690730934FF0685AA758690730934FF0685657788990011223344556677")
FUTURE = datetime.datetime(2030, 1, 15, 9, 0, tzinfo=datetime.UTC)
STAND_IN = ec.derive_private_key(0xE5E, ec.SECP256R1())
"""A test DS key in the ESME's place (the RTDS keystore has the ESME's certificate only)."""
STAND_IN_KA = ec.derive_private_key(0xE5F, ec.SECP256R1())


def rtds(name: str) -> GeneralSigning:
    apdu = apdu_of(decode_message(rtds_bytes(name)))
    assert apdu is not None
    return apdu


def same_but_signature(ours: bytes, name: str) -> None:
    mine = apdu_of(decode_message(ours))
    assert mine is not None and mine.signature is not None
    theirs = rtds(name)
    assert mine.signed_data() == theirs.signed_data()
    assert verify_raw(STAND_IN.public_key(), mine.signed_data(), mine.signature)


# ---- the Supplier's CS06 commands ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "counter", "when"),
    [
        ("CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX", 1000, None),
        ("CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX", 1001, FUTURE),
    ],
)
def test_the_dccs_cs06_command_is_the_rtds_one_up_to_the_signature(
    name: str, counter: int, when: datetime.datetime | None
) -> None:
    message = decode_message(rtds_bytes(name))
    assert isinstance(message, GeneralCiphering)
    theirs = message.apdu
    content = activate_firmware_command(RTDS_HASH, counter, when)
    assert content == theirs.content
    rid = r.RequestId(SUPPLIER, ESME, counter)
    command = supplier_command(MessageCode.CS06_ACTIVATE_FIRMWARE, rid, ESME, content)
    key = RTDS_KEYSTORE.private_key(SUPPLIER, DS)
    assert key is not None
    signed = sign_message(command, key)
    assert signed.signed_data() == theirs.signed_data()
    supplier = RTDS_KEYSTORE.certificate(SUPPLIER, DS)
    assert supplier is not None
    for apdu in (signed, theirs):
        assert apdu.signature is not None
        assert verify_raw(supplier.public_key(), apdu.signed_data(), apdu.signature)  # type: ignore[arg-type]


# ---- the ESME's responses and alerts ------------------------------------------------------------


class Esme:
    """The ESME's (or ``device``'s) firmware use cases over a fresh store, at the RTDS
    date-time; ``counter`` is the device's last originator counter."""

    def __init__(
        self,
        running: int,
        downloaded: int | None,
        counter: int = 1999,
        device: Eui64 = ESME,
        alert_format: AlertFormat = AlertFormat.DLMS,
    ) -> None:
        self.keys = keys = MemoryKeyStore()
        keys.put_private_key(device, DS, STAND_IN)
        keys.put_private_key(device, KA, STAND_IN_KA)  # for the MAC'd 0x8F43 to the ACB
        acb_ka = RTDS_KEYSTORE.certificate(ACB, KA)
        assert acb_ka is not None
        keys.put_certificate(ACB, KA, acb_ka)
        self.clock = VirtualClock(epoch=RTDS_TIME)
        self.store = store = MemoryStateStore()
        store.save("gbcs/originator-counter", counter)
        self.gate = GbcsGate(device, keys, ACB, store, self.clock)
        self.slots = FirmwareSlots(store, "esme/firmware", running.to_bytes(4, "big"))
        if downloaded is not None:
            self.slots.start(ImageId(1, 2, downloaded), 4)
            self.slots.append(0, bytes(4))
            self.slots.verified(RTDS_HASH)
        self.firmware = DeviceFirmware(self.gate, self.clock, self.slots, alert_format, SUPPLIER)
        self.sent: list[bytes] = []

        async def send(gbcs: bytes) -> None:
            self.sent.append(gbcs)

        self.firmware.send = send

    def activate(self, command_name: str, counter: int | None = None) -> list[bytes]:
        apdu = rtds(command_name)
        if counter is not None:  # the RTDS error response answers a command it does not show
            apdu = GeneralSigning(
                apdu.cra, counter, apdu.originator, apdu.recipient, apdu.other_information,
                activate_firmware_command(RTDS_HASH, counter),
            )  # fmt: skip
        value: Any = decode_asn1("ActivateFirmwareCommand", apdu.content)
        return self.firmware.activate(Accepted(apdu, None), value)


async def test_the_immediate_success_response_is_the_rtds_one() -> None:
    esme = Esme(running=0x0123ABCD, downloaded=0x0123ABCE)
    response, changed = esme.activate("CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX")
    same_but_signature(response, "CS06_11.3_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX")
    assert changed  # and 0x8F43 to the ACB (no RTDS vector)


async def test_the_no_image_held_response_is_the_rtds_one() -> None:
    esme = Esme(running=0x0123ABCF, downloaded=None)
    (response,) = esme.activate("CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX", counter=1005)
    same_but_signature(response, "CS06_11.3_IMMEDIATE_ERROR_RESPONSE_GBCS.HEX")


async def test_the_future_dated_response_and_its_8f66_alert_are_the_rtds_ones() -> None:
    esme = Esme(running=0x0123ABCD, downloaded=0x0123ABCF)
    (response,) = esme.activate("CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX")
    same_but_signature(response, "CS06_11.3_FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX")
    await esme.firmware.aclose()  # a power-off; on again at the execution time (15 years on)
    later = VirtualClock(epoch=FUTURE)
    slots = FirmwareSlots(esme.store, "esme/firmware", bytes(4))
    gate = GbcsGate(ESME, esme.keys, ACB, esme.store, later)
    firmware = DeviceFirmware(gate, later, slots, AlertFormat.DLMS, SUPPLIER)
    sent: list[bytes] = []

    async def send(gbcs: bytes) -> None:
        sent.append(gbcs)

    firmware.send = send
    await later.sleep(1)
    alert, _changed_8f43 = sent
    same_but_signature(alert, "CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX")
    assert slots.running_version == bytes.fromhex("0123ABCF")
    assert firmware.pending_activations() == []


async def test_the_receipt_alerts_are_the_rtds_ones() -> None:
    esme = Esme(running=0x0123ABCD, downloaded=None)
    verification = Verification(ImageId(1, 2, 3), bytes([1]) * 32)
    same_but_signature(
        esme.firmware.receipt_alert(verification), "FDRA-DLMS_NA_8F72_ALERT_GBCS.HEX"
    )
    gsme = Esme(0x0123ABCD, None, counter=2999, device=GSME, alert_format=AlertFormat.GBZ)
    verification = Verification(ImageId(1, 2, 3), bytes([0xA1]) * 32)
    same_but_signature(
        gsme.firmware.receipt_alert(verification), "FDRA-ZigBee_NA_8F72_ALERT_GBCS.HEX"
    )
