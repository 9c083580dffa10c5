"""The Technical Specification Applicability Tables (TSAT, SEC Schedule 11) as Release 2 left them.

Source: BEIS, "Smart Metering Implementation Programme: Smart Energy Code (SEC) changes for
Release 2 go live", letter of 1 October 2018 (seed ``004``; DOMAIN.md section 1), Annex D
"Proposed Changes to TS Applicability Tables (extract of relevant tables)": Table 2 "SMETS2+ and
Relevant Versions of GBCS" and Table 3 "CHTS and Relevant Versions of GBCS", with the struck-out
"Not determined" replaced by the dates the letter inserts (paragraph 7). "Not determined" that
stays is ``None`` here: open-ended.

Reading the tables [I]: every period includes both its start and its end date (a version whose
Installation End Date is 27/10/19 may still be installed on 27/10/19, not on 28/10/19). A GBCS
version may be used with a specification version only inside that row's Applicability Period.

What is refused and what is warned. The tables themselves know only "in the period" or "not":
outside a period is **refused**. The letter's paragraph 7 adds, for the 12 months between
Release 2 go-live (28/10/18) and the end dates it sets (27/10/19), that previous-specification
devices are being cleared out: SMETS2 v2.0 and CHTS v1.0 are still inside their periods then,
so they are allowed, but [U] this model **warns** with the letter's own wording
(``Transition``). Versions the tables do not list (our CPL's ``SMETS2 V4.1``: later
specifications, beyond Release 2; also earlier ones, and SMETS2+ text ``parse_version`` cannot
read) follow the named setting ``Unlisted`` (default ``WARN``, "not in the Release 2 TSAT") [U].
SMETS1 devices are outside Tables 2 and 3 and always allowed.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

from .inventory import SmetsVersion

RELEASE_2_LETTER = "BEIS letter 'SMIP: SEC changes for Release 2 go live', 1 October 2018, Annex D"


class Spec(enum.Enum):
    """The technical specification a TSAT row is about."""

    SMETS2 = "SMETS2"
    CHTS = "CHTS"


class Outcome(enum.Enum):
    ALLOWED = "allowed"
    WARNED = "warned"
    REFUSED = "refused"


class Unlisted(enum.Enum):
    """[U] What a specification version the Release 2 tables do not list gets (named setting)."""

    ALLOW = "allow"
    WARN = "warn"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Period:
    """A validity period, both ends included; ``None`` = "Not determined" (open-ended)."""

    start: date | None
    end: date | None

    def contains(self, on: date) -> bool:
        return (self.start is None or self.start <= on) and (self.end is None or on <= self.end)

    def describe(self) -> str:
        def d(x: date | None) -> str:
            return "Not determined" if x is None else x.strftime("%d/%m/%Y")

        return f"{d(self.start)} to {d(self.end)}"


@dataclass(frozen=True, slots=True)
class GbcsApplicability:
    """One "Relevant GBCS Version" with its Applicability Period."""

    gbcs_version: str
    period: Period


@dataclass(frozen=True, slots=True)
class Transition:
    """From ``start`` on, inside the validity period, the letter says the version is on its way
    out: allowed, with ``wording`` as the warning [U]."""

    start: date
    wording: str


@dataclass(frozen=True, slots=True)
class TsatEntry:
    """One specification version of Table 2 or 3 (the letter gives one row per GBCS version;
    the rows of one version share their installation and maintenance dates)."""

    spec: Spec
    version: str
    installation: Period
    maintenance: Period
    gbcs: tuple[GbcsApplicability, ...]
    source: str
    installation_transition: Transition | None = None
    maintenance_transition: Transition | None = None

    @property
    def name(self) -> str:
        return f"{self.spec.value} v{self.version}"


@dataclass(frozen=True, slots=True)
class TsatVerdict:
    outcome: Outcome
    reason: str = ""
    entry: TsatEntry | None = None

    @property
    def refused(self) -> bool:
        return self.outcome is Outcome.REFUSED


GO_LIVE = date(2018, 10, 28)
"""Release 2 go-live (planned), the start dates the letter inserts."""
END_OF_TRANSITION = date(2019, 10, 27)
""""Release 2 date + 12 months", the end dates the letter inserts."""

_CLEAR_OUT = (
    "12 months from Release 2 go-live for industry supply chains to be cleared of previous "
    "specification Devices"
)
_CHTS_WINDOW = (
    "a 12-month window during which existing CHTS v1.0 Communication Hubs must be upgraded to "
    "v1.1, and new Communications Hubs being installed must be compliant with CHTS v1.1"
)

RELEASE_2_TSAT: tuple[TsatEntry, ...] = (
    TsatEntry(
        Spec.SMETS2,
        "2.0",
        installation=Period(date(2016, 9, 30), END_OF_TRANSITION),
        maintenance=Period(date(2016, 9, 30), None),
        gbcs=(GbcsApplicability("1.1", Period(date(2017, 11, 6), None)),),
        source=f"{RELEASE_2_LETTER}, Table 2 row 1; paragraph 7",
        installation_transition=Transition(GO_LIVE, _CLEAR_OUT),
    ),
    TsatEntry(
        Spec.SMETS2,
        "3.0",
        installation=Period(GO_LIVE, None),
        maintenance=Period(GO_LIVE, None),
        gbcs=(
            GbcsApplicability("2.0", Period(GO_LIVE, None)),
            GbcsApplicability("2.1", Period(GO_LIVE, None)),
        ),
        source=f"{RELEASE_2_LETTER}, Table 2 rows 2-3; paragraph 7",
    ),
    TsatEntry(
        Spec.CHTS,
        "1.0",
        installation=Period(date(2016, 9, 30), END_OF_TRANSITION),
        maintenance=Period(date(2016, 9, 30), END_OF_TRANSITION),
        gbcs=(GbcsApplicability("1.1", Period(date(2017, 11, 6), None)),),
        source=f"{RELEASE_2_LETTER}, Table 3 row 1; paragraph 7",
        installation_transition=Transition(GO_LIVE, _CHTS_WINDOW),
        maintenance_transition=Transition(GO_LIVE, _CHTS_WINDOW),
    ),
    TsatEntry(
        Spec.CHTS,
        "1.1",
        installation=Period(GO_LIVE, None),
        maintenance=Period(GO_LIVE, None),
        gbcs=(
            GbcsApplicability("2.0", Period(GO_LIVE, None)),
            GbcsApplicability("2.1", Period(GO_LIVE, None)),
        ),
        source=f"{RELEASE_2_LETTER}, Table 3 rows 2-3; paragraph 7",
    ),
)

_VERSION_TEXT = re.compile(r"(SMETS2|CHTS)\+?V?(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> tuple[Spec, str] | None:
    """Our CPL's ``SMETSCHTSVersion`` text as (spec, "major.minor"): ``SMETS2 V4.1`` ->
    (SMETS2, "4.1"), ``CHTS V1.1`` / ``chts v1.1`` / ``CHTS1.1`` -> (CHTS, "1.1"), ``SMETS2 V3``
    -> (SMETS2, "3.0"). [U] DUIS leaves the text free (1-20 characters): anything else (``SMETS1``,
    ``SMETS2+`` with no version, free text) is ``None``."""
    m = _VERSION_TEXT.fullmatch(text.strip().upper().replace(" ", ""))
    if m is None:
        return None
    return Spec(m.group(1)), f"{int(m.group(2))}.{int(m.group(3) or 0)}"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def entry_for(
    spec: Spec, version: str, table: tuple[TsatEntry, ...] = RELEASE_2_TSAT
) -> TsatEntry | None:
    for e in table:
        if e.spec is spec and _key(e.version) == _key(version):
            return e
    return None


def _unlisted(name: str, unlisted: Unlisted, detail: str) -> TsatVerdict:
    reason = f"{name} is not in the Release 2 TSAT ({detail})"
    if unlisted is Unlisted.ALLOW:
        return TsatVerdict(Outcome.ALLOWED, reason)
    if unlisted is Unlisted.WARN:
        return TsatVerdict(Outcome.WARNED, reason)
    return TsatVerdict(Outcome.REFUSED, reason)


def _check(
    kind: str,
    spec: Spec,
    version: str,
    gbcs_version: str | None,
    on: date,
    unlisted: Unlisted,
    table: tuple[TsatEntry, ...],
) -> TsatVerdict:
    entry = entry_for(spec, version, table)
    if entry is None:
        listed = [_key(e.version) for e in table if e.spec is spec]
        later = bool(listed) and _key(version) > max(listed)
        detail = "a later specification, beyond Release 2" if later else "not listed"
        return _unlisted(f"{spec.value} v{version}", unlisted, detail)
    when = on.strftime("%d/%m/%Y")
    period = entry.installation if kind == "installation" else entry.maintenance
    if not period.contains(on):
        return TsatVerdict(
            Outcome.REFUSED,
            f"{entry.name} is outside its {kind} validity period ({period.describe()}) on {when}",
            entry,
        )
    if gbcs_version is not None:
        row = next((g for g in entry.gbcs if _key(g.gbcs_version) == _key(gbcs_version)), None)
        if row is None:
            relevant = ", ".join(f"v{g.gbcs_version}" for g in entry.gbcs)
            return TsatVerdict(
                Outcome.REFUSED,
                f"GBCS v{gbcs_version} is not a relevant GBCS version for {entry.name} "
                f"({relevant})",
                entry,
            )
        if not row.period.contains(on):
            return TsatVerdict(
                Outcome.REFUSED,
                f"GBCS v{row.gbcs_version} with {entry.name} is outside its applicability "
                f"period ({row.period.describe()}) on {when}",
                entry,
            )
    transition = (
        entry.installation_transition if kind == "installation" else entry.maintenance_transition
    )
    if transition is not None and on >= transition.start:
        ends = "" if period.end is None else f" ends {period.end.strftime('%d/%m/%Y')}"
        return TsatVerdict(
            Outcome.WARNED,
            f"{entry.name} {kind} validity period{ends}: {transition.wording}",
            entry,
        )
    return TsatVerdict(Outcome.ALLOWED, "", entry)


def check_installation(
    spec: Spec,
    version: str,
    gbcs_version: str | None,
    on: date,
    *,
    unlisted: Unlisted = Unlisted.WARN,
    table: tuple[TsatEntry, ...] = RELEASE_2_TSAT,
) -> TsatVerdict:
    """May a ``spec`` v``version`` device (using GBCS ``gbcs_version``, if known) be installed
    on ``on``?"""
    return _check("installation", spec, version, gbcs_version, on, unlisted, table)


def check_maintenance(
    spec: Spec,
    version: str,
    gbcs_version: str | None,
    on: date,
    *,
    unlisted: Unlisted = Unlisted.WARN,
    table: tuple[TsatEntry, ...] = RELEASE_2_TSAT,
) -> TsatVerdict:
    """May an installed ``spec`` v``version`` device still be maintained (operated, commissioned
    after an earlier installation) on ``on``?"""
    return _check("maintenance", spec, version, gbcs_version, on, unlisted, table)


def check_version_text(
    smets_chts_version: str,
    on: date,
    *,
    maintenance: bool = False,
    unlisted: Unlisted = Unlisted.WARN,
    table: tuple[TsatEntry, ...] = RELEASE_2_TSAT,
) -> TsatVerdict:
    """``check_installation`` (or ``check_maintenance``) for a CPL ``SMETSCHTSVersion`` text,
    GBCS version unknown. SMETS1 text is allowed (outside Tables 2 and 3); SMETS2+ text that
    ``parse_version`` cannot read follows ``unlisted``."""
    parsed = parse_version(smets_chts_version)
    if parsed is None:
        if SmetsVersion.of(smets_chts_version) is SmetsVersion.SMETS1:
            return TsatVerdict(Outcome.ALLOWED, "SMETS1: outside TSAT Tables 2 and 3")
        return _unlisted(repr(smets_chts_version), unlisted, "version text not recognised")
    check = check_maintenance if maintenance else check_installation
    return check(parsed[0], parsed[1], None, on, unlisted=unlisted, table=table)
