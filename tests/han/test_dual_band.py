"""A dual-band HAN: the hub's node with a radio on each band, devices joining the band they are
put on, relaying between the bands, the sub-GHz pcap (link type 283, dissected by tshark with
each frame's channel), duty cycle from the medium's meters and a channel change."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import NamedTuple

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.sub_ghz import ChannelPage, SubGhzChannel
from emulator.han.clock import VirtualClock
from emulator.han.medium import Channel
from emulator.han.port import ApsMessage, DeliveryError
from emulator.han.radio import Band
from emulator.han.stack.node import EmulatedStack, JoinError, Role
from emulator.han.virtual import GB868_CHANNEL, VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
GSME = Eui64("00-DB-12-34-56-78-90-A1")
CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")  # test-only
DUAL = (Band.GHZ_2_4, Band.SUB_GHZ)


class Duo(NamedTuple):
    han: VirtualHan
    hub: EmulatedStack
    esme: EmulatedStack
    gsme: EmulatedStack


async def dual_band(tmp_path: Path | None = None) -> Duo:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=3, capture_dir=tmp_path, sub_ghz=GB868_CHANNEL)
    hub = han.coordinator(HUB, bands=DUAL)
    esme = han.node(ESME, Role.ROUTER)
    gsme = han.node(GSME, Role.END_DEVICE, band=Band.SUB_GHZ, poll_period=7.5)
    await han.start()
    await han.admit_and_join(esme, CODE)
    await han.admit_and_join(gsme, CODE)
    return Duo(han, hub, esme, gsme)


async def next_message(node: EmulatedStack, clock: VirtualClock, timeout: float) -> ApsMessage:
    async with clock.timeout(timeout):
        async for msg in node.messages():
            return msg
    raise AssertionError("no message")


async def test_devices_join_the_band_they_are_on_and_the_hub_relays_between_bands() -> None:
    han, hub, esme, gsme = await dual_band()
    clock = han.clock
    assert isinstance(clock, VirtualClock)
    assert hub.band_of(ESME) is Band.GHZ_2_4 and hub.band_of(GSME) is Band.SUB_GHZ
    assert hub.children_on(Band.SUB_GHZ) == [GSME]
    assert han.sub_ghz_band().devices() == [GSME]
    # the hub reaches each on its band
    await hub.send(GSME, cluster=0x0705, payload=b"\x00\x01\x00\x00\x00")
    assert (await next_message(gsme, clock, 30)).source == HUB
    # ESME (2.4 GHz) to the GSME (GB868): a partner key from the TC, then no direct link:
    # through the hub, and back
    await esme.request_link_key(GSME)
    await clock.sleep(10)  # the sleepy GSME collects its copy at its next poll
    assert esme.link_key(GSME) == gsme.link_key(ESME) is not None
    await esme.send(GSME, cluster=0x0705, payload=b"\x00\x02\x00\x00\x00")
    assert (await next_message(gsme, clock, 30)).source == ESME
    await gsme.send(ESME, cluster=0x0705, payload=b"\x00\x03\x00\x00\x00")
    assert (await next_message(esme, clock, 30)).source == GSME
    await han.stop()


async def test_sub_ghz_transmissions_feed_the_devices_duty_cycle() -> None:
    han = (await dual_band()).han
    band = han.sub_ghz_band()
    used = band.duty_cycle(GSME)
    assert used > 0  # its join, key exchange and polls
    radio = han.medium.radio(GSME, Band.SUB_GHZ)
    assert radio is not None and radio.duty_cycle.used(han.clock.now()) == pytest.approx(
        used * 3600
    )
    assert band.duty_cycle(ESME) == 0.0  # not on the band
    await han.stop()


async def test_a_channel_change_moves_the_hub_and_the_gsme_follows() -> None:
    han, _, _, gsme = await dual_band()
    band = han.sub_ghz_band()
    new = SubGhzChannel(ChannelPage.PAGE_28, 5)
    await band.retune(new)
    assert band.channel == new
    with pytest.raises(DeliveryError):  # the GSME is still on the old channel
        await gsme.send(HUB, cluster=0x0705, payload=b"\x00\x04\x00\x00\x00")
    gsme.tune(Channel(Band.SUB_GHZ, 28, 5))
    await gsme.send(HUB, cluster=0x0705, payload=b"\x00\x05\x00\x00\x00")
    with pytest.raises(ValueError):
        gsme.tune(Channel(Band.GHZ_2_4, 0, 15))  # no such radio
    await han.stop()


async def test_a_sub_ghz_device_finds_no_single_band_hub() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=4, sub_ghz=GB868_CHANNEL)
    han.coordinator(HUB)  # 2.4 GHz only: CHTS v1.0
    gsme = han.node(GSME, Role.END_DEVICE, band=Band.SUB_GHZ)
    await han.start()
    with pytest.raises(JoinError, match="no beacon"):
        await han.admit_and_join(gsme, CODE)
    await han.stop()


def test_a_hub_has_one_radio_per_band() -> None:
    han = VirtualHan(VirtualClock(), sub_ghz=GB868_CHANNEL)
    hub = han.coordinator(HUB, bands=DUAL)
    with pytest.raises(ValueError):
        han.medium.attach(HUB, GB868_CHANNEL)
    with pytest.raises(ValueError):
        VirtualHan(VirtualClock()).node(GSME, Role.END_DEVICE, band=Band.SUB_GHZ)
    assert [r.band for r in hub.radios] == list(DUAL)


async def test_tshark_dissects_the_sub_ghz_pcap_with_each_frames_channel(
    tmp_path: Path,
    tshark,  # type: ignore[no-untyped-def]
) -> None:
    han, _, _, gsme = await dual_band(tmp_path)
    await han.sub_ghz_band().retune(SubGhzChannel(ChannelPage.PAGE_28, 5))
    gsme.tune(Channel(Band.SUB_GHZ, 28, 5))
    await gsme.send(HUB, cluster=0x0705, payload=b"\x00\x06\x00\x00\x00")
    await asyncio.sleep(0)
    await han.stop()
    (tmp_path / "zigbee_pc_keys").write_text("\n".join(han.key_ring().uat_lines()) + "\n")
    pcap = tmp_path / "han-subghz.pcap"
    assert pcap.read_bytes()[20:24] == (283).to_bytes(4, "little")  # LINKTYPE_IEEE802_15_4_TAP
    fields = ["wpan-tap.ch_page", "wpan-tap.ch_num", "wpan.fcs_ok", "wpan.src64", "zbee_nwk.src"]
    rows = tshark(pcap, fields, tmp_path / "zigbee_pc_keys")
    assert rows, "nothing captured on GB868"
    assert {r["wpan-tap.ch_page"] for r in rows} == {"28"}
    assert rows[0]["wpan-tap.ch_num"] == "0" and rows[-1]["wpan-tap.ch_num"] == "5"
    assert {r["wpan.fcs_ok"] for r in rows} == {"1"}
    bad = tshark(pcap, ["frame.number"], tmp_path / "zigbee_pc_keys", "_ws.malformed")
    assert bad == []
    # the 2.4 GHz pcap holds the ESME's frames and none of the GSME's
    rows_2g4 = tshark(tmp_path / "han-2g4.pcap", ["wpan.src64"], None, "wpan.src64")
    srcs = {r["wpan.src64"] for r in rows_2g4}
    assert "00:db:12:34:56:78:90:a0" in srcs and "00:db:12:34:56:78:90:a1" not in srcs
