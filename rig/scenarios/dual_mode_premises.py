"""The premises a dual-mode PPMID is installed in: a SMETS2+ system or a SMETS1 one.

- **SMETS2+**: the Communications Hub (``CommsHub``, GBCS on its SM WAN and in HAN tunnels) and
  an ESME, as ``premises.wire_premises`` wires them, with the DCC's GBCS route.
- **SMETS1**: the SMETS1 hub (``Smets1Hub``: ZSE only, the ESI serving the SMETS1 ESME's
  Prepayment, Metering and Price) behind the DCC's S1SP adapter (``rig.dcc.s1sp``); no SM WAN.

Either way the PPMID is a ``DualModePpmid`` with the case's profile, on the same virtual 2.4 GHz
HAN (captured into the case's directory), joined later by the case itself. The CPL holds the
hub's and the ESME's rows and the PPMID model's two rows in the case's CPL mode
(``mp202.dual_mode_rows``).

**On a bench** (``OnBench``: a conformance run against a PPMID under test) the hub is on its
dongle (``NcpStack``) and the SMETS2+ ESME on a router dongle (``NcpRouterStack``), both wired
as above; the PPMID is the ``DeviceUnderTest``: no emulator the rig drives (a stand-in is placed
on the virtual HAN, its dongles' air), receive taps on the hub and the meter keep what it sends,
and when the case ends the hub asks it to leave, so that it looks for a network again.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from emulator.codec.eui64 import Eui64
from emulator.codec.zcl.metering import METERING
from emulator.codec.zcl.time import TIME
from emulator.devices.comms_hub import CommsHub
from emulator.devices.dual_mode import BASIC, PRICE, DualModePpmid, DualModeProfile
from emulator.devices.esme import Esme
from emulator.devices.registers import PREPAYMENT
from emulator.devices.smets1_hub import Smets1Hub, Smets1HubProfile
from emulator.devices.tunnel import TUNNELING, TunnelServer
from emulator.han.port import ApsMessage
from emulator.han.stack.node import Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from rig.bench import BenchNode, LabKeys
from rig.dcc import CplEntry, CplMode, Dcc, DeviceType, Inventory, SmetsVersion, WanLink
from rig.dcc.mp202 import dual_mode_rows

from . import dongles
from .context import RunContext
from .device_under_test import DeviceUnderTest
from .han_join import ESME, HUB, Member, Node, make_nodes, watch
from .premises import PPMID, TRANS_COS, PremisesKeys, relay

LEAVE_SETTLE = 1.0
"""Seconds the hub's dongle is kept up after it asked the PPMID to leave (the Leave goes out)."""


@dataclass(frozen=True)
class PpmidModel:
    """A dual-mode PPMID model as the CPL lists it (a bench's ``cpl:`` for a device under
    test)."""

    manufacturer: str
    model: str
    hardware_version: str
    firmware_version: str
    """Its real firmware version (the SMETS2+ row, and the SMETS1 row in the enduring mode)."""
    fictitious_firmware_version: str | None
    """The SMETS1 row's fictitious firmware version in the tactical mode (SEC Appendix Z
    3.13(b)); None where the model has none (it cannot be listed in the tactical mode)."""

    def rows(self, mode: CplMode) -> dict[SmetsVersion, CplEntry]:
        """The model's two CPL rows in ``mode``, by generation."""
        smets1, smets2 = dual_mode_rows(
            self.manufacturer, self.model, self.hardware_version, self.firmware_version, mode,
            fictitious_firmware_version=self.fictitious_firmware_version,
        )  # fmt: skip
        return {SmetsVersion.SMETS1: smets1, SmetsVersion.SMETS2_PLUS: smets2}


DUAL_MODE_PPMID = PpmidModel("AB03", "DUALPP1", "1", "0004012F", "F004012F")
"""The emulated dual-mode PPMID model."""
CH_ROWS = {
    SmetsVersion.SMETS2_PLUS: CplEntry(
        "CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1"
    ),
    SmetsVersion.SMETS1: CplEntry("S1CH", "S1HUB", "1", "00000100", DeviceType.CHF, "SMETS1"),
}
ESME_ROWS = {
    SmetsVersion.SMETS2_PLUS: CplEntry(
        "AB01", "010A030B", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1"
    ),
    SmetsVersion.SMETS1: CplEntry("S1EM", "S1ESME", "1", "00000200", DeviceType.ESME, "SMETS1"),
}


@dataclass(frozen=True)
class OnBench:
    """Where a conformance run puts the premises: the hub's dongle, the ESME's (SMETS2+ cases)
    and the PPMID under test."""

    hub: BenchNode
    esme: BenchNode
    dut: DeviceUnderTest
    model: PpmidModel
    keys: LabKeys | None = None
    """The lab's key material a physical PPMID trusts (``lab_keys``); None: the rig's own."""


@dataclass(frozen=True)
class DualModePremises:
    """One system with the PPMID on its HAN; ``hub`` is a ``CommsHub`` (SMETS2+) or a
    ``Smets1Hub``; ``esme`` the SMETS2+ ESME emulator (None in SMETS1: the hub's ESI serves);
    ``ppmid`` the emulated PPMID, or None where ``dut`` is a device under test."""

    system: SmetsVersion
    dcc: Dcc
    han: VirtualHan
    nodes: dict[Eui64, Node]
    hub: CommsHub | Smets1Hub
    esme: Esme | None
    ppmid: DualModePpmid | None
    link: WanLink | None
    dut: DeviceUnderTest | None = None
    model: PpmidModel = DUAL_MODE_PPMID

    @property
    def ppmid_eui(self) -> Eui64:
        return self.dut.eui64 if self.dut is not None else PPMID.eui64

    @property
    def meter_node(self) -> Node:
        """The node whose Prepayment server the PPMID should read: the ESME, or the SMETS1
        hub's ESI."""
        return self.nodes[ESME.eui64 if self.esme is not None else HUB.eui64]

    def meter_serves(self, msg: ApsMessage) -> bool:
        """Whether the meter answers ``msg`` (a read from the PPMID) with its registers: it is
        APS-secured and from a partner the meter accepts."""
        if isinstance(self.hub, Smets1Hub):
            return msg.aps_secured and self.hub.joined(msg.source)
        return self.esme is not None and self.esme.partners.serves(msg)

    @property
    def meter_credit(self) -> int:
        """The prepayment meter's own credit register (what the PPMID should show)."""
        if isinstance(self.hub, Smets1Hub):
            return self.hub.registers.credit_remaining
        assert self.esme is not None
        return self.esme.registers.credit_remaining


@contextlib.asynccontextmanager
async def wire_dual_mode(
    run: RunContext,
    keys: PremisesKeys,
    system: SmetsVersion,
    mode: CplMode,
    profile: DualModeProfile,
    out: Path,
    bench: OnBench | None = None,
) -> AsyncIterator[DualModePremises]:
    """The DCC (SQLite in ``out``) with the CPL, the ``system``'s hub (and ESME), the PPMID on a
    virtual HAN captured into ``out`` (or on ``bench``); every task stopped on exit."""
    clock = run.clock
    if out.is_dir():
        shutil.rmtree(out)  # the case's own directory: an earlier run's SQLite and pcap go
    out.mkdir(parents=True)
    async with contextlib.AsyncExitStack() as stack:
        inventory = Inventory(out / "dcc.sqlite")
        stack.callback(inventory.close)
        for generation in SmetsVersion:
            for row in (CH_ROWS[generation], ESME_ROWS[generation]):
                inventory.add_cpl_entry(row)
        model = bench.model if bench else DUAL_MODE_PPMID
        for row in model.rows(mode).values():
            inventory.add_cpl_entry(row)
        floor = bench.dut.counter_floor if bench else 0
        dcc = Dcc(
            inventory,
            keys.dcc,
            acb=keys.acb_eui,
            clock=clock,
            trans_cos=TRANS_COS,
            acb_counter_floor=floor,
        )
        han = VirtualHan(clock, seed=run.seed, capture_dir=out)
        stack.push_async_callback(han.stop)
        smets2 = system is SmetsVersion.SMETS2_PLUS
        members = (HUB, ESME, PPMID) if smets2 else (HUB, PPMID)
        if bench is None:
            nodes = make_nodes(han, clock, run.seed, members)
        else:
            nodes = await _bench_nodes(stack, bench, han, run, smets2, out, keys)
            members = (*members[:-1], Member("PPMID", bench.dut.eui64, Role.ROUTER))
        tasks: list[asyncio.Task[None]] = []
        actors: list[CommsHub | Esme] = []

        async def stop_tasks() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for actor in actors:
                await actor.aclose()

        stack.push_async_callback(stop_tasks)
        hub_node = nodes[HUB.eui64]
        esme: Esme | None = None
        hub: CommsHub | Smets1Hub
        if smets2:
            hub = CommsHub(hub_node.stack, keys.hub, keys.acb_eui, MemoryStateStore(), clock,
                           None, supplier=keys.supplier_eui)  # fmt: skip
            actors.append(hub)
            for cluster in (TUNNELING, TIME):
                hub_node.applications[cluster] = hub.handle
            node = nodes[ESME.eui64]
            esme = Esme(
                node.stack, MemoryStateStore(), keys.esme, keys.acb_eui, clock,
                cbke=node.cbke, trust_centre=HUB.eui64, supplier=keys.supplier_eui,
            )  # fmt: skip
            actors.append(esme)
            tunnel = TunnelServer(node.stack, esme.on_gbcs)
            esme.send_gbcs = tunnel.push
            node.applications[TUNNELING] = tunnel.handle
            for cluster in (PREPAYMENT, METERING):
                node.applications[cluster] = esme.handle
        else:
            hub = Smets1Hub(
                hub_node.stack, clock, MemoryStateStore(),
                Smets1HubProfile("SMETS1 hub (ESI in the ESME)", ESME.eui64),
            )  # fmt: skip
            for cluster in (PREPAYMENT, METERING, PRICE, TIME, TUNNELING, BASIC):
                hub_node.applications[cluster] = hub.handle
            dcc.s1sp.attach(HUB.eui64, hub)
        ppmid: DualModePpmid | None = None
        if bench is None:
            node = nodes[PPMID.eui64]
            ppmid = DualModePpmid(
                node.stack, clock, profile, MemoryStateStore(), keys.devices[PPMID.eui64],
                keys.acb_eui, cbke=node.cbke, trust_centre=HUB.eui64,
            )  # fmt: skip
            for cluster in (TUNNELING, BASIC, PREPAYMENT, METERING, PRICE):
                node.applications[cluster] = ppmid.handle
        await han.start()
        loop = asyncio.get_running_loop()
        for n in nodes.values():
            tasks += [loop.create_task(n.serve()), loop.create_task(watch(run, n, members))]
        if ppmid is not None:
            tasks.append(loop.create_task(ppmid.run()))
        link: WanLink | None = None
        if isinstance(hub, CommsHub):
            comms_hub = hub

            def start_relay(new: WanLink) -> None:
                tasks.append(loop.create_task(relay(run, new, comms_hub)))

            dcc.link_listeners.append(start_relay)
            link = dcc.attach_link(HUB.eui64)
        await clock.sleep(0)  # the watchers subscribe before anything happens
        async with dcc:
            yield DualModePremises(
                system, dcc, han, nodes, hub, esme, ppmid, link,
                bench.dut if bench else None, model,
            )  # fmt: skip


async def _bench_nodes(
    stack: contextlib.AsyncExitStack,
    bench: OnBench,
    han: VirtualHan,
    run: RunContext,
    smets2: bool,
    out: Path,
    keys: PremisesKeys,
) -> dict[Eui64, Node]:
    """The hub (and, SMETS2+, the ESME) on their dongles with the device under test's taps; a
    stand-in placed on ``han``. When the case ends the hub asks the PPMID to leave."""
    dut, clock = bench.dut, run.clock
    hub, hub_port = await dongles.hub_node(stack, bench.hub, han, clock, run.seed, out)
    nodes = {HUB.eui64: hub}
    if smets2:
        nodes[ESME.eui64] = await dongles.router_node(
            stack, bench.esme, ESME, han, hub_port, run.seed, out
        )
    for node in nodes.values():
        node.taps.append(dut.tap(node.member.label, clock))
    if dut.stand_in is not None:
        await stack.enter_async_context(
            dut.stand_in.placed(
                han, clock, run.seed, HUB.eui64, keys.devices.get(dut.eui64), keys.acb_eui
            )
        )

    async def leave() -> None:
        with contextlib.suppress(Exception):  # a PPMID that never joined has nothing to leave
            await hub_port.remove_device(dut.eui64)
            await clock.sleep(LEAVE_SETTLE)

    stack.push_async_callback(leave)
    return nodes
