"""The ZCL frame: a hand-parsed header for the hot path, zigpy schemas for the payload.

Layout (ZCL Revision 6, 07-5123-06, §2.4.1 "General ZCL Frame Format")::

    frame control (1) | manufacturer code (0/2, LE) | transaction sequence number (1)
    | command identifier (1) | frame payload (rest)

Frame control bits (§2.4.1.1): 0-1 frame type (00 global, 01 cluster-specific, 1x reserved),
2 manufacturer specific, 3 direction (0 client to server, 1 server to client), 4 disable default
response, 5-7 reserved.

The medium and the stacks look at every frame, so :func:`decode_zcl` parses the header by hand and
leaves the payload as bytes (DOMAIN.md §9: parsing through zigpy runs at a few thousand payloads a
second). :func:`parse_command` and :func:`build_command` go through zigpy's command schemas (the
GB clusters of this package, zigpy's own clusters and ``zigpy.zcl.foundation`` for global
commands) where a device actually consumes or produces a payload. Every decode failure, whatever
zigpy raises underneath, leaves this module as :class:`~emulator.codec.errors.ZclDecodeError`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

import zigpy.types as t
from zigpy.zcl import Cluster, foundation

from ..errors import ZclDecodeError
from .registry import CLUSTERS

__all__ = [
    "Direction",
    "FrameType",
    "ZclFrame",
    "build_command",
    "command_def",
    "decode_zcl",
    "parse_command",
    "read_attributes",
    "read_attributes_response",
    "read_attributes_result",
]


class FrameType(enum.IntEnum):
    """Frame type sub-field, ZCL §2.4.1.1.1."""

    GLOBAL = 0b00
    CLUSTER_SPECIFIC = 0b01


class Direction(enum.IntEnum):
    """Direction sub-field, ZCL §2.4.1.1.3."""

    CLIENT_TO_SERVER = 0
    SERVER_TO_CLIENT = 1


_FC_FRAME_TYPE = 0x03
_FC_MANUFACTURER_SPECIFIC = 0x04
_FC_DIRECTION = 0x08
_FC_DISABLE_DEFAULT_RESPONSE = 0x10
_FC_RESERVED = 0xE0

_FRAME_TYPES = (FrameType.GLOBAL, FrameType.CLUSTER_SPECIFIC)
_GLOBAL_COMMANDS: Mapping[int, foundation.ZCLCommandDef] = MappingProxyType(
    {int(k): v for k, v in foundation.GENERAL_COMMANDS.items()}
)
_DIRECTIONS = (Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT)


@dataclass(frozen=True, slots=True)
class ZclFrame:
    """One ZCL frame; ``payload`` is left unparsed (see :func:`parse_command`).

    ``manufacturer`` is the manufacturer code of a manufacturer-specific frame, ``None`` otherwise
    (the manufacturer-specific bit is derived from it, so the two can never disagree).
    """

    frame_type: FrameType
    direction: Direction
    tsn: int
    command_id: int
    payload: bytes = b""
    manufacturer: int | None = None
    disable_default_response: bool = False

    @property
    def is_global(self) -> bool:
        return self.frame_type == FrameType.GLOBAL

    @property
    def header_length(self) -> int:
        return 3 if self.manufacturer is None else 5

    def encode(self) -> bytes:
        """The frame's bytes; raises ``ValueError`` for out-of-range header fields."""
        if not 0 <= self.tsn <= 0xFF:
            raise ValueError(f"ZCL transaction sequence number out of range: {self.tsn}")
        if not 0 <= self.command_id <= 0xFF:
            raise ValueError(f"ZCL command identifier out of range: {self.command_id}")
        fc = int(self.frame_type)
        if self.direction == Direction.SERVER_TO_CLIENT:
            fc |= _FC_DIRECTION
        if self.disable_default_response:
            fc |= _FC_DISABLE_DEFAULT_RESPONSE
        if self.manufacturer is None:
            return bytes((fc, self.tsn, self.command_id)) + self.payload
        if not 0 <= self.manufacturer <= 0xFFFF:
            raise ValueError(f"ZCL manufacturer code out of range: {self.manufacturer}")
        m = self.manufacturer
        header = (fc | _FC_MANUFACTURER_SPECIFIC, m & 0xFF, m >> 8, self.tsn, self.command_id)
        return bytes(header) + self.payload


def decode_zcl(data: bytes) -> ZclFrame:
    """Parse the ZCL header of ``data``; the payload stays bytes.

    Frames with a reserved frame type or reserved frame-control bits set are rejected, so every
    frame this accepts re-encodes to exactly ``data``.
    """
    n = len(data)
    if n < 3:
        raise ZclDecodeError(f"truncated ZCL header: {n} bytes", n)
    fc = data[0]
    if fc & _FC_RESERVED:
        raise ZclDecodeError(f"reserved frame control bits set: 0x{fc:02X}", 0)
    frame_type = fc & _FC_FRAME_TYPE
    if frame_type > 1:
        raise ZclDecodeError(f"reserved ZCL frame type {frame_type}", 0)
    if fc & _FC_MANUFACTURER_SPECIFIC:
        if n < 5:
            raise ZclDecodeError(f"truncated manufacturer-specific ZCL header: {n} bytes", n)
        return ZclFrame(
            _FRAME_TYPES[frame_type],
            _DIRECTIONS[1 if fc & _FC_DIRECTION else 0],
            data[3],
            data[4],
            bytes(data[5:]),
            data[1] | data[2] << 8,
            bool(fc & _FC_DISABLE_DEFAULT_RESPONSE),
        )
    return ZclFrame(
        _FRAME_TYPES[frame_type],
        _DIRECTIONS[1 if fc & _FC_DIRECTION else 0],
        data[1],
        data[2],
        bytes(data[3:]),
        None,
        bool(fc & _FC_DISABLE_DEFAULT_RESPONSE),
    )


def _cluster(cluster_id: int) -> type[Cluster] | None:
    return CLUSTERS.get(cluster_id)


def command_def(cluster_id: int, frame: ZclFrame) -> foundation.ZCLCommandDef:
    """The zigpy command definition ``frame`` carries on ``cluster_id``.

    Cluster-specific commands sent client to server are the cluster's *received by the server*
    commands (``ServerCommandDefs``), those sent server to client its ``ClientCommandDefs``
    (ZCL §2.4.1.1.3). Global commands come from ``zigpy.zcl.foundation`` whatever the cluster.
    Raises :class:`ZclDecodeError` for anything not defined.
    """
    if frame.frame_type == FrameType.GLOBAL:
        general = _GLOBAL_COMMANDS.get(frame.command_id)
        if general is None:
            raise ZclDecodeError(
                f"unknown global command 0x{frame.command_id:02X}", frame.header_length - 1
            )
        return general
    cluster = _cluster(cluster_id)
    if cluster is None:
        raise ZclDecodeError(f"no definition for cluster 0x{cluster_id:04X}", 0)
    if frame.manufacturer is not None:
        raise ZclDecodeError(
            f"manufacturer-specific command 0x{frame.command_id:02X} (manufacturer "
            f"0x{frame.manufacturer:04X}) on cluster 0x{cluster_id:04X} is not defined",
            frame.header_length - 1,
        )
    commands = (
        cluster.server_commands
        if frame.direction == Direction.CLIENT_TO_SERVER
        else cluster.client_commands
    )
    found = commands.get(frame.command_id)
    if found is None:
        raise ZclDecodeError(
            f"cluster 0x{cluster_id:04X} defines no "
            f"{Direction(frame.direction).name.lower()} command 0x{frame.command_id:02X}",
            frame.header_length - 1,
        )
    return found


def parse_command(
    cluster_id: int, frame: ZclFrame, *, strict: bool = False
) -> foundation.CommandSchema:
    """Parse ``frame.payload`` through the zigpy schema of its command.

    Newer revisions of the Smart Energy clusters append fields to existing commands, and a
    receiver ignores what it does not know, so trailing bytes are accepted unless ``strict``.
    Any failure inside zigpy (it raises ``ValueError``, ``KeyError``, ``struct.error`` ... and
    sometimes worse) becomes :class:`ZclDecodeError`; the offset is that of the payload in the
    encoded frame, since zigpy does not say where it stopped.
    """
    definition = command_def(cluster_id, frame)
    offset = frame.header_length
    try:
        parsed, rest = definition.schema.deserialize(frame.payload)
    except Exception as exc:
        raise ZclDecodeError(
            f"malformed {definition.name} payload: {type(exc).__name__}: {exc}", offset
        ) from exc
    if strict and rest:
        raise ZclDecodeError(
            f"{len(rest)} trailing bytes after {definition.name}",
            offset + len(frame.payload) - len(rest),
        )
    return parsed


def _global_name(name: str) -> foundation.GeneralCommand | None:
    return foundation.GeneralCommand.__members__.get(name)


def _default_global_direction(command: foundation.GeneralCommand) -> Direction:
    """Responses and reports travel server to client; requests client to server (ZCL §2.5)."""
    if command.name.endswith("_rsp") or command in (
        foundation.GeneralCommand.Report_Attributes,
        foundation.GeneralCommand.Default_Response,
    ):
        return Direction.SERVER_TO_CLIENT
    return Direction.CLIENT_TO_SERVER


def build_command(
    cluster_id: int,
    name: str,
    *,
    tsn: int,
    direction: Direction | None = None,
    manufacturer: int | None = None,
    disable_default_response: bool | None = None,
    **fields: Any,
) -> ZclFrame:
    """Serialize command ``name`` through its zigpy schema into a :class:`ZclFrame`.

    ``name`` is a cluster command (``"request_tunnel"``) or a global command by its
    ``foundation.GeneralCommand`` name (``"Read_Attributes"``). The direction follows from which
    side receives the command and may be overridden for global commands. Default responses are
    disabled for frames sent server to client unless told otherwise (zigpy's convention).
    Raises ``ValueError`` when the fields do not fit the schema.
    """
    general = _global_name(name)
    if general is not None:
        definition = foundation.GENERAL_COMMANDS[general]
        frame_type = FrameType.GLOBAL
        if direction is None:
            direction = _default_global_direction(general)
    else:
        cluster = _cluster(cluster_id)
        if cluster is None:
            raise ValueError(f"no definition for cluster 0x{cluster_id:04X}")
        frame_type = FrameType.CLUSTER_SPECIFIC
        server_def = getattr(cluster.ServerCommandDefs, name, None)
        client_def = getattr(cluster.ClientCommandDefs, name, None)
        if isinstance(server_def, foundation.ZCLCommandDef):
            definition, natural = server_def, Direction.CLIENT_TO_SERVER
        elif isinstance(client_def, foundation.ZCLCommandDef):
            definition, natural = client_def, Direction.SERVER_TO_CLIENT
        else:
            raise ValueError(f"cluster 0x{cluster_id:04X} has no command {name!r}")
        if direction is not None and direction != natural:
            raise ValueError(f"{name} travels {natural.name}, not {direction.name}")
        direction = natural
    try:
        payload = definition.schema(**fields).serialize()
    except Exception as exc:
        raise ValueError(f"cannot build {name}: {type(exc).__name__}: {exc}") from exc
    if disable_default_response is None:
        disable_default_response = direction == Direction.SERVER_TO_CLIENT
    return ZclFrame(
        frame_type,
        direction,
        tsn,
        int(definition.id),
        payload,
        manufacturer,
        disable_default_response,
    )


def read_attributes(
    attribute_ids: Sequence[int],
    *,
    tsn: int,
    manufacturer: int | None = None,
    direction: Direction = Direction.CLIENT_TO_SERVER,
) -> ZclFrame:
    """A global Read Attributes command (ZCL §2.5.1)."""
    return build_command(
        0,
        "Read_Attributes",
        tsn=tsn,
        direction=direction,
        manufacturer=manufacturer,
        attribute_ids=list(attribute_ids),
    )


def read_attributes_response(
    cluster_id: int,
    values: Mapping[int, Any],
    *,
    tsn: int,
    manufacturer: int | None = None,
    direction: Direction = Direction.SERVER_TO_CLIENT,
) -> ZclFrame:
    """A Read Attributes Response (ZCL §2.5.2) for ``values``: attribute id -> value.

    Each value is typed by the cluster's attribute definition; a value of ``None`` or a
    ``foundation.Status`` answers that attribute with UNSUPPORTED_ATTRIBUTE or that status.
    """
    cluster = _cluster(cluster_id)
    records: list[foundation.ReadAttributeRecord] = []
    for attr_id, value in values.items():
        if value is None or isinstance(value, foundation.Status):
            status = foundation.Status.UNSUPPORTED_ATTRIBUTE if value is None else value
            records.append(
                foundation.ReadAttributeRecord(attrid=cast(t.uint16_t, attr_id), status=status)
            )
            continue
        attr = None if cluster is None else cluster.attributes.get(attr_id)
        if attr is None:
            raise ValueError(f"cluster 0x{cluster_id:04X} defines no attribute 0x{attr_id:04X}")
        typed = foundation.TypeValue(type=attr.zcl_type, value=attr.type(value))
        records.append(
            foundation.ReadAttributeRecord(
                attrid=cast(t.uint16_t, attr_id), status=foundation.Status.SUCCESS, value=typed
            )
        )
    return build_command(
        cluster_id,
        "Read_Attributes_rsp",
        tsn=tsn,
        direction=direction,
        manufacturer=manufacturer,
        status_records=records,
    )


def read_attributes_result(frame: ZclFrame) -> dict[int, Any]:
    """Attribute id -> value (or the failure ``foundation.Status``) of a Read Attributes Response.

    Raises :class:`ZclDecodeError` if ``frame`` is not a well-formed Read Attributes Response.
    """
    if not (
        frame.frame_type == FrameType.GLOBAL
        and frame.command_id == foundation.GeneralCommand.Read_Attributes_rsp
    ):
        raise ZclDecodeError("not a Read Attributes Response", frame.header_length - 1)
    parsed = cast(foundation.ReadAttributesResponse, parse_command(0, frame, strict=True))
    result: dict[int, Any] = {}
    for record in parsed.status_records:
        if record.status == foundation.Status.SUCCESS and record.value is not None:
            result[int(record.attrid)] = record.value.value
        else:
            result[int(record.attrid)] = record.status
    return result
