"""The emulated stack on the virtual medium: joins, refusals, loss, sleepy polling, replay,
restart with persisted state, and garbage on the air. All on virtual time."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from emulator.codec import ieee802154 as mac
from emulator.codec.eui64 import Eui64
from emulator.codec.security import keys
from emulator.han.clock import VirtualClock
from emulator.han.port import (
    DeliveryError,
    DropReason,
    FrameDropped,
    HanEvent,
    Joined,
    JoinRefused,
    KeyEstablished,
    Left,
)
from emulator.han.radio import LinkModel, RadioModel
from emulator.han.stack.node import EmulatedStack, JoinError, Role
from emulator.han.stack.state import MemoryStateStore, SqliteStateStore
from emulator.han.virtual import VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
GSME = Eui64("00-DB-12-34-56-78-90-A1")
PPMID = Eui64("00-DB-12-34-56-78-90-A4")
CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")  # test-only
OTHER_CODE = bytes.fromhex("00112233445566778899AABBCCDDEEFF")  # test-only
PREPAYMENT = 0x0705
READ_CREDIT = bytes([0x00, 0x05, 0x00, 0x01, 0x00])  # ZCL Read Attributes: credit remaining


def recorder(node: EmulatedStack) -> list[HanEvent]:
    seen: list[HanEvent] = []

    async def collect() -> None:
        async for event in node.events():
            seen.append(event)

    asyncio.get_running_loop().create_task(collect())
    return seen


async def started(han: VirtualHan) -> VirtualHan:
    await han.start()
    await asyncio.sleep(0)
    return han


async def joined_esme() -> tuple[VirtualClock, VirtualHan, EmulatedStack, EmulatedStack]:
    """A hub and an ESME that has joined it with its install code."""
    clock = VirtualClock()
    han = VirtualHan(clock)
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    await started(han)
    await han.admit_and_join(esme, CODE)
    return clock, han, hub, esme


async def test_router_and_sleepy_device_join_and_exchange_secured_zcl(tmp_path: Path) -> None:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=3, capture_dir=tmp_path)
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    gsme = han.node(GSME, Role.END_DEVICE, poll_period=30.0)
    hub_events = recorder(hub)
    await started(han)
    await han.admit_and_join(esme, CODE)
    await han.admit_and_join(gsme, OTHER_CODE)
    assert esme.joined and gsme.joined and esme.short != gsme.short
    assert {e.eui64 for e in hub_events if isinstance(e, Joined)} == {ESME, GSME}
    assert {e.partner for e in hub_events if isinstance(e, KeyEstablished)} == {ESME, GSME}
    # The TC link key was replaced: neither device still uses its install-code key.
    assert esme.link_keys[HUB] not in (
        keys.install_code_key(CODE),
        keys.install_code_key(OTHER_CODE),
    )

    await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    received = await anext(esme.messages())
    assert (received.source, received.cluster, received.payload) == (HUB, PREPAYMENT, READ_CREDIT)
    assert received.aps_secured

    # To the sleepy GSME the hub's frame waits for its next poll (indirect transmission).
    sent_at = clock.now()
    await hub.send(GSME, cluster=PREPAYMENT, payload=READ_CREDIT)
    got = await anext(gsme.messages())
    assert got.payload == READ_CREDIT
    assert 0 < got.time - sent_at <= 30.0 + 1.0
    await han.stop()
    assert hub.drops.total() == esme.drops.total() == gsme.drops.total() == 0


async def test_wrong_install_code_fails_with_events_not_a_hang() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=1)
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    hub_events, esme_events = recorder(hub), recorder(esme)
    await started(han)
    await hub.permit_joining(ESME, keys.install_code_key(CODE), 3600)
    with pytest.raises(JoinError, match=r"could not be decrypted|security timeout"):
        await esme.join(keys.install_code_key(OTHER_CODE))
    assert esme.network_key is None and not esme.joined
    await clock.sleep(15)  # the TC gives up on a joiner that never announces itself
    assert any(isinstance(e, JoinRefused) for e in esme_events)
    assert any(isinstance(e, JoinRefused) and e.eui64 == ESME for e in hub_events)
    assert esme.drops[DropReason.WRONG_KEY] >= 1
    await han.stop()


async def test_a_device_the_trust_centre_was_not_told_about_is_refused() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock)
    hub = han.coordinator(HUB)
    stranger = han.node(PPMID, Role.ROUTER)
    hub_events = recorder(hub)
    await started(han)
    await hub.permit_joining(
        ESME, keys.install_code_key(CODE), 3600
    )  # a window is open, but not for it
    with pytest.raises(JoinError, match="PAN_ACCESS_DENIED"):
        await stranger.join(keys.install_code_key(CODE))
    assert [e.eui64 for e in hub_events if isinstance(e, JoinRefused)] == [PPMID]
    await han.stop()


async def test_join_window_closes() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock)
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    await started(han)
    await hub.permit_joining(ESME, keys.install_code_key(CODE), 60)
    await clock.sleep(61)
    with pytest.raises(JoinError, match="no beacon permitting association"):
        await esme.join(keys.install_code_key(CODE))
    await han.stop()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_join_completes_at_twenty_percent_loss(seed: int) -> None:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=seed, model=RadioModel(link=LinkModel(default_loss=0.2)))
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    await started(han)
    for _attempt in range(5):  # a device retries its join as a real one does
        try:
            await han.admit_and_join(esme, CODE)
            break
        except JoinError:
            await clock.sleep(5)
    else:
        pytest.fail("no join in five attempts at 20 % loss")
    assert han.medium.losses > 0  # the loss was real, and MAC/APS retries carried the join
    await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    assert (await anext(esme.messages())).payload == READ_CREDIT
    await han.stop()


async def test_replayed_frames_are_dropped_and_counted() -> None:
    clock, han, hub, esme = await joined_esme()
    heard: list[bytes] = []

    class Tap:
        def write(self, psdu: bytes, modelled_time: float) -> None:
            heard.append(psdu)

    han.medium.add_capture(han.channel.band, Tap())
    await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    assert (await anext(esme.messages())).payload == READ_CREDIT
    original = next(
        mac.decode_psdu(p) for p in heard if mac.decode_psdu(p).frame_type == mac.FrameType.DATA
    )
    # The MAC header is not protected: a replay re-frames the captured NWK frame unchanged.
    replay = dataclasses.replace(original, seq=(original.seq + 100) & 0xFF)
    attacker = han.medium.attach(Eui64("00-00-00-00-00-00-00-99"))
    await attacker.transmit(replay.psdu())
    await clock.sleep(1)
    assert esme.drops[DropReason.REPLAY] == 1
    assert esme._messages.empty()
    await han.stop()


async def test_garbage_on_the_air_is_dropped_by_reason_and_nodes_keep_running() -> None:
    clock, han, hub, esme = await joined_esme()
    junk = han.medium.attach(Eui64("00-00-00-00-00-00-00-98"))
    pan, short = esme.radio.pan_id, esme.short
    assert pan is not None and short is not None

    def to_esme(payload: bytes) -> bytes:
        return mac.MacFrame(
            mac.FrameType.DATA,
            1,
            dst_pan=pan,
            dst=short,
            src=0x7777,
            pan_id_compression=True,
            payload=payload,
        ).psdu()

    bad_fcs = bytearray(to_esme(b"\x08\x02" + bytes(10)))
    bad_fcs[-1] ^= 0xFF
    for psdu in (
        bytes(bad_fcs),
        to_esme(b"\x08"),
        to_esme(b"\x0b\x02" + bytes(8)),
        to_esme(b"\x08\x02\x34\x12\x00\x00\x1e\x01" + b"\x28" + bytes(13) + bytes(8)),
    ):
        await junk.transmit(psdu)
    await clock.sleep(1)
    assert esme.drops[DropReason.BAD_FCS] == 1
    assert esme.drops[DropReason.MALFORMED] >= 2
    assert esme.drops[DropReason.WRONG_KEY] + esme.drops[DropReason.NOT_FOR_US] >= 1
    await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)  # still alive
    assert (await anext(esme.messages())).payload == READ_CREDIT
    await han.stop()


async def test_coordinator_restart_keeps_keys_counters_and_children(tmp_path: Path) -> None:
    clock = VirtualClock()
    han = VirtualHan(clock)
    store = SqliteStateStore(tmp_path / "hub.sqlite")
    hub = han.coordinator(HUB, store)
    esme = han.node(ESME, Role.ROUTER)
    await started(han)
    await han.admit_and_join(esme, CODE)
    await esme.send(HUB, cluster=PREPAYMENT, payload=READ_CREDIT)
    assert (await anext(hub.messages())).source == ESME

    # Power cycle the hub: a new stack object on the same radio and state.
    await hub.stop()
    store.close()
    reborn = EmulatedStack(hub.config, clock, hub.radio, SqliteStateStore(tmp_path / "hub.sqlite"))
    await reborn.start()
    assert reborn.network_key == hub.network_key
    assert reborn.link_keys_in_use() == hub.link_keys_in_use()
    await esme.rejoin()  # secured rejoin with the current network key
    await esme.send(HUB, cluster=PREPAYMENT, payload=b"\x00\x06\x00\x01\x00")
    assert (await anext(reborn.messages())).payload == b"\x00\x06\x00\x01\x00"
    await reborn.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    assert (await anext(esme.messages())).payload == READ_CREDIT
    assert esme.drops[DropReason.REPLAY] == 0  # the hub's counters resumed above the old ones
    await reborn.stop()
    await han.stop()


async def test_frame_dropped_events_name_the_reason() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock)
    hub = han.coordinator(HUB)
    hub_events = recorder(hub)
    await started(han)
    junk = han.medium.attach(Eui64("00-00-00-00-00-00-00-97"))
    bad = bytearray(mac.ack(1).psdu())
    bad[0] ^= 0x01
    await junk.transmit(bytes(bad))  # also: an ACK is never delivered to stacks
    await junk.transmit(
        mac.MacFrame(
            mac.FrameType.DATA,
            2,
            dst_pan=0x1A62,
            dst=0,
            src=5,
            pan_id_compression=True,
            payload=b"\xff",
        ).psdu()
    )
    await clock.sleep(1)
    reasons = [e.reason for e in hub_events if isinstance(e, FrameDropped)]
    assert DropReason.MALFORMED in reasons
    await han.stop()


async def test_leave_is_announced_and_forgets_the_network() -> None:
    clock, han, hub, esme = await joined_esme()
    hub_events = recorder(hub)
    await esme.leave()
    await clock.sleep(1)
    assert not esme.joined and esme.network_key is None
    assert [e.eui64 for e in hub_events if isinstance(e, Left)] == [ESME]
    with pytest.raises(DeliveryError):
        await esme.send(HUB, cluster=PREPAYMENT, payload=READ_CREDIT)
    with pytest.raises(DeliveryError):
        await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)  # no longer a child
    await han.stop()


async def test_a_fresh_join_hears_a_re_formed_network_of_the_same_trust_centre() -> None:
    """Frame counters are per key: a device that left joins its hub's re-formed network (the
    same EUI-64, its counters from 0 again) and hears it, rather than dropping its Transport
    Key as a replay of the old network's frames."""
    clock, store = VirtualClock(), MemoryStateStore()
    first = VirtualHan(clock)
    hub = first.coordinator(HUB)
    esme = first.node(ESME, Role.ROUTER, store)
    await started(first)
    await first.admit_and_join(esme, CODE)
    for _ in range(5):
        await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    await esme.leave()
    await first.stop()
    second = VirtualHan(clock)
    hub = second.coordinator(HUB)
    esme = second.node(ESME, Role.ROUTER, store)
    await started(second)
    await second.admit_and_join(esme, CODE)
    await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    received = await anext(esme.messages())
    assert (received.source, received.payload) == (HUB, READ_CREDIT)
    await second.stop()


def test_same_seed_same_capture(tmp_path: Path) -> None:
    def run(directory: Path) -> bytes:
        clock = VirtualClock()

        async def main() -> None:
            han = VirtualHan(
                clock,
                seed=11,
                capture_dir=directory,
                model=RadioModel(link=LinkModel(default_loss=0.05)),
            )
            han.coordinator(HUB)
            esme = han.node(ESME, Role.ROUTER)
            await han.start()
            await han.admit_and_join(esme, CODE)
            await han.stop()

        clock.run(main())
        return (directory / "han-2g4.pcap").read_bytes()

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert run(tmp_path / "a") == run(tmp_path / "b")


def test_memory_store_round_trips_json() -> None:
    store = MemoryStateStore()
    store.save("k", {"a": [1, 2]})
    assert store.load("k") == {"a": [1, 2]} and store.load("missing") is None


async def test_each_node_keeps_the_status_of_its_links() -> None:
    """What a hub reports when asked to check HAN communications (CCS06): when it last heard a
    partner, with what link quality, and how many of its deliveries to it were acknowledged."""
    clock, han, hub, esme = await joined_esme()
    assert hub.link_status(PPMID) is None  # never dealt with
    joining = hub.link_status(ESME)  # its Device Announce (ZDO) was heard
    assert joining is not None and joining.heard == 1
    for _ in range(3):
        await esme.send(HUB, cluster=PREPAYMENT, payload=READ_CREDIT)
    await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    await clock.sleep(1.0)
    heard = hub.link_status(ESME)
    assert heard is not None and heard.heard == 4 and heard.lqi == (255, 255, 255)
    assert heard.last_heard is not None and heard.last_heard <= clock.now()
    assert (heard.delivered, heard.failed) == (1, 0)
    await esme.stop()  # silent from now on: the next delivery fails
    with pytest.raises(DeliveryError):
        await hub.send(ESME, cluster=PREPAYMENT, payload=READ_CREDIT)
    after = hub.link_status(ESME)
    assert after is not None and (after.delivered, after.failed, after.heard) == (1, 1, 4)
    await han.stop()
