"""Scenario ``tsat-windows``: installing and maintaining inside and outside the Release 2 letter's
TSAT windows, judged by the DCC on each request's modelled date.

The run's clock starts on 01/10/2018 (``EPOCH``, a scenario setting), four weeks before Release 2
go-live, and moves on to 01/11/2018 (the clear-out year) and 28/10/2019 (the day after it ends).
A premises with a CHTS v1.0 hub (single band) and an ESME on 2.4 GHz is real; the other devices
are DCC-only (SMI records, no emulator). The CPL has SMETS2 v2.0 and v3.0 ESMEs and CHTS v1.0 and
v1.1 hubs (``CPL_ROWS``). Each case (``CASES``) is one step: an SRV, the DUIS code the DCC answers
and the TSAT part of the journal note (``rig.dcc.tsat``: Tables 2 and 3 as the letter's Annex D
amends them, its paragraph 7's 12-month clear-out warned [U]):

* pre-notification (12.2): refused ``E120203`` outside the installation period (SMETS2 v3.0 and
  CHTS v1.1 before go-live, SMETS2 v2.0 and CHTS v1.0 after the clear-out year), warned in the
  clear-out year, allowed otherwise;
* CH status update (8.14.1 / 8.14.2): the installation period for a Pending CHF, the maintenance
  period for one InstalledNotCommissioned (CHTS v1.0's ends with the clear-out year: ``E5``;
  CHTS v1.1's is open);
* the device log (8.11 Add) and commissioning (8.1.1): the installation period for a device not
  yet InstalledNotCommissioned; a warned 8.1.1 commissions the ESME for real (ECS70, the SMI says
  Commissioned), a refused one never leaves the DCC (``E5``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from emulator.codec.eui64 import Eui64
from emulator.devices.ch_profile import SINGLE_BAND_CHTS_1_0
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessNoSMWAN,
    CHFInstallSuccessSMWAN,
    CplEntry,
    DeviceType,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceResponse,
    SmiStatus,
    UpdateHANDeviceLog,
)
from rig.dcc.requests import RequestBody

from .context import ChartKind, RunContext
from .framework import Measurement, StepSpec, scenario
from .han_join import ESME, HUB, STEP_TIMEOUT, Member
from .premises import (
    ACB,
    GPF,
    Supplier,
    Wired,
    cpl_for,
    join_with_cbke,
    premises_keys,
    wire_premises,
)

EPOCH = datetime(2018, 10, 1, 9, 0, tzinfo=UTC)
"""The run's modelled start: before Release 2 go-live (28/10/2018)."""
CLEAR_OUT_YEAR = date(2018, 11, 1)
AFTER_CLEAR_OUT = date(2019, 10, 28)
SRV = ServiceReferenceVariant
JOIN_WINDOW = 300
CLOCK_TOLERANCE = 600

ESME_20 = CplEntry("AB01", "ESME20", "1", "00020000", DeviceType.ESME, "SMETS2 V2.0")
ESME_30 = CplEntry("AB01", "ESME30", "1", "00030000", DeviceType.ESME, "SMETS2 V3.0")
HUB_11 = CplEntry("CH01", "HUB11", "1", "00010000", DeviceType.CHF, "CHTS V1.1")
HUB_10 = cpl_for(SINGLE_BAND_CHTS_1_0)[HUB.eui64]  # the premises hub's model: CHTS V1.0
CPL_ROWS = (ESME_20, ESME_30, HUB_11)
"""Models beside the premises' own: SMETS2 v2.0 / v3.0 ESMEs, a CHTS v1.1 hub."""

ESME_B = Eui64("00-DB-12-34-56-78-90-B0")  # SMETS2 v2.0, whitelisted, never joins
ESME_C = Eui64("00-DB-12-34-56-78-90-B1")  # SMETS2 v3.0
ESME_D = Eui64("00-DB-12-34-56-78-90-B2")  # SMETS2 v2.0, too late
HUB_B = Eui64("00-DB-12-34-56-78-91-A2")  # CHTS v1.0, installed and left
HUB_C = Eui64("00-DB-12-34-56-78-92-A2")  # CHTS v1.1, installed and left
HUB_D = Eui64("00-DB-12-34-56-78-93-A2")  # CHTS v1.0, too late

CLEAR_OUT_2_0 = (
    "SMETS2 v2.0 installation validity period ends 27/10/2019: 12 months from Release 2 go-live "
    "for industry supply chains to be cleared of previous specification Devices"
)
CHTS_WINDOW = (
    "validity period ends 27/10/2019: a 12-month window during which existing CHTS v1.0 "
    "Communication Hubs must be upgraded to v1.1, and new Communications Hubs being installed "
    "must be compliant with CHTS v1.1"
)

Body = Callable[[Supplier], RequestBody]


def _prenotify(entry: CplEntry, device: Eui64) -> Body:
    return lambda _s: entry.prenotification(device)


def _whitelist(device: Eui64, code: bytes) -> Body:
    add = AddDeviceToCHFWhitelist(JOIN_WINDOW, code)
    return lambda _s: UpdateHANDeviceLog(device, RequestType.ADD, add)


def _commission(s: Supplier) -> RequestBody:
    return s.commission_body(CLOCK_TOLERANCE)


@dataclass(frozen=True)
class Case:
    """One request on one date: the DUIS code the DCC must answer and the TSAT part of the
    journal note ("" = no TSAT note: allowed)."""

    on: date
    title: str
    srv: SRV
    target: Eui64
    body: Body
    code: ResponseCode
    note: str = ""
    joins: Member | None = None
    """A device that joins (with CBKE) once the request has been answered."""

    @property
    def spec(self) -> StepSpec:
        return StepSpec(
            f"{self.on:%d/%m/%Y} {self.title}",
            (
                Measurement("duis_code_matches", "", low=1, high=1),
                Measurement("journal_note_matches", "", low=1, high=1),
            ),
            STEP_TIMEOUT,
        )


def _refused(entry: CplEntry, kind: str, period: str, on: date) -> str:
    name = f"{entry.smets_chts_version.split()[0]} v{entry.smets_chts_version.split()[1][1:]}"
    return f"TSAT: {name} is outside its {kind} validity period ({period}) on {on:%d/%m/%Y}"


EARLY = EPOCH.date()
CODES = {"esme": bytes(range(16)), "esme-b": bytes(range(16, 32))}
"""[I] Test install codes (the ESME's joins with it; ESME_B's is never used)."""
CASES = (
    Case(EARLY, "12.2 CHTS v1.0 hub before go-live: allowed", SRV.DEVICE_PRE_NOTIFICATION,
         ACB, _prenotify(HUB_10, HUB.eui64), ResponseCode.I0),
    Case(EARLY, "8.14.1 CHTS v1.0 hub: installed, allowed", SRV.CH_STATUS_UPDATE_INSTALL_SUCCESS,
         ACB, lambda _s: CHFInstallSuccessSMWAN(HUB.eui64), ResponseCode.I0),
    Case(EARLY, "12.2 SMETS2 v3.0 ESME before go-live: refused", SRV.DEVICE_PRE_NOTIFICATION,
         ACB, _prenotify(ESME_30, ESME_C), ResponseCode.E120203,
         _refused(ESME_30, "installation", "28/10/2018 to Not determined", EARLY)),
    Case(EARLY, "12.2 CHTS v1.1 hub before go-live: refused", SRV.DEVICE_PRE_NOTIFICATION,
         ACB, _prenotify(HUB_11, HUB_C), ResponseCode.E120203,
         _refused(HUB_11, "installation", "28/10/2018 to Not determined", EARLY)),
    Case(EARLY, "12.2 SMETS2 v2.0 ESME before go-live: allowed", SRV.DEVICE_PRE_NOTIFICATION,
         ACB, _prenotify(ESME_20, ESME.eui64), ResponseCode.I0),
    Case(EARLY, "12.2 second SMETS2 v2.0 ESME: allowed", SRV.DEVICE_PRE_NOTIFICATION,
         ACB, _prenotify(ESME_20, ESME_B), ResponseCode.I0),
    Case(EARLY, "8.11 Add SMETS2 v2.0 ESME: allowed, whitelisted, it joins",
         SRV.UPDATE_HAN_DEVICE_LOG, HUB.eui64, _whitelist(ESME.eui64, CODES["esme"]),
         ResponseCode.I99, joins=ESME),
    Case(EARLY, "8.11 Add second SMETS2 v2.0 ESME: allowed", SRV.UPDATE_HAN_DEVICE_LOG,
         HUB.eui64, _whitelist(ESME_B, CODES["esme-b"]), ResponseCode.I99),
    Case(CLEAR_OUT_YEAR, "12.2 CHTS v1.0 hub in the clear-out year: warned",
         SRV.DEVICE_PRE_NOTIFICATION, ACB, _prenotify(HUB_10, HUB_B), ResponseCode.I0,
         f"TSAT warning: CHTS v1.0 installation {CHTS_WINDOW}"),
    Case(CLEAR_OUT_YEAR, "8.14.2 CHTS v1.0 hub (install and leave): warned",
         SRV.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN, ACB,
         lambda _s: CHFInstallSuccessNoSMWAN(HUB_B), ResponseCode.I0,
         f"TSAT warning: CHTS v1.0 installation {CHTS_WINDOW}"),
    Case(CLEAR_OUT_YEAR, "12.2 CHTS v1.1 hub after go-live: allowed", SRV.DEVICE_PRE_NOTIFICATION,
         ACB, _prenotify(HUB_11, HUB_C), ResponseCode.I0),
    Case(CLEAR_OUT_YEAR, "8.14.2 CHTS v1.1 hub (install and leave): allowed",
         SRV.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN, ACB,
         lambda _s: CHFInstallSuccessNoSMWAN(HUB_C), ResponseCode.I0),
    Case(CLEAR_OUT_YEAR, "12.2 SMETS2 v3.0 ESME after go-live: allowed",
         SRV.DEVICE_PRE_NOTIFICATION, ACB, _prenotify(ESME_30, ESME_C), ResponseCode.I0),
    Case(CLEAR_OUT_YEAR, "8.1.1 SMETS2 v2.0 ESME in the clear-out year: warned, commissioned",
         SRV.COMMISSION_DEVICE, ESME.eui64, _commission, ResponseCode.I99,
         f"TSAT warning: {CLEAR_OUT_2_0}"),
    Case(AFTER_CLEAR_OUT, "12.2 SMETS2 v2.0 ESME after the clear-out year: refused",
         SRV.DEVICE_PRE_NOTIFICATION, ACB, _prenotify(ESME_20, ESME_D), ResponseCode.E120203,
         _refused(ESME_20, "installation", "30/09/2016 to 27/10/2019", AFTER_CLEAR_OUT)),
    Case(AFTER_CLEAR_OUT, "12.2 CHTS v1.0 hub after the clear-out year: refused",
         SRV.DEVICE_PRE_NOTIFICATION, ACB, _prenotify(HUB_10, HUB_D), ResponseCode.E120203,
         _refused(HUB_10, "installation", "30/09/2016 to 27/10/2019", AFTER_CLEAR_OUT)),
    Case(AFTER_CLEAR_OUT, "8.1.1 whitelisted SMETS2 v2.0 ESME after the clear-out year: refused",
         SRV.COMMISSION_DEVICE, ESME_B, _commission, ResponseCode.E5,
         _refused(ESME_20, "installation", "30/09/2016 to 27/10/2019", AFTER_CLEAR_OUT)),
    Case(AFTER_CLEAR_OUT, "8.14.1 CHTS v1.0 hub installed and left: maintenance refused",
         SRV.CH_STATUS_UPDATE_INSTALL_SUCCESS, ACB,
         lambda _s: CHFInstallSuccessSMWAN(HUB_B), ResponseCode.E5,
         _refused(HUB_10, "maintenance", "30/09/2016 to 27/10/2019", AFTER_CLEAR_OUT)),
    Case(AFTER_CLEAR_OUT, "8.14.1 CHTS v1.1 hub installed and left: maintenance allowed",
         SRV.CH_STATUS_UPDATE_INSTALL_SUCCESS, ACB,
         lambda _s: CHFInstallSuccessSMWAN(HUB_C), ResponseCode.I0),
)  # fmt: skip


def _tsat_note(wired: Wired, request_id: str) -> str:
    """The TSAT part of the first journalled response to ``request_id`` (the Pre-Command's, for
    a critical SRV): from "TSAT" to the end of its sentence ("" if none)."""
    rows = [r for r in wired.dcc.inventory.journal("response") if r["request_id"] == request_id]
    note = str(rows[0]["note"]) if rows else ""
    start = note.find("TSAT")
    if start < 0:
        return ""
    tail = note[start:]
    for suffix in (" reactive install and leave", " proactive install and leave"):
        tail = tail.removesuffix(suffix)
    return tail


@scenario(
    "tsat-windows",
    "Pre-notification, CH status updates, 8.11 and commissioning inside and outside the Release 2 "
    "TSAT windows (SMETS2 v2.0/v3.0, CHTS v1.0/v1.1), on a clock that starts on 01/10/2018: "
    "refused or warned as the tables say, each DUIS code and journal note checked.",
    steps=tuple(c.spec for c in CASES),
    epoch=EPOCH,
    timeout=400 * 86_400.0,
)
async def tsat_windows(run: RunContext) -> None:
    clock = run.clock
    run.acb_eui = ACB
    keys = premises_keys(f"tsat-windows/{run.seed}", (HUB.eui64, GPF, ESME.eui64))
    wired = await run.cleanup.enter_async_context(
        wire_premises(run, keys, (HUB, ESME), hub_profile=SINGLE_BAND_CHTS_1_0)
    )
    run.reveal_han_keys(wired.han.key_ring)
    for entry in CPL_ROWS:
        wired.dcc.inventory.add_cpl_entry(entry)
    supplier = Supplier(wired.dcc, keys.supplier, clock)

    async with wired.dcc:
        for case in CASES:
            due = datetime.combine(case.on, EPOCH.timetz())
            if clock.datetime() < due:
                await clock.sleep((due - clock.datetime()).total_seconds())
            async with run.step(case.spec) as scope:
                run.chart(ChartKind.SRV, "supplier", "DCC", f"SRV {case.srv.value} {case.title}")
                answer = await supplier.submit(case.target, case.srv, case.body(supplier))
                run.chart(ChartKind.SRV, "DCC", "supplier", answer.response_code.value)
                note = _tsat_note(wired, str(answer.request_id))
                run.log("tsat", case=case.title, code=answer.response_code.value, note=note)
                scope.measure("duis_code_matches", int(answer.response_code is case.code))
                scope.measure("journal_note_matches", int(note == case.note))
                await _follow_up(wired, supplier, case, answer)


async def _follow_up(wired: Wired, supplier: Supplier, case: Case, answer: ServiceResponse) -> None:
    """What a case's request sets going: the device's answer to 8.11 / 8.1.1 (and the ESME's
    join once whitelisted)."""
    if answer.response_code is not ResponseCode.I99:
        return
    response = await supplier.response_to(answer.request_id)
    assert isinstance(response, ServiceResponse), f"{case.title}: {response!r}"
    assert response.response_code is ResponseCode.I0, f"{case.title}: {response.response_code}"
    if case.joins is not None:
        await join_with_cbke(wired, case.joins)
    if case.srv is SRV.COMMISSION_DEVICE:
        record = wired.dcc.inventory.smi(case.target)
        assert record is not None and record.status is SmiStatus.COMMISSIONED
