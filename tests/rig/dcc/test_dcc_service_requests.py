"""The Dcc end to end against the RTDS 4.5.0 CCS01/CCS02 messages and the RTDS keystore.

12.2 / 8.14.x DCC-only, CPL rejection and the other validation codes; 8.11 Add built byte-exact
as the RTDS CCS01 command (same counters, install code, join time), sent over the WAN link; the
real RTDS response whitelists the ESME, a tampered one is refused with the DCC alert; the CS14
alert comes through as a DeviceAlert; "no SM WAN" fails or holds; install codes stay out of logs
and journal. 11.2 built byte-exact as the RTDS ECS52 command, its response passed through.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.dcc import (
    ACB,
    CHF,
    ESME,
    INSTALL_CODE,
    PPMID,
    RTDS_REQUEST_COUNTER,
    SUPPLIER,
    add_request,
    ch_install,
    code_of,
    only,
    prenotification,
)
from support.rtds import RTDS_KEYSTORE, rtds_bytes

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    GeneralCiphering,
    MessageCode,
    Verdict,
    analyse,
    decode_message,
)
from emulator.codec.gbcs.dlms import AccessRequest
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessSMWAN,
    CommandVariant,
    CplEntry,
    Dcc,
    DccAlert,
    DccAlertCode,
    DeviceAlert,
    DeviceType,
    Inventory,
    NoWanPolicy,
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

KEYSTORE = RTDS_KEYSTORE
OTHER_SUPPLIER = Eui64("90B3D51F30020000")
GSME = Eui64("00DB1234567890A1")
RTDS_ACB_COUNTER = 1302

ESME_CPL = CplEntry("AB01", "010A030B", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1")
CHF_CPL = CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1")
PPMID_CPL_S1 = CplEntry("PP01", "DualMode", "1", "01020304", DeviceType.PPMID, "SMETS1")
PPMID_CPL_S2 = CplEntry("PP01", "DualMode", "1", "01020304", DeviceType.PPMID, "SMETS2 V4.1")


CCS01_COMMAND = rtds_bytes("CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX")
CCS01_RESPONSE = rtds_bytes("CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX")
CCS01_ERROR_RESPONSE = rtds_bytes("CCS01_8.11_ERROR_RESPONSE_GBCS.HEX")
CCS02_COMMAND = rtds_bytes("CCS02_8.11_SUCCESS_COMMAND_GBCS.HEX")
CCS02_RESPONSE = rtds_bytes("CCS02_8.11_SUCCESS_RESPONSE_GBCS.HEX")
CS14_ALERT = rtds_bytes("CS14_NA_8F12_ALERT_GBCS.HEX")
ECS52_COMMAND = rtds_bytes("ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX")
ECS52_RESPONSE = rtds_bytes("ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX")
RTDS_ECS52_COUNTER = 1000


def remove_request(counter: int = RTDS_REQUEST_COUNTER) -> ServiceRequest:
    return ServiceRequest(
        RequestId(SUPPLIER, CHF, counter),
        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
        UpdateHANDeviceLog(ESME, RequestType.REMOVE),
    )


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    inv = Inventory(tmp_path / "dcc.sqlite")
    for entry in (ESME_CPL, CHF_CPL, PPMID_CPL_S1, PPMID_CPL_S2):
        inv.add_cpl_entry(entry)
    return inv


@pytest.fixture
def dcc(inventory: Inventory) -> Dcc:
    return Dcc(inventory, KEYSTORE, acb=ACB, acb_counter_floor=RTDS_ACB_COUNTER)


@pytest.fixture
async def installed(dcc: Dcc) -> AsyncIterator[Dcc]:
    """CH and ESME pre-notified, CH installed with SM WAN, link attached, DCC running."""
    assert code_of(await dcc.submit(prenotification(CHF, CHF_CPL, 1))) is ResponseCode.I0
    assert code_of(await dcc.submit(prenotification(ESME, ESME_CPL, 2))) is ResponseCode.I0
    assert code_of(await dcc.submit(ch_install(3))) is ResponseCode.I0
    dcc.attach_link(CHF)
    async with dcc:
        yield dcc


async def test_a_failure_inside_the_running_dcc_comes_out_as_itself(dcc: Dcc) -> None:
    """Not wrapped in the ExceptionGroup of the DCC's task group: a scenario step's assertion
    must reach the runner as the assertion it is."""
    dcc.attach_link(CHF)
    with pytest.raises(AssertionError, match="the step's own"):
        async with dcc:
            raise AssertionError("the step's own")


def smi_status(dcc: Dcc, eui: Eui64) -> SmiStatus:
    rec = dcc.inventory.smi(eui)
    assert rec is not None
    return rec.status


# ---- DCC-only SRVs and validation ---------------------------------------------------------------


async def test_prenotification_and_ch_status_updates(dcc: Dcc) -> None:
    [resp] = await dcc.submit(prenotification(CHF, CHF_CPL, 1))
    assert isinstance(resp, ServiceResponse)
    assert resp.response_code is ResponseCode.I0 and resp.service_reference == "12.2"
    assert smi_status(dcc, CHF) is SmiStatus.PENDING
    assert code_of(await dcc.submit(ch_install(2, wan=False))) is ResponseCode.I0
    assert smi_status(dcc, CHF) is SmiStatus.INSTALLED_NOT_COMMISSIONED
    assert code_of(await dcc.submit(ch_install(3))) is ResponseCode.I0
    assert smi_status(dcc, CHF) is SmiStatus.COMMISSIONED
    # 8.14.2 after commissioning: wrong status
    assert code_of(await dcc.submit(ch_install(4, wan=False))) is ResponseCode.E5


async def test_model_not_on_cpl_is_rejected(dcc: Dcc) -> None:
    unknown = CplEntry("AB01", "NOT-LISTED", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1")
    assert code_of(await dcc.submit(prenotification(ESME, unknown, 1))) is ResponseCode.E120203
    wrong_fw = CplEntry("AB01", "010A030B", "1", "FFFFFFFF", DeviceType.ESME, "SMETS2 V4.1")
    assert code_of(await dcc.submit(prenotification(ESME, wrong_fw, 2))) is ResponseCode.E120203
    assert dcc.inventory.smi(ESME) is None
    # the same model after it is listed
    assert code_of(await dcc.submit(prenotification(ESME, ESME_CPL, 3))) is ResponseCode.I0
    # and a second 12.2 for the same device
    assert code_of(await dcc.submit(prenotification(ESME, ESME_CPL, 4))) is ResponseCode.E120201


async def test_dual_mode_ppmid_prenotified_either_way(dcc: Dcc) -> None:
    """MP202: one firmware version, two CPL rows; both pre-notifications are accepted."""
    assert code_of(await dcc.submit(prenotification(PPMID, PPMID_CPL_S1, 1))) is ResponseCode.I0
    rec = dcc.inventory.smi(PPMID)
    assert rec is not None and rec.smets_version is SmetsVersion.SMETS1
    other = Eui64("00DB1234567890B4")
    assert code_of(await dcc.submit(prenotification(other, PPMID_CPL_S2, 2))) is ResponseCode.I0


async def test_validation_codes(installed: Dcc) -> None:
    dcc = installed
    # unknown body device, unknown target
    assert code_of(await dcc.submit(add_request(GSME))) is ResponseCode.E19
    unknown_ch = ServiceRequest(
        RequestId(SUPPLIER, Eui64("00DB1234567890FF"), 5),
        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
        UpdateHANDeviceLog(ESME, RequestType.ADD, AddDeviceToCHFWhitelist(90, INSTALL_CODE)),
    )
    assert code_of(await dcc.submit(unknown_ch)) is ResponseCode.E19
    # 8.11 sent to a meter, 8.14 about a meter
    to_meter = ServiceRequest(
        RequestId(SUPPLIER, ESME, 6),
        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
        UpdateHANDeviceLog(ESME, RequestType.ADD, AddDeviceToCHFWhitelist(90, INSTALL_CODE)),
    )
    assert code_of(await dcc.submit(to_meter)) is ResponseCode.E11
    meter_814 = ServiceRequest(
        RequestId(SUPPLIER, ACB, 7),
        ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS,
        CHFInstallSuccessSMWAN(ESME),
    )
    assert code_of(await dcc.submit(meter_814)) is ResponseCode.E11
    # another supplier's device
    assert code_of(await dcc.submit(add_request(supplier=OTHER_SUPPLIER))) is ResponseCode.E4
    # remove before it is whitelisted
    assert code_of(await dcc.submit(remove_request(8))) is ResponseCode.E5
    # a command variant 8.11 does not take
    cv = ServiceRequest(
        RequestId(SUPPLIER, CHF, 9),
        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
        UpdateHANDeviceLog(ESME, RequestType.ADD, AddDeviceToCHFWhitelist(90, INSTALL_CODE)),
        CommandVariant.DCC_ONLY,
    )
    assert code_of(await dcc.submit(cv)) is ResponseCode.E12
    assert dcc.link(CHF) is not None and dcc.link(CHF).to_hub.empty()  # type: ignore[union-attr]
    assert smi_status(dcc, ESME) is SmiStatus.PENDING


async def test_8_11_needs_a_ch_in_service(dcc: Dcc) -> None:
    await dcc.submit(prenotification(CHF, CHF_CPL, 1))
    await dcc.submit(prenotification(ESME, ESME_CPL, 2))
    dcc.attach_link(CHF)
    assert code_of(await dcc.submit(add_request())) is ResponseCode.E5


# ---- CCS01: the command ------------------------------------------------------------------------


async def test_ccs01_is_byte_identical_to_the_rtds_command(installed: Dcc) -> None:
    dcc = installed
    [ack] = await dcc.submit(add_request())
    assert isinstance(ack, ServiceResponse) and ack.response_code is ResponseCode.I99
    link = dcc.link(CHF)
    assert link is not None
    sent = link.to_hub.get_nowait()
    assert sent == CCS01_COMMAND


async def test_ccs01_decodes_and_its_mac_verifies(installed: Dcc) -> None:
    """Another counter and install code: not the RTDS bytes, but a valid CCS01 all the same."""
    dcc = installed
    code = bytes.fromhex("83FED3407A939723A5C639B26916D505")
    await dcc.submit(add_request(counter=77, install_code=code))
    link = dcc.link(CHF)
    assert link is not None
    sent = link.to_hub.get_nowait()
    a = analyse(sent, KEYSTORE, ACB)
    assert isinstance(a.message, GeneralCiphering)
    assert a.mac is Verdict.VALID and a.reencoded_equal
    assert a.cra is CRA.COMMAND and a.message_code == MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG
    assert a.originator == ACB and a.recipient == CHF and a.counter == RTDS_ACB_COUNTER
    other = a.message.apdu.other_information
    assert other.supplementary_remote_party_id == SUPPLIER
    assert other.supplementary_remote_party_counter == 77
    assert isinstance(a.payload, AccessRequest)
    device_entry, join_timeout, joining = a.payload.data
    eui, key_type, key, device_type = device_entry.items
    assert (eui.value, key_type.value, key.value, device_type.value) == (ESME.big(), 1, code, 0)
    assert join_timeout.value == 90 and joining.value == 0xFF
    # the next command takes the next ACB counter
    await dcc.submit(add_request(counter=78))
    nxt = decode_message(link.to_hub.get_nowait())
    assert isinstance(nxt, GeneralCiphering) and nxt.apdu.originator_counter == 1303


# ---- CCS01: the response and the alert ---------------------------------------------------------


async def test_rtds_response_whitelists_the_esme(installed: Dcc) -> None:
    dcc = installed
    await dcc.submit(add_request())
    link = dcc.link(CHF)
    assert link is not None
    assert link.to_hub.get_nowait() == CCS01_COMMAND
    await link.from_hub.put(CCS01_RESPONSE)  # through the WAN link and the DCC's pump
    resp = await dcc.next_message()
    assert isinstance(resp, ServiceResponse)
    assert resp.response_code is ResponseCode.I0
    assert resp.request_id == add_request().request_id
    assert str(resp.response_id) == "00-DB-12-34-56-78-90-A2:90-B3-D5-1F-30-01-00-00:1002"
    assert resp.gbcs_payload == CCS01_RESPONSE
    rec = dcc.inventory.smi(ESME)
    assert rec is not None and rec.status is SmiStatus.WHITELISTED and rec.ch_id == CHF
    # a replay of the same response matches no outstanding command
    assert await dcc.receive(CHF, CCS01_RESPONSE) == []
    assert dcc.pending_messages() == []


@pytest.mark.parametrize("where", ["mac", "content"])
async def test_tampered_response_is_refused(installed: Dcc, where: str) -> None:
    dcc = installed
    await dcc.submit(add_request())
    bad = bytearray(CCS01_RESPONSE)
    if where == "mac":
        bad[-1] ^= 0x01
    else:  # the last access-response result: success -> hardware fault
        bad[-14] ^= 0x01
    out = await dcc.receive(CHF, bytes(bad))
    alert = only(out)
    assert isinstance(alert, DccAlert)
    assert alert.dcc_alert_code is DccAlertCode.N24
    assert alert.request_id == add_request().request_id and alert.recipient == SUPPLIER
    assert smi_status(dcc, ESME) is SmiStatus.PENDING
    rejected = [r for r in dcc.inventory.journal("response") if not r["accepted"]]
    assert len(rejected) == 1 and "MAC invalid" in str(rejected[0]["note"])
    # the request is closed: the genuine response that follows is not taken either
    assert await dcc.receive(CHF, CCS01_RESPONSE) == []


async def test_device_error_response_gives_the_response_and_the_dcc_alert(installed: Dcc) -> None:
    """RTDS CCS01 error response: originator counter 1303, supplementary counter 1003."""
    dcc = installed
    dcc.inventory.next_counter(floor=RTDS_ACB_COUNTER)  # the ACB used 1302 elsewhere
    await dcc.submit(add_request(counter=1003))
    out = await dcc.receive(CHF, CCS01_ERROR_RESPONSE)
    resp, alert = out
    assert isinstance(resp, ServiceResponse) and resp.response_code is ResponseCode.I0
    assert resp.gbcs_payload == CCS01_ERROR_RESPONSE
    assert isinstance(alert, DccAlert) and alert.dcc_alert_code is DccAlertCode.N24
    assert smi_status(dcc, ESME) is SmiStatus.PENDING


async def test_cs14_alert_reaches_the_supplier(installed: Dcc) -> None:
    dcc = installed
    [alert] = await dcc.receive(CHF, CS14_ALERT)
    assert isinstance(alert, DeviceAlert)
    assert alert.alert_code == 0x8F12 and alert.device_alert_code == "8F12"
    assert alert.response_id == RequestId(CHF, SUPPLIER, 4000)
    assert alert.gbcs_payload == CS14_ALERT
    assert dcc.pending_messages() == [alert]
    bad = bytearray(CS14_ALERT)
    bad[-1] ^= 0x80
    assert await dcc.receive(CHF, bytes(bad)) == []
    rows = dcc.inventory.journal("alert")
    assert [r["accepted"] for r in rows] == [1, 0]
    # CS14 carries install codes: the journal keeps a digest only
    assert all(str(r["gbcs"]).startswith("sha256:") for r in rows)


async def test_an_asn1_alert_reaches_the_supplier_with_its_alert_code(installed: Dcc) -> None:
    """GCS62 (the GPF's Device Log backup, 0x8071) carries its code in ASN.1, not DLMS."""
    gcs62 = rtds_bytes("GCS62_NA_8071_ALERT_GBCS.HEX")
    [alert] = await installed.receive(CHF, gcs62)
    assert isinstance(alert, DeviceAlert) and alert.device_alert_code == "8071"


async def test_garbage_from_the_wan_is_journalled_and_dropped(installed: Dcc) -> None:
    dcc = installed
    assert await dcc.receive(CHF, b"\xdd\x00\x01") == []
    assert await dcc.receive(CHF, CCS01_COMMAND) == []  # addressed to the CHF, not the ACB
    assert len(dcc.inventory.journal("response")) >= 2


# ---- CCS02 ---------------------------------------------------------------------------------------


async def test_ccs02_byte_identical_and_removes(inventory: Inventory) -> None:
    """8.11 Remove for a whitelisted ESME, with the RTDS CCS02 counters (ACB 1302, SU 1002)."""
    inventory.prenotify(CHF, DeviceType.CHF, "CH01", "HUB1", "1", None, SUPPLIER)
    inventory.prenotify(ESME, DeviceType.ESME, "AB01", "010A030B", "1", None, SUPPLIER)
    inventory.ch_install_success(CHF)
    inventory.whitelist(ESME, CHF)
    dcc = Dcc(inventory, KEYSTORE, acb=ACB, acb_counter_floor=RTDS_ACB_COUNTER)
    link = dcc.attach_link(CHF)
    [ack] = await dcc.submit(remove_request())
    assert isinstance(ack, ServiceResponse) and ack.response_code is ResponseCode.I99
    assert link.to_hub.get_nowait() == CCS02_COMMAND
    resp = only(await dcc.receive(CHF, CCS02_RESPONSE))
    assert isinstance(resp, ServiceResponse) and resp.response_code is ResponseCode.I0
    rec = dcc.inventory.smi(ESME)
    assert rec is not None and rec.status is SmiStatus.PENDING and rec.ch_id is None


async def test_no_response_in_time_gives_e21(inventory: Inventory) -> None:
    """Runs on virtual time: the hour-long wait takes no wall time."""
    dcc = Dcc(inventory, KEYSTORE, acb=ACB, acb_counter_floor=RTDS_ACB_COUNTER)
    assert dcc.response_timeout == 3600.0
    await dcc.submit(prenotification(CHF, CHF_CPL, 1))
    await dcc.submit(prenotification(ESME, ESME_CPL, 2))
    await dcc.submit(ch_install(3))
    dcc.attach_link(CHF)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await dcc.submit(add_request())
    resp = await dcc.next_message()
    assert loop.time() - start == pytest.approx(3600.0)
    assert isinstance(resp, ServiceResponse) and resp.response_code is ResponseCode.E21
    assert resp.request_id == add_request().request_id
    assert await dcc.receive(CHF, CCS01_RESPONSE) == []  # too late
    assert smi_status(dcc, ESME) is SmiStatus.PENDING


async def test_a_timely_response_cancels_the_timer(installed: Dcc) -> None:
    dcc = installed
    await dcc.submit(add_request())
    await asyncio.sleep(3599)
    assert len(await dcc.receive(CHF, CCS01_RESPONSE)) == 1
    await asyncio.sleep(10)
    assert dcc.pending_messages()[1:] == []  # the I0 only, no E21


# ---- no SM WAN -----------------------------------------------------------------------------------


async def test_no_sm_wan_fails_with_e20(dcc: Dcc) -> None:
    await dcc.submit(prenotification(CHF, CHF_CPL, 1))
    await dcc.submit(prenotification(ESME, ESME_CPL, 2))
    await dcc.submit(ch_install(3, wan=False))
    assert code_of(await dcc.submit(add_request())) is ResponseCode.E20
    # no ACB counter used
    assert dcc.inventory.next_counter(floor=RTDS_ACB_COUNTER) == RTDS_ACB_COUNTER


async def test_no_sm_wan_holds_until_a_link_appears(inventory: Inventory) -> None:
    dcc = Dcc(
        inventory,
        KEYSTORE,
        acb=ACB,
        acb_counter_floor=RTDS_ACB_COUNTER,
        no_wan_policy=NoWanPolicy.HOLD,
    )
    await dcc.submit(prenotification(CHF, CHF_CPL, 1))
    await dcc.submit(prenotification(ESME, ESME_CPL, 2))
    await dcc.submit(ch_install(3, wan=False))
    assert code_of(await dcc.submit(add_request())) is ResponseCode.I99
    async with dcc:
        link = dcc.attach_link(CHF)
        assert await link.to_hub.get() == CCS01_COMMAND
        await link.from_hub.put(CCS01_RESPONSE)
        resp = await dcc.next_message()
    assert isinstance(resp, ServiceResponse) and resp.response_code is ResponseCode.I0
    assert smi_status(dcc, ESME) is SmiStatus.WHITELISTED


# ---- MP202 at whitelisting -----------------------------------------------------------------------


async def test_ppmid_whitelisted_takes_the_ch_smets_version(dcc: Dcc) -> None:
    await dcc.submit(prenotification(CHF, CHF_CPL, 1))  # CHTS: SMETS2+
    await dcc.submit(prenotification(PPMID, PPMID_CPL_S1, 2))  # pre-notified as SMETS1
    await dcc.submit(ch_install(3))
    dcc.attach_link(CHF)
    [ack] = await dcc.submit(add_request(PPMID, counter=RTDS_REQUEST_COUNTER))
    assert isinstance(ack, ServiceResponse) and ack.response_code is ResponseCode.I99
    link = dcc.link(CHF)
    assert link is not None
    cmd = decode_message(link.to_hub.get_nowait())
    assert isinstance(cmd, GeneralCiphering)
    # the device type code in register_device is PPMID's (132): so not the RTDS bytes
    assert cmd.encode() != CCS01_COMMAND
    # the RTDS response answers counter 1302 / 1002 with success, as the CHF would here
    await dcc.receive(CHF, CCS01_RESPONSE)
    rec = dcc.inventory.smi(PPMID)
    assert rec is not None and rec.status is SmiStatus.WHITELISTED
    assert rec.smets_version is SmetsVersion.SMETS2_PLUS


# ---- secrets -------------------------------------------------------------------------------------


async def test_install_code_never_logged_nor_journalled(
    installed: Dcc, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dcc = installed
    await dcc.submit(add_request())
    await dcc.submit(add_request(supplier=OTHER_SUPPLIER))  # rejected: logged
    bad = bytearray(CCS01_RESPONSE)
    bad[-1] ^= 1
    await dcc.receive(CHF, bytes(bad))
    await dcc.receive(CHF, CS14_ALERT)
    journal = json.dumps(
        [dcc.inventory.journal(t) for t in ("request", "response", "alert")], default=str
    )
    secrets = (INSTALL_CODE.hex().upper(), INSTALL_CODE.decode(), "83FED3407A939723A5C639B26916D5")
    for s in secrets:
        assert s.lower() not in journal.lower()
        assert s.lower() not in caplog.text.lower()
    assert "<redacted>" in journal


# ---- 11.2 Read Firmware Version ------------------------------------------------------------------


def read_firmware_version(
    target: Eui64 = ESME, counter: int = RTDS_ECS52_COUNTER, supplier: Eui64 = SUPPLIER
) -> ServiceRequest:
    return ServiceRequest(
        RequestId(supplier, target, counter),
        ServiceReferenceVariant.READ_FIRMWARE_VERSION,
        ReadFirmwareVersion(),
    )


async def whitelist_esme(dcc: Dcc) -> None:
    await dcc.submit(add_request())
    link = dcc.link(CHF)
    assert link is not None and link.to_hub.get_nowait() == CCS01_COMMAND
    await dcc.receive(CHF, CCS01_RESPONSE)
    dcc.pending_messages()


async def test_11_2_sends_the_rtds_ecs52_and_passes_the_response_through(installed: Dcc) -> None:
    dcc = installed
    await whitelist_esme(dcc)
    request = read_firmware_version()
    assert request.command_variant is CommandVariant.NON_CRITICAL_SR_TO_DEVICE
    assert code_of(await dcc.submit(request)) is ResponseCode.I99
    link = dcc.link(CHF)
    assert link is not None
    assert link.to_hub.get_nowait() == ECS52_COMMAND  # the Supplier's counter, the ACB's MAC
    resp = only(await dcc.receive(CHF, ECS52_RESPONSE))
    assert dcc.pending_messages() == [resp]  # also on the stream, once
    assert isinstance(resp, ServiceResponse) and resp.response_code is ResponseCode.I0
    assert str(resp.response_id) == "00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1000"
    assert resp.gbcs_payload == ECS52_RESPONSE  # the Supplier verifies it, not the DCC
    assert smi_status(dcc, ESME) is SmiStatus.WHITELISTED  # a read changes nothing
    assert await dcc.receive(CHF, ECS52_RESPONSE) == []  # nothing outstanding any more


async def test_11_2_validation_codes(installed: Dcc) -> None:
    dcc = installed
    assert code_of(await dcc.submit(read_firmware_version(counter=5))) is ResponseCode.E5
    await whitelist_esme(dcc)
    assert code_of(await dcc.submit(read_firmware_version(GSME, 6))) is ResponseCode.E19
    assert code_of(await dcc.submit(read_firmware_version(CHF, 7))) is ResponseCode.E11
    other = read_firmware_version(counter=8, supplier=OTHER_SUPPLIER)
    assert code_of(await dcc.submit(other)) is ResponseCode.E4
    dcc_only = ServiceRequest(
        RequestId(SUPPLIER, ESME, 9),
        ServiceReferenceVariant.READ_FIRMWARE_VERSION,
        ReadFirmwareVersion(),
        CommandVariant.DCC_ONLY,
    )
    assert code_of(await dcc.submit(dcc_only)) is ResponseCode.E12
    assert dcc.link(CHF) is not None and dcc.link(CHF).to_hub.empty()  # type: ignore[union-attr]
    # a response addressed to neither the ACB nor the requester is refused, and journalled
    assert code_of(await dcc.submit(read_firmware_version())) is ResponseCode.I99
    supplier, stranger = bytes.fromhex("90B3D51F30010000"), bytes.fromhex("90B3D51F30020000")
    assert ECS52_RESPONSE.count(supplier) == 1
    misaddressed = ECS52_RESPONSE.replace(supplier, stranger)
    assert await dcc.receive(CHF, misaddressed) == []
    assert "not the ACB or requester" in str(dcc.inventory.journal("response")[-1]["note"])
    answer = only(await dcc.receive(CHF, ECS52_RESPONSE))  # still outstanding for the real one
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
    assert answer.gbcs_payload == ECS52_RESPONSE


async def test_11_2_without_sm_wan_fails(inventory: Inventory) -> None:
    dcc = Dcc(inventory, KEYSTORE, acb=ACB, acb_counter_floor=RTDS_ACB_COUNTER)
    for i, (eui, cpl) in enumerate(((CHF, CHF_CPL), (ESME, ESME_CPL)), start=1):
        await dcc.submit(prenotification(eui, cpl, i))
    await dcc.submit(ch_install(3))
    dcc.attach_link(CHF)
    await whitelist_esme(dcc)
    dcc.detach_link(CHF)
    assert code_of(await dcc.submit(read_firmware_version())) is ResponseCode.E20
