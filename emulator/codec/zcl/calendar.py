"""Calendar cluster (0x0707): time-of-use switching tables (days, weeks, seasons, special days).

GB use: the ESME and the GPF publish the tariff switching calendar (and friendly-credit and
auxiliary-load calendars) to consumer devices, so a display can tell which tier applies when.
[I] from the SMETS2 tariff model.

Commands and fields: ZSE 1.4 (07-5356-21) Annex D / ZCL Revision 8 §10.9 "Calendar", cross-checked
against Silicon Labs' ``app/zcl/ami.xml``. A day schedule entry is three octets whatever the
calendar type (start time in minutes after midnight, then price tier, friendly-credit enable or
auxiliary-load switch state), so one :class:`ScheduleEntry` covers all three; entry lists run to the
end of the frame.
"""

from __future__ import annotations

# zigpy annotates ZCLCommandDef and ZCLAttributeDef with the normalised types it converts to
# (uint8_t ids, compiled schema classes, access flags), not the ints, dicts and strings its own
# declarative clusters pass; arg-type is silenced for these declarations only.
# mypy: disable-error-code="arg-type"
from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy as zse
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef

from .types import OctetString

__all__ = ["Calendar", "CalendarTimeReference", "CalendarType", "ScheduleEntry", "SeasonEntry"]


class CalendarType(t.enum8):
    DELIVERED_CALENDAR = 0x00
    RECEIVED_CALENDAR = 0x01
    DELIVERED_AND_RECEIVED_CALENDAR = 0x02
    FRIENDLY_CREDIT_CALENDAR = 0x03
    AUXILIARY_LOAD_SWITCH_CALENDAR = 0x04


class CalendarTimeReference(t.enum8):
    UTC_TIME = 0x00
    STANDARD_TIME = 0x01
    LOCAL_TIME = 0x02


class ScheduleEntry(t.Struct):
    start_time: t.uint16_t
    value: t.uint8_t


class SeasonEntry(t.Struct):
    season_start_date: t.Date
    week_id_ref: t.uint8_t


class SpecialDayEntry(t.Struct):
    special_day_date: t.Date
    day_id_ref: t.uint8_t


class Calendar(zse.Calendar):
    _skip_registry = True

    CalendarType: Final = CalendarType

    class AttributeDefs(BaseAttributeDefs):
        auxiliary_switch_1_label: Final = ZCLAttributeDef(id=0x0000, type=OctetString, access="rw")
        auxiliary_switch_2_label: Final = ZCLAttributeDef(id=0x0001, type=OctetString, access="rw")
        auxiliary_switch_3_label: Final = ZCLAttributeDef(id=0x0002, type=OctetString, access="rw")
        auxiliary_switch_4_label: Final = ZCLAttributeDef(id=0x0003, type=OctetString, access="rw")
        auxiliary_switch_5_label: Final = ZCLAttributeDef(id=0x0004, type=OctetString, access="rw")
        auxiliary_switch_6_label: Final = ZCLAttributeDef(id=0x0005, type=OctetString, access="rw")
        auxiliary_switch_7_label: Final = ZCLAttributeDef(id=0x0006, type=OctetString, access="rw")
        auxiliary_switch_8_label: Final = ZCLAttributeDef(id=0x0007, type=OctetString, access="rw")

    class ServerCommandDefs(BaseCommandDefs):
        get_calendar: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "earliest_start_time": t.UTCTime,
                "min_issuer_event_id": t.uint32_t,
                "number_of_calendars": t.uint8_t,
                "calendar_type": CalendarType,
                "provider_id": t.uint32_t,
            },
        )
        get_day_profiles: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "provider_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "start_day_id": t.uint8_t,
                "number_of_days": t.uint8_t,
            },
        )
        get_week_profiles: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "provider_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "start_week_id": t.uint8_t,
                "number_of_weeks": t.uint8_t,
            },
        )
        get_seasons: Final = ZCLCommandDef(
            id=0x03, schema={"provider_id": t.uint32_t, "issuer_calendar_id": t.uint32_t}
        )
        get_special_days: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "start_time": t.UTCTime,
                "number_of_events": t.uint8_t,
                "calendar_type": CalendarType,
                "provider_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
            },
        )
        get_calendar_cancellation: Final = ZCLCommandDef(id=0x05, schema={})

    class ClientCommandDefs(BaseCommandDefs):
        publish_calendar: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "start_time": t.UTCTime,
                "calendar_type": CalendarType,
                "calendar_time_reference": CalendarTimeReference,
                "calendar_name": OctetString,
                "number_of_seasons": t.uint8_t,
                "number_of_week_profiles": t.uint8_t,
                "number_of_day_profiles": t.uint8_t,
            },
        )
        publish_day_profile: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "day_id": t.uint8_t,
                "total_number_of_schedule_entries": t.uint8_t,
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "calendar_type": CalendarType,
                "day_schedule_entries": t.List[ScheduleEntry],
            },
        )
        publish_week_profile: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "week_id": t.uint8_t,
                "day_id_ref_monday": t.uint8_t,
                "day_id_ref_tuesday": t.uint8_t,
                "day_id_ref_wednesday": t.uint8_t,
                "day_id_ref_thursday": t.uint8_t,
                "day_id_ref_friday": t.uint8_t,
                "day_id_ref_saturday": t.uint8_t,
                "day_id_ref_sunday": t.uint8_t,
            },
        )
        publish_seasons: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "season_entries": t.List[SeasonEntry],
            },
        )
        publish_special_days: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "start_time": t.UTCTime,
                "calendar_type": CalendarType,
                "total_number_of_special_days": t.uint8_t,
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "special_day_entries": t.List[SpecialDayEntry],
            },
        )
        cancel_calendar: Final = ZCLCommandDef(
            id=0x05,
            schema={
                "provider_id": t.uint32_t,
                "issuer_calendar_id": t.uint32_t,
                "calendar_type": CalendarType,
            },
        )
