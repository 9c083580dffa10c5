"""Install-and-leave coverage cases: reactive or proactive from the coverage database, due by the
configured target, closed once; kept in the DCC's SQLite, so a DCC restarted mid-wait restores
the SM WAN when the case is due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.dcc import ACB, CHF, ESME, add_request, ch_install, code_of, prenotification
from support.rtds import RTDS_KEYSTORE

from emulator.codec.eui64 import Eui64
from emulator.han.clock import VirtualClock
from rig.dcc import CplEntry, Dcc, DeviceType, Inventory, ResponseCode
from rig.dcc.wan_coverage import NoWanInstall, WanCoverage

CH = Eui64("00DB1234567890A2")
DAY = 86_400.0
CHF_CPL = CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1")
ESME_CPL = CplEntry("AB01", "010A030B", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1")
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_a_covered_premises_is_reactive_and_due_in_90_days() -> None:
    coverage = WanCoverage()
    case = coverage.open(CH, T0)
    assert (case.kind, case.due_at) == (NoWanInstall.REACTIVE, T0 + timedelta(days=90))
    assert coverage.open(CH, T0 + timedelta(days=3)) == case  # an open case stays as it is


def test_a_known_uncovered_premises_is_proactive_with_its_own_target() -> None:
    targets = {NoWanInstall.REACTIVE: timedelta(days=30), NoWanInstall.PROACTIVE: timedelta(days=7)}
    coverage = WanCoverage(targets, uncovered=[CH])
    case = coverage.open(CH, T0)
    assert (case.kind, case.due_at) == (NoWanInstall.PROACTIVE, T0 + timedelta(days=7))
    closed = coverage.close(CH, T0 + timedelta(days=7))
    assert closed is not None and closed.restored_at == T0 + timedelta(days=7)
    assert coverage.close(CH, T0 + timedelta(days=8)) is None
    assert coverage.kind_for(CH) is NoWanInstall.REACTIVE  # covered from now on


def test_targets_are_checked() -> None:
    with pytest.raises(ValueError):
        WanCoverage({NoWanInstall.REACTIVE: timedelta(days=90)})
    with pytest.raises(ValueError):
        WanCoverage({k: timedelta(days=-1) for k in NoWanInstall})


# ---- in the DCC's SQLite: a restart mid-wait --------------------------------------------------


def test_cases_and_the_coverage_database_survive_reopening_the_dcc_database(
    tmp_path: Path,
) -> None:
    other = Eui64("00DB1234567890B2")
    inventory = Inventory(tmp_path / "dcc.sqlite")
    coverage = WanCoverage(uncovered=[CH, other], inventory=inventory)
    opened = coverage.open(CH, T0)
    inventory.close()
    inventory = Inventory(tmp_path / "dcc.sqlite")
    again = WanCoverage(inventory=inventory)  # the configuration is not given again
    assert again.case(CH) == opened and again.open_cases() == [opened]
    assert again.uncovered == {CH, other} and opened.kind is NoWanInstall.PROACTIVE
    closed = again.close(CH, T0 + timedelta(days=2))
    inventory.close()
    inventory = Inventory(tmp_path / "dcc.sqlite")
    third = WanCoverage(inventory=inventory)
    assert third.case(CH) == closed and third.open_cases() == []
    assert third.uncovered == {other}  # covered from the restore on
    inventory.close()


def _dcc(path: Path, clock: VirtualClock) -> Dcc:
    """A DCC over the database at ``path`` (the CPL added the first time)."""
    inventory = Inventory(path)
    for entry in (CHF_CPL, ESME_CPL):
        if not inventory.cpl_entries(entry.manufacturer, entry.model, entry.device_type):
            inventory.add_cpl_entry(entry)
    return Dcc(inventory, RTDS_KEYSTORE, acb=ACB, clock=clock)


async def test_a_dcc_restarted_mid_wait_restores_the_wan_when_the_case_is_due(
    tmp_path: Path,
) -> None:
    """8.14.2 on day 0, the DCC stops on day 40 and starts again over the same database: the CH
    stays without its SM WAN (whatever the wiring attached) until day 90, then it is back."""
    clock = VirtualClock(T0)
    dcc = _dcc(tmp_path / "dcc.sqlite", clock)
    async with dcc:
        assert code_of(await dcc.submit(prenotification(CHF, CHF_CPL, 1))) is ResponseCode.I0
        assert code_of(await dcc.submit(prenotification(ESME, ESME_CPL, 2))) is ResponseCode.I0
        assert code_of(await dcc.submit(ch_install(3, wan=False))) is ResponseCode.I0
        case = dcc.coverage.case(CHF)
        assert case is not None and dcc.link(CHF) is None
        await asyncio.sleep(40 * DAY)
    dcc.inventory.close()
    restarted = _dcc(tmp_path / "dcc.sqlite", clock)
    restarted.attach_link(CHF)  # the premises wire a link before the DCC runs
    async with restarted:
        assert restarted.link(CHF) is None and restarted.coverage.open_cases() == [case]
        assert code_of(await restarted.submit(add_request())) is ResponseCode.E20
        await asyncio.sleep(50 * DAY - 2)
        assert restarted.link(CHF) is None
        restored = await restarted.wan_restored(CHF)
        assert restarted.link(CHF) is not None
        assert restored is not None and restored.restored_at == case.due_at
    restarted.inventory.close()


async def test_a_case_due_while_the_dcc_was_down_is_restored_on_starting(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    dcc = _dcc(tmp_path / "dcc.sqlite", clock)
    await dcc.submit(prenotification(CHF, CHF_CPL, 1))
    await dcc.submit(ch_install(2, wan=False))  # not running: nothing scheduled, nothing lost
    dcc.inventory.close()
    await asyncio.sleep(100 * DAY)  # down past the 90-day target
    restarted = _dcc(tmp_path / "dcc.sqlite", clock)
    async with restarted:
        restored = await restarted.wan_restored(CHF)
        assert restored is not None and restored.restored_at is not None
        assert restored.restored_at - restored.opened_at >= timedelta(days=100)
        assert restarted.link(CHF) is not None and restarted.coverage.open_cases() == []
    restarted.inventory.close()
