"""OTA under load: ten ESMEs on one hub serving ``MAX_TRANSFERS`` at once all get their image; a
lost Query Next Image is asked again; waiting for a slot does not wear out a client's patience;
a client that goes quiet gives its slot up after ``TRANSFER_IDLE``."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.eui64 import Eui64
from emulator.codec.ota import build_image
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.ota import OtaCommand
from emulator.devices.firmware_slots import FirmwareSlots
from emulator.devices.ota_client import OtaClient, OtaClientProfile, Verification
from emulator.devices.ota_server import (
    MAX_TRANSFERS,
    TRANSFER_IDLE,
    ImageDelivery,
    OtaServer,
)
from emulator.han.clock import VirtualClock
from emulator.han.port import ApsMessage, HanPort
from emulator.han.stack.node import Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
PROFILE = OtaClientProfile(manufacturer=0xA0E1, image_type=0x0081)
SUPPLIER = ec.derive_private_key(0x5EED, ec.SECP256R1())


def esme(i: int) -> Eui64:
    return Eui64(f"00-DB-12-34-56-78-91-{i:02X}")


def image(size: int) -> bytes:
    return build_image(
        manufacturer_id=PROFILE.manufacturer,
        image_type=PROFILE.image_type,
        file_version=0x01020304,
        payload=random.Random(size).randbytes(size),
        minimum_hardware_version=0x100,
        maximum_hardware_version=0x1FF,
        private_key=SUPPLIER,
    )


def client(port: Any, clock: VirtualClock, profile: OtaClientProfile = PROFILE) -> OtaClient:
    slots = FirmwareSlots(MemoryStateStore(), "esme/firmware", bytes(4))
    return OtaClient(
        port, clock, slots, profile, HUB, supplier_keys=lambda: [SUPPLIER.public_key()]
    )


async def _dispatch(stack: HanPort, handler: Callable[[ApsMessage], object]) -> None:
    async for msg in stack.messages():
        result = handler(msg)
        if asyncio.iscoroutine(result):
            asyncio.get_running_loop().create_task(result)


async def test_ten_esmes_on_one_hub_all_get_their_image() -> None:
    """The bench_ota case: the hub notifies ten ESMEs at once and serves four; the Image Notify
    burst keeps one ESME's Query Next Image off the channel (CSMA-CA gives up on it), so that
    ESME asks again; the six others wait for slots (WAIT_FOR_DATA) and get theirs."""
    clock = VirtualClock()
    han = VirtualHan(clock, seed=1)
    hub = han.coordinator(HUB)
    stacks = [han.node(esme(i), Role.ROUTER) for i in range(10)]
    await han.start()
    tasks: list[asyncio.Task[None]] = []
    try:
        for i, stack in enumerate(stacks):
            await han.admit_and_join(stack, bytes([i + 1]) * 16)
        server = OtaServer(hub, clock, MemoryStateStore(), max_transfers=MAX_TRANSFERS)
        clients = [client(s, clock) for s in stacks]
        loop = asyncio.get_running_loop()
        tasks.append(loop.create_task(_dispatch(hub, server.handle)))
        tasks += [
            loop.create_task(_dispatch(s, c.handle)) for s, c in zip(stacks, clients, strict=True)
        ]
        await clock.sleep(0)
        data = image(4096)
        for s in stacks:
            await server.deliver(ImageDelivery(s.eui64, data))
        await asyncio.sleep(0)
        outcomes: list[Verification | None] = [await c.wait() for c in clients]
        assert [o is not None and o.ok for o in outcomes] == [True] * 10
        assert all(c.slots.image() == data for c in clients)
        assert server.waits_sent > 0  # six of them were told to wait for a slot
        assert sum(c.stats.retries for c in clients) > 0  # the lost query among them
        assert server.transfers == frozenset()  # every Upgrade End gave its slot back
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await han.stop()


@dataclass
class Link:
    """A client and a server wired back to back, ``drop`` deciding which client requests
    never reach the server (by OTA command id and the count of that command so far)."""

    clock: VirtualClock
    drop: Callable[[int, int], bool] = lambda command, nth: False
    server: OtaServer | None = None
    clients: dict[Eui64, OtaClient] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)

    def port(self, eui64: Eui64) -> Any:
        link = self

        class Port:
            def __init__(self) -> None:
                self.eui64 = eui64

            async def send(self, destination: Eui64, *, payload: bytes, **_: Any) -> None:
                await link.clock.sleep(0.005)  # a frame's airtime, roughly
                frame = zcl.decode_zcl(payload)
                if self.eui64 == HUB:
                    target = link.clients[Eui64(destination)]
                    target.handle(_message(HUB, payload))
                    return
                nth = link.seen.get(frame.command_id, 0)
                link.seen[frame.command_id] = nth + 1
                if link.drop(frame.command_id, nth):
                    return
                assert link.server is not None
                asyncio.get_running_loop().create_task(
                    link.server.handle(_message(self.eui64, payload))
                )

            async def poll(self) -> None:
                pass

        return Port()


def _message(source: Eui64, payload: bytes) -> ApsMessage:
    return ApsMessage(source, 0, 1, 1, 0x0019, 0x0109, payload, aps_secured=False)


async def test_a_lost_query_next_image_is_asked_again() -> None:
    clock = VirtualClock()
    link = Link(clock, drop=lambda command, nth: command == OtaCommand.QUERY_NEXT_IMAGE and nth < 2)
    link.server = OtaServer(link.port(HUB), clock, MemoryStateStore())
    device = link.clients[esme(0)] = client(link.port(esme(0)), clock)
    data = image(1024)
    await link.server.deliver(ImageDelivery(esme(0), data))
    outcome = await device.wait()
    assert outcome is not None and outcome.ok
    assert link.seen[OtaCommand.QUERY_NEXT_IMAGE] == 3 == PROFILE.query_attempts
    assert device.stats.retries == 2


async def test_a_query_never_answered_gives_up_after_its_attempts() -> None:
    clock = VirtualClock()
    link = Link(clock, drop=lambda command, nth: command == OtaCommand.QUERY_NEXT_IMAGE)
    link.server = OtaServer(link.port(HUB), clock, MemoryStateStore())
    device = link.clients[esme(0)] = client(link.port(esme(0)), clock)
    started = clock.now()
    await link.server.deliver(ImageDelivery(esme(0), image(1024)))
    assert await device.wait() is None
    assert link.seen[OtaCommand.QUERY_NEXT_IMAGE] == PROFILE.query_attempts
    assert clock.now() - started >= PROFILE.query_attempts * PROFILE.query_timeout


async def test_losses_while_waiting_for_a_slot_do_not_add_up_to_giving_up() -> None:
    """A device kept waiting for minutes sees a lost request now and then; only unanswered
    requests in a row (``max_retries``) make it give up, never a wait's answered asks."""
    clock = VirtualClock()
    patient = OtaClientProfile(PROFILE.manufacturer, PROFILE.image_type, max_retries=2)
    # every other Image Block Request of the waiting device is lost while it waits
    link = Link(clock)
    link.server = OtaServer(link.port(HUB), clock, MemoryStateStore(), max_transfers=1)
    first = link.clients[esme(0)] = client(link.port(esme(0)), clock)
    waiting = link.clients[esme(1)] = client(link.port(esme(1)), clock, patient)
    asks = 0

    def drop(command: int, nth: int) -> bool:
        nonlocal asks
        if command != OtaCommand.IMAGE_BLOCK or not waiting.busy or first.slots.download is None:
            return False
        if first.slots.download.complete:
            return False
        asks += 1
        return asks % 2 == 0

    link.drop = drop
    big, small = image(128 * 1024), image(1024)
    await link.server.deliver(ImageDelivery(esme(0), big))
    await link.server.deliver(ImageDelivery(esme(1), small))
    first_outcome, waiting_outcome = await first.wait(), await waiting.wait()
    assert first_outcome is not None and first_outcome.ok
    assert waiting_outcome is not None and waiting_outcome.ok
    assert waiting.stats.waits >= 3 and waiting.stats.retries > patient.max_retries


async def test_a_quiet_device_gives_its_slot_up_after_the_idle_time() -> None:
    clock = VirtualClock()
    link = Link(clock)
    link.server = OtaServer(link.port(HUB), clock, MemoryStateStore(), max_transfers=1)
    quiet = link.clients[esme(0)] = client(link.port(esme(0)), clock)
    other = link.clients[esme(1)] = client(link.port(esme(1)), clock)
    await link.server.deliver(ImageDelivery(esme(0), image(64 * 1024)))
    await clock.sleep(1)
    assert link.server.transfers == {esme(0)}
    await quiet.aclose()  # it loses power mid-transfer
    stopped = clock.now()
    await link.server.deliver(ImageDelivery(esme(1), image(1024)))
    outcome = await other.wait()
    assert outcome is not None and outcome.ok
    assert other.stats.waits > 0
    assert other.stats.started is not None
    assert clock.now() - stopped > TRANSFER_IDLE
    assert link.server.transfers == frozenset()
