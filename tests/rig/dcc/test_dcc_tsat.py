"""The Release 2 TS Applicability Tables (seed 004, Annex D Tables 2 and 3) and the DCC using them.

The table as transcribed; every start and end date checked the day before, of and after; CHTS
v1.0 installation and maintenance ending 27/10/2019; SMETS2 v3.0 / CHTS v1.1 from 28/10/2018 with
GBCS v2.0 and v2.1; GBCS v1.1 only with SMETS2 v2.0 / CHTS v1.0 and only from 06/11/2017; the
warned cases (the letter's 12-month clear-out, versions beyond Release 2); and the DCC refusing a
12.2 / 8.14.x / 8.11 Add outside the window by the modelled date, with the SMI unchanged.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from support.dcc import (
    ACB,
    CHF,
    ESME,
    PPMID,
    SUPPLIER,
    add_request,
    ch_install,
    code_of,
    prenotification,
)
from support.rtds import RTDS_KEYSTORE

from emulator.codec.eui64 import Eui64
from emulator.han.clock import Clock
from rig.dcc import (
    RELEASE_2_TSAT,
    CplEntry,
    Dcc,
    DevicePrenotification,
    DeviceType,
    Inventory,
    RequestId,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    SmiStatus,
    TsatOutcome,
    TsatSpec,
    TsatUnlisted,
    check_installation,
    check_maintenance,
)
from rig.dcc.tsat import GbcsApplicability, Period, check_version_text, parse_version

KEYSTORE = RTDS_KEYSTORE
ESME_R2 = Eui64("00DB1234567890A3")

CH_V10 = CplEntry("CH01", "HUB-OLD", "1", "00010000", DeviceType.CHF, "CHTS V1.0")
CH_V11 = CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1")
ESME_V20 = CplEntry("AB01", "OLD-ESME", "1", "00020000", DeviceType.ESME, "SMETS2 V2.0")
ESME_V30 = CplEntry("AB01", "R2-ESME", "1", "00030000", DeviceType.ESME, "SMETS2 V3.0")
ESME_V41 = CplEntry("AB01", "010A030B", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1")
PPMID_S1 = CplEntry("PP01", "DualMode", "1", "01020304", DeviceType.PPMID, "SMETS1")
PPMID_S2 = CplEntry("PP01", "DualMode", "1", "01020304", DeviceType.PPMID, "SMETS2 V2.0")

D = date
INSTALLATION_END = D(2019, 10, 27)
GO_LIVE = D(2018, 10, 28)
SMETS2, CHTS = TsatSpec.SMETS2, TsatSpec.CHTS
ALLOWED, WARNED, REFUSED = TsatOutcome.ALLOWED, TsatOutcome.WARNED, TsatOutcome.REFUSED


# ---- the table as data ------------------------------------------------------------------------


def test_the_tables_as_transcribed_from_annex_d() -> None:
    rows = {
        (e.spec, e.version): (
            e.installation,
            e.maintenance,
            tuple((g.gbcs_version, g.period) for g in e.gbcs),
        )
        for e in RELEASE_2_TSAT
    }
    old, r2 = D(2016, 9, 30), GO_LIVE
    assert rows == {
        (SMETS2, "2.0"): (
            Period(old, INSTALLATION_END),
            Period(old, None),  # maintenance end stays "Not determined"
            (("1.1", Period(D(2017, 11, 6), None)),),
        ),
        (SMETS2, "3.0"): (
            Period(r2, None),
            Period(r2, None),
            (("2.0", Period(r2, None)), ("2.1", Period(r2, None))),
        ),
        (CHTS, "1.0"): (
            Period(old, INSTALLATION_END),
            Period(old, INSTALLATION_END),
            (("1.1", Period(D(2017, 11, 6), None)),),
        ),
        (CHTS, "1.1"): (
            Period(r2, None),
            Period(r2, None),
            (("2.0", Period(r2, None)), ("2.1", Period(r2, None))),
        ),
    }
    for e in RELEASE_2_TSAT:
        assert "Release 2" in e.source and "Annex D" in e.source
        assert ("Table 2" in e.source) == (e.spec is SMETS2)
        assert all(isinstance(g, GbcsApplicability) for g in e.gbcs)


def _boundaries() -> list[tuple[str, TsatSpec, str, date, date, TsatOutcome | None]]:
    """(kind, spec, version, boundary, day, expected-if-refused-else-None) for every date."""
    out: list[tuple[str, TsatSpec, str, date, date, TsatOutcome | None]] = []
    one = timedelta(days=1)
    for e in RELEASE_2_TSAT:
        for kind, period in (("installation", e.installation), ("maintenance", e.maintenance)):
            if period.start is not None:
                s = period.start
                out += [(kind, e.spec, e.version, s, s - one, REFUSED)]
                out += [
                    (kind, e.spec, e.version, s, s, None),
                    (kind, e.spec, e.version, s, s + one, None),
                ]
            if period.end is not None:
                t = period.end
                out += [
                    (kind, e.spec, e.version, t, t - one, None),
                    (kind, e.spec, e.version, t, t, None),
                ]
                out += [(kind, e.spec, e.version, t, t + one, REFUSED)]
    return out


@pytest.mark.parametrize(
    ("kind", "spec", "version", "boundary", "day", "refused"),
    _boundaries(),
    ids=lambda v: str(v) if not isinstance(v, TsatOutcome) else v.value,
)
def test_boundary_dates(
    kind: str,
    spec: TsatSpec,
    version: str,
    boundary: date,
    day: date,
    refused: TsatOutcome | None,
) -> None:
    del boundary
    check = check_installation if kind == "installation" else check_maintenance
    verdict = check(spec, version, None, day)
    if refused is REFUSED:
        assert verdict.outcome is REFUSED
        assert f"outside its {kind} validity period" in verdict.reason
    else:
        assert verdict.outcome in (ALLOWED, WARNED), verdict


def test_boundaries_cover_every_date_of_the_table() -> None:
    # 4 versions x installation and maintenance start (3 days each), plus the three end dates
    assert len(_boundaries()) == 8 * 3 + 3 * 3


# ---- the letter's cases -----------------------------------------------------------------------


def test_chts_v1_0_installation_and_maintenance_end_27_10_2019() -> None:
    last, after = INSTALLATION_END, INSTALLATION_END + timedelta(days=1)
    for check in (check_installation, check_maintenance):
        assert check(CHTS, "1.0", "1.1", last).outcome is WARNED
        refused = check(CHTS, "1.0", "1.1", after)
        assert refused.outcome is REFUSED and "27/10/2019" in refused.reason
    # SMETS2 v2.0: installation ends too, maintenance does not
    assert check_installation(SMETS2, "2.0", "1.1", after).outcome is REFUSED
    assert check_maintenance(SMETS2, "2.0", "1.1", D(2030, 1, 1)).outcome is ALLOWED


def test_smets2_v3_0_and_chts_v1_1_from_release_2_go_live() -> None:
    for spec, version in ((SMETS2, "3.0"), (CHTS, "1.1")):
        for gbcs in ("2.0", "2.1", None):
            for check in (check_installation, check_maintenance):
                assert check(spec, version, gbcs, GO_LIVE).outcome is ALLOWED
                assert check(spec, version, gbcs, D(2026, 1, 1)).outcome is ALLOWED
                assert check(spec, version, gbcs, GO_LIVE - timedelta(days=1)).refused


def test_gbcs_1_1_only_with_the_right_specs_and_from_06_11_2017() -> None:
    for spec, version in ((SMETS2, "2.0"), (CHTS, "1.0")):
        assert check_installation(spec, version, "1.1", D(2017, 11, 6)).outcome is ALLOWED
        early = check_installation(spec, version, "1.1", D(2017, 11, 5))
        assert early.refused and "applicability period" in early.reason
        # the old specs with the Release 2 GBCS versions
        for gbcs in ("2.0", "2.1"):
            wrong = check_installation(spec, version, gbcs, D(2019, 1, 1))
            assert wrong.refused and "not a relevant GBCS version" in wrong.reason
    for spec, version in ((SMETS2, "3.0"), (CHTS, "1.1")):
        wrong = check_installation(spec, version, "1.1", D(2019, 1, 1))
        assert wrong.refused and "not a relevant GBCS version" in wrong.reason


def test_the_twelve_month_clear_out_is_warned_with_the_letters_wording() -> None:
    before = GO_LIVE - timedelta(days=1)
    assert check_installation(SMETS2, "2.0", None, before).outcome is ALLOWED
    smets = check_installation(SMETS2, "2.0", None, GO_LIVE)
    assert smets.outcome is WARNED
    assert "industry supply chains to be cleared of previous specification Devices" in (
        smets.reason
    )
    chts = check_maintenance(CHTS, "1.0", None, GO_LIVE)
    assert chts.outcome is WARNED
    assert "existing CHTS v1.0 Communication Hubs must be upgraded to v1.1" in chts.reason
    assert "ends 27/10/2019" in chts.reason


def test_versions_beyond_release_2_follow_the_named_setting() -> None:
    warned = check_installation(SMETS2, "4.1", None, D(2026, 1, 1))
    assert warned.outcome is WARNED
    assert "not in the Release 2 TSAT" in warned.reason and "beyond Release 2" in warned.reason
    assert (
        check_installation(SMETS2, "4.1", None, D(2026, 1, 1), unlisted=TsatUnlisted.ALLOW).outcome
        is ALLOWED
    )
    assert check_installation(
        SMETS2, "4.1", None, D(2026, 1, 1), unlisted=TsatUnlisted.REFUSE
    ).refused


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("SMETS2 V4.1", (SMETS2, "4.1")),
        ("CHTS V1.1", (CHTS, "1.1")),
        ("chts v1.0", (CHTS, "1.0")),
        ("SMETS2+ V3.0", (SMETS2, "3.0")),
        ("SMETS2 V3", (SMETS2, "3.0")),
        ("CHTS1.1", (CHTS, "1.1")),
        ("SMETS1", None),
        ("SMETS2+", None),
        ("whatever", None),
    ],
)
def test_cpl_version_text(text: str, parsed: tuple[TsatSpec, str] | None) -> None:
    assert parse_version(text) == parsed


def test_version_text_verdicts() -> None:
    day = D(2026, 1, 1)
    assert check_version_text("CHTS V1.1", day).outcome is ALLOWED
    assert check_version_text("CHTS V1.0", day).refused
    assert check_version_text("SMETS1", day).outcome is ALLOWED
    assert check_version_text("SMETS2 V4.1", day).outcome is WARNED
    unreadable = check_version_text("SMETS2+", day)
    assert unreadable.outcome is WARNED and "not recognised" in unreadable.reason


# ---- the DCC ----------------------------------------------------------------------------------


class DateClock:
    """Only the modelled calendar date, which is all DCC-only SRVs ask of the clock."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.epoch = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)

    def datetime(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 12, tzinfo=UTC)


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    inv = Inventory(tmp_path / "dcc.sqlite")
    for e in (CH_V10, CH_V11, ESME_V20, ESME_V30, ESME_V41, PPMID_S1, PPMID_S2):
        inv.add_cpl_entry(e)
    return inv


@pytest.fixture
def clock() -> DateClock:
    return DateClock(INSTALLATION_END)


@pytest.fixture
def dcc(inventory: Inventory, clock: DateClock) -> Dcc:
    return Dcc(inventory, KEYSTORE, acb=ACB, clock=cast(Clock, clock))


def last_note(dcc: Dcc) -> str:
    return str(dcc.inventory.journal("response")[-1]["note"])


def status(dcc: Dcc, eui: Eui64) -> SmiStatus | None:
    rec = dcc.inventory.smi(eui)
    return None if rec is None else rec.status


async def test_prenotification_outside_the_window_is_refused_and_the_smi_unchanged(
    dcc: Dcc, clock: DateClock
) -> None:
    clock.day = INSTALLATION_END + timedelta(days=1)
    assert code_of(await dcc.submit(prenotification(CHF, CH_V10, 1))) is ResponseCode.E120203
    assert dcc.inventory.smi(CHF) is None
    note = last_note(dcc)
    assert note.startswith("TSAT: CHTS v1.0") and "installation validity period" in note
    assert code_of(await dcc.submit(prenotification(ESME, ESME_V20, 2))) is ResponseCode.E120203
    assert dcc.inventory.smi(ESME) is None
    # the Release 2 versions are fine that day
    assert code_of(await dcc.submit(prenotification(CHF, CH_V11, 3))) is ResponseCode.I0
    assert code_of(await dcc.submit(prenotification(ESME, ESME_V30, 4))) is ResponseCode.I0
    assert last_note(dcc) == ""


async def test_warned_prenotification_succeeds_with_the_warning_journalled_and_logged(
    dcc: Dcc, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="rig.dcc.dcc"):
        assert code_of(await dcc.submit(prenotification(CHF, CH_V10, 1))) is ResponseCode.I0
    assert status(dcc, CHF) is SmiStatus.PENDING
    note = last_note(dcc)
    assert note.startswith("TSAT warning: CHTS v1.0 installation validity period ends 27/10/2019")
    assert "new Communications Hubs being installed must be compliant with CHTS v1.1" in note
    assert any("TSAT warning" in r.getMessage() for r in caplog.records)
    # a version beyond Release 2: warned by default (the rig's own CPL rows are SMETS2 V4.1)
    assert code_of(await dcc.submit(prenotification(ESME, ESME_V41, 2))) is ResponseCode.I0
    assert "not in the Release 2 TSAT" in last_note(dcc)


async def test_unlisted_versions_refused_when_the_setting_says_so(
    inventory: Inventory, clock: DateClock
) -> None:
    dcc = Dcc(
        inventory, KEYSTORE, acb=ACB, clock=cast(Clock, clock), tsat_unlisted=TsatUnlisted.REFUSE
    )
    assert code_of(await dcc.submit(prenotification(ESME, ESME_V41, 1))) is ResponseCode.E120203
    assert dcc.inventory.smi(ESME) is None


async def test_ch_installed_after_its_window_is_refused(dcc: Dcc, clock: DateClock) -> None:
    assert code_of(await dcc.submit(prenotification(CHF, CH_V10, 1))) is ResponseCode.I0
    clock.day = INSTALLATION_END + timedelta(days=1)
    for wan in (True, False):
        assert code_of(await dcc.submit(ch_install(2, wan))) is ResponseCode.E5
        assert status(dcc, CHF) is SmiStatus.PENDING
    assert "TSAT: CHTS v1.0 is outside its installation validity period" in last_note(dcc)


async def test_ch_commissioned_later_needs_its_maintenance_window(
    dcc: Dcc, clock: DateClock
) -> None:
    """Install and leave (8.14.2) on the last day; 8.14.1 the day after is out of maintenance."""
    assert code_of(await dcc.submit(prenotification(CHF, CH_V10, 1))) is ResponseCode.I0
    assert code_of(await dcc.submit(ch_install(2, wan=False))) is ResponseCode.I0
    clock.day = INSTALLATION_END + timedelta(days=1)
    assert code_of(await dcc.submit(ch_install(3))) is ResponseCode.E5
    assert status(dcc, CHF) is SmiStatus.INSTALLED_NOT_COMMISSIONED
    assert "maintenance validity period" in last_note(dcc)


async def test_meter_whitelisted_after_its_installation_window_is_refused(
    dcc: Dcc, clock: DateClock
) -> None:
    """The DCC has no 8.1.1 yet: 8.11 Add of a Pending meter is where its installation shows."""
    assert code_of(await dcc.submit(prenotification(CHF, CH_V11, 1))) is ResponseCode.I0
    assert code_of(await dcc.submit(ch_install(2))) is ResponseCode.I0
    assert code_of(await dcc.submit(prenotification(ESME, ESME_V20, 3))) is ResponseCode.I0
    clock.day = INSTALLATION_END + timedelta(days=1)
    assert (
        code_of(await dcc.submit(add_request(ESME, 4, install_code=bytes(16)))) is ResponseCode.E5
    )
    assert status(dcc, ESME) is SmiStatus.PENDING
    assert "TSAT: SMETS2 v2.0" in last_note(dcc)
    # a Release 2 meter gets past the TSAT (and fails on the missing SM WAN instead)
    assert code_of(await dcc.submit(prenotification(ESME_R2, ESME_V30, 5))) is ResponseCode.I0
    assert (
        code_of(await dcc.submit(add_request(ESME_R2, 6, install_code=bytes(16))))
        is ResponseCode.E20
    )


async def test_dual_mode_ppmid_with_a_smets1_row_is_allowed(dcc: Dcc, clock: DateClock) -> None:
    clock.day = D(2026, 1, 1)
    pre = ServiceRequest(
        RequestId(SUPPLIER, ACB, 1),
        ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION,
        DevicePrenotification(PPMID, "PP01", "DualMode", DeviceType.PPMID, None, "01020304"),
    )
    # the SMETS2 v2.0 row is past its installation end; the SMETS1 row is outside the tables
    assert code_of(await dcc.submit(pre)) is ResponseCode.I0
    assert status(dcc, PPMID) is SmiStatus.PENDING


async def test_without_a_clock_the_dcc_uses_todays_date(inventory: Inventory) -> None:
    dcc = Dcc(inventory, KEYSTORE, acb=ACB)
    assert datetime.now(UTC).date() > INSTALLATION_END
    assert code_of(await dcc.submit(prenotification(CHF, CH_V10, 1))) is ResponseCode.E120203
    assert code_of(await dcc.submit(prenotification(CHF, CH_V11, 2))) is ResponseCode.I0
