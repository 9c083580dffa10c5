"""CBKE over the virtual HAN (Key Establishment cluster on HanPort), and partner link keys."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke.exchange import Credentials
from emulator.codec.security.cbke.suites import KeyEstablishmentStatus, KeyEstablishmentSuite
from emulator.han.clock import VirtualClock
from emulator.han.key_establishment import (
    KEY_ESTABLISHMENT_CLUSTER,
    KeyEstablishmentFailed,
    KeyEstablishmentService,
)
from emulator.han.port import ApsMessage, HanEvent, KeyEstablished
from emulator.han.stack.node import EmulatedStack, Role
from emulator.han.virtual import VirtualHan
from emulator.pki.zse import ZseTestCa

HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
PPMID = Eui64("00-DB-12-34-56-78-90-A4")
CODES = {ESME: bytes(range(16)), PPMID: bytes(range(16, 32))}  # test-only install codes
PREPAYMENT = 0x0705
READ = bytes([0x00, 0x07, 0x00, 0x01, 0x00])

SUITE1, SUITE2 = KeyEstablishmentSuite.CRYPTO_SUITE_1, KeyEstablishmentSuite.CRYPTO_SUITE_2


def make_ca(suite: KeyEstablishmentSuite, seed: int) -> ZseTestCa:
    return ZseTestCa.generate(suite, rng=random.Random(seed).randbytes)


def credentials(ca: ZseTestCa, eui: Eui64) -> Credentials:
    return ca.issue(eui, rng=random.Random(int(eui)).randbytes)


class Device:
    """A node with its CBKE service and a dispatch of Key Establishment frames to it."""

    def __init__(self, stack: EmulatedStack, clock: VirtualClock, creds: list[Credentials]) -> None:
        self.stack = stack
        self.cbke = KeyEstablishmentService(stack, clock, creds)
        self.other: asyncio.Queue[ApsMessage] = asyncio.Queue()
        self.events: list[HanEvent] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def dispatch(self) -> None:
        async for msg in self.stack.messages():
            if msg.cluster == KEY_ESTABLISHMENT_CLUSTER:
                self.cbke.handle(msg)
            else:
                self.other.put_nowait(msg)

    async def record(self) -> None:
        async for event in self.stack.events():
            self.events.append(event)


async def premises(
    clock: VirtualClock,
    hub_creds: list[Credentials],
    esme_creds: list[Credentials],
    tmp_path: Path | None = None,
    serve_hub: bool = True,
) -> tuple[VirtualHan, Device, Device]:
    han = VirtualHan(clock, seed=2, capture_dir=tmp_path)
    hub = Device(han.coordinator(HUB), clock, hub_creds)
    esme = Device(han.node(ESME, Role.ROUTER), clock, esme_creds)
    await han.start()
    loop = asyncio.get_running_loop()
    for device in (hub, esme):
        if device is esme or serve_hub:
            device.tasks.append(loop.create_task(device.dispatch()))
        device.tasks.append(loop.create_task(device.record()))
    await han.admit_and_join(esme.stack, CODES[ESME])
    return han, hub, esme


@pytest.mark.parametrize("suite", [SUITE1, SUITE2])
async def test_cbke_between_hub_and_esme_installs_the_same_new_key(
    suite: KeyEstablishmentSuite,
    tmp_path: Path,
    tshark,  # type: ignore[no-untyped-def]
) -> None:
    clock = VirtualClock()
    ca = make_ca(suite, 1)
    han, hub, esme = await premises(
        clock, [credentials(ca, HUB)], [credentials(ca, ESME)], tmp_path
    )
    before = esme.stack.link_key(HUB)
    key = await esme.cbke.establish(HUB)
    await clock.sleep(1)
    assert key != before and len(key) == 16
    assert esme.stack.link_key(HUB) == hub.stack.link_key(ESME) == key
    assert KeyEstablished(HUB, "cbke") in esme.events
    assert KeyEstablished(ESME, "cbke") in hub.events
    # Application traffic now runs under the CBKE key, both ways.
    await hub.stack.send(ESME, cluster=PREPAYMENT, payload=READ)
    assert (await esme.other.get()).payload == READ
    await esme.stack.send(HUB, cluster=PREPAYMENT, payload=READ)
    assert (await hub.other.get()).payload == READ
    await han.stop()
    han.key_ring().write(tmp_path)
    pcap, uat = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    assert (
        tshark(pcap, ["frame.number"], uat, "_ws.malformed || _ws.expert.severity >= warning") == []
    )
    reads = tshark(pcap, ["zbee_zcl.cmd.tsn"], uat, "zbee_aps.cluster == 0x0705 && zbee_zcl")
    assert reads == [{"zbee_zcl.cmd.tsn": "7"}] * 2  # both reads under the CBKE key decrypted


async def test_a_certificate_from_another_ca_is_refused_and_keys_stay() -> None:
    clock = VirtualClock()
    hub_ca, rogue_ca = make_ca(SUITE2, 1), make_ca(SUITE2, 99)
    han, hub, esme = await premises(
        clock, [credentials(hub_ca, HUB)], [credentials(rogue_ca, ESME)]
    )
    before = (esme.stack.link_key(HUB), hub.stack.link_key(ESME))
    with pytest.raises(KeyEstablishmentFailed) as failure:
        await esme.cbke.establish(HUB)
    await clock.sleep(1)
    assert failure.value.status == KeyEstablishmentStatus.UNKNOWN_ISSUER
    assert hub.cbke.results[ESME] == KeyEstablishmentStatus.UNKNOWN_ISSUER  # both sides ended
    assert (esme.stack.link_key(HUB), hub.stack.link_key(ESME)) == before
    await han.stop()


async def test_a_certificate_for_another_device_is_refused() -> None:
    clock = VirtualClock()
    ca = make_ca(SUITE2, 1)
    han, _, esme = await premises(clock, [credentials(ca, HUB)], [credentials(ca, PPMID)])
    with pytest.raises(KeyEstablishmentFailed) as failure:
        await esme.cbke.establish(HUB)
    assert failure.value.status == KeyEstablishmentStatus.INVALID_CERTIFICATE
    await han.stop()


async def test_a_silent_partner_times_out_without_a_key() -> None:
    clock = VirtualClock()
    ca = make_ca(SUITE2, 1)
    han, _, esme = await premises(
        clock, [credentials(ca, HUB)], [credentials(ca, ESME)], serve_hub=False
    )
    before = esme.stack.link_key(HUB)
    started = clock.now()
    with pytest.raises(KeyEstablishmentFailed, match="silent"):
        await esme.cbke.establish(HUB)
    assert clock.now() - started < 30  # bounded by the advertised times, not a hang
    assert esme.stack.link_key(HUB) == before
    await han.stop()


async def test_partner_link_key_from_the_trust_centre_carries_device_to_device_traffic() -> None:
    clock = VirtualClock()
    han = VirtualHan(clock, seed=4)
    han.coordinator(HUB)
    esme = han.node(ESME, Role.ROUTER)
    ppmid = han.node(PPMID, Role.ROUTER)
    await han.start()
    for node in (esme, ppmid):
        await han.admit_and_join(node, CODES[node.eui64])
    await esme.request_link_key(PPMID)
    await clock.sleep(1)
    key = esme.link_key(PPMID)
    assert key is not None and key == ppmid.link_key(ESME)
    assert key not in (esme.link_key(HUB), ppmid.link_key(HUB))
    await ppmid.send(ESME, cluster=PREPAYMENT, payload=READ)
    msg = await anext(esme.messages())
    assert (msg.source, msg.payload, msg.aps_secured) == (PPMID, READ, True)
    await han.stop()


async def test_the_highest_common_suite_is_chosen_from_the_partners_attribute() -> None:
    clock = VirtualClock()
    ca1, ca2 = make_ca(SUITE1, 1), make_ca(SUITE2, 2)
    han, hub, esme = await premises(
        clock, [credentials(ca1, HUB), credentials(ca2, HUB)], [credentials(ca1, ESME)]
    )
    key = await esme.cbke.establish(HUB)  # only suite 1 is common: it must be suite 1
    await clock.sleep(1)
    assert hub.stack.link_key(ESME) == key
    await han.stop()


async def test_no_common_suite_fails_before_any_exchange() -> None:
    clock = VirtualClock()
    han, hub, esme = await premises(
        clock, [credentials(make_ca(SUITE2, 2), HUB)], [credentials(make_ca(SUITE1, 1), ESME)]
    )
    with pytest.raises(KeyEstablishmentFailed) as failure:
        await esme.cbke.establish(HUB)
    assert failure.value.status == KeyEstablishmentStatus.UNSUPPORTED_SUITE
    assert ESME not in hub.cbke.results  # the hub never saw an Initiate request
    await han.stop()


async def test_an_exchange_is_under_way_on_both_sides_until_it_settles() -> None:
    """``under_way`` / ``settled``: from the initiator's first frame to its key, and on the
    responder until its linger for a late Terminate ends (a failed exchange settles too)."""
    clock = VirtualClock()
    ca = make_ca(SUITE2, 1)
    han, hub, esme = await premises(clock, [credentials(ca, HUB)], [credentials(ca, ESME)])
    assert not esme.cbke.under_way(HUB) and not hub.cbke.under_way(ESME)
    await esme.cbke.settled(HUB)  # nothing under way: returns at once
    run = asyncio.get_running_loop().create_task(esme.cbke.establish(HUB))
    await asyncio.sleep(0)
    assert esme.cbke.under_way(HUB)
    key = await run
    assert not esme.cbke.under_way(HUB)
    assert hub.cbke.under_way(ESME)  # the responder lingers
    await hub.cbke.settled(ESME)
    assert not hub.cbke.under_way(ESME) and hub.stack.link_key(ESME) == key
    rogue = KeyEstablishmentService(esme.stack, clock, [credentials(make_ca(SUITE2, 9), ESME)])
    esme.cbke = rogue
    with pytest.raises(KeyEstablishmentFailed):
        await rogue.establish(HUB)
    await hub.cbke.settled(ESME)
    assert not rogue.under_way(HUB) and not hub.cbke.under_way(ESME)
    await han.stop()


async def test_aclose_ends_a_responder_mid_exchange_without_a_key() -> None:
    """A power-off (``aclose``) stops the responder: nothing is installed and the initiator's
    exchange ends on its timeout."""
    clock = VirtualClock()
    ca = make_ca(SUITE2, 1)
    han, hub, esme = await premises(clock, [credentials(ca, HUB)], [credentials(ca, ESME)])
    before = hub.stack.link_key(ESME)
    run = asyncio.get_running_loop().create_task(esme.cbke.establish(HUB))
    while not hub.cbke.under_way(ESME):
        await clock.sleep(0.01)
    await hub.cbke.aclose()
    assert not hub.cbke.under_way(ESME)
    with pytest.raises(KeyEstablishmentFailed, match="silent"):
        await run
    assert hub.stack.link_key(ESME) == before
    await han.stop()
