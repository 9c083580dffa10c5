"""ESME and PPMID over the virtual HAN: credit read under their partner link key by a partner
only, registers kept across a power cycle, and malformed or unsupported requests answered as ZCL
says."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from zigpy.zcl import foundation

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.asn1 import DeviceType, JoinMethodAndRole
from emulator.codec.zcl import frame as zcl
from emulator.devices.esme import Esme
from emulator.devices.join_log import Partner
from emulator.devices.ppmid import Credit, MeterRefused, Ppmid
from emulator.devices.registers import PREPAYMENT
from emulator.han.clock import VirtualClock
from emulator.han.port import ApsMessage
from emulator.han.stack.node import EmulatedStack, Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
PPMID = Eui64("00-DB-12-34-56-78-90-A4")


@dataclass
class Premises:
    clock: VirtualClock
    han: VirtualHan
    esme: Esme
    ppmid: Ppmid
    heard: asyncio.Queue[ApsMessage]  # everything the PPMID received
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def premises(partners: bool = True) -> Premises:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=5)
    han.coordinator(HUB)
    esme_stack = han.node(ESME, Role.ROUTER)
    ppmid_stack = han.node(PPMID, Role.ROUTER)
    await han.start()
    for i, node in enumerate((esme_stack, ppmid_stack)):
        await han.admit_and_join(node, bytes([i]) * 16)
    await ppmid_stack.request_link_key(ESME)  # the pair's application link key from the TC
    p = Premises(
        clock, han, Esme(esme_stack, MemoryStateStore()), Ppmid(ppmid_stack, clock), asyncio.Queue()
    )
    if partners:  # as CS03A1 leaves it (tests/devices/test_partners.py runs the use case)
        p.esme.join_log.add(Partner(PPMID, DeviceType.PPMID, JoinMethodAndRole.METHOD_A_INITIATOR))
    loop = asyncio.get_running_loop()
    p.tasks += [
        loop.create_task(serve(esme_stack, p.esme.handle)),
        loop.create_task(serve_sync(ppmid_stack, p.ppmid, p.heard)),
    ]
    return p


async def serve(stack: EmulatedStack, handle) -> None:  # type: ignore[no-untyped-def]
    async for msg in stack.messages():
        await handle(msg)


async def serve_sync(stack: EmulatedStack, ppmid: Ppmid, others: asyncio.Queue[ApsMessage]) -> None:
    async for msg in stack.messages():
        await ppmid.handle(msg)
        others.put_nowait(msg)


async def test_the_ppmid_reads_credit_from_the_esme() -> None:
    p = await premises()
    p.esme.set_registers(credit_remaining=1234, accumulated_debt=56)
    assert await p.ppmid.read_credit(ESME) == Credit(1234, 500, 0x01, 56)
    await p.han.stop()


async def test_a_device_that_is_not_a_partner_is_not_authorized() -> None:
    p = await premises(partners=False)
    with pytest.raises(MeterRefused) as refused:
        await p.ppmid.read_credit(ESME)
    assert refused.value.status == foundation.Status.NOT_AUTHORIZED
    p.esme.join_log.add(Partner(PPMID, DeviceType.PPMID, JoinMethodAndRole.METHOD_A_INITIATOR))
    unsecured = zcl.read_attributes([0x0001], tsn=44)  # a partner, but without APS security
    await p.ppmid.han.send(ESME, cluster=PREPAYMENT, payload=unsecured.encode(), aps_security=False)
    reply = zcl.parse_command(PREPAYMENT, await answer_to(p.heard, p.clock, 44))
    assert reply.status == foundation.Status.NOT_AUTHORIZED
    assert (await p.ppmid.read_credit(ESME)).credit_remaining == 2000
    await p.han.stop()


async def test_registers_survive_a_power_cycle() -> None:
    store = MemoryStateStore()
    stack = VirtualHan(VirtualClock()).node(ESME, Role.ROUTER)
    Esme(stack, store).set_registers(credit_remaining=-250, current_summation_delivered=987654)
    again = Esme(stack, store)  # a new actor on the same non-volatile state
    assert again.registers.credit_remaining == -250
    assert again.registers.current_summation_delivered == 987654


async def answer_to(
    others: asyncio.Queue[ApsMessage], clock: VirtualClock, tsn: int
) -> zcl.ZclFrame:
    async with clock.timeout(30):
        while True:
            frame = zcl.decode_zcl((await others.get()).payload)
            if frame.tsn == tsn:
                return frame


async def test_malformed_and_unsupported_requests_get_the_zcl_status() -> None:
    p = await premises()
    clock, others, send = p.clock, p.heard, p.ppmid.han.send
    malformed = zcl.ZclFrame(
        zcl.FrameType.GLOBAL, zcl.Direction.CLIENT_TO_SERVER, 41, 0x00, b"\x01"
    )
    await send(ESME, cluster=PREPAYMENT, payload=malformed.encode())
    reply = zcl.parse_command(PREPAYMENT, await answer_to(others, clock, 41))
    assert reply.status == foundation.Status.MALFORMED_COMMAND
    unknown = zcl.ZclFrame(zcl.FrameType.CLUSTER_SPECIFIC, zcl.Direction.CLIENT_TO_SERVER, 42, 0x7E)
    await send(ESME, cluster=PREPAYMENT, payload=unknown.encode())
    reply = zcl.parse_command(PREPAYMENT, await answer_to(others, clock, 42))
    assert reply.status == foundation.Status.UNSUP_CLUSTER_COMMAND
    read = zcl.read_attributes([0x0001, 0x0BAD], tsn=43)
    await send(ESME, cluster=PREPAYMENT, payload=read.encode())
    values = zcl.read_attributes_result(await answer_to(others, clock, 43))
    assert values[0x0BAD] == foundation.Status.UNSUPPORTED_ATTRIBUTE and values[0x0001] == 2000
    await p.han.stop()
