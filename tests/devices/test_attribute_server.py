"""The reusable ZCL attribute server, the GSME mirror behind it, and the sleepy mailbox's
persistence, without a HAN."""

from __future__ import annotations

from pathlib import Path

from zigpy.zcl import foundation

from emulator.codec.eui64 import Eui64
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.attributes import Side, report_attributes, reported_values
from emulator.codec.zcl.metering import METERING, FunctionalNotificationFlags
from emulator.devices.attribute_server import AttributeServer
from emulator.devices.gpf import GsmeMirror
from emulator.devices.mailbox import MAILBOX_CAPACITY, SleepyMailbox
from emulator.devices.registers import PREPAYMENT
from emulator.han.stack.state import MemoryStateStore, SqliteStateStore

GSME = Eui64("00-DB-12-34-56-78-90-A1")


def status_of(frame: zcl.ZclFrame | None) -> foundation.Status:
    assert frame is not None and frame.command_id == foundation.GeneralCommand.Default_Response
    return foundation.Status(zcl.parse_command(0, frame).status)


def test_reads_answer_each_side_and_errors_get_default_responses() -> None:
    mirror = GsmeMirror(MemoryStateStore())
    server = AttributeServer(mirror.table)
    report = report_attributes(PREPAYMENT, Side.SERVER, {0x0001: -25, 0x0003: 0x01}, tsn=1)
    assert mirror.update(PREPAYMENT, *reported_values(PREPAYMENT, report)) == 2
    read = zcl.read_attributes([0x0001, 0x0002, 0x0003], tsn=7).encode()
    answer = server.respond(PREPAYMENT, read)
    assert answer is not None and answer.direction == zcl.Direction.SERVER_TO_CLIENT
    assert zcl.read_attributes_result(answer) == {
        0x0001: -25,
        0x0002: foundation.Status.UNSUPPORTED_ATTRIBUTE,  # never reported
        0x0003: 0x01,
    }
    mirror.set_flag(FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING, True)
    flags = zcl.read_attributes([0x0000], tsn=8, direction=zcl.Direction.SERVER_TO_CLIENT)
    answer = server.respond(METERING, flags.encode())  # the client's attribute, not the summation
    assert answer is not None and answer.direction == zcl.Direction.CLIENT_TO_SERVER
    assert zcl.read_attributes_result(answer) == {0x0000: 0x00200000}
    assert status_of(server.respond(PREPAYMENT, read, allowed=False)) == (
        foundation.Status.NOT_AUTHORIZED
    )
    assert status_of(server.respond(0x0700, read)) == foundation.Status.UNSUPPORTED_CLUSTER
    assert status_of(server.respond(PREPAYMENT, read[:-1])) == foundation.Status.MALFORMED_COMMAND
    write = zcl.build_command(PREPAYMENT, "Write_Attributes", tsn=9, attributes=[])
    assert status_of(server.respond(PREPAYMENT, write.encode())) == (
        foundation.Status.UNSUP_GENERAL_COMMAND
    )
    top_up = bytes((0x01, 10, 0x04))  # a cluster command: Consumer Top Up
    assert status_of(server.respond(PREPAYMENT, top_up)) == foundation.Status.UNSUP_CLUSTER_COMMAND
    assert server.respond(PREPAYMENT, report.encode()) is None  # reports are not answered
    assert server.respond(PREPAYMENT, b"\x00") is None


def test_the_mirror_keeps_only_mirrored_server_attributes_and_survives_restarts(
    tmp_path: Path,
) -> None:
    mirror = GsmeMirror(SqliteStateStore(tmp_path / "gpf.sqlite"))
    assert mirror.update(METERING, Side.SERVER, {0x0000: 5, 0x0400: 9}) == 1
    assert mirror.update(METERING, Side.CLIENT, {0x0000: 0xFFFF}) == 0  # the hub's flags
    mirror.set_flag(FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING, True)
    again = GsmeMirror(SqliteStateStore(tmp_path / "gpf.sqlite"))
    assert again.table(METERING, Side.SERVER) == {0x0000: 5}
    assert again.flags == FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING


def test_the_mailbox_keeps_order_bounds_and_survives_restarts(tmp_path: Path) -> None:
    changes: list[int] = []
    box = SleepyMailbox(SqliteStateStore(tmp_path / "hub.sqlite"), lambda _, n: changes.append(n))
    assert box.peek(GSME) == (None, 0)
    for n in range(MAILBOX_CAPACITY):
        assert box.put(GSME, bytes([n]))
    assert not box.put(GSME, b"one too many")
    box.delivered(GSME, b"\x00")
    again = SleepyMailbox(SqliteStateStore(tmp_path / "hub.sqlite"))
    assert again.peek(GSME) == (b"\x01", MAILBOX_CAPACITY - 2)
    again.clear(GSME)
    assert again.devices() == [] and changes[-1] == MAILBOX_CAPACITY - 1
