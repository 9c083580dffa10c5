"""Captures: pcap with modelled timestamps; live ZEP v2 that scapy and tshark both dissect."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from scapy.config import conf

conf.dot15d4_protocol = "zigbee"
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.zigbee import ZEP2  # noqa: E402
from scapy.utils import rdpcap, wrpcap  # noqa: E402

from emulator.codec import ieee802154 as mac  # noqa: E402
from emulator.han.capture import DEFAULT_EPOCH, PcapCapture, ZepStream  # noqa: E402


def frames() -> list[bytes]:
    return [mac.ack(i).psdu() for i in range(3)] + [
        mac.MacFrame(
            mac.FrameType.MAC_COMMAND, 9, dst_pan=0xFFFF, dst=0xFFFF, command=mac.BeaconRequest()
        ).psdu()
    ]


def test_pcap_is_stamped_with_modelled_time(tmp_path: Path) -> None:
    with PcapCapture(tmp_path / "a.pcap") as capture:
        for i, psdu in enumerate(frames()):
            capture.write(psdu, 86400.0 * i + 0.000123)
    packets = rdpcap(str(tmp_path / "a.pcap"))
    assert [bytes(p) for p in packets] == frames()
    stamps = [float(p.time) - DEFAULT_EPOCH for p in packets]  # microsecond resolution
    assert stamps == pytest.approx([86400.0 * i + 0.000123 for i in range(4)], abs=1e-6)


def test_empty_capture_is_a_valid_pcap(tmp_path: Path) -> None:
    PcapCapture(tmp_path / "empty.pcap").close()
    assert len(rdpcap(str(tmp_path / "empty.pcap"))) == 0


def test_zep_stream_over_loopback(tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(2)
    stream = ZepStream("127.0.0.1", receiver.getsockname()[1], channel=15)
    try:
        for i, psdu in enumerate(frames()):
            stream.write(psdu, 1.5 * i)
        datagrams = [receiver.recv(256) for _ in frames()]
    finally:
        stream.close()
        receiver.close()
    for i, (datagram, psdu) in enumerate(zip(datagrams, frames(), strict=True)):
        zep = ZEP2(datagram)
        assert (zep.ver, zep.type, zep.channel, zep.seq, zep.length) == (2, 1, 15, i + 1, len(psdu))
        assert datagram[32:] == psdu
    # tshark decodes the same datagrams as ZEP carrying 802.15.4 with a correct FCS.
    wrpcap(
        str(tmp_path / "zep.pcap"),
        [Ether() / IP(dst="127.0.0.1") / UDP(sport=17754, dport=17754) / d for d in datagrams],
    )
    rows = tshark(tmp_path / "zep.pcap", ["zep.channel_id", "wpan.seq_no", "wpan.fcs_ok"])
    assert [r["zep.channel_id"] for r in rows] == ["15"] * 4
    assert [r["wpan.seq_no"] for r in rows] == ["0", "1", "2", "9"]
    assert all(r["wpan.fcs_ok"] in ("1", "True") for r in rows)
