"""A device's Supplier trust anchor across a change of supplier (``trust_anchors.py`` through
``GbcsGate``): CS02b supplierByTransCoS from the DCC's TransCoS party replaces supplier A's
certificates with B's; signed by anyone else it is 0x8F30 and changes nothing; A's critical
commands injected past the DCC afterwards are 0x8F30; the replacement survives a power cycle."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    DS,
    KA,
    AlertCode,
    GeneralSigning,
    MemoryKeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    analyse,
    protect,
)
from emulator.codec.gbcs.asn1 import decode_asn1, encode_asn1
from emulator.codec.gbcs.crypto import sign_message
from emulator.codec.gbcs.dlms import DataNotification
from emulator.devices import trust_anchors
from emulator.devices.gbcs_gate import Accepted, GbcsGate, Rejected
from emulator.han.stack.state import SqliteStateStore
from rig.scenarios.premises import ACB, TRANS_COS, PremisesKeys, premises_keys

SUPPLIER_A = Eui64("90-B3-D5-1F-30-01-00-00")
SUPPLIER_B = Eui64("90-B3-D5-1F-30-02-00-00")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
SEED = "test-trust-anchors"
CS02B = MessageCode.CS02B_UPDATE_SECURITY_CREDENTIALS_SUPPLIERBYTRANSCOS


def fresh_keys() -> PremisesKeys:
    """The keys as manufactured and installed: the ESME holds the ACB's, the TransCoS party's
    and supplier A's certificates (the same every call: a power cycle starts from these)."""
    return premises_keys(SEED, (ESME,), (SUPPLIER_A, SUPPLIER_B))


@pytest.fixture
def keys() -> PremisesKeys:
    return fresh_keys()


class Device:
    """The ESME's GBCS gate over its keystore and a state store on disk."""

    def __init__(self, keys: PremisesKeys, path: Path) -> None:
        self.keystore: MemoryKeyStore = keys.devices[ESME]
        self.store = SqliteStateStore(path)
        self.gate = GbcsGate(ESME, self.keystore, ACB, self.store)


def command(keys: PremisesKeys, signer: Eui64, code: int, content: bytes, counter: int) -> bytes:
    """A critical command from ``signer`` to the ESME, signed by it and MAC'd by the ACB."""
    key = keys.dcc.private_key(signer, DS) or keys.suppliers[signer].private_key(signer, DS)
    assert key is not None
    apdu = GeneralSigning(
        CRA.COMMAND, counter, signer, ESME, OtherInformation(code, SUPPLIER_B, 7), content
    )
    return protect(sign_message(apdu, key), keys.dcc, ACB).encode()


def replacement(keys: PremisesKeys, signer: Eui64 = TRANS_COS, counter: int = 1) -> bytes:
    """CS02b putting supplier B's certificates on the ESME, as the DCC builds it for 6.23."""
    certs = {
        field: cert.public_bytes(Encoding.DER)
        for field, usage in (
            ("newSupplierDigitalSigningCertificate", DS),
            ("newSupplierKeyAgreementCertificate", KA),
        )
        if (cert := keys.dcc.certificate(SUPPLIER_B, usage)) is not None
    }
    content = encode_asn1("SupplierTrustAnchorReplacement", certs)
    return command(keys, signer, CS02B, content, counter)


def set_clock(keys: PremisesKeys, signer: Eui64, counter: int) -> bytes:
    """A GCS28 Set Clock (critical): the gate checks its envelope, MAC, counter and signature
    whichever device it is for; acting on it is the device's business."""
    now = datetime.datetime(2026, 3, 1, 12)
    interval = {
        "validityIntervalStart": now,
        "validityIntervalEnd": now + datetime.timedelta(hours=1),
    }
    content = encode_asn1("SetTimeCommand", interval)
    return command(keys, signer, MessageCode.GCS28_SET_CLOCK_ON_GSME, content, counter)


def alert_code(keys: PremisesKeys, replies: list[bytes]) -> int:
    [alert] = replies
    analysis = analyse(alert, keys.dcc, ACB)
    assert analysis.mac is Verdict.VALID
    assert analysis.apdu is not None and analysis.apdu.cra is CRA.ALERT
    assert isinstance(analysis.payload, DataNotification)
    return analysis.payload.alert_code


def suppliers(device: Device) -> set[Eui64]:
    return trust_anchors.suppliers(device.keystore)


def test_the_trans_cos_party_replaces_supplier_a_with_b(keys: PremisesKeys, tmp_path: Path) -> None:
    device = Device(keys, tmp_path / "esme.sqlite")
    assert suppliers(device) == {SUPPLIER_A}
    accepted = device.gate.check(replacement(keys))
    assert isinstance(accepted, Accepted)
    [reply] = device.gate.update_security_credentials(accepted) or []
    response = analyse(reply, keys.dcc, ACB)
    assert response.signature is Verdict.VALID and response.mac is Verdict.ABSENT  # critical
    assert response.apdu is not None and response.apdu.recipient == TRANS_COS
    assert decode_asn1("SupplierTrustAnchorReplacementResponse", response.apdu.content) == 0
    assert suppliers(device) == {SUPPLIER_B}


@pytest.mark.parametrize("signer", [SUPPLIER_A, ACB])
def test_a_replacement_signed_by_anyone_but_the_trans_cos_party_is_0x8f30(
    keys: PremisesKeys, tmp_path: Path, signer: Eui64
) -> None:
    """Supplier A and the ACB are parties the ESME knows, whose signature verifies: the command
    passes the gate's checks, but only a Transitional CoS party may replace a Supplier anchor."""
    device = Device(keys, tmp_path / "esme.sqlite")
    accepted = device.gate.check(replacement(keys, signer))
    assert isinstance(accepted, Accepted)
    replies = device.gate.update_security_credentials(accepted)
    assert replies is not None
    assert alert_code(keys, replies) == AlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND
    assert suppliers(device) == {SUPPLIER_A} and device.gate.rejected == {"unknown signer": 1}


def test_a_replacement_signed_by_a_party_the_device_does_not_know_is_0x8f30(
    keys: PremisesKeys, tmp_path: Path
) -> None:
    device = Device(keys, tmp_path / "esme.sqlite")
    rejected = device.gate.check(replacement(keys, SUPPLIER_B))  # B is no anchor of the ESME
    assert isinstance(rejected, Rejected)
    assert rejected.alert == AlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND
    assert suppliers(device) == {SUPPLIER_A}


def test_the_losing_suppliers_critical_commands_are_0x8f30_after_the_replacement(
    keys: PremisesKeys, tmp_path: Path
) -> None:
    """Supplier A still has its keys and the ACB still MACs for it (a command injected past the
    DCC's E4): the ESME no longer trusts A's signature, and B's is accepted."""
    device = Device(keys, tmp_path / "esme.sqlite")
    before = device.gate.check(set_clock(keys, SUPPLIER_A, 10))
    assert isinstance(before, Accepted)  # A's commands were fine before
    accepted = device.gate.check(replacement(keys, counter=2))
    assert isinstance(accepted, Accepted) and device.gate.update_security_credentials(accepted)
    after = device.gate.check(set_clock(keys, SUPPLIER_A, 11))
    assert isinstance(after, Rejected)
    assert after.alert == AlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND
    assert alert_code(keys, device.gate.rejection_replies(after)) == after.alert
    assert isinstance(device.gate.check(set_clock(keys, SUPPLIER_B, 1)), Accepted)


def test_the_replacement_survives_a_power_cycle(keys: PremisesKeys, tmp_path: Path) -> None:
    device = Device(keys, tmp_path / "esme.sqlite")
    accepted = device.gate.check(replacement(keys))
    assert isinstance(accepted, Accepted) and device.gate.update_security_credentials(accepted)
    # power cycle: the keystore as manufactured (A's anchor), the state store from disk
    again = Device(fresh_keys(), tmp_path / "esme.sqlite")
    assert suppliers(again) == {SUPPLIER_B}
    assert isinstance(again.gate.check(set_clock(keys, SUPPLIER_B, 2)), Accepted)
    refused = again.gate.check(set_clock(keys, SUPPLIER_A, 20))
    assert isinstance(refused, Rejected)
    assert refused.alert == AlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND
    # and the replacement's counter is not open again: a replay of it is refused
    replayed = again.gate.check(replacement(keys))
    assert isinstance(replayed, Rejected) and replayed.reason == "replayed counter"
