"""A meter's own clock as the DLMS Clock object (class 8, 0-0:1.0.0.255) that ECS70 sets.

ECS70 "Set Clock on ESME" (RTDS 4.5.0) is one ACCESS request of five specifications, in order:
SET attribute 9 (clock_base, an enum), ACTION method 5 preset_adjusting_time {preset_time,
validity_interval_start, validity_interval_end} (three 12-byte COSEM date-times), ACTION method 4
adjust_to_preset_time (integer 0), then GET attribute 2 (time) and GET attribute 4 (status).
``MeterClock.access`` answers one specification with its data and result.

The meter's time is the modelled clock plus a persisted offset, so it survives a power cycle
and moves with modelled time. [U] decisions, each a named setting below:

- The RTDS ECS70 carries an all-unspecified preset_time ("NEVER") and a 60-second validity
  interval (2014-12-31 23:59:10 to 2015-01-01 00:00:10): we read an unspecified preset as "the
  time the Communications Hub gives" (``UNSPECIFIED_PRESET``: GB meters take their time from
  the CHF's Time server, which tells modelled time), accepted only inside the validity interval,
  as the GSME does with GCS28's. An interval with an unspecified bound, or ending before it
  starts, fails like a preset outside it.
- A specified preset outside its own validity interval fails the preset (and so the adjustment)
  with ``PRESET_OUTSIDE_VALIDITY``; adjusting with no preset held fails with ``NO_PRESET_HELD``.
  Blue Book's other check (the meter's *current* time must lie in the interval) is not applied:
  a meter being commissioned has a clock that is wrong by definition.
- Date-times are read as UTC whatever their deviation (GBCS keeps device time in UTC); an
  unspecified hundredths field reads as 0.
- The status reads ``STATUS_DOUBTFUL`` until the clock is first set, then ``STATUS_OK``.
"""

from __future__ import annotations

import datetime
import enum

from ..codec.gbcs.clock import CLOCK, CLOCK_CLASS, ClockAttribute, ClockMethod
from ..codec.gbcs.dlms import (
    AccessRequestKind,
    AccessRequestSpecification,
    CosemDescriptor,
    Data,
    DataAccessResult,
    DataType,
    date_time,
)
from ..han.clock import Clock
from ..han.stack.state import StateStore


class ClockBase(enum.IntEnum):
    NOT_DEFINED = 0
    INTERNAL_CRYSTAL = 1
    MAINS_FREQUENCY_50_HZ = 2
    MAINS_FREQUENCY_60_HZ = 3
    GPS = 4
    RADIO_CONTROLLED = 5


STATUS_OK = 0x00
STATUS_DOUBTFUL = 0x02  # Blue Book clock status bit 1: doubtful value
UNSPECIFIED_PRESET = "the Communications Hub's time (modelled time)"
PRESET_OUTSIDE_VALIDITY = DataAccessResult.OTHER_REASON
NO_PRESET_HELD = DataAccessResult.OTHER_REASON
DEFAULT_CLOCK_BASE = ClockBase.INTERNAL_CRYSTAL


def is_clock(descriptor: CosemDescriptor) -> bool:
    return descriptor.class_id == CLOCK_CLASS and descriptor.instance_id == CLOCK


def read_cosem_date_time(raw: bytes) -> datetime.datetime | None:
    """A 12-byte COSEM date-time as a UTC instant; None when any field of it is unspecified."""
    if len(raw) != 12:
        raise ValueError("a COSEM date-time is 12 bytes")
    year = int.from_bytes(raw[0:2], "big")
    month, day, _weekday, hour, minute, second, hundredths = raw[2:9]
    if year == 0xFFFF or 0xFF in (month, day, hour, minute, second):
        return None
    micro = 0 if hundredths == 0xFF else hundredths * 10_000
    try:
        return datetime.datetime(year, month, day, hour, minute, second, micro, datetime.UTC)
    except ValueError:
        return None  # 0xFD/0xFE "last day of month" forms and nonsense alike: not one instant


class MeterClock:
    """The meter's Clock object, persisted in ``store`` under ``key``."""

    def __init__(self, store: StateStore, clock: Clock | None, key: str = "clock") -> None:
        self._store, self._clock, self._key = store, clock, key
        saved = store.load(key) or {}
        self.offset = float(saved.get("offset", 0.0))
        """Seconds between the meter's time and modelled time."""
        self.clock_base = int(saved.get("clock_base", DEFAULT_CLOCK_BASE))
        self.status = int(saved.get("status", STATUS_DOUBTFUL))
        self._preset: datetime.datetime | None = None  # volatile: ECS70 presets and adjusts at once

    def _modelled(self) -> datetime.datetime:
        """Modelled time; the wall clock for a meter built without a ``Clock``."""
        if self._clock is None:
            return datetime.datetime.now(datetime.UTC)
        return self._clock.datetime()

    def now(self) -> datetime.datetime:
        return self._modelled() + datetime.timedelta(seconds=self.offset)

    def _save(self) -> None:
        state = {"offset": self.offset, "clock_base": self.clock_base, "status": self.status}
        self._store.save(self._key, state)

    def access(self, spec: AccessRequestSpecification, data: Data) -> tuple[Data, DataAccessResult]:
        """One ACCESS specification on the Clock object: the data to answer and the result."""
        member = spec.descriptor.member_id
        if spec.kind is AccessRequestKind.GET:
            if member == ClockAttribute.TIME:
                return Data.octet_string(date_time(self.now())), DataAccessResult.SUCCESS
            if member == ClockAttribute.STATUS:
                return Data(DataType.UNSIGNED, self.status), DataAccessResult.SUCCESS
            if member == ClockAttribute.CLOCK_BASE:
                return Data(DataType.ENUM, self.clock_base), DataAccessResult.SUCCESS
            return Data.null(), DataAccessResult.OBJECT_UNAVAILABLE
        if spec.kind is AccessRequestKind.SET:
            return Data.null(), self._set(member, data)
        if spec.kind is AccessRequestKind.ACTION:
            return Data.null(), self._action(member, data)
        return Data.null(), DataAccessResult.OBJECT_UNAVAILABLE

    def _set(self, member: int, data: Data) -> DataAccessResult:
        if member != ClockAttribute.CLOCK_BASE:
            return DataAccessResult.READ_WRITE_DENIED
        if data.type is not DataType.ENUM or not isinstance(data.value, int):
            return DataAccessResult.TYPE_UNMATCHED
        self.clock_base = data.value
        self._save()
        return DataAccessResult.SUCCESS

    def _action(self, member: int, data: Data) -> DataAccessResult:
        if member == ClockMethod.PRESET_ADJUSTING_TIME:
            return self._preset_adjusting_time(data)
        if member == ClockMethod.ADJUST_TO_PRESET_TIME:
            if self._preset is None:
                return NO_PRESET_HELD
            self.offset = (self._preset - self._modelled()).total_seconds()
            self.status, self._preset = STATUS_OK, None
            self._save()
            return DataAccessResult.SUCCESS
        return DataAccessResult.OBJECT_UNAVAILABLE

    def _preset_adjusting_time(self, data: Data) -> DataAccessResult:
        self._preset = None
        items = data.value if data.type is DataType.STRUCTURE else None
        if not isinstance(items, tuple) or len(items) != 3:
            return DataAccessResult.TYPE_UNMATCHED
        raw = [d.value for d in items if d.type is DataType.OCTET_STRING]
        if len(raw) != 3 or any(not isinstance(r, bytes) or len(r) != 12 for r in raw):
            return DataAccessResult.TYPE_UNMATCHED
        preset, start, end = (read_cosem_date_time(r) for r in raw if isinstance(r, bytes))
        if start is None or end is None or end < start:
            return PRESET_OUTSIDE_VALIDITY
        if preset is None:
            preset = self._modelled()  # UNSPECIFIED_PRESET
        if not start <= preset <= end:
            return PRESET_OUTSIDE_VALIDITY
        self._preset = preset
        return DataAccessResult.SUCCESS
