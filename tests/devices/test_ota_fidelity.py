"""Fidelity of the modelled OTA transfer time against DOMAIN.md section 5's best cases for a
256 KiB image, zero loss and zero device processing delay: 48-byte blocks on 2.4 GHz (48.6 s),
and a mains device on GB868 (6.8 min; the model gives 8.1 min, explained below). The 64-byte
2.4 GHz figure is checked on the ``ota-esme`` scenario (``tests/rig/test_scenario_ota.py``).

Each case runs a shorter image through the real stacks on the virtual HAN and scales the
modelled seconds per block to the blocks of 256 KiB: the per-block exchange is the same all
the way through, and the run stays cheap."""

from __future__ import annotations

import asyncio
import random

from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.eui64 import Eui64
from emulator.codec.ota import build_image
from emulator.devices.firmware_slots import FirmwareSlots
from emulator.devices.ota_client import OtaClient, OtaClientProfile
from emulator.devices.ota_server import ImageDelivery, OtaServer, ServingProfile
from emulator.han.clock import VirtualClock
from emulator.han.port import HanPort
from emulator.han.radio import Band, RadioModel
from emulator.han.stack.node import Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import GB868_CHANNEL, VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
SUPPLIER = ec.derive_private_key(0x5EED, ec.SECP256R1())
FULL = 256 * 1024
FLOOR_48 = 48.6
"""DOMAIN.md section 5: 256 KiB in 48-byte blocks (APS security) on 2.4 GHz, seconds."""
FLOOR_SUB_GHZ = 6.8 * 60
"""DOMAIN.md section 5: 256 KiB to a mains device on sub-GHz (the 100 ms rule), seconds."""


async def modelled_seconds_for_256_kib(
    block_size: int, *, aps_security: bool = False, band: Band = Band.GHZ_2_4
) -> float:
    """One mains ESME fetching an image from the hub; modelled seconds per block, from the first
    block request to the last block, times the blocks of 256 KiB."""
    clock = VirtualClock()
    dual = band is Band.SUB_GHZ
    han = VirtualHan(clock, seed=1, sub_ghz=GB868_CHANNEL if dual else None)
    hub = han.coordinator(HUB, bands=(Band.GHZ_2_4, Band.SUB_GHZ) if dual else (Band.GHZ_2_4,))
    stack = han.node(ESME, Role.ROUTER, band=band)
    await han.start()
    tasks = []
    try:
        await han.admit_and_join(stack, bytes(range(16)))
        profile = OtaClientProfile(0xA0E1, 0x0081, block_size=block_size, aps_security=aps_security)
        serving = ServingProfile(block_size=block_size, aps_security=aps_security)
        server = OtaServer(hub, clock, MemoryStateStore(), {ESME: serving})
        client = OtaClient(
            stack,
            clock,
            FirmwareSlots(MemoryStateStore(), "esme/firmware", bytes(4)),
            profile,
            HUB,
            supplier_keys=lambda: [SUPPLIER.public_key()],
        )
        loop = asyncio.get_running_loop()
        tasks = [
            loop.create_task(_dispatch(hub, server.handle)),
            loop.create_task(_dispatch(stack, client.handle)),
        ]
        await clock.sleep(0)
        data = build_image(
            manufacturer_id=0xA0E1,
            image_type=0x0081,
            file_version=0x01020304,
            payload=random.Random(1).randbytes(16 * 1024),
            private_key=SUPPLIER,
        )
        await server.deliver(ImageDelivery(ESME, data))
        outcome = await client.wait()
        assert outcome is not None and outcome.ok
        stats = client.stats
        assert stats.retries == 0 and stats.waits == 0
        assert stats.blocks == -(-len(data) // block_size)
        assert stats.started is not None and stats.finished is not None
        per_block = (stats.finished - stats.started) / stats.blocks
        return per_block * -(-FULL // block_size)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await han.stop()


async def _dispatch(stack: HanPort, handler: object) -> None:
    async for msg in stack.messages():
        result = handler(msg)  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            asyncio.get_running_loop().create_task(result)


async def test_48_byte_blocks_on_2g4_near_the_floor() -> None:
    """DOMAIN.md's 48.6 s is the 64-byte floor's exchange with 16 bytes less in each response
    (8.9 ms a block against 9.4 ms): that framing is within 10 %."""
    seconds = await modelled_seconds_for_256_kib(48)
    assert abs(seconds - FLOOR_48) <= 0.1 * FLOOR_48, seconds


async def test_48_byte_blocks_with_aps_security_cost_what_64_byte_blocks_do_per_block() -> None:
    """With APS security on both frames (the reason for 48-byte blocks) the request grows by the
    APS auxiliary header and MIC as the response shrinks by 16 bytes: a block takes what a
    64-byte block does, and 256 KiB about 12 % more than the 48.6 s floor, which counts the
    smaller response only. (Our APS auxiliary header has no extended nonce: the response PSDU
    is 119 bytes, not 127.)"""
    secured = await modelled_seconds_for_256_kib(48, aps_security=True)
    plain_64 = await modelled_seconds_for_256_kib(64)
    per_block = (secured / -(-FULL // 48), plain_64 / -(-FULL // 64))
    assert abs(per_block[0] - per_block[1]) <= 0.03 * per_block[1], per_block
    assert FLOOR_48 < secured <= 1.15 * FLOOR_48, secured


async def test_64_byte_blocks_to_a_mains_device_on_gb868() -> None:
    """Run on GB868, not computed. Both ends send one data frame a block, and each waits 100 ms
    after the end of its own last one, then listens before talking (5 ms + 0-5 ms): the hub,
    with the longer frame (126-byte PSDU, 11.1 ms), paces the transfer at 100 + 7.5 + 11.1 ms a
    block, 8.1 min for 256 KiB. DOMAIN.md's 6.8 min is 4096 x 100 ms: the silence alone, as if
    the rule ran start to start. Listening inside the silence would still give 7.6 min
    (+12 %): the model does not allow 10 % of 6.8 min while the rule counts from the end of a
    transmission (radio.ListenBeforeTalk), so the run is held to the model's own sum."""
    model = RadioModel()
    lbt = model.lbt
    per_block = (
        lbt.min_tx_spacing
        + lbt.min_free
        + lbt.max_random_backoff / 2
        + model.airtime(Band.SUB_GHZ, RESPONSE_PSDU)
    )
    seconds = await modelled_seconds_for_256_kib(64, band=Band.SUB_GHZ)
    assert abs(seconds - per_block * FULL // 64) <= 0.02 * seconds, (seconds, per_block)
    assert FLOOR_SUB_GHZ < seconds <= 1.25 * FLOOR_SUB_GHZ, seconds


RESPONSE_PSDU = 126
"""The Image Block Response with 64 bytes: MAC 9 + NWK 8 + 14 + 4 + APS 8 + ZCL 17 + 64 + FCS 2."""
