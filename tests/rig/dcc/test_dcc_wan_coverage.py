"""Install-and-leave coverage cases: reactive or proactive from the coverage database, due by the
configured target, closed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator.codec.eui64 import Eui64
from rig.dcc.wan_coverage import NoWanInstall, WanCoverage

CH = Eui64("00DB1234567890A2")
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
