"""The install-code custody ledger (MP121 'Commissioning non-commissioned Devices after CoS').

MP121 obliges the losing Supplier to answer a gaining Supplier's request for a Device's install
code "within ten Working Days", either "providing the correct install code if they were the
installing Supplier, or confirming that they were not the installing Party" (MP121 Modification
Report v1.0, sections 3 and 4; SEC Appendix AC). The report notes the gaining Supplier must find
the installing Supplier "as there could be multiple changes of supply", and that a missed answer
follows the SEC's ordinary escalation. This ledger models that exchange, in SQLite (WAL), as a
DCC-side table (DESIGN.md rule 7), though in the real process it is email between Suppliers.

Tables:

- ``installation``: device, installing supplier, install code, installed at. The ``install_code``
  column is the only place the code is stored; it never goes to logs, ``repr`` or exception text.
- ``supply_period``: who was registered supplier of a device from when to when.
  :meth:`Custody.change_of_supply` closes the current period and opens the next.
- ``install_code_request``: request id (DUIS ``RequestID`` shape: gaining supplier, device,
  counter), device, requesting and addressed supplier, requested at, deadline, state, the request
  it was forwarded from, when it was escalated.
- ``install_code_answer``: the answer to a request: when, by whom, outcome, whether in time, and
  the request it was forwarded to. Never the code: an :class:`Answer` read back takes it from
  ``installation``.
- ``supplier_behaviour``: the scenario knob (:class:`SupplierBehaviour`).

Chains of changes of supply (our design [U]: MP121 leaves the search to the gaining Supplier):
a request goes to the supplier registered just before the gaining one. If that supplier is not the
installing party it says so, and the ledger at once opens a follow-on request from the same
gaining supplier to the supplier registered before *it*, with its own ten-working-day SLA from the
time of that answer, skipping suppliers already asked in the chain and the gaining supplier
itself. When the chain runs out of earlier suppliers and the recorded installing party was never
asked (a device installed by a party that was never its registered supplier, e.g. an IGT's GSME,
MP121 section 2), the last follow-on goes to the installing party. Otherwise the chain ends with
"not the installing party" and no follow-on.

Times are modelled time from the caller (``Clock.datetime()``); working days per
:mod:`rig.dcc.working_days`.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType

from emulator.codec.eui64 import Eui64

from .requests import ZIGBEE_INSTALL_CODE_LENGTHS, RequestId
from .working_days import LONDON, add_working_days, end_of_day, london_date

log = logging.getLogger(__name__)

SLA_WORKING_DAYS = 10
"""MP121: the losing Supplier answers within ten Working Days."""


class RequestState(enum.Enum):
    """Where an install-code request stands."""

    OPEN = "Open"
    ANSWERED_WITH_CODE = "AnsweredWithCode"
    ANSWERED_NOT_INSTALLER = "AnsweredNotInstallingParty"
    ESCALATED = "Escalated"
    """Unanswered past its deadline (MP121: the SEC's ordinary escalation route applies)."""


class AnswerOutcome(enum.Enum):
    """MP121's two answers."""

    INSTALL_CODE = "InstallCode"
    NOT_INSTALLING_PARTY = "NotTheInstallingParty"


class Responsiveness(enum.Enum):
    """How a supplier handles install-code requests in :meth:`Custody.process_due`."""

    MANUAL = "Manual"
    """Answers only when a test calls :meth:`Custody.answer` (the default)."""
    ANSWERS = "Answers"
    """Answers ``delay_working_days`` working days after the request (10 or less is in time)."""
    NEVER = "Never"
    """Never answers: its requests go past the SLA and get escalated."""


@dataclass(frozen=True, slots=True)
class SupplierBehaviour:
    """The fault knob for a supplier's side of MP121 (DESIGN.md rule 6: explicit knobs)."""

    responsiveness: Responsiveness = Responsiveness.MANUAL
    delay_working_days: int = 0

    def __post_init__(self) -> None:
        if self.delay_working_days < 0:
            raise ValueError("delay_working_days is 0 or more")


PROMPT = SupplierBehaviour(Responsiveness.ANSWERS, 1)
NEVER_ANSWERS = SupplierBehaviour(Responsiveness.NEVER)


@dataclass(frozen=True, slots=True)
class SupplyPeriod:
    """``supplier`` was registered supplier of ``device`` from ``start`` until ``end``."""

    device: Eui64
    supplier: Eui64
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Installation:
    """Who installed ``device``. The install code is not in this view: see
    :meth:`Custody.answer`."""

    device: Eui64
    installing_supplier: Eui64
    installed_at: datetime


@dataclass(frozen=True, slots=True)
class Request:
    """A gaining supplier's request for a device's install code, addressed to one supplier.

    ``deadline`` is the date of the 10th working day after the request's date: the request is in
    time if answered by the end of that day (London time), :mod:`rig.dcc.working_days`.
    """

    request_id: RequestId
    device: Eui64
    requesting_supplier: Eui64
    addressed_supplier: Eui64
    requested_at: datetime
    deadline: date
    state: RequestState
    forwarded_from: RequestId | None = None
    escalated_at: datetime | None = None

    @property
    def deadline_at(self) -> datetime:
        """The first instant the request is overdue: 24:00 London time on ``deadline``."""
        return end_of_day(self.deadline)

    @property
    def answered(self) -> bool:
        return self.state in (RequestState.ANSWERED_WITH_CODE, RequestState.ANSWERED_NOT_INSTALLER)


@dataclass(frozen=True, slots=True)
class Answer:
    """The addressed supplier's answer. ``install_code`` only with ``INSTALL_CODE``; it is a
    secret and never in ``repr``."""

    request_id: RequestId
    answering_supplier: Eui64
    answered_at: datetime
    outcome: AnswerOutcome
    on_time: bool
    forwarded_to: RequestId | None = None
    install_code: bytes | None = field(default=None, repr=False)


class CustodyError(Exception):
    """An operation the ledger cannot perform (its text never carries an install code)."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS installation (
    device TEXT PRIMARY KEY,
    installing_supplier TEXT NOT NULL,
    install_code BLOB NOT NULL,
    installed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS supply_period (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    supplier TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT
);
CREATE TABLE IF NOT EXISTS install_code_request (
    counter INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE,
    device TEXT NOT NULL,
    requesting_supplier TEXT NOT NULL,
    addressed_supplier TEXT NOT NULL,
    period_seq INTEGER,
    requested_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    state TEXT NOT NULL,
    forwarded_from TEXT,
    escalated_at TEXT
);
CREATE TABLE IF NOT EXISTS install_code_answer (
    request_id TEXT PRIMARY KEY,
    answering_supplier TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    on_time INTEGER NOT NULL,
    forwarded_to TEXT
);
CREATE TABLE IF NOT EXISTS supplier_behaviour (
    supplier TEXT PRIMARY KEY,
    responsiveness TEXT NOT NULL,
    delay_working_days INTEGER NOT NULL
);
"""


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _rid(text: str | None) -> RequestId | None:
    return None if text is None else RequestId.parse(text)


def _answer_time(request: Request, day: date) -> datetime:
    """When a knob-driven answer on ``day`` is given: noon in London, not before the request."""
    noon = datetime.combine(day, time(12), tzinfo=LONDON)
    if request.requested_at.tzinfo is None:
        noon = noon.replace(tzinfo=None)
    else:
        noon = noon.astimezone(request.requested_at.tzinfo)
    return max(noon, request.requested_at)


class Custody:
    """The install-code custody ledger. ``path`` may be ``":memory:"``."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def __enter__(self) -> Custody:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- installations and supply periods -----------------------------------------------------

    def record_installation(
        self, device: Eui64, supplier: Eui64, install_code: bytes, at: datetime
    ) -> Installation:
        """``supplier`` installed ``device`` and holds its install code. If the device has no
        registered supplier yet, ``supplier`` becomes it from ``at``."""
        device, supplier = Eui64(device), Eui64(supplier)
        if len(install_code) not in ZIGBEE_INSTALL_CODE_LENGTHS:
            raise CustodyError(
                f"an install code is {ZIGBEE_INSTALL_CODE_LENGTHS} bytes without CRC "
                f"(got {len(install_code)} bytes)"
            )
        if self.installation(device) is not None:
            raise CustodyError(f"{device} already has an installation record")
        with self._transaction():
            self._db.execute(
                "INSERT INTO installation VALUES (?, ?, ?, ?)",
                (device.hex, supplier.hex, bytes(install_code), at.isoformat()),
            )
            if not self.supply_periods(device):
                self._db.execute(
                    "INSERT INTO supply_period (device, supplier, start) VALUES (?, ?, ?)",
                    (device.hex, supplier.hex, at.isoformat()),
                )
        log.info("installation recorded: %s installed by %s", device, supplier)
        return Installation(device, supplier, at)

    def installation(self, device: Eui64) -> Installation | None:
        row = self._db.execute(
            "SELECT installing_supplier, installed_at FROM installation WHERE device = ?",
            (Eui64(device).hex,),
        ).fetchone()
        if row is None:
            return None
        return Installation(Eui64(device), Eui64(row[0]), datetime.fromisoformat(row[1]))

    def change_of_supply(self, device: Eui64, new_supplier: Eui64, at: datetime) -> SupplyPeriod:
        """``new_supplier`` becomes registered supplier of ``device`` from ``at`` (the first
        period if the device has none)."""
        device, new_supplier = Eui64(device), Eui64(new_supplier)
        periods = self.supply_periods(device)
        if periods:
            current = periods[-1]
            if current.supplier == new_supplier:
                raise CustodyError(f"{new_supplier} is already registered supplier of {device}")
            if at < current.start:
                raise CustodyError(f"change of supply of {device} before its current period")
        with self._transaction():
            self._db.execute(
                "UPDATE supply_period SET end = ? WHERE device = ? AND end IS NULL",
                (at.isoformat(), device.hex),
            )
            self._db.execute(
                "INSERT INTO supply_period (device, supplier, start) VALUES (?, ?, ?)",
                (device.hex, new_supplier.hex, at.isoformat()),
            )
        log.info("change of supply: %s to %s at %s", device, new_supplier, at.isoformat())
        return SupplyPeriod(device, new_supplier, at, None)

    def _periods(self, device: Eui64) -> list[tuple[int, SupplyPeriod]]:
        rows = self._db.execute(
            "SELECT seq, supplier, start, end FROM supply_period WHERE device = ? ORDER BY seq",
            (Eui64(device).hex,),
        ).fetchall()
        return [
            (
                r[0],
                SupplyPeriod(Eui64(device), Eui64(r[1]), datetime.fromisoformat(r[2]), _dt(r[3])),
            )
            for r in rows
        ]

    def supply_periods(self, device: Eui64) -> list[SupplyPeriod]:
        """The device's supply periods, oldest first."""
        return [p for _, p in self._periods(device)]

    def registered_supplier(self, device: Eui64, at: datetime) -> Eui64 | None:
        for p in self.supply_periods(device):
            if p.start <= at and (p.end is None or at < p.end):
                return p.supplier
        return None

    # ---- behaviour knob -----------------------------------------------------------------------

    def set_behaviour(self, supplier: Eui64, behaviour: SupplierBehaviour) -> None:
        self._db.execute(
            "INSERT INTO supplier_behaviour VALUES (?, ?, ?) ON CONFLICT(supplier) DO UPDATE SET "
            "responsiveness = excluded.responsiveness, "
            "delay_working_days = excluded.delay_working_days",
            (Eui64(supplier).hex, behaviour.responsiveness.value, behaviour.delay_working_days),
        )

    def behaviour(self, supplier: Eui64) -> SupplierBehaviour:
        row = self._db.execute(
            "SELECT responsiveness, delay_working_days FROM supplier_behaviour WHERE supplier = ?",
            (Eui64(supplier).hex,),
        ).fetchone()
        if row is None:
            return SupplierBehaviour()
        return SupplierBehaviour(Responsiveness(row[0]), row[1])

    # ---- requests -----------------------------------------------------------------------------

    def _open(
        self,
        device: Eui64,
        requesting: Eui64,
        addressed: Eui64,
        period_seq: int | None,
        at: datetime,
        forwarded_from: RequestId | None,
    ) -> Request:
        row = self._db.execute("SELECT COALESCE(MAX(counter), 0) FROM install_code_request")
        counter = row.fetchone()[0] + 1
        request = Request(
            RequestId(requesting, device, counter),
            device,
            requesting,
            addressed,
            at,
            add_working_days(at, SLA_WORKING_DAYS),
            RequestState.OPEN,
            forwarded_from,
        )
        self._db.execute(
            "INSERT INTO install_code_request VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                counter,
                str(request.request_id),
                device.hex,
                requesting.hex,
                addressed.hex,
                period_seq,
                at.isoformat(),
                request.deadline.isoformat(),
                request.state.value,
                None if forwarded_from is None else str(forwarded_from),
            ),
        )
        log.info(
            "install code request %s: %s asks %s about %s, deadline end of %s",
            request.request_id,
            requesting,
            addressed,
            device,
            request.deadline.isoformat(),
        )
        return request

    def request_install_code(self, device: Eui64, gaining_supplier: Eui64, at: datetime) -> Request:
        """``gaining_supplier`` (registered supplier at ``at``) asks the supplier registered
        before it for ``device``'s install code (MP121)."""
        device, gaining_supplier = Eui64(device), Eui64(gaining_supplier)
        periods = self._periods(device)
        current = [i for i, (_, p) in enumerate(periods) if p.start <= at]
        if not current or periods[current[-1]][1].supplier != gaining_supplier:
            raise CustodyError(f"{gaining_supplier} is not registered supplier of {device} at {at}")
        for seq, period in reversed(periods[: current[-1]]):
            if period.supplier != gaining_supplier:
                return self._open(device, gaining_supplier, period.supplier, seq, at, None)
        raise CustodyError(f"{device} had no supplier before {gaining_supplier}")

    def request(self, request_id: RequestId) -> Request:
        row = self._db.execute(
            "SELECT request_id, device, requesting_supplier, addressed_supplier, requested_at, "
            "deadline, state, forwarded_from, escalated_at FROM install_code_request "
            "WHERE request_id = ?",
            (str(request_id),),
        ).fetchone()
        if row is None:
            raise CustodyError(f"no install code request {request_id}")
        return self._request(row)

    @staticmethod
    def _request(row: tuple[str, ...]) -> Request:
        return Request(
            RequestId.parse(row[0]),
            Eui64(row[1]),
            Eui64(row[2]),
            Eui64(row[3]),
            datetime.fromisoformat(row[4]),
            date.fromisoformat(row[5]),
            RequestState(row[6]),
            _rid(row[7]),
            _dt(row[8]),
        )

    def requests(self, device: Eui64 | None = None) -> list[Request]:
        """All requests (for one device), oldest first."""
        sql = (
            "SELECT request_id, device, requesting_supplier, addressed_supplier, requested_at, "
            "deadline, state, forwarded_from, escalated_at FROM install_code_request"
        )
        args: tuple[str, ...] = ()
        if device is not None:
            sql += " WHERE device = ?"
            args = (Eui64(device).hex,)
        return [self._request(r) for r in self._db.execute(sql + " ORDER BY counter", args)]

    def chain(self, request_id: RequestId) -> list[Request]:
        """The request and the follow-ons it was forwarded to, in order."""
        chain = [self.request(request_id)]
        while (answer := self.answer_to(chain[-1].request_id)) and answer.forwarded_to:
            chain.append(self.request(answer.forwarded_to))
        return chain

    # ---- answers ------------------------------------------------------------------------------

    def _install_code(self, device: Eui64) -> bytes:
        row = self._db.execute(
            "SELECT install_code FROM installation WHERE device = ?", (device.hex,)
        ).fetchone()
        return bytes(row[0])

    def _asked_in_chain(self, request: Request) -> set[Eui64]:
        asked = {request.addressed_supplier}
        parent = request.forwarded_from
        while parent is not None:
            earlier = self.request(parent)
            asked.add(earlier.addressed_supplier)
            parent = earlier.forwarded_from
        return asked

    def answer(self, request_id: RequestId, at: datetime) -> Answer:
        """The addressed supplier answers truthfully from the ledger: the install code if it is
        the installing party, else "not the installing party" and the request is forwarded
        (module docstring). A late answer is accepted and marked ``on_time=False``."""
        request = self.request(request_id)
        if request.state not in (RequestState.OPEN, RequestState.ESCALATED):
            raise CustodyError(f"install code request {request_id} is already answered")
        if at < request.requested_at:
            raise CustodyError(f"install code request {request_id} answered before it was made")
        on_time = london_date(at) <= request.deadline
        installation = self.installation(request.device)
        is_installer = (
            installation is not None
            and installation.installing_supplier == request.addressed_supplier
        )
        with self._transaction():
            forwarded: Request | None = None
            if is_installer:
                state, outcome = RequestState.ANSWERED_WITH_CODE, AnswerOutcome.INSTALL_CODE
            else:
                state, outcome = (
                    RequestState.ANSWERED_NOT_INSTALLER,
                    AnswerOutcome.NOT_INSTALLING_PARTY,
                )
                forwarded = self._forward(request, installation, at)
            self._db.execute(
                "UPDATE install_code_request SET state = ? WHERE request_id = ?",
                (state.value, str(request_id)),
            )
            self._db.execute(
                "INSERT INTO install_code_answer VALUES (?, ?, ?, ?, ?, ?)",
                (
                    str(request_id),
                    request.addressed_supplier.hex,
                    at.isoformat(),
                    outcome.value,
                    int(on_time),
                    None if forwarded is None else str(forwarded.request_id),
                ),
            )
        log.info(
            "install code request %s answered by %s: %s (%s)%s",
            request_id,
            request.addressed_supplier,
            outcome.value,
            "in time" if on_time else "late",
            "" if forwarded is None else f", forwarded as {forwarded.request_id}",
        )
        if forwarded is None and not is_installer:
            log.warning("install code request chain for %s ends with no installer", request.device)
        answer = self.answer_to(request_id)
        assert answer is not None
        return answer

    def _forward(
        self, request: Request, installation: Installation | None, at: datetime
    ) -> Request | None:
        row = self._db.execute(
            "SELECT period_seq FROM install_code_request WHERE request_id = ?",
            (str(request.request_id),),
        ).fetchone()
        period_seq = row[0]
        asked = self._asked_in_chain(request)
        skip = asked | {request.requesting_supplier}
        for seq, period in reversed(self._periods(request.device)):
            if period_seq is not None and seq < period_seq and period.supplier not in skip:
                return self._open(
                    request.device,
                    request.requesting_supplier,
                    period.supplier,
                    seq,
                    at,
                    request.request_id,
                )
        if installation is not None and installation.installing_supplier not in skip:
            return self._open(
                request.device,
                request.requesting_supplier,
                installation.installing_supplier,
                None,
                at,
                request.request_id,
            )
        return None

    def answer_to(self, request_id: RequestId) -> Answer | None:
        """The answer given to a request, if any (with the install code when it was given)."""
        row = self._db.execute(
            "SELECT a.answering_supplier, a.answered_at, a.outcome, a.on_time, a.forwarded_to, "
            "r.device FROM install_code_answer a JOIN install_code_request r USING (request_id) "
            "WHERE request_id = ?",
            (str(request_id),),
        ).fetchone()
        if row is None:
            return None
        outcome = AnswerOutcome(row[2])
        code = self._install_code(Eui64(row[5])) if outcome is AnswerOutcome.INSTALL_CODE else None
        return Answer(
            request_id,
            Eui64(row[0]),
            datetime.fromisoformat(row[1]),
            outcome,
            bool(row[3]),
            _rid(row[4]),
            code,
        )

    # ---- SLA ----------------------------------------------------------------------------------

    def overdue(self, at: datetime) -> list[Request]:
        """Unanswered requests past their deadline at ``at``; open ones are flagged
        ``ESCALATED`` (with ``escalated_at = at``) now."""
        today = london_date(at)
        result: list[Request] = []
        for request in self.requests():
            if request.answered or today <= request.deadline:
                continue
            if request.state is RequestState.OPEN:
                self._db.execute(
                    "UPDATE install_code_request SET state = ?, escalated_at = ? "
                    "WHERE request_id = ?",
                    (RequestState.ESCALATED.value, at.isoformat(), str(request.request_id)),
                )
                request = self.request(request.request_id)
                log.warning(
                    "install code request %s to %s about %s unanswered past %s: escalated",
                    request.request_id,
                    request.addressed_supplier,
                    request.device,
                    request.deadline.isoformat(),
                )
            result.append(request)
        return result

    def process_due(self, at: datetime) -> list[Answer]:
        """Answers every unanswered request whose addressed supplier's :class:`SupplierBehaviour`
        says it has answered by ``at`` (follow-on requests included), oldest first."""
        answers: list[Answer] = []
        progress = True
        while progress:
            progress = False
            for request in self.requests():
                if request.answered:
                    continue
                behaviour = self.behaviour(request.addressed_supplier)
                if behaviour.responsiveness is not Responsiveness.ANSWERS:
                    continue
                day = add_working_days(request.requested_at, behaviour.delay_working_days)
                when = _answer_time(request, day)
                if when <= at:
                    answers.append(self.answer(request.request_id, when))
                    progress = True
                    break
        return answers


__all__ = [
    "NEVER_ANSWERS",
    "PROMPT",
    "SLA_WORKING_DAYS",
    "Answer",
    "AnswerOutcome",
    "Custody",
    "CustodyError",
    "Installation",
    "Request",
    "RequestState",
    "Responsiveness",
    "SupplierBehaviour",
    "SupplyPeriod",
]
