"""The DCC's side of a change of supplier: SRV 6.23 (CS02b supplierByTransCoS) and its refusals,
``change_of_supply`` with the install-code custody ledger attached, and ``NoWanPolicy.HOLD``
across a 90-day install and leave (held commands go out when the WAN is restored, none lost,
their E21 timers start only then)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import CRA, DS, KA, GeneralCiphering, MessageCode, Verdict, analyse
from emulator.codec.gbcs.asn1 import decode_asn1
from emulator.han.clock import VirtualClock
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessNoSMWAN,
    CHFInstallSuccessSMWAN,
    Dcc,
    Inventory,
    NoWanPolicy,
    RequestId,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SmiStatus,
    TransitionError,
    UpdateHANDeviceLog,
)
from rig.dcc.custody import Custody
from rig.dcc.requests import RequestBody, UpdateSecurityCredentialsCoS
from rig.scenarios.premises import ACB, CPL, GPF, TRANS_COS, PremisesKeys, premises_keys

SUPPLIER_A = Eui64("90-B3-D5-1F-30-01-00-00")
SUPPLIER_B = Eui64("90-B3-D5-1F-30-02-00-00")
UNCERTIFIED = Eui64("90-B3-D5-1F-30-09-00-00")
"""A supplier the DCC holds no certificates of."""
CHF = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
GSME = Eui64("00-DB-12-34-56-78-90-A1")
DEVICES = (CHF, GPF, ESME, GSME)
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
DAY = 86_400.0
CODE = bytes(range(16))  # test-only install code
SRV = ServiceReferenceVariant


@pytest.fixture(scope="module")
def keys() -> PremisesKeys:
    return premises_keys("test-dcc-change-of-supplier", DEVICES, (SUPPLIER_A, SUPPLIER_B))


class Requests:
    """Service requests with rising counters per supplier."""

    def __init__(self) -> None:
        self.counters: dict[Eui64, int] = {}

    def __call__(
        self, supplier: Eui64, target: Eui64, srv: ServiceReferenceVariant, body: RequestBody
    ) -> ServiceRequest:
        counter = self.counters[supplier] = self.counters.get(supplier, 1000) + 1
        return ServiceRequest(RequestId(supplier, target, counter), srv, body)

    def credentials(self, supplier: Eui64, device: Eui64) -> ServiceRequest:
        return self(supplier, device, SRV.UPDATE_SECURITY_CREDENTIALS_COS, _COS)

    def add(self, supplier: Eui64, device: Eui64) -> ServiceRequest:
        body = UpdateHANDeviceLog(device, RequestType.ADD, AddDeviceToCHFWhitelist(3600, CODE))
        return self(supplier, CHF, SRV.UPDATE_HAN_DEVICE_LOG, body)


_COS = UpdateSecurityCredentialsCoS()


def code_of(messages: list[object]) -> ResponseCode:
    [message] = messages
    assert isinstance(message, ServiceResponse)
    return message.response_code


async def make_dcc(
    tmp_path: Path,
    keys: PremisesKeys,
    *,
    trans_cos: Eui64 | None = TRANS_COS,
    wan: bool = True,
    policy: NoWanPolicy = NoWanPolicy.FAIL,
    clock: VirtualClock | None = None,
) -> tuple[Dcc, Requests]:
    """A DCC with supplier A's hub (installed, with or without SM WAN), GPF, ESME and GSME
    pre-notified."""
    inventory = Inventory(tmp_path / "dcc.sqlite")
    for entry in {(e.manufacturer, e.model, e.device_type): e for e in CPL.values()}.values():
        inventory.add_cpl_entry(entry)
    dcc = Dcc(
        inventory, keys.dcc, acb=ACB, clock=clock or VirtualClock(T0), trans_cos=trans_cos,
        no_wan_policy=policy, response_timeout=600.0,
    )  # fmt: skip
    requests = Requests()
    for device in DEVICES:
        body = CPL[device].prenotification(device)
        prenotify = requests(SUPPLIER_A, device, SRV.DEVICE_PRE_NOTIFICATION, body)
        assert code_of(await dcc.submit(prenotify)) is ResponseCode.I0
    install: RequestBody = CHFInstallSuccessSMWAN(CHF) if wan else CHFInstallSuccessNoSMWAN(CHF)
    srv = SRV.CH_STATUS_UPDATE_INSTALL_SUCCESS if wan else SRV.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN
    assert code_of(await dcc.submit(requests(SUPPLIER_A, CHF, srv, install))) is ResponseCode.I0
    if wan:
        dcc.attach_link(CHF)
    return dcc, requests


# ---- 6.23 Update Security Credentials (CoS) ------------------------------------------------------


async def test_6_23_refusals(tmp_path: Path, keys: PremisesKeys) -> None:
    dcc, req = await make_dcc(tmp_path, keys)
    unknown = Eui64("00-DB-12-34-56-78-90-FF")
    assert code_of(await dcc.submit(req.credentials(SUPPLIER_A, unknown))) is ResponseCode.E19
    # the CHF's anchors are the DCC's roles', not a Supplier's
    assert code_of(await dcc.submit(req.credentials(SUPPLIER_A, CHF))) is ResponseCode.E11
    # the ESME is pre-notified only, not on the HAN
    assert code_of(await dcc.submit(req.credentials(SUPPLIER_A, ESME))) is ResponseCode.E5
    dcc.inventory.whitelist(ESME, CHF)
    # not the registered supplier
    assert code_of(await dcc.submit(req.credentials(SUPPLIER_B, ESME))) is ResponseCode.E4
    # the registered supplier, but the DCC holds no certificates of it
    dcc.change_of_supply(UNCERTIFIED, [ESME])
    assert code_of(await dcc.submit(req.credentials(UNCERTIFIED, ESME))) is ResponseCode.E5
    link = dcc.link(CHF)
    assert link is not None and link.to_hub.empty()  # nothing refused went out
    assert dcc.inventory.next_counter("transcos") == 0  # and no TransCoS counter was used


@pytest.mark.parametrize("without", ["party", "key"])
async def test_6_23_without_a_trans_cos_key_is_refused(
    tmp_path: Path, keys: PremisesKeys, without: str
) -> None:
    # a DCC with no TransCoS party, or one whose keystore lacks its signing key
    party = None if without == "party" else Eui64("90-B3-D5-1F-30-00-00-06")
    dcc, req = await make_dcc(tmp_path, keys, trans_cos=party)
    dcc.inventory.whitelist(ESME, CHF)
    assert code_of(await dcc.submit(req.credentials(SUPPLIER_A, ESME))) is ResponseCode.E5
    link = dcc.link(CHF)
    assert link is not None and link.to_hub.empty()


async def test_6_23_is_cs02b_signed_by_the_trans_cos_party_for_the_requester(
    tmp_path: Path, keys: PremisesKeys
) -> None:
    """The Pending GPF is a target too (it is on the hub from the start)."""
    dcc, req = await make_dcc(tmp_path, keys)
    dcc.change_of_supply(SUPPLIER_B, DEVICES)
    request = req.credentials(SUPPLIER_B, GPF)
    assert code_of(await dcc.submit(request)) is ResponseCode.I99
    link = dcc.link(CHF)
    assert link is not None
    sent = analyse(link.to_hub.get_nowait(), keys.devices[GPF], ACB)
    apdu = sent.apdu
    assert isinstance(sent.message, GeneralCiphering) and apdu is not None
    assert apdu.message_code == MessageCode.CS02B_UPDATE_SECURITY_CREDENTIALS_SUPPLIERBYTRANSCOS
    assert (apdu.cra, apdu.originator, apdu.recipient) == (CRA.COMMAND, TRANS_COS, GPF)
    other = apdu.other_information
    assert other.supplementary_remote_party_id == SUPPLIER_B
    assert other.supplementary_remote_party_counter == request.request_id.counter
    assert sent.mac is Verdict.VALID and sent.signature is Verdict.VALID
    value = decode_asn1("SupplierTrustAnchorReplacement", apdu.content)
    for usage, field in ((DS, "newSupplierDigitalSigningCertificate"),
                         (KA, "newSupplierKeyAgreementCertificate")):  # fmt: skip
        cert = keys.dcc.certificate(SUPPLIER_B, usage)
        assert cert is not None and bytes(value[field]) == cert.public_bytes(Encoding.DER)
    # the ACB's own counter is untouched: the TransCoS party counts for itself
    assert dcc.inventory.next_counter("transcos") == apdu.originator_counter + 1


# ---- change of supply with the custody ledger ----------------------------------------------------


async def test_change_of_supply_opens_the_gaining_suppliers_period_and_refuses_the_loser(
    tmp_path: Path, keys: PremisesKeys
) -> None:
    clock = VirtualClock(T0)
    dcc, req = await make_dcc(tmp_path, keys, clock=clock)
    custody = Custody(tmp_path / "custody.sqlite")
    dcc.custody = custody
    custody.record_installation(ESME, SUPPLIER_A, CODE, clock.datetime())
    await asyncio.sleep(30 * DAY)
    day_30 = clock.datetime()
    dcc.change_of_supply(SUPPLIER_B, [ESME, CHF])  # the CHF is not in the ledger: SMI only
    assert [(p.supplier, p.start, p.end) for p in custody.supply_periods(ESME)] == [
        (SUPPLIER_A, T0, day_30),
        (SUPPLIER_B, day_30, None),
    ]
    assert custody.supply_periods(CHF) == []
    assert custody.registered_supplier(ESME, day_30) == SUPPLIER_B
    assert custody.installation(ESME) is not None  # who installed it does not change
    for device in (ESME, CHF):
        record = dcc.inventory.smi(device)
        assert record is not None and record.registered_supplier == SUPPLIER_B
    assert code_of(await dcc.submit(req.add(SUPPLIER_A, ESME))) is ResponseCode.E4
    assert code_of(await dcc.submit(req.add(SUPPLIER_B, ESME))) is ResponseCode.I99
    # the same registration data again move nothing, in the SMI or in the ledger
    dcc.change_of_supply(SUPPLIER_B, [ESME])
    assert len(custody.supply_periods(ESME)) == 2
    custody.close()


async def test_a_change_of_supply_naming_an_unknown_device_moves_nothing(
    tmp_path: Path, keys: PremisesKeys
) -> None:
    dcc, _ = await make_dcc(tmp_path, keys)
    custody = Custody()
    dcc.custody = custody
    custody.record_installation(ESME, SUPPLIER_A, CODE, T0)
    with pytest.raises(TransitionError):
        dcc.change_of_supply(SUPPLIER_B, [ESME, Eui64("00-DB-12-34-56-78-90-FF")])
    record = dcc.inventory.smi(ESME)
    assert record is not None and record.registered_supplier == SUPPLIER_A
    assert [p.supplier for p in custody.supply_periods(ESME)] == [SUPPLIER_A]


# ---- NoWanPolicy.HOLD across a 90-day install and leave ------------------------------------------


async def test_hold_keeps_commands_for_90_days_and_sends_them_when_the_wan_is_restored(
    tmp_path: Path, keys: PremisesKeys
) -> None:
    """8.14.2 (a reactive case, due on day 90), then 8.11 for the ESME and the GSME: both I99 and
    held. For 90 modelled days nothing goes out and no E21 comes (a held command has no response
    timer); on day 90 the DCC restores the WAN and both go out in order, byte for byte as built;
    the one never answered is E21 ``response_timeout`` after it went out, not after it was held."""
    clock = VirtualClock(T0)
    dcc, req = await make_dcc(tmp_path, keys, wan=False, policy=NoWanPolicy.HOLD, clock=clock)
    sent: list[bytes] = []

    def journalled() -> list[str | None]:
        rows = dcc.inventory.journal("request")
        return [str(r["gbcs_sha256"]) for r in rows if r["gbcs_sha256"] is not None]

    async with dcc:
        first, second = req.add(SUPPLIER_A, ESME), req.add(SUPPLIER_A, GSME)
        assert code_of(await dcc.submit(first)) is ResponseCode.I99
        assert code_of(await dcc.submit(second)) is ResponseCode.I99
        held = journalled()
        assert len(held) == 2
        await asyncio.sleep(90 * DAY - 1)
        assert dcc.link(CHF) is None and dcc.pending_messages() == []
        case = await dcc.wan_restored(CHF)
        assert case is not None and case.restored_at == T0 + timedelta(days=90)
        link = dcc.link(CHF)
        assert link is not None
        while not link.to_hub.empty():
            sent.append(link.to_hub.get_nowait())
        assert [hashlib.sha256(m).hexdigest() for m in sent] == held  # in order, as journalled
        restored_at = clock.now()
        timed_out = [await dcc.next_message(), await dcc.next_message()]
        assert clock.now() - restored_at == pytest.approx(600.0)  # the DCC's response_timeout
        assert [(m.request_id, m.response_code) for m in timed_out] == [  # type: ignore[union-attr]
            (first.request_id, ResponseCode.E21),
            (second.request_id, ResponseCode.E21),
        ]
    for device in (ESME, GSME):
        record = dcc.inventory.smi(device)
        assert record is not None and record.status is SmiStatus.PENDING
