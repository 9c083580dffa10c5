"""Captures a user can open in Wireshark: pcap files and the keys that decrypt them.

Pcaps use link type 195 (LINKTYPE_IEEE802_15_4_WITHFCS: the PSDU with its FCS) and are stamped
with modelled time, so a 90-day virtual run reads as 90 days. The GB868 sub-GHz band has many
channels on several pages and a hub may move between them (DBCH05): its pcap uses link type 283
(LINKTYPE_IEEE802_15_4_TAP), whose per-frame TLVs carry the FCS type and the channel page and
number; Wireshark and tshark dissect it (the MAC frames are the same 802.15.4 frames on both
bands: GB868 keeps the 2-byte FCS, ``radio.GB868_MAX_PSDU``). The keys file is the secret part:
it is written only when the user asks (``--reveal-keys``), as ``keys.json`` and as a Wireshark
``zigbee_pc_keys`` UAT file (copy it into Wireshark's profile folder, or pass each line with
``tshark -o 'uat:zigbee_pc_keys:<line>'``).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from scapy.utils import PcapWriter

from ..codec.eui64 import Eui64
from .clock import DEFAULT_EPOCH as _CLOCK_EPOCH

LINKTYPE_IEEE802_15_4_WITHFCS = 195
LINKTYPE_IEEE802_15_4_TAP = 283
TAP_FCS_TYPE = 0  # TLV types of the TAP pseudo-header (Wireshark's packet-ieee802154.c)
TAP_CHANNEL_ASSIGNMENT = 3
TAP_FCS_16_BIT = 1
DEFAULT_EPOCH = _CLOCK_EPOCH.timestamp()  # POSIX seconds of the clock's default modelled time zero


class PcapCapture:
    """Appends PSDUs to a pcap at modelled times (seconds since the run's modelled start)."""

    def __init__(self, path: str | Path, epoch: float = DEFAULT_EPOCH) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.epoch = epoch
        self.frames = 0
        self._writer = PcapWriter(
            str(self.path), linktype=LINKTYPE_IEEE802_15_4_WITHFCS, sync=False
        )
        self._writer.write_header(None)  # a valid pcap even before (or without) the first frame

    def write(self, psdu: bytes, modelled_time: float) -> None:
        micros = round((self.epoch + modelled_time) * 1_000_000)
        sec, usec = divmod(micros, 1_000_000)
        self._writer.write_packet(psdu, sec=sec, usec=usec)
        self.frames += 1

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> PcapCapture:
        return self

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("<HH", kind, len(value)) + value + bytes(-len(value) % 4)


class TapPcapCapture(PcapCapture):
    """A pcap of link type 283: each PSDU behind a TAP header naming its channel page and number
    (channel assignment TLV) and its 16-bit FCS (FCS type TLV)."""

    def __init__(self, path: str | Path, epoch: float = DEFAULT_EPOCH) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.epoch = epoch
        self.frames = 0
        self._writer = PcapWriter(str(self.path), linktype=LINKTYPE_IEEE802_15_4_TAP, sync=False)
        self._writer.write_header(None)

    @staticmethod
    def tap_header(page: int, channel: int) -> bytes:
        tlvs = _tlv(TAP_FCS_TYPE, bytes([TAP_FCS_16_BIT])) + _tlv(
            TAP_CHANNEL_ASSIGNMENT, struct.pack("<HB", channel, page)
        )
        return struct.pack("<BBH", 0, 0, 4 + len(tlvs)) + tlvs

    def write_on(self, psdu: bytes, modelled_time: float, page: int, channel: int) -> None:
        super().write(self.tap_header(page, channel) + psdu, modelled_time)

    def write(self, psdu: bytes, modelled_time: float) -> None:
        raise TypeError("a TAP capture needs each frame's channel: write_on()")


ZEP_PORT = 17754
_NTP_OFFSET = 2_208_988_800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
_ZEP2_DATA = struct.Struct(">2sBBBHBBIIIxxxxxxxxxxB")


class ZepStream:
    """Streams frames live as ZEP v2 over UDP, so Wireshark can watch a running HAN.

    ZEP v2 data header (Wireshark's packet-zep.c): "EX", version 2, type 1 (data), channel,
    device id, LQI/CRC mode, LQI, NTP timestamp, sequence number, 10 reserved bytes, length.
    Our PSDUs carry their FCS, so the mode byte is 1 (CRC), which is what Wireshark expects.
    Wireshark decodes UDP port 17754 as ZEP by itself.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = ZEP_PORT,
        channel: int = 11,
        device_id: int = 0,
        epoch: float = DEFAULT_EPOCH,
    ) -> None:
        self.address = (host, port)
        self.channel = channel
        self.device_id = device_id
        self.epoch = epoch
        self.sequence = 0
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def datagram(self, psdu: bytes, modelled_time: float) -> bytes:
        ntp = self.epoch + modelled_time + _NTP_OFFSET
        seconds = int(ntp)
        fraction = int((ntp - seconds) * (1 << 32)) & 0xFFFFFFFF
        self.sequence = (self.sequence + 1) & 0xFFFFFFFF
        header = _ZEP2_DATA.pack(
            b"EX",
            2,
            1,
            self.channel,
            self.device_id,
            1,
            0xFF,
            seconds,
            fraction,
            self.sequence,
            len(psdu),
        )
        return header + psdu

    def write(self, psdu: bytes, modelled_time: float) -> None:
        # A live view may miss a frame when the socket buffer is full; the pcap does not.
        with contextlib.suppress(BlockingIOError):
            self._socket.sendto(self.datagram(psdu, modelled_time), self.address)

    def close(self) -> None:
        self._socket.close()


@dataclass
class KeyRing:
    """The keys of one HAN, gathered for the keys file (test runs only)."""

    network_keys: list[bytes] = field(default_factory=list)
    link_keys: list[tuple[Eui64, bytes]] = field(default_factory=list)
    """A device may hold several in one run: its install-code key, then its TC link key."""

    def add_network_key(self, key: bytes) -> None:
        if key not in self.network_keys:
            self.network_keys.append(key)

    def add_link_key(self, eui64: Eui64, key: bytes) -> None:
        if (eui64, key) not in self.link_keys:
            self.link_keys.append((eui64, key))

    def uat_lines(self) -> Iterable[str]:
        for i, key in enumerate(self.network_keys):
            yield f'"{key.hex().upper()}","Normal","network key {i}"'
        for eui, key in self.link_keys:
            yield f'"{key.hex().upper()}","Normal","link key {eui}"'

    def write(self, directory: str | Path) -> Path:
        """Write ``keys.json`` and ``zigbee_pc_keys`` into ``directory``; returns the JSON path."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        doc = {
            "network_keys": [k.hex() for k in self.network_keys],
            "link_keys": [{"eui64": e.hex, "key": k.hex()} for e, k in self.link_keys],
        }
        (out / "keys.json").write_text(json.dumps(doc, indent=2) + "\n")
        (out / "zigbee_pc_keys").write_text("\n".join(self.uat_lines()) + "\n")
        return out / "keys.json"
