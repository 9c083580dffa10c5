"""Dual-band Communications Hubs, positive and negative, on the HIL plugin's premises.

A dual-band premises (``DUAL_BAND``: a CHTS v1.1 hub, the GSME's radio preferring GB868) unless
a test parametrizes ``premises_layout``: a single-band CHTS v1.0 hub (on a 2019 date, inside its
TSAT window) refuses SRVs 6.28-6.32 at the DCC (E11) and answers DBCH commands that reach it
object-undefined; a capacity-1 hub sends a second sub-GHz joiner away (DBCH11). DBCH04 out of
range is refused by the DCC's DUIS validation and, injected past it, by the hub, with nothing
changed; a command for a suspended GSME is discarded with DBCH10 naming its RequestID; 6.29
scans are assessed (joining permitted, accepted, too many today) and the accepted one moves the
GB868 HAN end to end.

Every test needs a layout only the virtual bench builds, and most look inside the emulators
(duty-cycle states, injected GBCS): virtual bench only until dual-band dongle benches exist.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from emulator.codec.gbcs import (
    CRA,
    GeneralCiphering,
    GeneralSigning,
    MessageCode,
    OtherInformation,
    decode_message,
)
from emulator.codec.gbcs.dlms import (
    AccessRequest,
    AccessResponse,
    Data,
    DataAccessResult,
    DataType,
    decode_dlms,
)
from emulator.codec.gbcs.sub_ghz import (
    DEFAULT_CONFIGURATION,
    ConfigurationError,
    ScanAssessment,
    ScanTrigger,
    dbch04_payload,
)
from emulator.devices.ch_profile import (
    DUAL_BAND_CHTS_1_1,
    RADIO_DUAL_PREFER_SUB_GHZ,
    SINGLE_BAND_CHTS_1_0,
)
from emulator.devices.load_generator import LoadGenerator
from emulator.han.radio import Band, DutyCycleLimits, DutyCycleState
from emulator.han.stack.node import JoinError
from rig.dcc import ReadDeviceLog, ResponseCode, ServiceResponse
from rig.dcc.dual_band import (
    DualBandDetail,
    ReadCHFSubGHzChannel,
    ReadCHFSubGHzChannelLog,
    ReadCHFSubGHzConfiguration,
    RequestCHFSubGHzChannelScan,
    SetCHFSubGHzConfiguration,
    SubGhzBody,
    command,
)
from rig.dcc.requests import ServiceReferenceVariant as SRV
from rig.scenarios.han_join import ESME, GSME, HUB, Member
from rig.scenarios.premises import PPMID, SMI_DEVICES, join_with_cbke

from .plugin import Premises, PremisesLayout

pytestmark = pytest.mark.hil_virtual_only

DUAL_BAND = PremisesLayout(DUAL_BAND_CHTS_1_1, {GSME.eui64: RADIO_DUAL_PREFER_SUB_GHZ})
SINGLE_BAND_2019 = PremisesLayout(
    SINGLE_BAND_CHTS_1_0, epoch=datetime(2019, 1, 1, 9, 0, tzinfo=UTC)
)
"""CHTS v1.0 may still be installed on 01/01/2019 (the clear-out year: warned)."""
CAPACITY_1 = PremisesLayout(
    replace(DUAL_BAND_CHTS_1_1, name="dual-band, sub-GHz capacity 1", sub_ghz_capacity=1),
    {GSME.eui64: RADIO_DUAL_PREFER_SUB_GHZ, PPMID.eui64: RADIO_DUAL_PREFER_SUB_GHZ},
)
JOIN_WINDOW = 300
TIMEOUT = 600.0


@pytest.fixture
def premises_layout() -> PremisesLayout:
    return DUAL_BAND


async def install(premises: Premises, *members: Member) -> None:
    """12.2 for every device, 8.14.1, then each of ``members`` whitelisted and joined (CBKE)."""
    assert premises.devices is not None
    await premises.supplier.set_up(SMI_DEVICES)
    for m in members:
        code = premises.install_codes[m.label.lower()]
        _, answer = await premises.supplier.update_device_log(m.eui64, code, JOIN_WINDOW)
        assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
        await join_with_cbke(premises.devices, m)


def inject(premises: Premises, content: bytes, code: MessageCode) -> bytes:
    """A DBCH command from the ACB to the hub, MAC'd, past the DCC's own checks."""
    dcc = premises.dcc
    counter = dcc.inventory.next_counter(floor=dcc.acb_counter_floor)
    apdu = GeneralSigning(
        CRA.COMMAND,
        counter,
        dcc.acb.eui,
        HUB.eui64,
        OtherInformation(int(code), premises.supplier.eui64, counter),
        content,
    )
    return dcc.acb.protect(apdu).encode()


def result_of(gbcs: bytes) -> DataAccessResult:
    message = decode_message(gbcs)
    assert isinstance(message, GeneralCiphering)
    response = decode_dlms(message.apdu.content)
    assert isinstance(response, AccessResponse)
    return DataAccessResult(response.results[0].result)


async def test_dbch04_out_of_range_is_refused_and_nothing_changes(premises: Premises) -> None:
    await install(premises)
    with pytest.raises(ConfigurationError):  # DUIS validation: never built, never sent
        replace(DEFAULT_CONFIGURATION, normal_limited_duty_cycle_threshold=10)
    sub = premises.hub.sub_ghz
    assert sub is not None
    before = sub.configuration
    items = list(DEFAULT_CONFIGURATION.data().items)
    items[4] = Data(DataType.LONG_UNSIGNED, 10)  # 0.1 %: below the 0.5 % DUIS allows
    valid = decode_dlms(dbch04_payload(1, DEFAULT_CONFIGURATION))
    assert isinstance(valid, AccessRequest)
    request = replace(valid, data=(Data.structure(*items),)).encode()
    code = MessageCode.DBCH04_SET_CHF_SUB_GHZ_CONFIGURATION
    replies = await premises.hub.on_gbcs(inject(premises, request, code))
    assert [result_of(r) for r in replies] == [DataAccessResult.OTHER_REASON]  # no DBCH09
    assert sub.configuration == before


@pytest.mark.parametrize("premises_layout", [SINGLE_BAND_2019], ids=["chts-v1.0"])
async def test_a_single_band_hub_refuses_6_28_to_6_32_and_dbch_is_undefined(
    premises: Premises,
) -> None:
    assert premises.hub.sub_ghz is None
    await premises.supplier.set_up(SMI_DEVICES)
    now = premises.clock.datetime()
    bodies: dict[SRV, SubGhzBody] = {
        SRV.SET_CHF_SUB_GHZ_CONFIGURATION: SetCHFSubGHzConfiguration(DEFAULT_CONFIGURATION),
        SRV.REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN: RequestCHFSubGHzChannelScan(),
        SRV.READ_CHF_SUB_GHZ_CONFIGURATION: ReadCHFSubGHzConfiguration(),
        SRV.READ_CHF_SUB_GHZ_CHANNEL: ReadCHFSubGHzChannel(),
        SRV.READ_CHF_SUB_GHZ_CHANNEL_LOG: ReadCHFSubGHzChannelLog(now, now),
    }
    for srv, body in bodies.items():
        answer = await premises.supplier.submit(HUB.eui64, srv, body)
        assert answer.response_code is ResponseCode.E11, srv
    dcc = premises.dcc
    counter = dcc.inventory.next_counter(floor=dcc.acb_counter_floor)
    for body in bodies.values():
        code, apdu = command(body, dcc.acb.eui, counter, HUB.eui64, premises.supplier.eui64, 1)
        (reply,) = await premises.hub.on_gbcs(dcc.acb.protect(apdu).encode())
        assert result_of(reply) is DataAccessResult.OBJECT_UNDEFINED, code.name
        counter = dcc.inventory.next_counter(floor=dcc.acb_counter_floor)


async def test_dbch10_names_the_request_discarded_for_a_suspended_gsme(
    premises: Premises,
) -> None:
    await install(premises, GSME)
    sub = premises.hub.sub_ghz
    assert sub is not None
    # [I] thresholds a hundredth of the regulated ones (the monitor's, inside the emulator), so
    # a few hundred load frames silence the GSME rather than the 9 000 the real 2.78 % takes
    sub.monitor.limits = DutyCycleLimits(0.0005, 0.001, 0.0015)
    load = LoadGenerator(premises.nodes["gsme"].stack, HUB.eui64)
    running = asyncio.get_running_loop().create_task(load.run())
    await premises.supplier.dual_band_alert(0x8F24, TIMEOUT)  # regulated duty cycle reached
    load.stop()
    await running
    assert sub.monitor.state(GSME.eui64) is DutyCycleState.SUSPENDED
    sent = await premises.supplier.submit(GSME.eui64, SRV.READ_DEVICE_LOG, ReadDeviceLog())
    assert sent.response_code is ResponseCode.I99
    alert = await premises.supplier.dual_band_alert(0x8F2C, TIMEOUT)
    assert alert.detail is DualBandDetail.MESSAGE_DISCARDED_DUE_TO_DUTY_CYCLE_MANAGEMENT
    assert alert.discarded_request_id == str(sent.request_id)
    assert alert.discarded_cra_flag == "Command"
    assert premises.hub.mailbox.pending(GSME.eui64) == 0


@pytest.mark.parametrize("premises_layout", [CAPACITY_1], ids=["capacity-1"])
async def test_dbch11_a_sub_ghz_joiner_beyond_capacity_is_sent_away(
    premises: Premises,
) -> None:
    assert premises.devices is not None
    await install(premises, GSME)
    code = premises.install_codes["ppmid"]
    _, answer = await premises.supplier.update_device_log(PPMID.eui64, code, JOIN_WINDOW)
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
    logged = premises.hub.device_log.get(PPMID.eui64)
    assert logged is not None
    with contextlib.suppress(JoinError):  # evicted during its join, or right after
        await premises.nodes["ppmid"].stack.join(logged.preconfigured_key)
    alert = await premises.supplier.dual_band_alert(0x8F2D, TIMEOUT)
    assert alert.detail is DualBandDetail.NO_MORE_SUB_GHZ_DEVICE_CAPACITY
    assert alert.device_id == PPMID.eui64
    assert list(premises.han.sub_ghz_band().devices()) == [GSME.eui64]


async def scan(premises: Premises) -> ScanAssessment:
    answer = await premises.supplier.request(
        HUB.eui64, SRV.REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN, RequestCHFSubGHzChannelScan(), TIMEOUT
    )
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
    outcome = await premises.supplier.dual_band_alert(0x8F28, TIMEOUT)
    assert outcome.status_code is not None
    return outcome.status_code


async def test_scan_outcomes_and_a_channel_change_end_to_end(premises: Premises) -> None:
    await install(premises, ESME, GSME)
    devices = premises.devices
    sub = premises.hub.sub_ghz
    assert devices is not None and devices.gsme is not None and sub is not None
    assert devices.band_of(GSME.eui64) is Band.SUB_GHZ
    old = sub.channel
    assert await scan(premises) is ScanAssessment.JOINING_IS_CURRENTLY_PERMITTED
    assert sub.channel == old
    await premises.clock.sleep(JOIN_WINDOW)  # the join windows close
    assert await scan(premises) is ScanAssessment.SCAN_REQUEST_ACCEPTED
    changed = await premises.supplier.dual_band_alert(0x8F26, TIMEOUT)
    assert changed.scan_trigger is ScanTrigger.REMOTE_PARTY_COMMAND
    assert sub.channel != old and changed.operating_channel == sub.channel.mask()
    assert devices.gsme.channel_changes == 1
    gsme_radio = premises.nodes["gsme"].stack.interfaces[Band.SUB_GHZ].radio
    assert gsme_radio.channel.number == sub.channel.number
    assert await scan(premises) is ScanAssessment.TOO_MANY_SCANS_TODAY
    # the GSME still answers on the new channel: a tunnel command reaches it and comes back
    answer = await premises.supplier.request(
        GSME.eui64, SRV.READ_DEVICE_LOG, ReadDeviceLog(), TIMEOUT
    )
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
