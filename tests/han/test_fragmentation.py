"""APS fragmentation (R22 §2.2.8.4.5): payloads longer than one frame arrive whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.zcl import frame as zcl
from emulator.han.clock import VirtualClock
from emulator.han.port import DeliveryError
from emulator.han.radio import LinkModel, RadioModel
from emulator.han.stack.node import MAX_APS_PAYLOAD, JoinError, Role
from emulator.han.virtual import VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
GSME = Eui64("00-DB-12-34-56-78-90-A1")
TUNNELING = 0x0704
GBCS_SIZED = bytes(range(256)) + bytes(range(44))  # 300 bytes, like a GBCS command in a tunnel


class Sizes:
    def __init__(self) -> None:
        self.largest = 0

    def write(self, psdu: bytes, modelled_time: float) -> None:
        self.largest = max(self.largest, len(psdu))


@pytest.mark.parametrize("size", [MAX_APS_PAYLOAD, MAX_APS_PAYLOAD + 1, 300, 1500])
async def test_any_size_arrives_whole_in_frames_that_fit(size: int, tmp_path: Path) -> None:
    clock = VirtualClock()
    han = VirtualHan(clock, capture_dir=tmp_path)
    sizes = Sizes()
    han.medium.add_capture(han.channel.band, sizes)
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    await han.start()
    await han.admit_and_join(esme, bytes(16))
    payload = (GBCS_SIZED * 5)[:size]
    await hub.send(ESME, cluster=TUNNELING, payload=payload)
    msg = await anext(esme.messages())
    assert msg.payload == payload and msg.aps_secured
    assert sizes.largest <= 127  # every PSDU fits 802.15.4
    await han.stop()


async def test_fragments_survive_loss_and_reach_a_sleepy_device() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=3, model=RadioModel(link=LinkModel(default_loss=0.2)))
    hub = han.coordinator(HUB)
    gsme = han.node(GSME, Role.END_DEVICE, poll_period=7.5)
    await han.start()
    for _ in range(5):
        try:
            await han.admit_and_join(gsme, bytes(16))
            break
        except JoinError:  # a join at 20 % loss may need another go
            await clock.sleep(5)
    await hub.send(GSME, cluster=TUNNELING, payload=GBCS_SIZED)
    msg = await anext(gsme.messages())
    assert msg.payload == GBCS_SIZED
    await gsme.send(HUB, cluster=TUNNELING, payload=GBCS_SIZED[::-1])
    assert (await anext(hub.messages())).payload == GBCS_SIZED[::-1]
    await han.stop()


async def test_a_broadcast_too_long_for_one_frame_is_refused() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock)
    hub = han.coordinator(HUB)
    await han.start()
    with pytest.raises(DeliveryError, match="broadcast"):
        await hub.send(0xFFFD, cluster=TUNNELING, payload=bytes(MAX_APS_PAYLOAD + 1))
    await han.stop()


async def test_tshark_dissects_and_decrypts_the_fragments(tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    clock = VirtualClock()
    han = VirtualHan(clock, capture_dir=tmp_path)
    hub = han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    await han.start()
    await han.admit_and_join(esme, bytes(16))
    big_read = zcl.read_attributes(list(range(149)), tsn=9).encode()  # 301 bytes of real ZCL
    await hub.send(ESME, cluster=TUNNELING, payload=big_read)
    assert (await anext(esme.messages())).payload == big_read
    await han.stop()
    han.key_ring().write(tmp_path)
    pcap, uat = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    assert (
        tshark(pcap, ["frame.number"], uat, "_ws.malformed || _ws.expert.severity >= warning") == []
    )
    blocks = tshark(
        pcap, ["zbee_aps.block"], uat, "zbee_aps.cluster == 0x0704 && zbee_aps.type == 0"
    )
    assert len(blocks) == 5  # 301 bytes in 64-byte blocks, each decrypted and reassembled
    reads = tshark(pcap, ["zbee_zcl.cmd.tsn"], uat, "zbee_zcl && zbee_aps.cluster == 0x0704")
    assert reads == [{"zbee_zcl.cmd.tsn": "9"}]
