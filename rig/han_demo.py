"""The virtual HAN demo: a hub admits N routers and a sleepy end device by install code, refuses
a node whose install code is wrong, and reads an attribute from every node that joined.

Writes ``han-2g4.pcap``, ``summary.json`` and, when asked, ``keys.json`` + ``zigbee_pc_keys``.
Install codes and keys are test-only, derived from the seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.codec.eui64 import Eui64
from emulator.codec.security import keys
from emulator.codec.zcl import frame as zcl
from emulator.han.clock import VirtualClock
from emulator.han.port import DeliveryError, DropReason
from emulator.han.radio import LinkModel, RadioModel
from emulator.han.stack.node import EmulatedStack, JoinError, Role
from emulator.han.virtual import VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
BASIC = 0x0000
ZCL_VERSION, MANUFACTURER_NAME = 0x0000, 0x0004
JOIN_ATTEMPTS = 3  # a device retries a failed join, as real devices do
RETRY_DELAY = 5.0
READ_TIMEOUT = 30.0  # a sleepy device answers on its next poll


@dataclass(frozen=True)
class DemoResult:
    summary: dict[str, Any]
    pcap: Path
    keys: Path | None


async def answer_basic_reads(node: EmulatedStack) -> None:
    """A minimal device application: answer Read Attributes on the Basic cluster."""
    async for msg in node.messages():
        if msg.cluster != BASIC:
            continue
        request = zcl.decode_zcl(msg.payload)
        reply = zcl.read_attributes_response(
            BASIC, {ZCL_VERSION: 8, MANUFACTURER_NAME: "GB HAN rig"}, tsn=request.tsn
        )
        # A lost answer is the asker's problem (it retries or reports); the device carries on.
        with contextlib.suppress(DeliveryError):
            await node.send(
                msg.source, cluster=BASIC, payload=reply.encode(), dst_endpoint=msg.src_endpoint
            )


async def join_with_retries(
    han: VirtualHan, node: EmulatedStack, code: bytes, admit: bytes
) -> bool:
    assert han.hub is not None
    await han.hub.permit_joining(node.eui64, keys.install_code_key(admit), 3600)
    link_key = keys.install_code_key(code)
    for _ in range(JOIN_ATTEMPTS):
        try:
            await node.join(link_key)
            return True
        except JoinError:
            await han.clock.sleep(RETRY_DELAY)
    return False


async def run_demo(
    clock: VirtualClock,
    out: Path,
    nodes: int,
    seed: int,
    loss: float,
    zep_port: int | None = None,
) -> dict[str, Any]:
    rng = random.Random(seed)
    zep = None if zep_port is None else ("127.0.0.1", zep_port)
    han = VirtualHan(
        clock, seed, RadioModel(link=LinkModel(default_loss=loss)), capture_dir=out, zep=zep
    )
    hub = han.coordinator(HUB)
    members: list[tuple[EmulatedStack, bytes, bytes]] = []
    for i in range(nodes + 2):
        role = Role.END_DEVICE if i == nodes else Role.ROUTER
        node = han.node(Eui64(0x00DB123456780000 + i + 1), role, poll_period=7.5)
        code = rng.randbytes(16)
        wrong = i == nodes + 1
        members.append((node, rng.randbytes(16) if wrong else code, code))
    await han.start()
    loop = asyncio.get_running_loop()
    responders = [loop.create_task(answer_basic_reads(node)) for node, _, _ in members]
    joined: list[EmulatedStack] = []
    refused: list[EmulatedStack] = []
    for node, code, admitted in members:
        (joined if await join_with_retries(han, node, code, admitted) else refused).append(node)
    answered = []
    for tsn, node in enumerate(joined, start=1):
        request = zcl.read_attributes([ZCL_VERSION, MANUFACTURER_NAME], tsn=tsn).encode()
        try:
            await hub.send(node.eui64, cluster=BASIC, payload=request)
            async with clock.timeout(READ_TIMEOUT):
                reply = await anext(hub.messages())
        except (DeliveryError, TimeoutError):
            continue
        if zcl.read_attributes_result(zcl.decode_zcl(reply.payload)).get(ZCL_VERSION) == 8:
            answered.append(node)
    for responder in responders:
        responder.cancel()
    await han.stop()
    drops = sum(n.drops[DropReason.REPLAY] for n in han.nodes)
    return {
        "joined": [n.eui64.hex for n in joined],
        "refused": [n.eui64.hex for n in refused],
        "answered": [n.eui64.hex for n in answered],
        "modelled_seconds": round(clock.now(), 6),
        "frames": han.medium.frames,
        "dropped_replays": drops,
        "_keys": han.key_ring(),
    }


def write_demo(
    out: Path, nodes: int, seed: int, loss: float, reveal_keys: bool, zep_port: int | None = None
) -> DemoResult:
    out.mkdir(parents=True, exist_ok=True)
    clock = VirtualClock()
    summary = clock.run(run_demo(clock, out, nodes, seed, loss, zep_port))
    ring = summary.pop("_keys")
    summary["wall_seconds"] = round(clock.wall_seconds, 3)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    keys_path = ring.write(out) if reveal_keys else None
    return DemoResult(summary, out / "han-2g4.pcap", keys_path)
