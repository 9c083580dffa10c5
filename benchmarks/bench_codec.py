"""Receive-path throughput of our codecs versus scapy's dissection of the same frames.

Ours: FCS check, MAC + NWK + APS decode, CCM* decrypt of NWK and APS, ZCL header; exactly what a
stack does with each frame it hears. scapy: full dissection of the same bytes (it neither
checks the FCS nor decrypts, so on secured bytes it stops at the NWK security header and does far
less work than we do). For the comparison DOMAIN.md §9 measured, scapy also dissects the same
frames with their security removed, all the way to ZCL ("scapy_full_fps"). Also the rate of full
ZCL payload parsing through zigpy, reported apart: stacks parse payloads only where a device
consumes them. The last line printed is JSON: {"ours_fps", "scapy_fps", "ratio",
"zcl_payload_fps", "scapy_full_fps", "ratio_full"}. Goal: ratio >= 20.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable

from scapy.config import conf

from emulator.codec import ieee802154 as mac
from emulator.codec.security import ccm
from emulator.codec.zcl import frame as zcl
from emulator.codec.zigbee import aps, nwk
from emulator.han.scripted import Sent
from rig.capture_demo import (
    ESME,
    ESME_SHORT,
    HUB,
    TEST_NETWORK_KEY,
    TEST_TC_LINK_KEY,
    build_exchange,
)

conf.dot15d4_protocol = "zigbee"
from scapy.layers.dot15d4 import Dot15d4FCS  # noqa: E402

ADDRESS_MAP = {0x0000: HUB, ESME_SHORT: ESME}


def receive(psdu: bytes) -> zcl.ZclFrame | None:
    """The receive path of a stack: every check and decryption, the ZCL header only."""
    frame = mac.decode_mpdu(mac.check_fcs(psdu))
    n = nwk.decode_nwk(frame.payload)
    plain = ccm.unsecure_nwk(n, TEST_NETWORK_KEY, frame.payload) if n.aux else n.payload
    if n.frame_type != nwk.FrameType.DATA:
        return None
    a = aps.decode_aps(plain)
    body = (
        ccm.unsecure_aps(a, TEST_TC_LINK_KEY, ADDRESS_MAP.get(n.src), plain) if a.aux else a.payload
    )
    if a.frame_type != aps.FrameType.DATA or a.profile != aps.PROFILE_SMART_ENERGY:
        return None
    return zcl.decode_zcl(body)


def unsecured(sent: Sent) -> bytes:
    """The same MAC/NWK/APS/ZCL frame with NWK and APS security removed."""
    assert sent.nwk is not None and sent.aps is not None and sent.app_payload is not None
    a = dataclasses.replace(sent.aps, aux=None, payload=sent.app_payload)
    n = dataclasses.replace(sent.nwk, aux=None, payload=a.encode())
    return dataclasses.replace(sent.mac, payload=n.encode()).psdu()


def rate(fn: Callable[[bytes], object], frames: list[bytes], seconds: float = 1.5) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for f in frames:
            fn(f)
        done += len(frames)
    return done / elapsed


def main() -> None:
    sent, _ = build_exchange()
    zcl_frames = [s for s in sent if s.aps and s.aps.aux and s.app_payload]
    psdus = [s.psdu for s in zcl_frames]
    assert all(receive(p) is not None for p in psdus)
    sizes = sorted(len(p) for p in psdus)
    ours = rate(receive, psdus)
    scapy = rate(lambda p: Dot15d4FCS(p), psdus)
    plain = [unsecured(s) for s in zcl_frames]
    scapy_full = rate(lambda p: Dot15d4FCS(p), plain)
    parsed = [
        (s.aps.cluster, zcl.decode_zcl(s.app_payload))
        for s in zcl_frames
        if s.aps and s.app_payload
    ]
    payload = rate(lambda _: [zcl.parse_command(c, f) for c, f in parsed], [b""]) * len(parsed)
    print(f"{len(psdus)} secured SE frames, {sizes[0]}-{sizes[-1]} bytes, NWK + APS secured")
    print(f"ours  : {ours:10.0f} frames/s  ({1e6 / ours:.1f} us/frame)")
    print(f"scapy : {scapy:10.0f} frames/s  ({1e6 / scapy:.1f} us/frame), same secured bytes")
    print(
        f"scapy : {scapy_full:10.0f} frames/s  ({1e6 / scapy_full:.1f} us/frame), unsecured, to ZCL"
    )
    print(f"zigpy ZCL payload parse: {payload:.0f} payloads/s")
    print(
        json.dumps(
            {
                "ours_fps": round(ours),
                "scapy_fps": round(scapy),
                "ratio": round(ours / scapy, 1),
                "zcl_payload_fps": round(payload),
                "scapy_full_fps": round(scapy_full),
                "ratio_full": round(ours / scapy_full, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
