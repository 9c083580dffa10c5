"""MP202 in the DCC: CPL modes, whitelisting per mode, wrong-system refusals, the S1SP route."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.devices.smets1_hub import S1Outcome, Smets1Operation
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessSMWAN,
    CplEntry,
    CplMode,
    Dcc,
    DeviceType,
    Inventory,
    ReadFirmwareVersion,
    RequestId,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SmetsVersion,
    SmiStatus,
    UpdateHANDeviceLog,
)
from rig.dcc.inventory import cpl_mode
from rig.dcc.mp202 import PPMID_ON_WRONG_SYSTEM, Route, dual_mode_rows, route, wrong_system
from rig.dcc.requests import CommissionDeviceSynchroniseClock, RequestBody
from tests.support.rtds import RTDS_KEYSTORE

SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-00")
ACB = Eui64("90-B3-D5-1F-30-00-00-02")
CHF = Eui64("00-DB-12-34-56-78-90-A2")
PPMID = Eui64("00-DB-12-34-56-78-90-A4")
CH_S1 = CplEntry("S1CH", "S1HUB", "1", "00000100", DeviceType.CHF, "SMETS1")
CH_S2 = CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1")
SRV = ServiceReferenceVariant


def rows(mode: CplMode) -> tuple[CplEntry, CplEntry]:
    return dual_mode_rows("AB03", "DUALPP1", "1", "0004012F", mode, "F004012F")


def test_cpl_modes_are_read_from_the_rows() -> None:
    enduring, tactical = rows(CplMode.ENDURING), rows(CplMode.TACTICAL)
    assert enduring[0].firmware_version == enduring[1].firmware_version == "0004012F"
    assert [e.smets_version for e in enduring] == [SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS]
    assert tactical[0].firmware_version == "F004012F"
    assert cpl_mode(list(enduring), "0004012F") is CplMode.ENDURING
    assert cpl_mode(list(tactical), "0004012F") is CplMode.TACTICAL
    assert cpl_mode(list(tactical), "F004012F") is CplMode.TACTICAL
    assert cpl_mode([enduring[1]], "0004012F") is CplMode.SINGLE
    with pytest.raises(ValueError, match="fictitious"):
        dual_mode_rows("AB03", "DUALPP1", "1", "0004012F", CplMode.TACTICAL)


def request(counter: int, target: Eui64, srv: SRV, body: RequestBody) -> ServiceRequest:
    return ServiceRequest(RequestId(SUPPLIER, target, counter), srv, body)


async def installed(
    tmp_path: Path, mode: CplMode, pre: SmetsVersion, ch: CplEntry
) -> tuple[Dcc, Inventory]:
    """A CH (installed) and a PPMID pre-notified as ``pre`` from the model's rows in ``mode``."""
    inventory = Inventory(tmp_path / "dcc.sqlite")
    for entry in (CH_S1, CH_S2, *rows(mode)):
        inventory.add_cpl_entry(entry)
    dcc = Dcc(inventory, RTDS_KEYSTORE, acb=ACB)
    row = rows(mode)[0 if pre is SmetsVersion.SMETS1 else 1]
    for n, (device, entry) in enumerate(((CHF, ch), (PPMID, row)), start=1):
        [answer] = await dcc.submit(
            request(n, ACB, SRV.DEVICE_PRE_NOTIFICATION, entry.prenotification(device))
        )
        assert answer.response_code is ResponseCode.I0
    [answer] = await dcc.submit(
        request(3, ACB, SRV.CH_STATUS_UPDATE_INSTALL_SUCCESS, CHFInstallSuccessSMWAN(CHF))
    )
    assert answer.response_code is ResponseCode.I0
    return dcc, inventory


@pytest.mark.parametrize(
    ("mode", "pre", "ch", "smi"),
    [
        (CplMode.ENDURING, SmetsVersion.SMETS1, CH_S2, SmetsVersion.SMETS2_PLUS),
        (CplMode.ENDURING, SmetsVersion.SMETS2_PLUS, CH_S1, SmetsVersion.SMETS1),
        (CplMode.TACTICAL, SmetsVersion.SMETS1, CH_S2, SmetsVersion.SMETS1),
        (CplMode.TACTICAL, SmetsVersion.SMETS2_PLUS, CH_S1, SmetsVersion.SMETS2_PLUS),
    ],
)
async def test_whitelisting_per_cpl_mode(
    tmp_path: Path, mode: CplMode, pre: SmetsVersion, ch: CplEntry, smi: SmetsVersion
) -> None:
    """Enduring: the CH's version (the table). Tactical: the pre-notified one, and a PPMID on
    the other system's CH is on the wrong system."""
    _, inventory = await installed(tmp_path, mode, pre, ch)
    record = inventory.whitelist(PPMID, CHF)
    assert record.smets_version is smi
    assert (wrong_system(inventory, record) is not None) is (mode is CplMode.TACTICAL)
    assert route(record) is (Route.S1SP if smi is SmetsVersion.SMETS1 else Route.GBCS)


async def test_a_ppmid_on_the_wrong_system_is_no_srv_target(tmp_path: Path) -> None:
    dcc, inventory = await installed(tmp_path, CplMode.TACTICAL, SmetsVersion.SMETS1, CH_S2)
    inventory.whitelist(PPMID, CHF)
    for n, (srv, body) in enumerate(
        [
            (SRV.READ_FIRMWARE_VERSION, ReadFirmwareVersion()),
            (SRV.COMMISSION_DEVICE, CommissionDeviceSynchroniseClock(dcc._now(), 60)),
        ],
        start=10,
    ):
        [answer] = await dcc.submit(request(n, PPMID, srv, body))
        assert answer.response_code is PPMID_ON_WRONG_SYSTEM
    note = inventory.journal("response")[-1]["note"]
    assert "cannot be the target" in str(note)
    # the Supplier may still take it off the CH's log (target: the CHF)
    body = UpdateHANDeviceLog(PPMID, RequestType.REMOVE)
    dcc.attach_link(CHF)
    [answer] = await dcc.submit(request(20, CHF, SRV.UPDATE_HAN_DEVICE_LOG, body))
    assert answer.response_code is ResponseCode.I99


class FakeSmets1Hub:
    """The S1SP's link, recording what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Eui64]] = []

    async def add_device(
        self, device: Eui64, device_type: str, install_code: bytes, seconds: float
    ) -> S1Outcome:
        self.asked.append(("add", device))
        return S1Outcome(Smets1Operation.ADD_DEVICE, True)

    async def remove_device(self, device: Eui64) -> S1Outcome:
        self.asked.append(("remove", device))
        return S1Outcome(Smets1Operation.REMOVE_DEVICE, True)

    async def join(self, device: Eui64, meter: Eui64) -> S1Outcome:
        return S1Outcome(Smets1Operation.JOIN, True)

    async def unjoin(self, device: Eui64, meter: Eui64) -> S1Outcome:
        return S1Outcome(Smets1Operation.UNJOIN, True)

    async def read_firmware_version(self, device: Eui64) -> S1Outcome:
        self.asked.append(("read", device))
        op = Smets1Operation.READ_FIRMWARE_VERSION
        return S1Outcome(op, True, values=(("FirmwareVersion", "0004012F"),))

    def device_log(self) -> list[tuple[Eui64, str]]:
        return []


async def test_smets1_srvs_go_to_the_s1sp(tmp_path: Path) -> None:
    dcc, inventory = await installed(tmp_path, CplMode.ENDURING, SmetsVersion.SMETS2_PLUS, CH_S1)
    hub = FakeSmets1Hub()
    dcc.s1sp.attach(CHF, hub)
    add = UpdateHANDeviceLog(PPMID, RequestType.ADD, AddDeviceToCHFWhitelist(60, bytes(16)))
    async with dcc:
        [ack] = await dcc.submit(request(10, CHF, SRV.UPDATE_HAN_DEVICE_LOG, add))
        assert ack.response_code is ResponseCode.I99  # no SM WAN link: the S1SP's own route
        answer = await dcc.next_message()
        assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
        assert answer.s1sp is not None and answer.s1sp.operation == "add device"
        record = inventory.smi(PPMID)
        assert record is not None and record.status is SmiStatus.WHITELISTED
        assert record.smets_version is SmetsVersion.SMETS1
        [ack] = await dcc.submit(
            request(11, PPMID, SRV.READ_FIRMWARE_VERSION, ReadFirmwareVersion())
        )
        assert ack.response_code is ResponseCode.I99
        answer = await dcc.next_message()
        assert isinstance(answer, ServiceResponse) and answer.s1sp is not None
        assert answer.s1sp.value("FirmwareVersion") == "0004012F"
        assert answer.gbcs_payload is None
        # an SRV the adapter does not offer for SMETS1 devices
        body = CommissionDeviceSynchroniseClock(dcc._now(), 60)
        [refused] = await dcc.submit(request(12, PPMID, SRV.COMMISSION_DEVICE, body))
        assert refused.response_code is ResponseCode.E11
    assert hub.asked == [("add", PPMID), ("read", PPMID)]
    assert not [r for r in inventory.journal("request") if r["gbcs_message_code"] is not None]
