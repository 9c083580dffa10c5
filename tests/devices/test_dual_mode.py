"""The dual-mode PPMID's personality signal and the SMETS1 hub, frame by frame (zigpy parses)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, cast

from zigpy.zcl import foundation

from emulator.codec.eui64 import Eui64
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.tunneling import ProtocolId
from emulator.devices.dual_mode import (
    BASIC,
    SW_BUILD_ID,
    DualModePpmid,
    FirmwareReport,
    Personality,
    PersonalitySelection,
    dual_mode_profile,
    faulty_smets2_in_smets1_profile,
    faulty_wrong_firmware_profile,
)
from emulator.devices.registers import PREPAYMENT
from emulator.devices.smets1_hub import Smets1Hub, Smets1HubProfile
from emulator.devices.tunnel import TUNNELING, TunnelServer
from emulator.han.clock import VirtualClock
from emulator.han.port import ApsMessage, HanPort
from emulator.han.stack.state import MemoryStateStore
from rig.scenarios.premises import ACB, premises_keys

HUB = Eui64("00DB1234567890A2")
PPMID = Eui64("00DB1234567890A4")
ESME = Eui64("00DB1234567890A0")
REAL, FICTITIOUS = bytes.fromhex("0004012F"), bytes.fromhex("F004012F")


@dataclass
class FakePort:
    eui64: Eui64 = HUB
    sent: list[tuple[Eui64 | int, int, bytes]] = field(default_factory=list)
    admitted: list[tuple[Eui64, bytes]] = field(default_factory=list)

    async def send(
        self, destination: Eui64 | int, *, cluster: int, payload: bytes, **_: Any
    ) -> None:
        self.sent.append((destination, cluster, payload))

    async def permit_joining(self, eui64: Eui64, link_key: bytes, seconds: float) -> None:
        self.admitted.append((eui64, link_key))

    async def remove_device(self, eui64: Eui64) -> None:
        pass


def message(cluster: int, frame: zcl.ZclFrame, secured: bool = True) -> ApsMessage:
    return ApsMessage(PPMID, 0x1234, 1, 1, cluster, 0x0109, frame.encode(), secured)


def probe() -> zcl.ZclFrame:
    return zcl.build_command(TUNNELING, "get_supported_tunnel_protocols", tsn=7, protocol_offset=0)


async def test_a_gb_tunnel_server_lists_gb_hgrp() -> None:
    port = FakePort()

    async def nothing(_: bytes) -> list[bytes]:
        return []

    await TunnelServer(cast(HanPort, port), nothing).handle(message(TUNNELING, probe()))
    [(to, cluster, payload)] = port.sent
    answer = zcl.decode_zcl(payload)
    parsed: Any = zcl.parse_command(TUNNELING, answer)
    assert (to, cluster, answer.tsn, answer.command_id) == (PPMID, TUNNELING, 7, 0x05)
    assert [(p.manufacturer_code, p.protocol_id) for p in parsed.protocol_list] == [
        (0xFFFF, ProtocolId.GB_HGRP)
    ]


def smets1_hub(port: FakePort) -> Smets1Hub:
    clock = VirtualClock()
    return Smets1Hub(cast(HanPort, port), clock, MemoryStateStore(), Smets1HubProfile("s1", ESME))


async def test_a_smets1_hub_has_no_tunneling_cluster() -> None:
    port = FakePort()
    await smets1_hub(port).handle(message(TUNNELING, probe()))
    [(_, _, payload)] = port.sent
    answer = zcl.decode_zcl(payload)
    parsed: Any = zcl.parse_command(TUNNELING, answer)
    assert answer.is_global and parsed.status == foundation.Status.UNSUPPORTED_CLUSTER


async def test_the_smets1_esi_serves_only_devices_the_s1sp_joined() -> None:
    port = FakePort()
    hub = smets1_hub(port)
    read = zcl.read_attributes([0x0001], tsn=3)
    await hub.handle(message(PREPAYMENT, read))
    refusal: Any = zcl.parse_command(PREPAYMENT, zcl.decode_zcl(port.sent[-1][2]))
    assert refusal.status == foundation.Status.NOT_AUTHORIZED
    assert (await hub.join(PPMID, ESME)).ok is False  # not on the Device Log yet
    assert (await hub.add_device(PPMID, "PPMID", bytes(16), 60)).ok
    assert port.admitted and port.admitted[0][0] == PPMID
    assert (await hub.join(PPMID, ESME)).ok
    await hub.handle(message(PREPAYMENT, read))
    values = zcl.read_attributes_result(zcl.decode_zcl(port.sent[-1][2]))
    assert values == {0x0001: hub.registers.credit_remaining}
    await hub.handle(message(PREPAYMENT, read, secured=False))  # only APS secured
    refusal = zcl.parse_command(PREPAYMENT, zcl.decode_zcl(port.sent[-1][2]))
    assert refusal.status == foundation.Status.NOT_AUTHORIZED


def test_profiles_state_their_differences() -> None:
    good = dual_mode_profile(REAL, FICTITIOUS)
    assert good.behaviour(Personality.SMETS2_PLUS).firmware_report is FirmwareReport.GBCS_CS08
    assert good.behaviour(Personality.SMETS1).firmware_version == FICTITIOUS
    assert good.behaviour(Personality.SMETS1).gbcs_on_han is False
    faulty = faulty_smets2_in_smets1_profile(REAL)
    assert faulty.selection is PersonalitySelection.ALWAYS_SMETS2_PLUS
    wrong = faulty_wrong_firmware_profile(REAL, FICTITIOUS)
    assert wrong.behaviour(Personality.SMETS1).firmware_version == FICTITIOUS
    assert (BASIC, SW_BUILD_ID) == (0x0000, 0x4000)


async def test_aclose_leaves_a_future_dated_activation_stored_for_the_next_power_on() -> None:
    """A power-off (``aclose``) disarms the stored future-dated CS06; the next actor over the
    same store arms it again, and runs it at once when its time passed meanwhile."""
    clock = VirtualClock()
    keys = premises_keys("dual-mode-aclose", devices=(PPMID,))
    store = MemoryStateStore()
    when = clock.datetime() + datetime.timedelta(seconds=60)
    pending = [{"when": when.isoformat(), "originator": ACB.hex, "counter": 7}]
    store.save("ppmid/firmware/pending-activations", pending)
    port = cast(HanPort, FakePort(PPMID))

    def power_on() -> DualModePpmid:
        return DualModePpmid(
            port, clock, dual_mode_profile(REAL), store, keys.devices[PPMID], ACB,
            trust_centre=HUB,
        )  # fmt: skip

    await power_on().aclose()
    await clock.sleep(120)
    assert store.load("ppmid/firmware/pending-activations") == pending
    again = power_on()
    await clock.sleep(1)
    assert store.load("ppmid/firmware/pending-activations") == []
    await again.aclose()
