"""The dual-band hub's sub-GHz management: the RTDS DBCH commands answered byte for byte (response
and alert, MACs included), range validation, scan assessment and the channel-change sequence,
the duty-cycle walk with its alerts and Suspend ZCL Messages, DBCH10/11, a single-band hub."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from support.rtds import RTDS_KEYSTORE, rtds_bytes

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import GeneralCiphering, decode_message, protect
from emulator.codec.gbcs.dlms import AccessResponse, DataNotification, decode_dlms
from emulator.codec.gbcs.sub_ghz import (
    ChannelPage,
    DiscardedMessage,
    ScanAssessment,
    SubGhzChannel,
    dbch04_payload,
)
from emulator.codec.zcl.metering import FunctionalNotificationFlags
from emulator.devices.comms_hub import CommsHub
from emulator.devices.duty_cycle import DutyCycleMonitor, limits_for
from emulator.devices.sub_ghz import SubGhzFunction
from emulator.han.clock import VirtualClock
from emulator.han.radio import DutyCycleState
from emulator.han.stack.state import MemoryStateStore

ACB = Eui64("90B3D51F30000002")
CHF = Eui64("00DB1234567890A2")
GSME = Eui64("00DB1234567890A1")
ESME = Eui64("00DB1234567890A0")
RTDS_TIME = datetime(2015, 1, 1, tzinfo=UTC)


@dataclass
class FakePort:
    eui64: Eui64 = CHF
    sent: list[tuple[Eui64 | int, int, bytes]] = field(default_factory=list)
    removed: list[Eui64] = field(default_factory=list)

    async def send(
        self, destination: Eui64 | int, *, cluster: int, payload: bytes, **_: Any
    ) -> None:
        self.sent.append((destination, cluster, payload))

    async def remove_device(self, eui64: Eui64) -> None:
        self.removed.append(eui64)


@dataclass
class FakeBand:
    usage: dict[Eui64, float] = field(default_factory=dict)
    channels: list[SubGhzChannel] = field(default_factory=list)

    def devices(self) -> Iterable[Eui64]:
        return list(self.usage)

    def duty_cycle(self, device: Eui64) -> float:
        return self.usage[device]

    async def retune(self, channel: SubGhzChannel) -> None:
        self.channels.append(channel)


@dataclass
class Rig:
    clock: VirtualClock
    hub: CommsHub
    band: FakeBand
    port: FakePort
    wan: list[bytes]
    flags: list[tuple[FunctionalNotificationFlags, bool]]


def rig(dual_band: bool = True, store: MemoryStateStore | None = None) -> Rig:
    clock = VirtualClock(RTDS_TIME)
    store = store or MemoryStateStore()
    store.save("gbcs/originator-counter", 3999)  # the RTDS alerts carry 4000
    band, port = FakeBand({GSME: 0.0}), FakePort()
    flags: list[tuple[FunctionalNotificationFlags, bool]] = []
    sub = (
        SubGhzFunction(store, clock, band, port, set_gsme_flag=lambda f, on: flags.append((f, on)))
        if dual_band
        else None
    )
    hub = CommsHub(port, RTDS_KEYSTORE, ACB, store, clock, sub_ghz=sub)  # type: ignore[arg-type]
    wan: list[bytes] = []
    hub._to_wan = lambda _d, g: wan.append(g)  # type: ignore[method-assign]
    if sub is not None:
        sub.bind(hub.gate, wan.append)
    return Rig(clock, hub, band, port, wan, flags)


def body(gbcs: bytes) -> tuple[int, int, Any]:
    m = decode_message(gbcs)
    assert isinstance(m, GeneralCiphering)
    n = decode_dlms(m.apdu.content)
    assert isinstance(n, DataNotification)
    items = n.body.items
    return m.apdu.message_code, items[0].value, items[2] if len(items) > 2 else None  # type: ignore[return-value]


def command(name: str, counter: int | None = None, content: bytes | None = None) -> bytes:
    m = decode_message(rtds_bytes(name))
    assert isinstance(m, GeneralCiphering)
    if counter is None and content is None:
        return rtds_bytes(name)
    from dataclasses import replace

    apdu = replace(
        m.apdu,
        originator_counter=counter or m.apdu.originator_counter,
        content=content or m.apdu.content,
    )
    return protect(apdu, RTDS_KEYSTORE, ACB).encode()


async def test_dbch04_response_and_dbch09_alert_are_the_rtds_ones() -> None:
    r = rig()
    out = await r.hub.on_gbcs(rtds_bytes("DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX"))
    assert out == [
        rtds_bytes("DBCH04_6.28_SUCCESS_RESPONSE_GBCS.HEX"),
        rtds_bytes("DBCH04_6.28_NA_SUCCESS_ALERT_DBCH09_GBCS.HEX"),
    ]
    assert r.hub.sub_ghz is not None
    assert r.hub.sub_ghz.monitor.limits.limited == 0.013  # applied at once


async def test_dbch01_response_is_the_rtds_one_and_dbch05_is_assessed() -> None:
    r = rig()
    assert await r.hub.on_gbcs(rtds_bytes("DBCH01_6.31_SUCCESS_COMMAND_GBCS.HEX")) == [
        rtds_bytes("DBCH01_6.31_SUCCESS_RESPONSE_GBCS.HEX")
    ]
    out = await r.hub.on_gbcs(command("DBCH05_6.29_SUCCESS_COMMAND_GBCS.HEX", counter=1301))
    assert len(out) == 2
    code, alert, outcome = body(out[1])
    assert (code, alert) == (0x0112, 0x8F28)
    # the accepted outcome: the RTDS DBCH08 body
    assert outcome.encode() == bytes.fromhex("020209010009010 0".replace(" ", ""))


async def test_configuration_out_of_range_is_refused_and_nothing_changes() -> None:
    r = rig()
    good = decode_dlms(dbch04_payload(1300, _rtds_config()))
    assert good is not None
    bad = dbch04_payload(1301, _rtds_config()).replace(
        bytes.fromhex("120082"), bytes.fromhex("120014")
    )
    out = await r.hub.on_gbcs(command("DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX", 1301, bad))
    assert len(out) == 1  # no DBCH09
    m = decode_message(out[0])
    assert isinstance(m, GeneralCiphering)
    response = decode_dlms(m.apdu.content)
    assert isinstance(response, AccessResponse) and response.results[0].result == 250
    assert r.hub.sub_ghz is not None
    assert r.hub.sub_ghz.configuration.normal_limited_duty_cycle_threshold == 150


def _rtds_config() -> Any:
    from emulator.codec.gbcs.dlms import decode_dlms as d
    from emulator.codec.gbcs.sub_ghz import SubGhzConfiguration

    m = decode_message(rtds_bytes("DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX"))
    assert isinstance(m, GeneralCiphering)
    return SubGhzConfiguration.from_data(d(m.apdu.content).data[0])  # type: ignore[union-attr]


async def test_channel_change_sequence_via_the_gsme_flags_then_dbch07_and_the_log() -> None:
    r = rig()
    sub = r.hub.sub_ghz
    assert sub is not None

    async def main() -> None:
        await r.hub.on_gbcs(rtds_bytes("DBCH05_6.29_SUCCESS_COMMAND_GBCS.HEX"))
        await asyncio.sleep(0)
        assert sub.pending_change == SubGhzChannel(ChannelPage.PAGE_28, 1)
        assert r.flags == [(FunctionalNotificationFlags.NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE, True)]
        assert r.band.channels == []  # waits for the GSME
        await r.clock.sleep(sub.configuration.gsme_curfew * 60 + 1)

    await main()
    assert r.band.channels == [SubGhzChannel(ChannelPage.PAGE_28, 1)]
    assert r.flags[-1] == (FunctionalNotificationFlags.NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE, False)
    code, alert, changed = body(r.wan[-1])
    assert (code, alert) == (0x0111, 0x8F26)
    assert changed.encode() == bytes.fromhex("02020420E000000209 0100".replace(" ", ""))
    assert [e.channel.word for e in sub.log_entries] == [0xE0000002]
    # a second scan the same day: too many
    assert sub.assess_scan() is ScanAssessment.TOO_MANY_SCANS_TODAY


async def test_scan_assessment_outcomes_in_order() -> None:
    r = rig()
    sub = r.hub.sub_ghz
    assert sub is not None
    assert sub.assess_scan() is ScanAssessment.SCAN_REQUEST_ACCEPTED
    sub.gsme_ota_underway = lambda: True
    assert sub.assess_scan() is ScanAssessment.GSME_OTA_DISTRIBUTION_UNDERWAY
    sub.joining_permitted = lambda: True
    assert sub.assess_scan() is ScanAssessment.JOINING_IS_CURRENTLY_PERMITTED
    sub.monitor.states[GSME] = DutyCycleState.LIMITED
    assert sub.assess_scan() is ScanAssessment.DUTY_CYCLE_USAGE_IS_TOO_HIGH


def test_monitor_walks_every_threshold_up_and_down() -> None:
    m = DutyCycleMonitor(limits_for(_rtds_config()))  # 1.3 %, 2.2 %, 2.78 %
    up = m.update([(GSME, 0.03)])
    assert [(s.new, int(s.alert)) for s in up] == [
        (DutyCycleState.LIMITED, 0x8F20),
        (DutyCycleState.CRITICAL, 0x8F22),
        (DutyCycleState.SUSPENDED, 0x8F24),
    ]
    down = m.update([(GSME, 0.0)])
    assert [int(s.alert) for s in down] == [0x8F25, 0x8F23, 0x8F21]
    assert m.update([(GSME, 0.0129)]) == []


async def test_duty_cycle_alerts_suspend_zcl_and_dbch10() -> None:
    r = rig()
    sub = r.hub.sub_ghz
    assert sub is not None
    r.band.usage[ESME] = 0.0
    r.band.usage[GSME] = 0.016  # Limited at the default 1.5 %
    await sub.sample()
    code, alert, device = body(r.wan[-1])
    assert (code, alert, device.value) == (0x0110, 0x8F20, GSME.big())
    assert [(d, c) for d, c, _ in r.port.sent] == [(GSME, 0x070B)]
    assert r.port.sent[-1][2][-2:] == bytes([0x00, 60])  # suspend_zcl_messages, 60 minutes
    r.band.usage[GSME] = 0.0279  # Critical then Regulated
    await sub.sample()
    assert [body(g)[1] for g in r.wan[-2:]] == [0x8F22, 0x8F24]
    assert {d for d, _, _ in r.port.sent[1:]} == {GSME, ESME}  # everyone at Critical
    # a command for the silenced GSME is discarded with its identity
    out = await r.hub.on_gbcs(_to_gsme())
    code, alert, identity = body(out[0])
    assert (code, alert) == (0x0114, 0x8F2C)
    assert DiscardedMessage.from_bytes(identity.value) == DiscardedMessage(
        Eui64("90B3D51F30010000"), GSME, 1, 1000
    )
    r.band.usage[GSME] = 0.0
    await sub.sample()
    assert [body(g)[1] for g in r.wan[-3:]] == [0x8F25, 0x8F23, 0x8F21]
    assert r.port.sent[-1][2][-1] == 0  # lifted


def _to_gsme() -> bytes:
    from dataclasses import replace

    m = decode_message(rtds_bytes("DBCH01_6.31_SUCCESS_COMMAND_GBCS.HEX"))
    assert isinstance(m, GeneralCiphering)
    return protect(replace(m.apdu, recipient=GSME), RTDS_KEYSTORE, ACB).encode()


async def test_dbch11_beyond_capacity() -> None:
    r = rig()
    sub = r.hub.sub_ghz
    assert sub is not None
    others = [Eui64(0x00DB1234567890B0 + i) for i in range(4)]
    assert sub.admit(others[0], others[1:]) is None
    alert = sub.admit(GSME, others)
    assert alert is not None
    code, value, device = body(alert)
    assert (code, value, device.value) == (0x0115, 0x8F2D, GSME.big())


async def test_single_band_hub_answers_object_undefined() -> None:
    r = rig(dual_band=False)
    (out,) = await r.hub.on_gbcs(rtds_bytes("DBCH01_6.31_SUCCESS_COMMAND_GBCS.HEX"))
    m = decode_message(out)
    assert isinstance(m, GeneralCiphering)
    response = decode_dlms(m.apdu.content)
    assert isinstance(response, AccessResponse) and response.results[0].result == 4


async def test_configuration_channel_and_log_survive_a_power_cycle() -> None:
    store = MemoryStateStore()
    r = rig(store=store)
    await r.hub.on_gbcs(rtds_bytes("DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX"))
    again = rig(store=store)
    assert again.hub.sub_ghz is not None
    assert again.hub.sub_ghz.configuration == _rtds_config()


@pytest.mark.parametrize("name", ["DBCH03_6.30_SUCCESS_RESPONSE_GBCS.HEX"])
def test_dbch03_answer_layout(name: str) -> None:
    m = decode_message(rtds_bytes(name))
    assert isinstance(m, GeneralCiphering) and m.apdu.message_code == 0x010C


async def test_on_joined_evicts_a_sub_ghz_joiner_beyond_capacity_with_dbch11() -> None:
    """A join on the sub-GHz band beyond ``capacity`` (4): the joiner is removed and DBCH11
    names it; joins within capacity, or on 2.4 GHz (not on the band), stay."""
    r = rig()
    sub = r.hub.sub_ghz
    assert sub is not None
    others = [Eui64(0x00DB1234567890B0 + i) for i in range(3)]
    for device in others:  # GSME and three more: four, the capacity
        r.band.usage[device] = 0.0
        assert await sub.on_joined(device)
    assert r.port.removed == [] and r.wan == []
    assert await sub.on_joined(Eui64(0x00DB1234567890C0))  # not on the band: 2.4 GHz
    late = Eui64(0x00DB1234567890BF)
    r.band.usage[late] = 0.0
    assert not await sub.on_joined(late)
    assert r.port.removed == [late]
    code, alert, device = body(r.wan[-1])
    assert (code, alert, device.value) == (0x0115, 0x8F2D, late.big())
    assert len(r.wan) == 1
