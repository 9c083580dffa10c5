"""Working days in England and Wales, for MP121's ten-working-day install-code SLA.

A *working day* is a day that is neither a Saturday, a Sunday nor an England and Wales bank
holiday. (SEC Section A defines "Working Day" as any day other than a Saturday, a Sunday,
Christmas Day, Good Friday or a bank holiday in England and Wales [U: paraphrased, the SEC text
is not in our seeds]; Christmas Day and Good Friday are in the list below anyway.)

Bank holidays are *computed* for any year from 1995 on, from the standing rules (Banking and
Financial Dealings Act 1971 and the annual Royal Proclamations, as gov.uk publishes the result):

- New Year's Day, 1 January; on a Saturday or Sunday, the Monday after (substitute day).
- Good Friday and Easter Monday, from the Gregorian Easter computus (:func:`easter_sunday`).
- Early May bank holiday: the first Monday of May.
- Spring bank holiday: the last Monday of May.
- Summer bank holiday: the last Monday of August.
- Christmas Day and Boxing Day; weekend days are substituted by the next weekdays not already a
  holiday: 25th on Saturday -> Mon 27 and Tue 28; 25th on Sunday -> Boxing Day Mon 26 and
  Christmas Day Tue 27; 25th on Friday -> Boxing Day Mon 28.

plus :data:`ONE_OFF_CHANGES`, the one-off moves and additions since 1995 that no rule computes.
Future one-offs must be added to that table when they are proclaimed.

Counting rule (:func:`add_working_days`, used for the MP121 SLA):

1. Dates are calendar dates in England: an aware ``datetime`` is converted to Europe/London local
   time first, a naive one is taken as London local time, a ``date`` is used as is.
2. The day the request is made is day 0 and never counts, whatever the hour and whether or not it
   is itself a working day.
3. Working day 1 is the first working day strictly after day 0; the deadline is the *end* (24:00
   London time) of working day ``n``. A request made on Thursday 2 April 2026 (Good Friday on the
   3rd, Easter Monday on the 6th) has working day 1 on Tuesday 7 April and its ten-working-day
   deadline at the end of Monday 20 April.
4. An answer given at any time on or before the deadline date is on time; from the first moment
   of the next calendar day, the request is overdue.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
FIRST_YEAR = 1995
"""The first year :data:`ONE_OFF_CHANGES` is complete for; earlier years are refused."""

NEW_YEARS_DAY = "New Year's Day"
GOOD_FRIDAY = "Good Friday"
EASTER_MONDAY = "Easter Monday"
EARLY_MAY = "Early May bank holiday"
SPRING = "Spring bank holiday"
SUMMER = "Summer bank holiday"
CHRISTMAS_DAY = "Christmas Day"
BOXING_DAY = "Boxing Day"

_SATURDAY, _SUNDAY = 5, 6


@dataclass(frozen=True, slots=True)
class BankHoliday:
    """One England and Wales bank holiday as observed (gov.uk ``bank-holidays.json`` shape:
    title, date, and ``substitute`` for gov.uk's "Substitute day" note)."""

    date: date
    title: str
    substitute: bool = False


class Change(enum.Enum):
    """What a one-off proclamation did to the year's bank holidays."""

    MOVED = "moved"
    """A rule holiday (``title``) was held on ``date`` instead of its computed day."""
    ADDED = "added"
    """An extra bank holiday on ``date``."""


@dataclass(frozen=True, slots=True)
class OneOffChange:
    """A one-off change to the computed calendar. ``status`` is ``S`` (checked against gov.uk's
    published ``bank-holidays.json``) or ``U`` (secondary sources only), as in DOMAIN.md."""

    change: Change
    date: date
    title: str
    status: str
    source: str


_CALENDARS = "gov.uk's own data: alphagov/calendars lib/data/bank-holidays.json (2012)"
_GOVUK = "gov.uk bank-holidays.json (england-and-wales), as mirrored in dmossop/bank-holidays-data"

ONE_OFF_CHANGES: tuple[OneOffChange, ...] = (
    OneOffChange(
        Change.MOVED,
        date(1995, 5, 8),
        EARLY_MAY,
        "U",
        "VE Day 50th anniversary; press reports (LBC 2019: moved 'only once before', in 1995)",
    ),
    OneOffChange(
        Change.ADDED,
        date(1999, 12, 31),
        "Millennium bank holiday",
        "U",
        "Millennium; secondary lists (Wikipedia-derived) only",
    ),
    OneOffChange(
        Change.MOVED,
        date(2002, 6, 4),
        SPRING,
        "U",
        "Golden Jubilee; secondary lists (Wikipedia-derived) only",
    ),
    OneOffChange(
        Change.ADDED,
        date(2002, 6, 3),
        "Golden Jubilee bank holiday",
        "U",
        "Golden Jubilee; secondary lists (Wikipedia-derived) only",
    ),
    OneOffChange(
        Change.ADDED,
        date(2011, 4, 29),
        "Royal wedding bank holiday",
        "U",
        "Wedding of Prince William; press (Guardian 23 Nov 2010, timeanddate)",
    ),
    OneOffChange(Change.MOVED, date(2012, 6, 4), SPRING, "S", f"Diamond Jubilee; {_CALENDARS}"),
    OneOffChange(
        Change.ADDED,
        date(2012, 6, 5),
        "Queen's Diamond Jubilee",
        "S",
        f"Diamond Jubilee; {_CALENDARS}",
    ),
    OneOffChange(
        Change.MOVED,
        date(2020, 5, 8),
        EARLY_MAY,
        "S",
        f"VE Day 75th anniversary; {_GOVUK}",
    ),
    OneOffChange(Change.MOVED, date(2022, 6, 2), SPRING, "S", f"Platinum Jubilee; {_GOVUK}"),
    OneOffChange(
        Change.ADDED,
        date(2022, 6, 3),
        "Platinum Jubilee bank holiday",
        "S",
        f"Platinum Jubilee; {_GOVUK}",
    ),
    OneOffChange(
        Change.ADDED,
        date(2022, 9, 19),
        "Bank Holiday for the State Funeral of Queen Elizabeth II",
        "S",
        _GOVUK,
    ),
    OneOffChange(
        Change.ADDED,
        date(2023, 5, 8),
        "Bank holiday for the coronation of King Charles III",
        "S",
        _GOVUK,
    ),
)


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian computus, "Meeus/Jones/
    Butcher")."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _christmas(year: int) -> list[BankHoliday]:
    christmas = date(year, 12, 25)
    weekday = christmas.weekday()
    if weekday == _SATURDAY:
        return [
            BankHoliday(date(year, 12, 27), CHRISTMAS_DAY, True),
            BankHoliday(date(year, 12, 28), BOXING_DAY, True),
        ]
    if weekday == _SUNDAY:
        return [
            BankHoliday(date(year, 12, 26), BOXING_DAY),
            BankHoliday(date(year, 12, 27), CHRISTMAS_DAY, True),
        ]
    if weekday == 4:  # Friday: Boxing Day on the Saturday
        return [
            BankHoliday(christmas, CHRISTMAS_DAY),
            BankHoliday(date(year, 12, 28), BOXING_DAY, True),
        ]
    return [BankHoliday(christmas, CHRISTMAS_DAY), BankHoliday(date(year, 12, 26), BOXING_DAY)]


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> tuple[BankHoliday, ...]:
    """England and Wales bank holidays in ``year`` as observed, in date order."""
    if year < FIRST_YEAR:
        raise ValueError(f"bank holidays are computed from {FIRST_YEAR} on (got {year})")
    new_year = date(year, 1, 1)
    substitute = new_year.weekday() >= _SATURDAY
    if substitute:  # the Monday after
        new_year += timedelta(days=7 - new_year.weekday())
    easter = easter_sunday(year)
    days = [
        BankHoliday(new_year, NEW_YEARS_DAY, substitute),
        BankHoliday(easter - timedelta(days=2), GOOD_FRIDAY),
        BankHoliday(easter + timedelta(days=1), EASTER_MONDAY),
        BankHoliday(_first_monday(year, 5), EARLY_MAY),
        BankHoliday(_last_monday(year, 5), SPRING),
        BankHoliday(_last_monday(year, 8), SUMMER),
        *_christmas(year),
    ]
    for change in ONE_OFF_CHANGES:
        if change.date.year != year:
            continue
        if change.change is Change.MOVED:
            days = [d for d in days if d.title != change.title]
        days.append(BankHoliday(change.date, change.title))
    return tuple(sorted(days, key=lambda d: d.date))


def london_date(when: date | datetime) -> date:
    """The calendar date in England of ``when`` (rule 1 of the counting rule)."""
    if isinstance(when, datetime):
        if when.tzinfo is not None:
            when = when.astimezone(LONDON)
        return when.date()
    return when


def is_bank_holiday(day: date | datetime) -> bool:
    d = london_date(day)
    return any(h.date == d for h in bank_holidays(d.year))


def is_working_day(day: date | datetime) -> bool:
    """Not a Saturday, a Sunday or an England and Wales bank holiday."""
    d = london_date(day)
    return d.weekday() < _SATURDAY and not is_bank_holiday(d)


def add_working_days(start: date | datetime, n: int) -> date:
    """The ``n``-th working day strictly after ``start``'s date (``start``'s own date never
    counts); ``n == 0`` gives ``start``'s date. The MP121 deadline is the end of this day."""
    if n < 0:
        raise ValueError("n is a number of working days, 0 or more")
    day = london_date(start)
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: date | datetime, end: date | datetime) -> int:
    """Working days ``d`` with ``start < d <= end`` (dates as in :func:`london_date`), negative
    when ``end`` is before ``start``; so ``working_days_between(s, add_working_days(s, n)) ==
    n``."""
    a, b = london_date(start), london_date(end)
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in London (24:00 local), as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON)
