"""SRV 8.11 end to end: the DCC's CCS01 over the WAN link to the hub, the hub's Device Log and join
window, its MAC'd response, the SMI at Whitelisted, and the ESME joining the HAN with that code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import CRA, AlertCode, MemoryKeyStore, MessageCode, Verdict, analyse
from emulator.codec.gbcs.clock import NOT_SPECIFIED_DATE_TIME
from emulator.codec.gbcs.device_log import (
    HanDeviceType,
    ccs02_payload,
    ccs03_payload,
    ccs06_payload,
)
from emulator.codec.gbcs.dlms import (
    AccessRequest,
    AccessResponse,
    DataAccessResult,
    DataNotification,
)
from emulator.devices.comms_hub import CommsHub
from emulator.han.clock import VirtualClock
from emulator.han.stack.node import JoinError, Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from emulator.pki.smki import RemotePartyRole, TestSmki, memory_store
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessSMWAN,
    CplEntry,
    Dcc,
    DeviceAlert,
    DeviceType,
    Inventory,
    RequestId,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SmiStatus,
    UpdateHANDeviceLog,
)

ACB = Eui64("90-B3-D5-1F-30-00-00-02")
SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-00")
CHF = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
INSTALL_CODE = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")  # test-only
ESME_CPL = CplEntry("AB01", "010A030B", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1")
CHF_CPL = CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1")


def keystores() -> tuple[MemoryKeyStore, MemoryKeyStore]:
    """The DCC holds the ACB's keys and the CHF's certificate; the hub the reverse."""
    smki = TestSmki()
    acb = smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER)
    chf = smki.issue_device_pair(CHF)
    dcc_store, hub_store = memory_store(acb), memory_store(chf)
    for credential in chf:
        dcc_store.put_certificate(CHF, credential.usage, credential.certificate)
    for credential in acb:
        hub_store.put_certificate(ACB, credential.usage, credential.certificate)
    return dcc_store, hub_store


def request(
    counter: int, target: Eui64, srv: ServiceReferenceVariant, body: object
) -> ServiceRequest:
    return ServiceRequest(RequestId(SUPPLIER, target, counter), srv, body)  # type: ignore[arg-type]


def prenotify(counter: int, eui: Eui64, cpl: CplEntry) -> ServiceRequest:
    body = cpl.prenotification(eui)
    return request(counter, ACB, ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION, body)


def whitelist(counter: int, code: bytes = INSTALL_CODE) -> ServiceRequest:
    body = UpdateHANDeviceLog(ESME, RequestType.ADD, AddDeviceToCHFWhitelist(600, code))
    return request(counter, CHF, ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG, body)


async def premises(tmp_path: Path) -> tuple[Dcc, CommsHub, VirtualHan]:
    clock = VirtualClock()
    dcc_store, hub_store = keystores()
    inventory = Inventory(tmp_path / "dcc.sqlite")
    for entry in (ESME_CPL, CHF_CPL):
        inventory.add_cpl_entry(entry)
    dcc = Dcc(inventory, dcc_store, acb=ACB, clock=clock)
    han = VirtualHan(clock, seed=8)
    hub = CommsHub(han.coordinator(CHF), hub_store, ACB, MemoryStateStore(), clock)
    han.node(ESME, Role.ROUTER)
    await han.start()
    for message in [
        prenotify(1, CHF, CHF_CPL),
        prenotify(2, ESME, ESME_CPL),
        request(
            3,
            ACB,
            ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS,
            CHFInstallSuccessSMWAN(CHF),
        ),
    ]:
        [reply] = await dcc.submit(message)
        assert isinstance(reply, ServiceResponse) and reply.response_code is ResponseCode.I0
    return dcc, hub, han


async def test_whitelisting_over_the_wan_lets_the_esme_join(tmp_path: Path) -> None:
    dcc, hub, han = await premises(tmp_path)
    link = dcc.attach_link(CHF)
    serving = asyncio.get_running_loop().create_task(hub.serve(link.to_hub, link.from_hub))
    async with dcc:
        [sent] = await dcc.submit(whitelist(1002))
        assert isinstance(sent, ServiceResponse) and sent.response_code is ResponseCode.I99
        answer = await dcc.next_message()
        assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
        alert = await dcc.next_message()  # CS14: the hub tells the DCC its Device Log changed
        assert isinstance(alert, DeviceAlert) and alert.device_alert_code == "8F12"
        record = dcc.inventory.smi(ESME)
        assert record is not None and record.status is SmiStatus.WHITELISTED
        entry = hub.device_log.get(ESME)
        assert entry is not None and entry.device_type is HanDeviceType.ESME
        assert entry.install_code == INSTALL_CODE
        # The join window is open for the ESME with its install code: it joins.
        esme = han.nodes[1]
        await esme.join(entry.preconfigured_key)
        assert esme.joined
        serving.cancel()
    await han.stop()


async def test_the_hub_answers_only_authentic_fresh_commands(tmp_path: Path) -> None:
    dcc, hub, han = await premises(tmp_path)
    link = dcc.attach_link(CHF)
    async with dcc:
        await dcc.submit(whitelist(1002))
        command = await link.to_hub.get()
        response, alert = await hub.on_gbcs(command)
        # Both verify with the DCC's keys, as an outside GBCS tool would check them.
        assert analyse(response, dcc.acb.keystore, ACB).mac is Verdict.VALID
        cs14 = analyse(alert, dcc.acb.keystore, ACB)
        assert cs14.mac is Verdict.VALID and cs14.reencoded_equal
        assert cs14.apdu is not None and cs14.apdu.other_information.message_code == 0x0018
        # Each refused command gets the generic alert naming why, MAC'd for the ACB.
        tampered = bytearray(command)
        tampered[-20] ^= 0x01
        refused = {
            "replay": (command, AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE),
            "tampered": (bytes(tampered), AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE),
            "garbage": (
                b"\xdd\x00garbage",
                AlertCode.INTEGRITY_CHECK_OF_CONTENT_OR_FORMAT_OF_COMMAND_FAILED,
            ),
        }
        counters = []
        for what, (data, code) in refused.items():
            [answer] = await hub.on_gbcs(data)
            checked = analyse(answer, dcc.acb.keystore, ACB)
            assert checked.mac is Verdict.VALID and checked.apdu is not None, what
            assert checked.apdu.cra is CRA.ALERT and checked.apdu.message_code == 0x1001, what
            assert isinstance(checked.payload, DataNotification), what
            assert checked.payload.alert_code == code, what
            counters.append(checked.apdu.originator_counter)
        assert counters == sorted(set(counters)) and counters[0] > cs14.apdu.originator_counter
        assert hub.rejected == {"replayed counter": 1, "MAC": 1, "malformed": 1}
        assert len(hub.device_log) == 1  # only the authentic command took effect
    await han.stop()


async def test_a_device_not_in_the_device_log_cannot_join(tmp_path: Path) -> None:
    _, _, han = await premises(tmp_path)
    esme = han.nodes[1]
    with pytest.raises(JoinError, match="no beacon permitting association"):
        await esme.join(bytes(16))
    await han.stop()


async def test_the_hub_reports_its_links_and_restores_a_removed_device(tmp_path: Path) -> None:
    """CCS06 reads the Device Log with each device's link status (the RTDS layout); CCS02 keeps
    the removed ESME's TC link key in the historic log, and CCS03 brings it back with it."""
    dcc, hub, han = await premises(tmp_path)
    link = dcc.attach_link(CHF)
    esme = han.nodes[1]
    async with dcc:
        await dcc.submit(whitelist(1002))
        await hub.on_gbcs(await link.to_hub.get())
        entry = hub.device_log.get(ESME)
        assert entry is not None
        await esme.join(entry.preconfigured_key)
        tc_link_key = han.hub.link_key(ESME)  # type: ignore[union-attr]
        assert tc_link_key not in (None, entry.preconfigured_key)

        def command(code: MessageCode, counter: int, payload: AccessRequest) -> bytes:
            return dcc.acb.command(code, counter, CHF, SUPPLIER, counter, payload).encode()

        check = MessageCode.CCS06_READ_CHF_DEVICE_LOG_AND_CHECK_HAN_COMMUNICATIONS
        [response] = await hub.on_gbcs(command(check, 5000, ccs06_payload(5000)))
        checked = analyse(response, dcc.acb.keystore, ACB)
        assert checked.mac is Verdict.VALID and isinstance(checked.payload, AccessResponse)
        [row] = checked.payload.data[0].value  # type: ignore[misc]
        eui, status, *_, last_heard, hops, failed, success, _, _ = row.value
        assert eui.value == ESME.big() and status.value.data == b"\xc8"  # as the RTDS devices
        assert last_heard.value != NOT_SPECIFIED_DATE_TIME and hops.value == 1
        assert (failed.value, success.value) == (0, 100)

        remove = MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG
        await hub.on_gbcs(command(remove, 5001, ccs02_payload(5001, ESME)))
        await han.clock.sleep(1.0)  # the NWK Leave reaches it
        assert hub.device_log.get(ESME) is None and not esme.joined
        [kept] = hub.device_log.historic
        assert kept.link_key == tc_link_key

        restore = MessageCode.CCS03_RESTORE_CHF_DEVICE_LOG
        response, cs14 = await hub.on_gbcs(command(restore, 5002, ccs03_payload(5002, [ESME])))
        assert isinstance(analyse(response).payload, AccessResponse)
        assert analyse(cs14).message_code == 0x0018  # the Device Log changed
        restored = hub.device_log.get(ESME)
        assert restored is not None and restored.link_key == tc_link_key
        await esme.join(tc_link_key)  # it comes back with the key it had, no install code
        assert esme.joined
        [refused] = await hub.on_gbcs(command(restore, 5003, ccs03_payload(5003, [CHF])))
        result = analyse(refused).payload
        assert isinstance(result, AccessResponse)
        assert result.results[0].result == DataAccessResult.OBJECT_UNAVAILABLE  # never removed
    await han.stop()
