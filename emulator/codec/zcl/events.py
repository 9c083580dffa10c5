"""Events cluster (0x0709): device event logs and event notifications over the HAN.

GB use: meters publish events and serve their logs to HAN clients; the SE 1.4 data model carries
two GB-specific logs, "GBCS General Event Log" (6) and "GBCS Security Event Log" (7), in the Log ID
enumeration (Silicon Labs' ``app/zcl/ami.xml``).

Commands and fields: ZSE 1.4 (07-5356-21) Annex D / ZCL Revision 8 §10.11 "Events", cross-checked
against Silicon Labs' ``app/zcl/ami.xml``. Publish Event Log's log payload runs to the end of the
frame (its count is also in the high nibble of the payload control octet; both are kept).
"""

from __future__ import annotations

# zigpy annotates ZCLCommandDef and ZCLAttributeDef with the normalised types it converts to
# (uint8_t ids, compiled schema classes, access flags), not the ints, dicts and strings its own
# declarative clusters pass; arg-type is silenced for these declarations only.
# mypy: disable-error-code="arg-type"
from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy as zse
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLCommandDef

from .types import OctetString

__all__ = ["ClearedEventsLogs", "EventLogId", "EventLogPayload", "Events"]


class EventLogId(t.enum8):
    ALL_LOGS = 0x00
    TAMPER_LOG = 0x01
    FAULT_LOG = 0x02
    GENERAL_EVENT_LOG = 0x03
    SECURITY_EVENT_LOG = 0x04
    NETWORK_EVENT_LOG = 0x05
    GBCS_GENERAL_EVENT_LOG = 0x06
    GBCS_SECURITY_EVENT_LOG = 0x07


class EventActionControl(t.bitmap8):
    REPORT_EVENT_TO_HAN_DEVICES = 0x01
    REPORT_EVENT_TO_WAN = 0x02


class ClearedEventsLogs(t.bitmap8):
    ALL_LOGS_CLEARED = 0x01
    TAMPER_LOG_CLEARED = 0x02
    FAULT_LOG_CLEARED = 0x04
    GENERAL_EVENT_LOG_CLEARED = 0x08
    SECURITY_EVENT_LOG_CLEARED = 0x10
    NETWORK_EVENT_LOG_CLEARED = 0x20


class EventLogPayload(t.Struct):
    log_id: EventLogId
    event_id: t.uint16_t
    event_time: t.UTCTime
    event_data: OctetString


class Events(zse.Events):
    _skip_registry = True

    EventLogId: Final = EventLogId

    class AttributeDefs(BaseAttributeDefs):
        pass

    class ServerCommandDefs(BaseCommandDefs):
        get_event_log: Final = ZCLCommandDef(
            id=0x00,
            schema={
                # Event control in the high nibble, log id in the low nibble.
                "event_control_log_id": t.bitmap8,
                "event_id": t.uint16_t,
                "start_time": t.UTCTime,
                "end_time": t.UTCTime,
                "number_of_events": t.uint8_t,
                "event_offset": t.uint16_t,
            },
        )
        clear_event_log_request: Final = ZCLCommandDef(id=0x01, schema={"log_id": EventLogId})

    class ClientCommandDefs(BaseCommandDefs):
        publish_event: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "log_id": EventLogId,
                "event_id": t.uint16_t,
                "event_time": t.UTCTime,
                "event_control": EventActionControl,
                "event_data": OctetString,
            },
        )
        publish_event_log: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "total_number_of_events": t.uint16_t,
                "command_index": t.uint8_t,
                "total_commands": t.uint8_t,
                "log_payload_control": t.bitmap8,
                "log_payload": t.List[EventLogPayload],
            },
        )
        clear_event_log_response: Final = ZCLCommandDef(
            id=0x02, schema={"cleared_events_logs": ClearedEventsLogs}
        )
