"""Every command of every GB cluster builds and parses back to equal values, byte-exact.

Field values come from hypothesis strategies derived from each command's zigpy schema, so a new
command is covered as soon as it is declared. Random payloads on every command raise nothing but
ZclDecodeError.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import zigpy.types as t
from hypothesis import given, settings
from hypothesis import strategies as st
from zigpy.zcl import Cluster
from zigpy.zcl.foundation import CommandSchema, ZCLCommandDef

from emulator.codec.errors import ZclDecodeError
from emulator.codec.zcl import (
    CLUSTERS,
    GB_CLUSTERS,
    Direction,
    FrameType,
    ZclFrame,
    build_command,
    decode_zcl,
    parse_command,
)
from emulator.codec.zcl.key_establishment import CERTIFICATE_LENGTH, EPHEMERAL_DATA_LENGTH
from emulator.codec.zcl.types import CharacterString, FixedOctets

COMMANDS: list[tuple[type[Cluster], ZCLCommandDef, Direction]] = [
    (cluster, command, direction)
    for cluster in GB_CLUSTERS
    for defs, direction in (
        (cluster.ServerCommandDefs, Direction.CLIENT_TO_SERVER),
        (cluster.ClientCommandDefs, Direction.SERVER_TO_CLIENT),
    )
    for command in defs
]


def _ids(item: tuple[type[Cluster], ZCLCommandDef, Direction]) -> str:
    return f"{item[0].__name__}.{item[1].name}"


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
).filter(lambda s: len(s.encode()) < 0xFF)


def value_strategy(field_type: type) -> st.SearchStrategy[Any]:
    """A strategy for one field of a zigpy schema, from its type alone."""
    if issubclass(field_type, t.Struct):
        return struct_strategy(field_type)
    if issubclass(field_type, FixedOctets):
        return st.binary(min_size=field_type.length, max_size=field_type.length)
    if issubclass(field_type, t.CharacterString):
        return _text
    if issubclass(field_type, t.LVBytes):
        return st.binary(max_size=0xFE)
    if issubclass(field_type, bytes):  # rest of the payload
        return st.binary(max_size=80)
    if issubclass(field_type, t.List):
        return st.lists(value_strategy(field_type._item_type), max_size=4)
    if issubclass(field_type, t.FixedIntType):
        return st.integers(field_type.min_value, field_type.max_value)
    raise AssertionError(f"no strategy for {field_type}")


@st.composite
def _struct_fields(draw: st.DrawFn, struct: type[t.Struct]) -> dict[str, Any]:
    fields = list(struct.fields)
    optional = [f for f in fields if f.optional]
    present = draw(st.integers(0, len(optional)))  # optional fields are only ever a suffix
    omitted = {f.name for f in optional[present:]}
    values: dict[str, Any] = {}
    for f in fields:
        if f.name in omitted:
            values[f.name] = None
        elif f.length is not None:
            values[f.name] = draw(st.lists(value_strategy(f.type._item_type), max_size=4))
        else:
            values[f.name] = draw(value_strategy(f.type))
    # Counted lists: make the count agree with the list (types.counted_by and Price's nibble).
    for f in fields:
        if f.length is None:
            continue
        items = values[f.name]
        count_fields = [g.name for g in fields if g.name in _COUNTS.get(f.name, ())]
        for name in count_fields:
            values[name] = len(items)
        if f.name == "block_thresholds":
            values["tier_number_of_block_thresholds"] = (
                values["tier_number_of_block_thresholds"] & 0xF0
            ) | len(items)
    return values


_COUNTS = {"protocol_list": ("protocol_count",), "tier_labels": ("number_of_labels",)}


def struct_strategy(struct: type[t.Struct]) -> st.SearchStrategy[Any]:
    return _struct_fields(struct).map(lambda values: struct(**values))


@st.composite
def _key_establishment_fields(draw: st.DrawFn, schema: type[CommandSchema]) -> dict[str, Any]:
    """Identity and ephemeral data sized by suite (ZSE Annex C)."""
    values = draw(_struct_fields(schema))
    suite = draw(st.sampled_from(sorted(CERTIFICATE_LENGTH)))
    if "identity" in values:
        suite_field = next(n for n in values if n.endswith("key_establishment_suite"))
        values[suite_field] = suite
        size = CERTIFICATE_LENGTH[suite]
        values["identity"] = draw(st.binary(min_size=size, max_size=size))
    if "ephemeral_data" in values:
        size = EPHEMERAL_DATA_LENGTH[suite]
        values["ephemeral_data"] = draw(st.binary(min_size=size, max_size=size))
    return values


def fields_strategy(schema: type[CommandSchema]) -> st.SearchStrategy[dict[str, Any]]:
    names = {f.name for f in schema.fields}
    if names & {"identity", "ephemeral_data"}:
        return _key_establishment_fields(schema)
    return _struct_fields(schema)


def test_zcl_every_gb_cluster_is_registered_with_commands() -> None:
    assert {int(c.cluster_id) for c in GB_CLUSTERS} == {
        0x0700,
        0x0703,
        0x0704,
        0x0705,
        0x0707,
        0x0708,
        0x0709,
        0x070B,
        0x0800,
    }
    assert {0x0000, 0x0003, 0x000A, 0x0019, 0x0702} <= set(CLUSTERS)
    for cluster in GB_CLUSTERS:
        assert CLUSTERS[int(cluster.cluster_id)] is cluster
        assert cluster.server_commands or cluster.client_commands


def test_zcl_gb_clusters_leave_zigpys_registry_alone() -> None:
    for cluster in GB_CLUSTERS:
        assert Cluster._registry.get(cluster.cluster_id) is not cluster


@pytest.mark.parametrize(("cluster", "command", "direction"), COMMANDS, ids=map(_ids, COMMANDS))
@settings(max_examples=40, deadline=None)
@given(data=st.data(), tsn=st.integers(0, 0xFF))
def test_zcl_command_round_trip(
    cluster: type[Cluster],
    command: ZCLCommandDef,
    direction: Direction,
    data: st.DataObject,
    tsn: int,
) -> None:
    fields = data.draw(fields_strategy(command.schema), label="fields")
    frame = build_command(int(cluster.cluster_id), command.name, tsn=tsn, **fields)
    assert frame.direction is direction
    assert frame.frame_type is FrameType.CLUSTER_SPECIFIC
    assert frame.command_id == command.id

    wire = frame.encode()
    decoded = decode_zcl(wire)
    assert decoded == frame
    parsed = parse_command(int(cluster.cluster_id), decoded, strict=True)

    assert parsed.as_dict() == command.schema(**fields).as_dict()
    assert parsed.serialize() == frame.payload  # byte-exact both ways


@pytest.mark.parametrize(("cluster", "command", "direction"), COMMANDS, ids=map(_ids, COMMANDS))
@settings(max_examples=30, deadline=None)
@given(payload=st.binary(max_size=100))
def test_zcl_random_payloads_raise_only_zcl_decode_error(
    cluster: type[Cluster], command: ZCLCommandDef, direction: Direction, payload: bytes
) -> None:
    frame = ZclFrame(FrameType.CLUSTER_SPECIFIC, direction, 0, int(command.id), payload)
    for strict in (False, True):
        with contextlib.suppress(ZclDecodeError):
            parse_command(int(cluster.cluster_id), frame, strict=strict)


def test_zcl_character_strings_count_octets() -> None:
    frame = build_command(
        0x0703,
        "display_message",
        tsn=1,
        message_id=7,
        message_control=0,
        start_time=0,
        duration_in_minutes=60,
        message="£5 top-up",
    )
    assert b"\x0a\xc2\xa35 top-up" in frame.payload
    assert parse_command(0x0703, frame).message == "£5 top-up"
    assert CharacterString("x").serialize() == b"\x01x"
