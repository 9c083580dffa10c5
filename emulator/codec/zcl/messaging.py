"""Messaging cluster (0x0703): text messages from the supplier to the consumer's displays.

GB use: the ESME, and the GPF for gas, serve Display Message / Cancel Message to the IHD and
PPMID, which confirm with Message Confirmation. [I] from the SMETS2 consumer-device roles.

Commands and fields: ZSE 1.4 (07-5356-21) Annex D / ZCL Revision 8 §10.5 "Messaging",
cross-checked against Silicon Labs' ``app/zcl/ami.xml`` and Wireshark's ``packet-zbee-zcl-se.c``.
The server *sends* Display Message, so it is one of the client's received commands
(``ClientCommandDefs``). Fields added in SE 1.2a (Extended Message Control, the confirmation
control and response) are optional, so SE 1.1 frames parse too. The message is a ZCL character
string whose length counts UTF-8 octets (see :class:`.types.CharacterString`).
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

from .types import CharacterString, OctetString

__all__ = [
    "MessageConfirmationControl",
    "MessageControl",
    "MessageExtendedControl",
    "Messaging",
]


class MessageControl(t.bitmap8):
    """Message Control: transmission (bits 0-1), importance (2-3), confirmation (5, 7)."""

    TRANSMISSION_NORMAL_AND_ANONYMOUS_INTER_PAN = 0x01
    TRANSMISSION_ANONYMOUS_INTER_PAN_ONLY = 0x02
    IMPORTANCE_MEDIUM = 0x04
    IMPORTANCE_HIGH = 0x08
    ENHANCED_CONFIRMATION_REQUIRED = 0x20
    MESSAGE_CONFIRMATION_REQUIRED = 0x80


class MessageExtendedControl(t.bitmap8):
    MESSAGE_CONFIRMED = 0x01


class MessageConfirmationControl(t.bitmap8):
    NO_RETURNED = 0x01
    YES_RETURNED = 0x02


_DISPLAY: Final = {
    "message_id": t.uint32_t,
    "message_control": MessageControl,
    "start_time": t.UTCTime,
    "duration_in_minutes": t.uint16_t,
    "message": CharacterString,
    "extended_message_control?": MessageExtendedControl,
}


class Messaging(zse.Messaging):
    _skip_registry = True

    MessageControl: Final = MessageControl

    class AttributeDefs(BaseAttributeDefs):
        pass

    class ServerCommandDefs(BaseCommandDefs):
        get_last_message: Final = ZCLCommandDef(id=0x00, schema={})
        message_confirmation: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "message_id": t.uint32_t,
                "confirmation_time": t.UTCTime,
                "message_confirmation_control?": MessageConfirmationControl,
                "message_response?": OctetString,
            },
        )
        get_message_cancellation: Final = ZCLCommandDef(
            id=0x02, schema={"earliest_implementation_time": t.UTCTime}
        )

    class ClientCommandDefs(BaseCommandDefs):
        display_message: Final = ZCLCommandDef(id=0x00, schema=dict(_DISPLAY))
        cancel_message: Final = ZCLCommandDef(
            id=0x01, schema={"message_id": t.uint32_t, "message_control": MessageControl}
        )
        display_protected_message: Final = ZCLCommandDef(id=0x02, schema=dict(_DISPLAY))
        cancel_all_messages: Final = ZCLCommandDef(
            id=0x03, schema={"implementation_date_time": t.UTCTime}
        )
