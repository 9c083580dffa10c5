"""SM WAN coverage: "install and leave" (SEC F7 "CH No SM WAN Installation Procedure", MP121).

A Supplier that installs a Communications Hub where there is no SM WAN reports it with SRV 8.14.2
(CH InstalledNotCommissioned) and leaves its devices installed, not commissioned. MP121 section 2
names two cases: *reactive* (the DCC's WAN Coverage Database said the premises was covered, but
on site it was not) and *proactive* (known not covered when the install was planned). The DCC
has a 90-day target to resolve reactive cases; proactive ones "likely even longer".

The model: the DCC's coverage database is the set of CHs known to lack coverage (``uncovered``);
8.14.2 opens a :class:`CoverageCase` whose kind comes from it, due ``targets[kind]`` after the
report; when it is due the DCC restores the SM WAN (``Dcc.attach_link``). Both targets are
settings; the proactive default is [U] (MP121 gives no figure): twice the reactive one.

The DCC tells the Supplier through the case (in the real process an SSI incident, not a DUIS
alert [U]: no DUIS alert code for "WAN restored" is in our sources): ``Dcc.wan_restored``.

Given the DCC's ``Inventory``, the cases and the coverage database live in its SQLite
(``coverage_case``, ``wan_uncovered``) and survive a DCC restart: a restarted DCC finds its open
cases again and restores each when it is due (``Dcc`` on entering). Without one they are in
memory (a test's throwaway DCC).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from emulator.codec.eui64 import Eui64

from .inventory import CoverageRow, Inventory


class NoWanInstall(enum.Enum):
    """MP121's two kinds of install and leave."""

    REACTIVE = "reactive"
    """The coverage database said covered; on site there was no SM WAN."""
    PROACTIVE = "proactive"
    """Known not covered: installed anyway, to be commissioned when the WAN comes."""


REACTIVE_TARGET = timedelta(days=90)
"""MP121: "the DCC has 90 days to address the WAN connectivity" (reactive install and leave)."""
PROACTIVE_TARGET = timedelta(days=180)
"""[U] MP121: proactive cases take "likely even longer"; no figure is given."""
DEFAULT_TARGETS: Mapping[NoWanInstall, timedelta] = {
    NoWanInstall.REACTIVE: REACTIVE_TARGET,
    NoWanInstall.PROACTIVE: PROACTIVE_TARGET,
}


@dataclass(frozen=True, slots=True)
class CoverageCase:
    """One CH waiting for its SM WAN: opened by 8.14.2, due by its target, closed on restore."""

    ch_id: Eui64
    kind: NoWanInstall
    opened_at: datetime
    due_at: datetime
    restored_at: datetime | None = None


class WanCoverage:
    """The DCC's coverage database and its open cases."""

    def __init__(
        self,
        targets: Mapping[NoWanInstall, timedelta] = DEFAULT_TARGETS,
        uncovered: Iterable[Eui64] = (),
        *,
        inventory: Inventory | None = None,
    ) -> None:
        """``uncovered`` adds to the coverage database (to the stored one, with ``inventory``)."""
        if any(t < timedelta(0) for t in targets.values()) or set(targets) != set(NoWanInstall):
            raise ValueError("a non-negative restoration target for each kind of install")
        self.targets = dict(targets)
        self._inventory = inventory
        self.uncovered = {Eui64(e) for e in uncovered}
        self._cases: dict[int, CoverageCase] = {}
        if inventory is not None:
            for ch_id in self.uncovered:
                inventory.set_wan_uncovered(ch_id, True)
            self.uncovered |= inventory.wan_uncovered()
            for row in inventory.coverage_cases():
                kind = NoWanInstall(row.kind)
                case = CoverageCase(row.ch_id, kind, row.opened_at, row.due_at, row.restored_at)
                self._cases[int(row.ch_id)] = case

    def _keep(self, case: CoverageCase) -> CoverageCase:
        self._cases[int(case.ch_id)] = case
        if self._inventory is not None:
            self._inventory.save_coverage_case(
                CoverageRow(case.ch_id, case.kind.value, case.opened_at, case.due_at,
                            case.restored_at)
            )  # fmt: skip
        return case

    def kind_for(self, ch_id: Eui64) -> NoWanInstall:
        return NoWanInstall.PROACTIVE if Eui64(ch_id) in self.uncovered else NoWanInstall.REACTIVE

    def open(self, ch_id: Eui64, now: datetime) -> CoverageCase:
        """8.14.2 for ``ch_id`` at ``now``: a new case (an open one is kept as it is)."""
        current = self._cases.get(int(ch_id))
        if current is not None and current.restored_at is None:
            return current
        kind = self.kind_for(ch_id)
        return self._keep(CoverageCase(Eui64(ch_id), kind, now, now + self.targets[kind]))

    def close(self, ch_id: Eui64, now: datetime) -> CoverageCase | None:
        """The SM WAN to ``ch_id`` is back: its case closes (``None`` if it had none open)."""
        case = self._cases.get(int(ch_id))
        if case is None or case.restored_at is not None:
            return None
        closed = self._keep(replace(case, restored_at=now))
        self.uncovered.discard(Eui64(ch_id))
        if self._inventory is not None:
            self._inventory.set_wan_uncovered(ch_id, False)
        return closed

    def case(self, ch_id: Eui64) -> CoverageCase | None:
        return self._cases.get(int(ch_id))

    def open_cases(self) -> list[CoverageCase]:
        """The cases still waiting for their SM WAN, soonest due first."""
        waiting = [c for c in self._cases.values() if c.restored_at is None]
        return sorted(waiting, key=lambda c: (c.due_at, int(c.ch_id)))
