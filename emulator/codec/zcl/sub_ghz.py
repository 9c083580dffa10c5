"""Sub-GHz cluster (0x070B): duty-cycle control on the GB 868 MHz band.

GB use (DOMAIN.md §6; the Release 2 letter on dual-band Communications Hubs): the dual-band CH is
the server. When a client's duty cycle reaches Limited the CH tells that client to suspend ZCL
messages for a period; at Critical it tells every client. The channel-mask attributes carry the
GB868 pages 28-31 (page in the top five bits, channel bitmap in bits 0-26).

Attributes and commands: ZSE 1.4 (07-5356-21) / ZCL Revision 8 chapter 10 "Sub-GHz", as in
Silicon Labs' ``app/zcl/ami.xml``. zigpy has no class for this cluster at all, so this one is a
plain ``Cluster``.
"""

from __future__ import annotations

# zigpy annotates ZCLCommandDef and ZCLAttributeDef with the normalised types it converts to
# (uint8_t ids, compiled schema classes, access flags), not the ints, dicts and strings its own
# declarative clusters pass; arg-type is silenced for these declarations only.
# mypy: disable-error-code="arg-type"
from typing import Final, cast

import zigpy.types as t
from zigpy.zcl import Cluster
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef

__all__ = ["SubGhz"]


class SubGhz(Cluster):
    _skip_registry = True

    cluster_id = cast(t.uint16_t, 0x070B)
    ep_attribute = "smartenergy_sub_ghz"

    class AttributeDefs(BaseAttributeDefs):
        channel_change: Final = ZCLAttributeDef(
            id=0x0000, type=t.bitmap32, access="r", mandatory=True
        )
        page_28_channel_mask: Final = ZCLAttributeDef(
            id=0x0001, type=t.bitmap32, access="r", mandatory=True
        )
        page_29_channel_mask: Final = ZCLAttributeDef(
            id=0x0002, type=t.bitmap32, access="r", mandatory=True
        )
        page_30_channel_mask: Final = ZCLAttributeDef(
            id=0x0003, type=t.bitmap32, access="r", mandatory=True
        )
        page_31_channel_mask: Final = ZCLAttributeDef(
            id=0x0004, type=t.bitmap32, access="r", mandatory=True
        )

    class ServerCommandDefs(BaseCommandDefs):
        get_suspend_zcl_messages_status: Final = ZCLCommandDef(id=0x00, schema={})

    class ClientCommandDefs(BaseCommandDefs):
        # Period in minutes; 0 lifts the suspension.
        suspend_zcl_messages: Final = ZCLCommandDef(id=0x00, schema={"period": t.uint8_t})
