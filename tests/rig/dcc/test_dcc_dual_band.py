"""SRVs 6.28-6.32 through the DCC to a dual-band hub and back; Sub GHz Alerts as DUIS
DualBandCHAlerts (the RTDS DBCH06-11 alerts decoded to their detail); a CHTS v1.0 hub refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.dcc import ACB, CHF, SUPPLIER, ch_install, code_of, prenotification
from support.rtds import RTDS_KEYSTORE, rtds_bytes

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.sub_ghz import ScanAssessment, ScanTrigger, SubGhzChannel
from emulator.devices.comms_hub import CommsHub
from emulator.devices.sub_ghz import SubGhzFunction
from emulator.han.clock import VirtualClock
from emulator.han.stack.state import MemoryStateStore
from rig.dcc import CplEntry, Dcc, DeviceType, Inventory, RequestId, ResponseCode, ServiceResponse
from rig.dcc.dual_band import (
    DualBandCHAlert,
    DualBandDetail,
    ReadCHFSubGHzChannel,
    RequestCHFSubGHzChannelScan,
)
from rig.dcc.requests import ServiceReferenceVariant as SRV
from rig.dcc.requests import ServiceRequest

CH_V11 = CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1")
CH_V10 = CplEntry("CH01", "HUB0", "1", "00010000", DeviceType.CHF, "CHTS V1.0")
GSME = Eui64("00DB1234567890A1")


class Band:
    def devices(self) -> list[Eui64]:
        return []

    def duty_cycle(self, device: Eui64) -> float:
        return 0.0

    async def retune(self, channel: SubGhzChannel) -> None:
        pass


def _dcc(tmp_path: Path, entry: CplEntry) -> tuple[Dcc, VirtualClock]:
    clock = VirtualClock(datetime(2019, 1, 1, tzinfo=UTC))
    inventory = Inventory(tmp_path / "dcc.sqlite")
    inventory.add_cpl_entry(entry)
    return Dcc(inventory, RTDS_KEYSTORE, clock=clock, acb_counter_floor=1300), clock


async def test_rtds_sub_ghz_alerts_become_dual_band_ch_alerts(tmp_path: Path) -> None:
    dcc, _ = _dcc(tmp_path, CH_V11)
    assert code_of(await dcc.submit(prenotification(CHF, CH_V11, 1))) is ResponseCode.I0
    alerts = {}
    for name in (
        "DBCH06_NA_8F20_ALERT_GBCS.HEX",
        "DBCH07_NA_8F26_ALERT_GBCS.HEX",
        "DBCH08_NA_8F28_ALERT_GBCS.HEX",
        "DBCH04_6.28_NA_SUCCESS_ALERT_DBCH09_GBCS.HEX",
        "DBCH10_NA_8F2C_ALERT_GBCS.HEX",
        "DBCH11_NA_8F2D_ALERT_GBCS.HEX",
    ):
        (alert,) = await dcc.receive(CHF, rtds_bytes(name))
        assert isinstance(alert, DualBandCHAlert)
        assert alert.chf_device_id == CHF and alert.recipient == SUPPLIER
        alerts[alert.device_alert_code_hex] = alert
    assert alerts["8F20"].detail is DualBandDetail.LIMITED_DUTY_CYCLE_ACTION_TAKEN
    assert alerts["8F20"].device_id == GSME and alerts["8F2D"].device_id == GSME
    assert alerts["8F26"].operating_channel == SubGhzChannel.lower(0).mask()
    assert alerts["8F26"].scan_trigger is ScanTrigger.REMOTE_PARTY_COMMAND
    assert alerts["8F28"].status_code is ScanAssessment.SCAN_REQUEST_ACCEPTED
    assert alerts["8F2A"].configuration is not None
    assert alerts["8F2A"].configuration.limited_critical_duty_cycle_threshold == 220
    assert alerts["8F2C"].discarded_request_id == (
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000"
    )
    assert alerts["8F2C"].discarded_cra_flag == "Command"
    assert alerts["8F2C"].gbcs_message_code == 0x0114


async def test_6_31_and_6_29_end_to_end_with_the_hub(tmp_path: Path) -> None:
    dcc, clock = _dcc(tmp_path, CH_V11)
    store = MemoryStateStore()
    sub = SubGhzFunction(store, clock, Band())

    class Port:
        eui64 = CHF

    hub = CommsHub(Port(), RTDS_KEYSTORE, ACB, store, clock, sub_ghz=sub)  # type: ignore[arg-type]
    async with dcc:
        assert code_of(await dcc.submit(prenotification(CHF, CH_V11, 1))) is ResponseCode.I0
        assert code_of(await dcc.submit(ch_install(2))) is ResponseCode.I0
        link = dcc.link(CHF) or dcc.attach_link(CHF)
        serving = asyncio.create_task(hub.serve(link.to_hub, link.from_hub))
        read = ServiceRequest(
            RequestId(SUPPLIER, CHF, 1000), SRV.READ_CHF_SUB_GHZ_CHANNEL, ReadCHFSubGHzChannel()
        )
        assert code_of(await dcc.submit(read)) is ResponseCode.I99
        response = await dcc.next_message()
        assert isinstance(response, ServiceResponse) and response.response_code is ResponseCode.I0
        assert (
            response.gbcs_payload is not None
            and b"\x04\x20\xe0\x00\x00\x01" in response.gbcs_payload
        )
        scan = ServiceRequest(
            RequestId(SUPPLIER, CHF, 1001),
            SRV.REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN,
            RequestCHFSubGHzChannelScan(),
        )
        assert code_of(await dcc.submit(scan)) is ResponseCode.I99
        got = [await dcc.next_message() for _ in range(3)]
        serving.cancel()
        await hub.aclose()
    kinds = [(type(m).__name__, getattr(m, "device_alert_code_hex", None)) for m in got]
    assert kinds == [
        ("ServiceResponse", None),
        ("DualBandCHAlert", "8F28"),
        ("DualBandCHAlert", "8F26"),  # no GSME flag to wait for: the band moves at once
    ]
    assert isinstance(got[2], DualBandCHAlert)
    assert got[2].operating_channel == SubGhzChannel.lower(1).mask()


async def test_a_chts_v1_0_hub_is_not_dual_band(tmp_path: Path) -> None:
    dcc, _ = _dcc(tmp_path, CH_V10)
    await dcc.submit(prenotification(CHF, CH_V10, 1))
    await dcc.submit(ch_install(2))
    read = ServiceRequest(
        RequestId(SUPPLIER, CHF, 3), SRV.READ_CHF_SUB_GHZ_CHANNEL, ReadCHFSubGHzChannel()
    )
    assert code_of(await dcc.submit(read)) is ResponseCode.E11


@pytest.mark.parametrize("srv", [s for s in SRV if s.value.startswith("6.")])
def test_sub_ghz_srvs_are_non_critical(srv: SRV) -> None:
    assert not srv.critical and not srv.dcc_only


ESME = Eui64("00DB1234567890A0")
ESME_V20 = CplEntry("AB01", "OLD-ESME", "1", "00020000", DeviceType.ESME, "SMETS2 V2.0")


@pytest.mark.parametrize(
    ("today", "expected", "warned"),
    [
        (datetime(2018, 10, 27, tzinfo=UTC), ResponseCode.I0, False),
        (datetime(2019, 10, 27, tzinfo=UTC), ResponseCode.I0, True),  # the clear-out year
        (datetime(2019, 10, 28, tzinfo=UTC), ResponseCode.E5, False),
    ],
)
async def test_tsat_at_commissioning_by_the_modelled_date(
    tmp_path: Path, today: datetime, expected: ResponseCode, warned: bool
) -> None:
    from rig.dcc import CommissionDeviceSynchroniseClock

    clock = VirtualClock(today)
    inventory = Inventory(tmp_path / "dcc.sqlite")
    inventory.add_cpl_entry(ESME_V20)
    inventory.prenotify(CHF, DeviceType.CHF, "CH01", "HUB1", "00010000", None, SUPPLIER)
    inventory.ch_install_success(CHF)
    inventory.prenotify(ESME, DeviceType.ESME, "AB01", "OLD-ESME", "00020000", None, SUPPLIER)
    inventory.whitelist(ESME, CHF)
    dcc = Dcc(inventory, RTDS_KEYSTORE, clock=clock)
    body = CommissionDeviceSynchroniseClock(today, 60)
    (answer,) = await dcc.submit(
        ServiceRequest(RequestId(SUPPLIER, ESME, 5), SRV.COMMISSION_DEVICE, body)
    )
    assert answer.response_code is expected
    note = str(inventory.journal("response")[-1]["note"])
    assert ("TSAT warning" in note) is warned


async def test_6_28_is_journalled_with_its_configuration(tmp_path: Path) -> None:
    """The request journal takes 6.28's body as JSON: each channel mask's channels listed."""
    import json

    from emulator.codec.gbcs.sub_ghz import DEFAULT_CONFIGURATION
    from rig.dcc.dual_band import SetCHFSubGHzConfiguration

    dcc, _ = _dcc(tmp_path, CH_V11)
    await dcc.submit(prenotification(CHF, CH_V11, 1))
    await dcc.submit(ch_install(2))
    body = SetCHFSubGHzConfiguration(DEFAULT_CONFIGURATION)
    await dcc.submit(
        ServiceRequest(RequestId(SUPPLIER, CHF, 3), SRV.SET_CHF_SUB_GHZ_CONFIGURATION, body)
    )
    journalled = json.loads(str(dcc.inventory.journal("request")[-1]["body"]))
    configuration = journalled["body"]["configuration"]
    assert configuration["lower_band_channels_0_to_26"] == {"page": 28, "channels": [0, 1]}
    assert configuration["normal_limited_duty_cycle_threshold"] == 150
