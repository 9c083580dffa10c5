"""The virtual medium: timing per band, the 100 ms rule, duty-cycle accounting, collisions, loss,
half duplex, ACKs and frame pending, and captures fed with every frame on the air."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from emulator.codec import ieee802154 as mac
from emulator.codec.eui64 import Eui64
from emulator.han.clock import VirtualClock
from emulator.han.medium import Channel, TxStatus, VirtualMedium
from emulator.han.radio import Band, LinkModel, RadioModel, airtime

SUB_GHZ = Channel(Band.SUB_GHZ, 28, 0)
PAN = 0x1A62


def data(seq: int, dst: int, src: int, ack: bool = True, size: int = 40) -> bytes:
    return mac.MacFrame(
        mac.FrameType.DATA,
        seq,
        dst_pan=PAN,
        dst=dst,
        src=src,
        pan_id_compression=True,
        ack_request=ack,
        payload=bytes(size),
    ).psdu()


class Recorder:
    def __init__(self) -> None:
        self.frames: list[tuple[float, bytes]] = []

    def write(self, psdu: bytes, modelled_time: float) -> None:
        self.frames.append((modelled_time, psdu))


def pair(medium: VirtualMedium, channel: Channel | None = None) -> tuple:  # type: ignore[type-arg]
    kw = {} if channel is None else {"channel": channel}
    a = medium.attach(Eui64(0xA), **kw)
    b = medium.attach(Eui64(0xB), **kw)
    a.pan_id = b.pan_id = PAN
    a.short, b.short = 0x0001, 0x0002
    return a, b


async def test_acked_unicast_on_2g4_takes_about_the_best_case_time() -> None:
    clock = VirtualClock()
    medium = VirtualMedium(clock, seed=1)
    a, b = pair(medium)
    frame = data(1, 0x0002, 0x0001, size=100)
    result = await a.transmit(frame)
    assert result.status == TxStatus.SUCCESS and result.attempts == 1
    reception = await b.receive()
    assert reception.psdu == frame
    # backoff (0-7 units of 320 us) + CCA + turnaround + airtime + turnaround + ACK
    assert airtime(Band.GHZ_2_4, len(frame)) < clock.now() < 0.0075


async def test_sub_ghz_keeps_100_ms_between_a_devices_frames_and_meters_its_airtime() -> None:
    clock = VirtualClock()
    recorder = Recorder()
    medium = VirtualMedium(clock, seed=2)
    medium.add_capture(Band.SUB_GHZ, recorder)
    a, b = pair(medium, SUB_GHZ)
    for seq in range(5):
        assert (await a.transmit(data(seq, 0x0002, 0x0001, ack=False))).status == TxStatus.SUCCESS
    starts = [t for t, _ in recorder.frames]
    assert len(starts) == 5
    gaps = [
        later - (earlier + airtime(Band.SUB_GHZ, 51))
        for earlier, later in itertools.pairwise(starts)
    ]
    assert all(gap >= 0.1 for gap in gaps)
    assert a.duty_cycle.used(clock.now()) == pytest.approx(5 * airtime(Band.SUB_GHZ, 51))
    assert b.duty_cycle.used(clock.now()) == 0


async def test_acks_follow_at_turnaround_and_carry_frame_pending() -> None:
    clock = VirtualClock()
    recorder = Recorder()
    medium = VirtualMedium(clock, seed=3)
    medium.add_capture(Band.GHZ_2_4, recorder)
    parent, child = pair(medium)
    parent.pending_for = lambda address: address == 0x0002
    poll = mac.MacFrame(
        mac.FrameType.MAC_COMMAND,
        9,
        dst_pan=PAN,
        dst=0x0001,
        src=0x0002,
        pan_id_compression=True,
        ack_request=True,
        command=mac.DataRequest(),
    )
    result = await child.transmit(poll.psdu())
    assert result.status == TxStatus.SUCCESS and result.frame_pending
    (t_poll, _), (t_ack, ack) = recorder.frames
    assert mac.decode_psdu(ack) == mac.ack(9, frame_pending=True)
    end_of_poll = t_poll + airtime(Band.GHZ_2_4, len(poll.psdu()))
    assert t_ack - end_of_poll == pytest.approx(192e-6)  # aTurnaroundTime


async def test_no_ack_from_an_absent_receiver_after_all_retries() -> None:
    clock = VirtualClock()
    medium = VirtualMedium(clock)
    a, _ = pair(medium)
    result = await a.transmit(data(1, 0x0099, 0x0001))
    assert result.status == TxStatus.NO_ACK and result.attempts == 4  # 1 + macMaxFrameRetries


async def test_loss_is_seeded_and_real() -> None:
    async def losses(seed: int) -> tuple[int, list[TxStatus]]:
        clock = VirtualClock()
        medium = VirtualMedium(clock, RadioModel(link=LinkModel(default_loss=0.5)), seed=seed)
        a, _ = pair(medium)
        statuses = [(await a.transmit(data(i, 0x0002, 0x0001))).status for i in range(40)]
        return medium.losses, statuses

    first, again, other = await losses(4), await losses(4), await losses(5)
    assert first == again and first != other
    lost, statuses = first
    assert lost > 10  # frames and ACKs were really lost ...
    assert statuses.count(TxStatus.SUCCESS) > 20  # ... and MAC retries recovered most sends


async def test_simultaneous_senders_collide_sometimes_never_delivering_a_collided_frame() -> None:
    collided_runs = 0
    for seed in range(20):
        clock = VirtualClock()
        medium = VirtualMedium(clock, seed=seed)
        a, b = pair(medium)
        c = medium.attach(Eui64(0xC))
        c.pan_id, c.short = PAN, 0x0003
        results = await asyncio.gather(
            a.transmit(data(1, 0x0003, 0x0001, ack=False)),
            b.transmit(data(1, 0x0003, 0x0002, ack=False)),
        )
        assert all(r.status == TxStatus.SUCCESS for r in results)
        received = c.inbox.qsize()
        if medium.collisions:
            collided_runs += 1
            assert received == 0  # both frames destroyed at the receiver that heard both
        else:
            assert received == 2
    assert 0 < collided_runs < 20  # CSMA-CA separates most, not all (same backoff draw)


async def test_a_radio_never_transmits_two_frames_at_once() -> None:
    clock = VirtualClock()
    recorder = Recorder()
    medium = VirtualMedium(clock, seed=6)
    medium.add_capture(Band.GHZ_2_4, recorder)
    a, b = pair(medium)
    await asyncio.gather(*(a.transmit(data(i, 0x0002, 0x0001)) for i in range(5)))
    mine = [(t, t + airtime(Band.GHZ_2_4, len(p))) for t, p in recorder.frames if len(p) > 5]
    assert len(mine) == 5
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(mine))
    assert medium.collisions == 0
    assert [mac.decode_psdu((await b.receive()).psdu).seq for _ in range(5)] == list(range(5))


@pytest.mark.parametrize("channel", [None, SUB_GHZ], ids=["2g4", "sub-ghz"])
async def test_a_sleepy_sender_hears_its_ack_with_its_receiver_idle_off(
    channel: Channel | None,
) -> None:
    """A sleepy device's receiver is off between polls, but the MAC turns it on to await the
    ACK of its own frame (802.15.4-2006 §7.5.6.4): one attempt, not macMaxFrameRetries + 1."""
    clock = VirtualClock()
    medium = VirtualMedium(clock, seed=1)
    a, b = pair(medium, channel)
    a.rx_on = False
    result = await a.transmit(data(1, 0x0002, 0x0001))
    assert result.status == TxStatus.SUCCESS and result.attempts == 1
    assert (await b.receive()).psdu == data(1, 0x0002, 0x0001)
    # an idle-off receiver still hears no one else's frame
    await b.transmit(data(2, 0x0001, 0x0002, ack=False))
    assert a.inbox.empty()
