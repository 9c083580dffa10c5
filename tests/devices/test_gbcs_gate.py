"""The device's GBCS gate across a power cycle: what it accepted stays accepted once, and its own
originator counter keeps rising."""

from __future__ import annotations

from pathlib import Path

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    AlertCode,
    MessageCode,
    Verdict,
    analyse,
)
from emulator.codec.gbcs.dlms import Data
from emulator.codec.gbcs.firmware_version import ecs52_command
from emulator.devices.gbcs_gate import Accepted, GbcsGate, Rejected
from emulator.han.clock import VirtualClock
from emulator.han.stack.state import SqliteStateStore
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
