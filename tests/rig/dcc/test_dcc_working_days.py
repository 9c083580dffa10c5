"""England and Wales bank holidays, computed, against gov.uk's published lists; working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rig.dcc.working_days import (
    ONE_OFF_CHANGES,
    add_working_days,
    bank_holidays,
    easter_sunday,
    end_of_day,
    is_bank_holiday,
    is_working_day,
    london_date,
    working_days_between,
)

# gov.uk's own data: 2012-2018 from alphagov/calendars lib/data/bank-holidays.json (the app behind
# www.gov.uk/bank-holidays), 2019-2027 from www.gov.uk/bank-holidays.json (england-and-wales) as
# mirrored in dmossop/bank-holidays-data.
GOVUK: dict[int, list[str]] = {
    2012: ["01-02", "04-06", "04-09", "05-07", "06-04", "06-05", "08-27", "12-25", "12-26"],
    2013: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2014: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2015: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2016: ["01-01", "03-25", "03-28", "05-02", "05-30", "08-29", "12-26", "12-27"],
    2017: ["01-02", "04-14", "04-17", "05-01", "05-29", "08-28", "12-25", "12-26"],
    2018: ["01-01", "03-30", "04-02", "05-07", "05-28", "08-27", "12-25", "12-26"],
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: [
        "01-03",
        "04-15",
        "04-18",
        "05-02",
        "06-02",
        "06-03",
        "08-29",
        "09-19",
        "12-26",
        "12-27",
    ],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", sorted(GOVUK))
def test_bank_holidays_match_govuk(year: int) -> None:
    expected = [date.fromisoformat(f"{year}-{md}") for md in GOVUK[year]]
    assert [h.date for h in bank_holidays(year)] == expected


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1995, date(1995, 4, 16)),
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),  # early
        (2011, date(2011, 4, 24)),  # late
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2038, date(2038, 4, 25)),  # latest possible
        (2285, date(2285, 3, 22)),  # earliest possible
    ],
)
def test_easter_computus(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter
    days = {h.title: h.date for h in bank_holidays(year)}
    assert days["Good Friday"] == easter - timedelta(days=2)
    assert days["Easter Monday"] == easter + timedelta(days=1)


def test_christmas_on_saturday_gives_monday_and_tuesday() -> None:
    assert date(2021, 12, 25).weekday() == 5
    dec = [h for h in bank_holidays(2021) if h.date.month == 12]
    assert [(h.date.day, h.title, h.substitute) for h in dec] == [
        (27, "Christmas Day", True),
        (28, "Boxing Day", True),
    ]


def test_christmas_on_sunday_and_boxing_day_on_saturday() -> None:
    dec22 = [(h.date.day, h.title) for h in bank_holidays(2022) if h.date.month == 12]
    assert dec22 == [(26, "Boxing Day"), (27, "Christmas Day")]
    dec20 = [(h.date.day, h.title) for h in bank_holidays(2020) if h.date.month == 12]
    assert dec20 == [(25, "Christmas Day"), (28, "Boxing Day")]


def test_new_year_substitutes() -> None:
    assert bank_holidays(2022)[0].date == date(2022, 1, 3)  # Saturday -> Monday 3rd
    assert bank_holidays(2023)[0].date == date(2023, 1, 2)  # Sunday -> Monday 2nd
    assert bank_holidays(2022)[0].substitute


def test_one_off_changes() -> None:
    assert is_bank_holiday(date(1999, 12, 31))
    assert is_bank_holiday(date(2011, 4, 29))
    assert is_bank_holiday(date(1995, 5, 8)) and not is_bank_holiday(date(1995, 5, 1))
    assert is_bank_holiday(date(2002, 6, 3)) and is_bank_holiday(date(2002, 6, 4))
    assert not is_bank_holiday(date(2002, 5, 27))
    assert not is_bank_holiday(date(2020, 5, 4))
    assert not is_bank_holiday(date(2022, 5, 30))
    assert all(c.status in ("S", "U") and c.source for c in ONE_OFF_CHANGES)


def test_years_before_the_table_are_refused() -> None:
    with pytest.raises(ValueError):
        bank_holidays(1994)


def test_counting_rule_easter_2026() -> None:
    # Thursday before Easter: Good Friday and Easter Monday do not count.
    thursday = date(2026, 4, 2)
    assert add_working_days(thursday, 1) == date(2026, 4, 7)
    assert add_working_days(thursday, 10) == date(2026, 4, 20)
    assert working_days_between(thursday, date(2026, 4, 20)) == 10
    assert working_days_between(date(2026, 4, 20), thursday) == -10
    # the request day never counts, even when made on a weekend or holiday
    assert add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 4), 0) == date(2026, 4, 4)


def test_dates_are_london_dates() -> None:
    # 23:30 UTC on 30 June is 00:30 BST on 1 July
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert london_date(late) == date(2026, 7, 1)
    assert london_date(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 1, 31)
    assert end_of_day(date(2026, 7, 1)) == datetime(2026, 7, 1, 23, tzinfo=UTC)
    # 23:30 UTC on Thursday 2 April 2026 is already Good Friday in London
    assert not is_working_day(datetime(2026, 4, 2, 23, 30, tzinfo=UTC))
    assert is_working_day(datetime(2026, 4, 2, 22, 30, tzinfo=UTC))
    # GMT in winter: 23:30 UTC on 24 December is still Christmas Eve
    assert is_working_day(datetime(2026, 12, 24, 23, 30, tzinfo=UTC))


def test_add_working_days_rejects_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)


_days = st.dates(min_value=date(1995, 1, 1), max_value=date(2060, 12, 31))


@given(_days, st.integers(min_value=1, max_value=60))
def test_deadline_is_a_working_day_after_start(start: date, n: int) -> None:
    deadline = add_working_days(start, n)
    assert deadline > start
    assert deadline.weekday() < 5
    assert is_working_day(deadline)
    assert working_days_between(start, deadline) == n
    assert working_days_between(start, deadline - timedelta(days=1)) == n - 1


@given(_days, st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40))
def test_deadline_is_monotone(start: date, n: int, m: int) -> None:
    if n <= m:
        assert add_working_days(start, n) <= add_working_days(start, m)
    later = start + timedelta(days=m)
    assert add_working_days(start, n) <= add_working_days(later, n)


@given(st.integers(min_value=1995, max_value=2200))
def test_every_year_has_its_rule_holidays_on_weekdays(year: int) -> None:
    days = bank_holidays(year)
    assert all(h.date.year == year and h.date.weekday() < 5 for h in days)
    assert len({h.date for h in days}) == len(days)
    assert len(days) >= 8
