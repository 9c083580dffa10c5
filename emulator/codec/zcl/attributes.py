"""Attribute frames for either side of a cluster: Read Attributes Responses and Report Attributes.

ZCL keeps server and client attributes apart by the frame's direction (ZCL r6 §2.4.1.1.3): a Read
Attributes sent client to server reads the server's attributes, one sent server to client the
client's (as a GSME reads its mirror's FunctionalNotificationFlags, a Metering client attribute);
a report travels from the side whose attributes it carries. ``frame.read_attributes_response``
types server attributes only; these builders take the side and type values by its definitions
(the cluster classes of ``registry`` for servers, ``CLIENT_ATTRIBUTES`` for clients).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

import zigpy.types as t
from zigpy.zcl import foundation

from ..errors import ZclDecodeError
from .frame import Direction, FrameType, ZclFrame, build_command, parse_command
from .metering import METERING, METERING_CLIENT_ATTRIBUTES
from .registry import CLUSTERS

__all__ = [
    "CLIENT_ATTRIBUTES",
    "Side",
    "attribute_def",
    "read_attributes_response",
    "report_attributes",
    "reported_values",
]


class Side(enum.Enum):
    SERVER = "server"
    CLIENT = "client"

    def receiving(self) -> Direction:
        """The direction of a request addressed to this side's attributes."""
        return Direction.CLIENT_TO_SERVER if self is Side.SERVER else Direction.SERVER_TO_CLIENT

    def sending(self) -> Direction:
        """The direction of a response or report carrying this side's attributes."""
        return Direction.SERVER_TO_CLIENT if self is Side.SERVER else Direction.CLIENT_TO_SERVER

    @classmethod
    def addressed_by(cls, request: ZclFrame) -> Side:
        """Whose attributes a Read/Write Attributes request is about."""
        return cls.SERVER if request.direction == Direction.CLIENT_TO_SERVER else cls.CLIENT

    @classmethod
    def reported_by(cls, report: ZclFrame) -> Side:
        """Whose attributes a Report Attributes frame carries."""
        return cls.SERVER if report.direction == Direction.SERVER_TO_CLIENT else cls.CLIENT


CLIENT_ATTRIBUTES: Mapping[int, Mapping[int, foundation.ZCLAttributeDef]] = MappingProxyType(
    {METERING: METERING_CLIENT_ATTRIBUTES}
)
"""Client attribute definitions by cluster id, where GB uses any."""


def attribute_def(cluster_id: int, side: Side, attr_id: int) -> foundation.ZCLAttributeDef | None:
    if side is Side.CLIENT:
        return CLIENT_ATTRIBUTES.get(cluster_id, {}).get(attr_id)
    cluster = CLUSTERS.get(cluster_id)
    return None if cluster is None else cluster.attributes.get(attr_id)


def _typed(cluster_id: int, side: Side, attr_id: int, value: Any) -> foundation.TypeValue:
    definition = attribute_def(cluster_id, side, attr_id)
    if definition is None:
        raise ValueError(
            f"cluster 0x{cluster_id:04X} defines no {side.value} attribute 0x{attr_id:04X}"
        )
    return foundation.TypeValue(type=definition.zcl_type, value=definition.type(value))


def read_attributes_response(
    cluster_id: int, side: Side, values: Mapping[int, Any], *, tsn: int
) -> ZclFrame:
    """A Read Attributes Response (ZCL §2.5.2) with ``side``'s ``values``: id -> value, or
    ``None`` / a ``foundation.Status`` for an attribute that reads UNSUPPORTED_ATTRIBUTE / that."""
    records: list[foundation.ReadAttributeRecord] = []
    for attr_id, value in values.items():
        attrid = cast(t.uint16_t, attr_id)
        if value is None or isinstance(value, foundation.Status):
            status = foundation.Status.UNSUPPORTED_ATTRIBUTE if value is None else value
            records.append(foundation.ReadAttributeRecord(attrid=attrid, status=status))
        else:
            records.append(
                foundation.ReadAttributeRecord(
                    attrid=attrid,
                    status=foundation.Status.SUCCESS,
                    value=_typed(cluster_id, side, attr_id, value),
                )
            )
    return build_command(
        cluster_id,
        "Read_Attributes_rsp",
        tsn=tsn,
        direction=side.sending(),
        status_records=records,
    )


def report_attributes(
    cluster_id: int, side: Side, values: Mapping[int, Any], *, tsn: int
) -> ZclFrame:
    """A Report Attributes command (ZCL §2.5.11) carrying ``side``'s ``values``."""
    reports = [
        foundation.Attribute(
            attrid=cast(t.uint16_t, attr_id), value=_typed(cluster_id, side, attr_id, value)
        )
        for attr_id, value in values.items()
    ]
    return build_command(
        cluster_id,
        "Report_Attributes",
        tsn=tsn,
        direction=side.sending(),
        attribute_reports=reports,
    )


def reported_values(cluster_id: int, frame: ZclFrame) -> tuple[Side, dict[int, Any]]:
    """The side and id -> value of a Report Attributes frame on ``cluster_id``.

    Raises ``ZclDecodeError`` for another frame, a malformed one, or a value whose type is not
    the one the side's definition gives (a report must not change an attribute's type)."""
    if not (
        frame.frame_type == FrameType.GLOBAL
        and frame.command_id == foundation.GeneralCommand.Report_Attributes
    ):
        raise ZclDecodeError("not a Report Attributes command", frame.header_length - 1)
    side = Side.reported_by(frame)
    parsed = parse_command(cluster_id, frame, strict=True)
    values: dict[int, Any] = {}
    for report in getattr(parsed, "attribute_reports", ()):
        attr_id = int(report.attrid)
        definition = attribute_def(cluster_id, side, attr_id)
        if definition is None or report.value.type != definition.zcl_type:
            raise ZclDecodeError(
                f"attribute 0x{attr_id:04X} reported with type {report.value.type!r}",
                frame.header_length,
            )
        values[attr_id] = report.value.value
    return side, values
