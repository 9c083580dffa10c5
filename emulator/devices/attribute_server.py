"""A ZCL attribute server for device actors: Read Attributes answered from a table of values.

One endpoint's attributes, by (cluster, side), come from a callable so the owner keeps its own
state (a mirror, a meter's registers, the clock). A Read Attributes gets its response (an
attribute not held reads UNSUPPORTED_ATTRIBUTE); a frame that does not parse gets a Default
Response MALFORMED_COMMAND, another command UNSUP_CLUSTER_COMMAND / UNSUP_GENERAL_COMMAND, a
cluster not served UNSUPPORTED_CLUSTER, and a requester the owner does not admit NOT_AUTHORIZED
(ZCL r6 §2.5.12). Responses and reports are not answered: nothing to say to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from zigpy.zcl import foundation

from ..codec.errors import DecodeError
from ..codec.zcl import frame as zcl
from ..codec.zcl.attributes import Side, read_attributes_response
from ..han.port import ApsMessage, DeliveryError, HanPort

AttributeTable = Callable[[int, Side], Mapping[int, Any] | None]
"""(cluster, side) -> attribute id -> value, or None when that side of the cluster is not served."""

READ_ATTRIBUTES = foundation.GeneralCommand.Read_Attributes
_UNANSWERED = frozenset(
    {
        foundation.GeneralCommand.Read_Attributes_rsp,
        foundation.GeneralCommand.Write_Attributes_rsp,
        foundation.GeneralCommand.Configure_Reporting_rsp,
        foundation.GeneralCommand.Read_Reporting_Configuration_rsp,
        foundation.GeneralCommand.Report_Attributes,
        foundation.GeneralCommand.Default_Response,
        foundation.GeneralCommand.Discover_Attributes_rsp,
    }
)


class AttributeServer:
    def __init__(self, table: AttributeTable) -> None:
        self.table = table

    def respond(self, cluster: int, payload: bytes, *, allowed: bool = True) -> zcl.ZclFrame | None:
        """The answer to one received ZCL frame on ``cluster``, or None when it needs none."""
        try:
            request = zcl.decode_zcl(payload)
        except DecodeError:
            return None  # not even a ZCL header: nothing to answer to
        if request.is_global and request.command_id in _UNANSWERED:
            return None
        side = Side.addressed_by(request)
        if not request.is_global:
            return default_response(cluster, request, foundation.Status.UNSUP_CLUSTER_COMMAND)
        if request.command_id != READ_ATTRIBUTES:
            return default_response(cluster, request, foundation.Status.UNSUP_GENERAL_COMMAND)
        held = self.table(cluster, side)
        if held is None:
            return default_response(cluster, request, foundation.Status.UNSUPPORTED_CLUSTER)
        if not allowed:
            return default_response(cluster, request, foundation.Status.NOT_AUTHORIZED)
        try:
            parsed = zcl.parse_command(cluster, request, strict=True)
        except DecodeError:
            return default_response(cluster, request, foundation.Status.MALFORMED_COMMAND)
        asked = [int(a) for a in getattr(parsed, "attribute_ids", ())]
        return read_attributes_response(
            cluster, side, {a: held.get(a) for a in asked}, tsn=request.tsn
        )


async def answer(port: HanPort, msg: ApsMessage, frame: zcl.ZclFrame) -> bool:
    """Send ``frame`` back to ``msg``'s sender, from the endpoint it was addressed to; False
    when it was not delivered (a lost answer is the asker's to retry)."""
    try:
        await port.send(
            msg.source,
            cluster=msg.cluster,
            payload=frame.encode(),
            src_endpoint=msg.dst_endpoint,
            dst_endpoint=msg.src_endpoint,
        )
    except DeliveryError:
        return False
    return True


def default_response(
    cluster: int, request: zcl.ZclFrame, status: foundation.Status
) -> zcl.ZclFrame:
    """A Default Response to ``request``, travelling back the way it came."""
    back = (
        zcl.Direction.SERVER_TO_CLIENT
        if request.direction == zcl.Direction.CLIENT_TO_SERVER
        else zcl.Direction.CLIENT_TO_SERVER
    )
    return zcl.build_command(
        cluster,
        "Default_Response",
        tsn=request.tsn,
        direction=back,
        command_id=request.command_id,
        status=status,
    )
