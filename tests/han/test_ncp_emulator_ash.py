"""The NCP side of ASH, checked against bellows' own frame parser (the host's view), on virtual
time: reset, stuffing and randomisation, ACK/NAK, duplicates, retransmission and failure."""

from __future__ import annotations

import asyncio

import pytest
from bellows import ash as host
from bellows.types import NcpResetCode

from emulator.han.clock import VirtualClock
from emulator.han.ncp_emulator.ash import MAX_ACK_TIMEOUTS, T_RX_ACK, AshNcp, Reserved, stuff


class Host:
    """Collects what the NCP writes, split into frames the way bellows reads them."""

    def __init__(self) -> None:
        self.raw = bytearray()
        self.delivered: list[bytes] = []
        self.resets = 0

    def frames(self) -> list[host.AshFrame]:
        out = []
        for chunk in bytes(self.raw).split(bytes((Reserved.FLAG,))):
            if chunk:
                out.append(host.parse_frame(bytes(host.AshProtocol._unstuff_bytes(chunk))))
        self.raw.clear()
        return out


def wire(frame: host.AshFrame) -> bytes:
    return bytes(host.AshProtocol._stuff_bytes(frame.to_bytes())) + bytes((Reserved.FLAG,))


@pytest.fixture
def link() -> tuple[AshNcp, Host]:
    h = Host()

    def reset() -> None:
        h.resets += 1

    ncp = AshNcp(VirtualClock(), h.raw.extend, h.delivered.append, reset)
    return ncp, h


def connect(ncp: AshNcp, h: Host) -> None:
    ncp.feed(bytes([Reserved.CANCEL] * 32) + wire(host.RstFrame()))
    (rstack,) = h.frames()
    assert isinstance(rstack, host.RStackFrame)
    assert rstack.reset_code == NcpResetCode.RESET_SOFTWARE and h.resets == 1


def test_nothing_but_rst_is_heard_before_a_reset(link: tuple[AshNcp, Host]) -> None:
    ncp, h = link
    ncp.feed(
        wire(host.DataFrame(frm_num=0, re_tx=False, ack_num=0, ezsp_frame=b"\x00\x00\x00\x04"))
    )
    assert h.delivered == [] and h.frames() == []
    connect(ncp, h)


def test_data_is_derandomised_delivered_and_acked(link: tuple[AshNcp, Host]) -> None:
    ncp, h = link
    connect(ncp, h)
    # Reserved bytes inside the payload exercise stuffing both ways.
    payload = bytes([0x7E, 0x7D, 0x11, 0x13, 0x18, 0x1A, 0x00, 0x42])
    ncp.feed(wire(host.DataFrame(frm_num=0, re_tx=False, ack_num=0, ezsp_frame=payload)))
    assert h.delivered == [payload]
    (ack,) = h.frames()
    assert isinstance(ack, host.AckFrame) and ack.ack_num == 1


def test_a_retransmitted_duplicate_is_acked_not_delivered_again(
    link: tuple[AshNcp, Host],
) -> None:
    ncp, h = link
    connect(ncp, h)
    frame = host.DataFrame(frm_num=0, re_tx=False, ack_num=0, ezsp_frame=b"abc")
    ncp.feed(wire(frame))
    ncp.feed(wire(frame.replace(re_tx=True)))
    assert h.delivered == [b"abc"]
    acks = h.frames()
    assert [type(f) for f in acks] == [host.AckFrame, host.AckFrame]
    assert ncp.counters.duplicates == 1


def test_a_corrupt_frame_is_naked_once_until_a_good_one(link: tuple[AshNcp, Host]) -> None:
    ncp, h = link
    connect(ncp, h)
    good = host.DataFrame(frm_num=0, re_tx=False, ack_num=0, ezsp_frame=b"abc").to_bytes()
    corrupt = good[:-1] + bytes((good[-1] ^ 0xFF,))
    ncp.feed(stuff(corrupt) + bytes((Reserved.FLAG,)) + stuff(corrupt) + bytes((Reserved.FLAG,)))
    (nak,) = h.frames()  # the reject condition: one NAK, not two
    assert isinstance(nak, host.NakFrame) and nak.ack_num == 0
    ncp.feed(stuff(good) + bytes((Reserved.FLAG,)))
    assert h.delivered == [b"abc"] and ncp.counters.crc_errors == 2


def test_cancel_and_substitute_discard_the_frame_in_progress(link: tuple[AshNcp, Host]) -> None:
    ncp, h = link
    connect(ncp, h)
    good = wire(host.DataFrame(frm_num=0, re_tx=False, ack_num=0, ezsp_frame=b"abc"))
    ncp.feed(good[:3] + bytes((Reserved.CANCEL,)) + good)
    ncp.feed(good[:3] + bytes((Reserved.SUBSTITUTE,)) + good)  # eats up to the next Flag
    assert h.delivered == [b"abc"]


async def test_unacked_data_is_retransmitted_then_the_ncp_fails() -> None:
    h = Host()
    ncp = AshNcp(VirtualClock(), h.raw.extend, h.delivered.append, lambda: None)
    connect_frames = bytes([Reserved.CANCEL]) + wire(host.RstFrame())
    ncp.feed(connect_frames)
    h.frames()
    ncp.send(b"response")
    (first,) = h.frames()
    assert isinstance(first, host.DataFrame) and not first.re_tx
    assert first.ezsp_frame == b"response"
    await asyncio.sleep(T_RX_ACK + 0.01)
    (again,) = h.frames()
    assert isinstance(again, host.DataFrame) and again.re_tx and again.frm_num == first.frm_num
    await asyncio.sleep(T_RX_ACK * MAX_ACK_TIMEOUTS)
    last = h.frames()[-1]
    assert isinstance(last, host.ErrorFrame)
    assert last.reset_code == NcpResetCode.ERROR_EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT
    assert not ncp.connected
    ncp.send(b"lost")  # a failed NCP says nothing until the host resets it
    assert h.frames() == []


async def test_a_nak_from_the_host_makes_the_frame_go_again() -> None:
    h = Host()
    ncp = AshNcp(VirtualClock(), h.raw.extend, h.delivered.append, lambda: None)
    ncp.feed(wire(host.RstFrame()))
    h.frames()
    ncp.send(b"one")
    ncp.send(b"two")  # waits: one frame in flight at a time
    (one,) = h.frames()
    ncp.feed(wire(host.NakFrame(res=0, ncp_ready=0, ack_num=0)))
    (again,) = h.frames()
    assert again.re_tx and again.ezsp_frame == b"one"
    ncp.feed(wire(host.AckFrame(res=0, ncp_ready=0, ack_num=1)))
    (two,) = h.frames()
    assert isinstance(two, host.DataFrame) and two.ezsp_frame == b"two" and two.frm_num == 1
    assert ncp.counters.naks_received == 1 and one.frm_num == 0


def test_a_power_cycle_announces_itself(link: tuple[AshNcp, Host]) -> None:
    ncp, h = link
    connect(ncp, h)
    ncp.power_cycle()
    (rstack,) = h.frames()
    assert isinstance(rstack, host.RStackFrame)
    assert rstack.reset_code == NcpResetCode.RESET_POWER_ON
