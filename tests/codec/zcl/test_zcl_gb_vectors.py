"""Byte-exact GB frames: the GB-HGRP tunnel request and a suite-1 CBKE Initiate."""

from __future__ import annotations

import pytest

from emulator.codec.errors import ZclDecodeError
from emulator.codec.zcl import (
    Direction,
    FrameType,
    ZclFrame,
    build_command,
    decode_zcl,
    parse_command,
    read_attributes,
    read_attributes_response,
    read_attributes_result,
)
from emulator.codec.zcl.key_establishment import KeyEstablishmentStatus, KeyEstablishmentSuite
from emulator.codec.zcl.tunneling import (
    GB_HGRP_MANUFACTURER_CODE,
    GB_HGRP_MAXIMUM_INCOMING_TRANSFER_SIZE,
    GbHgrpCommand,
    ProtocolId,
)

TUNNELING = 0x0704
KEY_ESTABLISHMENT = 0x0800


def test_zcl_gb_hgrp_request_tunnel_bytes() -> None:
    """DOMAIN.md §2 / GBCS §10.2.2: protocol 6, manufacturer 0xFFFF, no flow control, 1500."""
    frame = build_command(
        TUNNELING,
        "request_tunnel",
        tsn=0x42,
        protocol_id=ProtocolId.GB_HGRP,
        manufacturer_code=GB_HGRP_MANUFACTURER_CODE,
        flow_control_support=False,
        maximum_incoming_transfer_size=GB_HGRP_MAXIMUM_INCOMING_TRANSFER_SIZE,
    )
    # FC 0x01: cluster-specific, client to server, default response wanted.
    assert frame.encode() == bytes.fromhex("01 42 0006 ffff 00 dc05")
    parsed = parse_command(TUNNELING, decode_zcl(frame.encode()), strict=True)
    assert parsed.protocol_id == ProtocolId.GB_HGRP
    assert parsed.manufacturer_code == 0xFFFF
    assert not parsed.flow_control_support
    assert parsed.maximum_incoming_transfer_size == 1500


def test_zcl_request_tunnel_response_and_transfer_data() -> None:
    response = build_command(
        TUNNELING,
        "request_tunnel_response",
        tsn=0x42,
        tunnel_id=3,
        tunnel_status=0,
        maximum_incoming_transfer_size=1500,
    )
    # FC 0x19: cluster-specific, server to client, default response disabled.
    assert response.encode() == bytes.fromhex("19 42 000300 00 dc05")

    gbcs = bytes([GbHgrpCommand.PUT]) + bytes.fromhex("dd000000000000")
    transfer = build_command(TUNNELING, "transfer_data", tsn=7, tunnel_id=3, data=gbcs)
    assert transfer.encode() == bytes.fromhex("01 07 02 0300") + gbcs
    parsed = parse_command(TUNNELING, decode_zcl(transfer.encode()), strict=True)
    assert (parsed.tunnel_id, bytes(parsed.data)) == (3, gbcs)


def test_zcl_key_establishment_initiate_suite_1_round_trip() -> None:
    certificate = bytes(range(48))
    frame = build_command(
        KEY_ESTABLISHMENT,
        "initiate_key_establishment_request",
        tsn=0x10,
        key_establishment_suite=KeyEstablishmentSuite.CRYPTO_SUITE_1,
        ephemeral_data_generate_time=10,
        confirm_key_generate_time=20,
        identity=certificate,
    )
    wire = frame.encode()
    assert wire == bytes.fromhex("01 10 000100 0a 14") + certificate
    parsed = parse_command(KEY_ESTABLISHMENT, decode_zcl(wire), strict=True)
    assert parsed.key_establishment_suite == KeyEstablishmentSuite.CRYPTO_SUITE_1
    assert bytes(parsed.identity) == certificate
    assert (parsed.ephemeral_data_generate_time, parsed.confirm_key_generate_time) == (10, 20)


def test_zcl_key_establishment_lengths_follow_the_suite() -> None:
    short = ZclFrame(
        FrameType.CLUSTER_SPECIFIC,
        Direction.CLIENT_TO_SERVER,
        1,
        0x00,
        bytes.fromhex("0200 0a 14") + bytes(48),  # suite 2 wants 74 octets
    )
    with pytest.raises(ZclDecodeError, match="74-octet"):
        parse_command(KEY_ESTABLISHMENT, short)
    unknown_suite = ZclFrame(
        FrameType.CLUSTER_SPECIFIC,
        Direction.CLIENT_TO_SERVER,
        1,
        0x00,
        bytes.fromhex("0400 0a 14") + bytes(5),
    )
    # Passed through, so the responder can answer UNSUPPORTED_SUITE.
    assert bytes(parse_command(KEY_ESTABLISHMENT, unknown_suite).identity) == bytes(5)
    with pytest.raises(ValueError, match="48-octet"):
        build_command(
            KEY_ESTABLISHMENT,
            "initiate_key_establishment_request",
            tsn=1,
            key_establishment_suite=1,
            ephemeral_data_generate_time=1,
            confirm_key_generate_time=1,
            identity=bytes(74),
        )
    bad_ephemeral = ZclFrame(
        FrameType.CLUSTER_SPECIFIC, Direction.SERVER_TO_CLIENT, 1, 0x01, bytes(30)
    )
    with pytest.raises(ZclDecodeError, match="ephemeral"):
        parse_command(KEY_ESTABLISHMENT, bad_ephemeral)


def test_zcl_terminate_key_establishment_both_ways() -> None:
    fields = {"status_code": KeyEstablishmentStatus.UNSUPPORTED_SUITE, "wait_time": 30}
    to_server = build_command(
        KEY_ESTABLISHMENT, "terminate_key_establishment", tsn=1, key_establishment_suite=1, **fields
    )
    to_client = build_command(
        KEY_ESTABLISHMENT,
        "terminate_key_establishment_from_server",
        tsn=1,
        key_establishment_suite=1,
        **fields,
    )
    assert to_server.payload == to_client.payload == bytes.fromhex("05 1e 0100")
    assert (to_server.command_id, to_client.command_id) == (0x03, 0x03)
    assert to_server.direction is Direction.CLIENT_TO_SERVER
    assert to_client.direction is Direction.SERVER_TO_CLIENT
    assert int(KeyEstablishmentStatus.INVALID_CERTIFICATE) == 6


def test_zcl_prepayment_and_key_establishment_attribute_reads() -> None:
    request = read_attributes([0x0001, 0x0003, 0x0080], tsn=2)
    assert request.encode() == bytes.fromhex("00 02 000100 0300 8000")
    # CreditRemaining int32 (0x2B) -500, CreditStatus bitmap8 (0x18), TokenCarrierID octstr (0x41).
    response = read_attributes_response(0x0705, {0x0001: -500, 0x0003: 0x01, 0x0080: b"tok"}, tsn=2)
    wire = response.encode()
    assert wire == bytes.fromhex("18 02 010100 00 2b 0cfeffff0300 00 18 018000 00 41 03746f6b")
    assert read_attributes_result(decode_zcl(wire)) == {0x0001: -500, 0x0003: 1, 0x0080: b"tok"}
    # KeyEstablishmentSuite is an enum16 (0x31) attribute.
    suite = read_attributes_response(KEY_ESTABLISHMENT, {0x0000: 0x0001}, tsn=3).encode()
    assert suite == bytes.fromhex("18 03 010000 00 31 0100")
