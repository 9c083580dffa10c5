"""The device's GBCS gate across a power cycle: what it accepted stays accepted once, and its own
originator counter keeps rising."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    DS,
    AlertCode,
    GeneralSigning,
    MemoryKeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    analyse,
    protect,
)
from emulator.codec.gbcs.asn1 import DeviceType as JoinDeviceType
from emulator.codec.gbcs.asn1 import JoinMethodAndRole, encode_asn1
from emulator.codec.gbcs.crypto import sign_pre_command
from emulator.codec.gbcs.dlms import Data
from emulator.codec.gbcs.firmware_version import ecs52_command
from emulator.devices.gbcs_gate import Accepted, GbcsGate, Rejected
from emulator.han.clock import VirtualClock
from emulator.han.stack.state import MemoryStateStore, SqliteStateStore
from emulator.pki.smki import RemotePartyRole, TestSmki, memory_store

ACB = Eui64("90-B3-D5-1F-30-00-00-02")
SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-00")
ESME = Eui64("00-DB-12-34-56-78-90-A0")


async def test_anti_replay_and_own_counter_survive_a_power_cycle(tmp_path: Path) -> None:
    smki = TestSmki(seed="gate")
    acb = smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER)
    esme = smki.issue_device_pair(ESME)
    dcc_keys, esme_keys = memory_store(acb), memory_store(esme)
    for c in esme:
        dcc_keys.put_certificate(c.eui, c.usage, c.certificate)
    for c in acb:
        esme_keys.put_certificate(c.eui, c.usage, c.certificate)

    def ecs52(counter: int) -> bytes:
        return ecs52_command(SUPPLIER, counter, ESME, dcc_keys, ACB).encode()

    clock = VirtualClock()

    def power_on() -> GbcsGate:
        return GbcsGate(ESME, esme_keys, ACB, SqliteStateStore(tmp_path / "esme.sqlite"), clock)

    gate = power_on()
    assert isinstance(gate.check(ecs52(1000)), Accepted)
    first = gate.alert(MessageCode.GENERIC_NON_CRITICAL_ALERT, Data.null())

    gate = power_on()  # a power cycle: the same non-volatile state, a new actor
    refused = gate.check(ecs52(1000))
    assert refused == Rejected("replayed counter", AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE)
    alert = gate.rejection_alert(refused)
    assert alert is not None
    checked = analyse(alert.encode(), dcc_keys, ACB)
    assert checked.mac is Verdict.VALID and checked.apdu is not None
    assert checked.apdu.originator_counter > first.apdu.originator_counter
    assert isinstance(gate.check(ecs52(1001)), Accepted)  # a fresh counter still passes


def _critical_parties() -> tuple[MemoryKeyStore, MemoryKeyStore, MemoryKeyStore, TestSmki]:
    """The DCC's, the Supplier's and the ESME's keystores: the ESME trusts the Supplier's DS key."""
    smki = TestSmki(seed="critical")
    acb = smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER)
    supplier = smki.issue_organisation_pair(SUPPLIER, RemotePartyRole.SUPPLIER)
    esme = smki.issue_device_pair(ESME)
    dcc_keys, supplier_keys, esme_keys = (
        memory_store(acb),
        memory_store(supplier),
        memory_store(esme),
    )
    for c in esme:
        dcc_keys.put_certificate(c.eui, c.usage, c.certificate)
        supplier_keys.put_certificate(c.eui, c.usage, c.certificate)
    for c in (*acb, *supplier):
        esme_keys.put_certificate(c.eui, c.usage, c.certificate)
    return dcc_keys, supplier_keys, esme_keys, smki


def _cs03a1(counter: int) -> GeneralSigning:
    """The Pre-Command of RTDS CS03A1: join the HCALCS ...9A to the ESME as Method A initiator."""
    payload = encode_asn1(
        "JoinDeviceCommand",
        {
            "joinMethodAndRole": JoinMethodAndRole.METHOD_A_INITIATOR,
            "otherDeviceEntityIdentifier": bytes.fromhex("00DB12345678909A"),
            "otherDeviceType": JoinDeviceType.HCALCS,
        },
    )
    code = OtherInformation(MessageCode.CS03A1_METHOD_A_JOIN_METER)
    return GeneralSigning(CRA.COMMAND, counter, SUPPLIER, ESME, code, payload)


def test_a_critical_command_needs_its_suppliers_signature_and_gets_a_signed_response() -> None:
    dcc_keys, supplier_keys, esme_keys, smki = _critical_parties()
    gate = GbcsGate(ESME, esme_keys, ACB, MemoryStateStore())
    supplier_ds = supplier_keys.private_key(SUPPLIER, DS)
    assert supplier_ds is not None

    def sent(apdu: GeneralSigning) -> bytes:  # what the ACB puts on the WAN: the MAC added
        return protect(apdu, dcc_keys, ACB).encode()

    unsigned = gate.check(sent(_cs03a1(1000)))
    assert unsigned == Rejected("signature", AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE)
    stranger = smki.issue_organisation(
        Eui64("90-B3-D5-1F-30-01-00-09"), RemotePartyRole.SUPPLIER, DS
    )
    forged = replace(_cs03a1(1001), originator=stranger.eui)
    refused = gate.check(sent(sign_pre_command(forged, stranger.private_key)))
    assert refused == Rejected(
        "unknown signer", AlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND
    )
    tampered = sign_pre_command(_cs03a1(1002), supplier_ds)
    tampered = replace(tampered, content=tampered.content[:-1] + b"\x05")  # the type, after signing
    assert gate.check(sent(tampered)).reason == "signature"  # type: ignore[union-attr]

    accepted = gate.check(sent(sign_pre_command(_cs03a1(1003), supplier_ds)))
    assert isinstance(accepted, Accepted)
    response = gate.reply(accepted.apdu, encode_asn1("JoinDeviceResponse", 0))
    checked = analyse(response, supplier_keys, ACB)  # the Supplier checks the ESME's signature
    assert isinstance(checked.message, GeneralSigning)  # signed only: no MAC header
    assert checked.signature is Verdict.VALID
    assert checked.apdu is not None and checked.apdu.originator_counter == 1003
    assert gate.rejected == {"signature": 2, "unknown signer": 1}
