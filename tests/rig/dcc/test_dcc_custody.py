"""The MP121 install-code custody ledger: requests, answers along chains of changes of supply,
the ten-working-day SLA and escalation, persistence, and install codes kept secret."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from rig.dcc.custody import (
    NEVER_ANSWERS,
    AnswerOutcome,
    Custody,
    CustodyError,
    RequestState,
    Responsiveness,
    SupplierBehaviour,
)

A = Eui64("90B3D51F30010000")
B = Eui64("90B3D51F30020000")
C = Eui64("90B3D51F30030000")
IGT = Eui64("90B3D51F30040000")
ESME = Eui64("00DB1234567890A0")
GSME = Eui64("00DB1234567890A1")
CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Custody:
    return Custody(tmp_path / "custody.sqlite")


def _day(n: int) -> timedelta:
    return timedelta(days=n)


def test_database_is_wal(tmp_path: Path) -> None:
    Custody(tmp_path / "custody.sqlite").close()
    db = sqlite3.connect(tmp_path / "custody.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_one_change_of_supply(ledger: Custody) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    assert ledger.registered_supplier(ESME, T0) == A
    ledger.change_of_supply(ESME, B, T0 + _day(30))
    assert ledger.registered_supplier(ESME, T0 + _day(31)) == B
    assert [p.supplier for p in ledger.supply_periods(ESME)] == [A, B]
    assert ledger.supply_periods(ESME)[0].end == T0 + _day(30)

    request = ledger.request_install_code(ESME, B, T0 + _day(31))
    assert request.addressed_supplier == A
    assert request.requesting_supplier == B
    assert request.state is RequestState.OPEN
    assert request.request_id.originator == B and request.request_id.target == ESME

    answer = ledger.answer(request.request_id, T0 + _day(32))
    assert answer.outcome is AnswerOutcome.INSTALL_CODE
    assert answer.install_code == CODE
    assert answer.on_time
    assert answer.forwarded_to is None
    assert ledger.request(request.request_id).state is RequestState.ANSWERED_WITH_CODE
    assert ledger.answer_to(request.request_id) == answer


def test_chain_finds_the_installing_supplier(ledger: Custody) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(20))
    ledger.change_of_supply(ESME, C, T0 + _day(40))
    asked_b = ledger.request_install_code(ESME, C, T0 + _day(41))
    assert asked_b.addressed_supplier == B

    b_says = ledger.answer(asked_b.request_id, T0 + _day(43))
    assert b_says.outcome is AnswerOutcome.NOT_INSTALLING_PARTY
    assert b_says.install_code is None
    assert b_says.forwarded_to is not None
    asked_a = ledger.request(b_says.forwarded_to)
    assert asked_a.addressed_supplier == A
    assert asked_a.requesting_supplier == C
    assert asked_a.forwarded_from == asked_b.request_id
    assert asked_a.requested_at == T0 + _day(43)  # a fresh SLA from B's answer

    a_says = ledger.answer(asked_a.request_id, T0 + _day(44))
    assert a_says.install_code == CODE
    assert [r.addressed_supplier for r in ledger.chain(asked_b.request_id)] == [B, A]
    assert [r.state for r in ledger.chain(asked_b.request_id)] == [
        RequestState.ANSWERED_NOT_INSTALLER,
        RequestState.ANSWERED_WITH_CODE,
    ]


def test_chain_skips_the_gaining_supplier_and_suppliers_already_asked(ledger: Custody) -> None:
    # A installs; B, C, B again, then C again gains: C asks B, B is not the installer; the next
    # earlier supplier is C itself, then B (already asked), then A.
    ledger.record_installation(ESME, A, CODE, T0)
    for i, s in enumerate((B, C, B, C), start=1):
        ledger.change_of_supply(ESME, s, T0 + _day(10 * i))
    first = ledger.request_install_code(ESME, C, T0 + _day(41))
    assert first.addressed_supplier == B
    follow_on = ledger.answer(first.request_id, T0 + _day(42)).forwarded_to
    assert follow_on is not None
    assert ledger.request(follow_on).addressed_supplier == A


def test_installer_who_was_never_registered_supplier(ledger: Custody) -> None:
    # MP121 section 2: an IGT installs the GSME, a supplier is registered.
    ledger.change_of_supply(GSME, A, T0)
    ledger.record_installation(GSME, IGT, CODE, T0)
    ledger.change_of_supply(GSME, B, T0 + _day(30))
    asked_a = ledger.request_install_code(GSME, B, T0 + _day(31))
    forwarded = ledger.answer(asked_a.request_id, T0 + _day(32)).forwarded_to
    assert forwarded is not None
    asked_igt = ledger.request(forwarded)
    assert asked_igt.addressed_supplier == IGT
    assert ledger.answer(forwarded, T0 + _day(33)).install_code == CODE


def test_chain_without_an_installer_ends(ledger: Custody, caplog: pytest.LogCaptureFixture) -> None:
    ledger.change_of_supply(ESME, A, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(10))
    request = ledger.request_install_code(ESME, B, T0 + _day(11))
    with caplog.at_level(logging.WARNING, logger="rig.dcc.custody"):
        answer = ledger.answer(request.request_id, T0 + _day(12))
    assert answer.outcome is AnswerOutcome.NOT_INSTALLING_PARTY
    assert answer.forwarded_to is None
    assert "no installer" in caplog.text


def test_sla_across_easter(ledger: Custody) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(30))
    # Thursday 2 April 2026, before Good Friday (3rd) and Easter Monday (6th)
    request = ledger.request_install_code(ESME, B, datetime(2026, 4, 2, 16, tzinfo=UTC))
    assert request.deadline == date(2026, 4, 20)
    assert request.deadline_at == datetime(2026, 4, 20, 23, tzinfo=UTC)  # 24:00 BST
    # 22:30 UTC on Monday 20 April is 23:30 BST: still in time
    assert ledger.overdue(datetime(2026, 4, 20, 22, 30, tzinfo=UTC)) == []
    # 23:30 UTC is 00:30 BST on the 21st: overdue
    [late] = ledger.overdue(datetime(2026, 4, 20, 23, 30, tzinfo=UTC))
    assert late.request_id == request.request_id
    assert late.state is RequestState.ESCALATED
    assert late.escalated_at == datetime(2026, 4, 20, 23, 30, tzinfo=UTC)


def test_unanswered_past_deadline_is_escalated_then_answered_late(
    ledger: Custody,
) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(30))
    request = ledger.request_install_code(ESME, B, datetime(2026, 3, 2, 10, tzinfo=UTC))  # Mon
    assert request.deadline == date(2026, 3, 16)
    assert ledger.overdue(datetime(2026, 3, 16, 17, tzinfo=UTC)) == []
    [escalated] = ledger.overdue(datetime(2026, 3, 17, 9, tzinfo=UTC))
    assert escalated.state is RequestState.ESCALATED
    # still listed later, escalation time kept
    [again] = ledger.overdue(datetime(2026, 3, 20, 9, tzinfo=UTC))
    assert again.escalated_at == datetime(2026, 3, 17, 9, tzinfo=UTC)

    answer = ledger.answer(request.request_id, datetime(2026, 3, 23, 9, tzinfo=UTC))
    assert not answer.on_time
    assert answer.install_code == CODE
    after = ledger.request(request.request_id)
    assert after.state is RequestState.ANSWERED_WITH_CODE
    assert after.escalated_at == datetime(2026, 3, 17, 9, tzinfo=UTC)
    assert ledger.overdue(datetime(2026, 3, 24, 9, tzinfo=UTC)) == []


def test_persistence_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "custody.sqlite"
    with Custody(path) as ledger:
        ledger.record_installation(ESME, A, CODE, T0)
        ledger.change_of_supply(ESME, B, T0 + _day(20))
        ledger.change_of_supply(ESME, C, T0 + _day(40))
        ledger.set_behaviour(A, NEVER_ANSWERS)
        request = ledger.request_install_code(ESME, C, T0 + _day(41))
    with Custody(path) as ledger:
        assert ledger.request(request.request_id) == request
        assert [p.supplier for p in ledger.supply_periods(ESME)] == [A, B, C]
        assert ledger.behaviour(A) == NEVER_ANSWERS
        forwarded = ledger.answer(request.request_id, T0 + _day(42)).forwarded_to
        assert forwarded is not None
    with Custody(path) as ledger:
        assert ledger.answer(forwarded, T0 + _day(43)).install_code == CODE
        assert len(ledger.chain(request.request_id)) == 2
        # counters keep rising across reopen
        assert forwarded.counter > request.request_id.counter


def test_supplier_that_never_answers(ledger: Custody) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(30))
    ledger.set_behaviour(A, NEVER_ANSWERS)
    request = ledger.request_install_code(ESME, B, T0 + _day(31))
    assert ledger.process_due(T0 + _day(90)) == []
    [escalated] = ledger.overdue(T0 + _day(90))
    assert escalated.request_id == request.request_id


@pytest.mark.parametrize(
    ("delay", "answer_day", "on_time"),
    [
        (0, date(2026, 4, 2), True),  # same day, noon BST
        (1, date(2026, 4, 7), True),
        (10, date(2026, 4, 20), True),
        (11, date(2026, 4, 21), False),
    ],
)
def test_supplier_answering_after_a_delay(
    ledger: Custody, delay: int, answer_day: date, on_time: bool
) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(30))
    ledger.set_behaviour(A, SupplierBehaviour(Responsiveness.ANSWERS, delay))
    # Thursday before Easter 2026, 09:00 BST
    request = ledger.request_install_code(ESME, B, datetime(2026, 4, 2, 8, tzinfo=UTC))
    noon = datetime.combine(answer_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
    assert ledger.process_due(noon - timedelta(seconds=1)) == []
    [answer] = ledger.process_due(noon)
    assert answer.request_id == request.request_id
    assert answer.answered_at == noon
    assert answer.on_time is on_time
    assert ledger.process_due(noon + _day(30)) == []


def test_behaviour_drives_a_whole_chain(ledger: Custody) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(20))
    ledger.change_of_supply(ESME, C, T0 + _day(40))
    for s in (A, B):
        ledger.set_behaviour(s, SupplierBehaviour(Responsiveness.ANSWERS, 2))
    first = ledger.request_install_code(ESME, C, T0 + _day(41))
    answers = ledger.process_due(T0 + _day(60))
    assert [a.outcome for a in answers] == [
        AnswerOutcome.NOT_INSTALLING_PARTY,
        AnswerOutcome.INSTALL_CODE,
    ]
    assert answers[1].install_code == CODE
    assert [r.addressed_supplier for r in ledger.chain(first.request_id)] == [B, A]


def test_errors(ledger: Custody) -> None:
    ledger.record_installation(ESME, A, CODE, T0)
    with pytest.raises(CustodyError):  # A is the first supplier: nobody to ask
        ledger.request_install_code(ESME, A, T0 + _day(1))
    ledger.change_of_supply(ESME, B, T0 + _day(30))
    with pytest.raises(CustodyError):  # C is not registered
        ledger.request_install_code(ESME, C, T0 + _day(31))
    with pytest.raises(CustodyError):
        ledger.change_of_supply(ESME, B, T0 + _day(32))
    with pytest.raises(CustodyError):
        ledger.record_installation(ESME, A, CODE, T0)
    request = ledger.request_install_code(ESME, B, T0 + _day(31))
    with pytest.raises(CustodyError):
        ledger.answer(request.request_id, T0 + _day(30))
    ledger.answer(request.request_id, T0 + _day(32))
    with pytest.raises(CustodyError):
        ledger.answer(request.request_id, T0 + _day(33))
    with pytest.raises(CustodyError) as bad_length:
        ledger.record_installation(GSME, A, CODE[:5], T0)
    assert CODE[:5].hex() not in str(bad_length.value).lower()


def _secret_forms(code: bytes) -> list[str]:
    return [code.hex(), code.hex().upper(), repr(code), str(list(code))]


def test_install_codes_stay_secret(
    tmp_path: Path, ledger: Custody, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ledger.record_installation(ESME, A, CODE, T0)
    ledger.change_of_supply(ESME, B, T0 + _day(20))
    ledger.change_of_supply(ESME, C, T0 + _day(40))
    first = ledger.request_install_code(ESME, C, T0 + _day(41))
    ledger.set_behaviour(A, SupplierBehaviour(Responsiveness.ANSWERS, 1))
    b_says = ledger.answer(first.request_id, T0 + _day(42))
    answers = ledger.process_due(T0 + _day(60))
    ledger.overdue(T0 + _day(90))
    with pytest.raises(CustodyError) as err:
        ledger.answer(first.request_id, T0 + _day(91))
    assert answers[0].install_code == CODE

    shown = [
        caplog.text,
        repr(ledger),
        repr(answers[0]),
        str(answers[0]),
        repr(b_says),
        repr(ledger.chain(first.request_id)),
        repr(ledger.installation(ESME)),
        str(err.value),
    ]
    for text in shown:
        for form in _secret_forms(CODE):
            assert form not in text

    # the database: only installation.install_code holds it
    db = sqlite3.connect(tmp_path / "custody.sqlite")
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    holders = []
    for table in tables:
        cur = db.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        for row in cur.fetchall():
            for name, value in zip(names, row, strict=True):
                if value == CODE or (
                    isinstance(value, str) and any(f in value for f in _secret_forms(CODE))
                ):
                    holders.append(f"{table}.{name}")
    assert holders == ["installation.install_code"]
