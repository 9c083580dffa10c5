"""The ``ncp`` backend: the premises with our Comms Hub on ``NcpStack`` through a dongle.

The hub's radio is the bench's dongle (``ezsp:``, ``rfc2217://``) or an NCP emulator on a pty
(``ncp-emulator``: CI's bench), driven by real bellows. Nodes whose radio is ``virtual`` are our
device emulators on a virtual HAN: on the NCP emulator's bench they share its air; with a real
dongle they have no air in common with it, so there they are left out and tests that need them
are skipped (the bench lacks ``emulated-devices``). A ``physical`` node is a device under test:
it has no emulator, only the identity the bench file gives. An ``esme`` node with a dongle radio
of its own gets the unchanged ``Esme`` actor on an ``NcpRouterStack`` (``router_esme``), which
joins the hub's network with the install code the hub whitelisted.

Everything runs on ``RealClock`` (a dongle's host is on wall-clock time). The nodes on dongles
come from ``rig.scenarios.dongles``; the rest of the wiring follows
``rig.scenarios.premises.wire_premises`` [the premises module builds its hub on the virtual HAN;
a ``hub_port`` parameter there would remove this copy].
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from pathlib import Path

from emulator.codec.zcl.metering import METERING
from emulator.codec.zcl.ota import OTA_UPGRADE
from emulator.codec.zcl.time import TIME
from emulator.devices.comms_hub import CommsHub
from emulator.devices.esme import Esme
from emulator.devices.gpf import Gpf
from emulator.devices.gsme import Gsme
from emulator.devices.ppmid import Ppmid
from emulator.devices.registers import PREPAYMENT
from emulator.devices.tunnel import TUNNELING, TunnelServer
from emulator.han.clock import RealClock
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import VirtualHan
from rig.bench import Bench, BenchNode
from rig.dcc import Dcc, Inventory
from rig.scenarios import dongles
from rig.scenarios.context import EVENTS_FILE, EventLog, RunContext
from rig.scenarios.han_join import ESME, HUB, Member, make_nodes, watch
from rig.scenarios.premises import (
    ACB,
    CPL,
    GPF,
    MEMBERS,
    OTA_PROFILES,
    OTA_SERVING,
    SUPPLIER,
    TRANS_COS,
    Supplier,
    Wired,
    premises_keys,
    relay,
)

HUB_ROLE = "comms-hub"
ESME_ROLE = "esme"
Built = tuple[RunContext, Wired, Supplier, dict[str, bytes]]
ROLE_OF = {m.label.lower(): m for m in MEMBERS}


def router_esme(bench: Bench) -> BenchNode | None:
    """The ESME's node when the bench puts it on a dongle of its own (a router on the hub's
    network, ``NcpRouterStack``); an ``ncp-emulator`` ESME needs the hub on one too (their
    shared air is the virtual HAN)."""
    hub, esme = bench.node_with_role(HUB_ROLE), bench.node_with_role(ESME_ROLE)
    if esme is None or not esme.radio.is_dongle:
        return None
    if esme.radio.kind == "ncp-emulator" and (hub is None or hub.radio.kind != "ncp-emulator"):
        return None  # an emulated dongle hears only the virtual HAN: no air with a real hub
    return esme


def emulated_members(bench: Bench) -> list[Member]:
    """The HAN devices the rig emulates on this bench: ``virtual`` nodes, and only where they
    can hear the hub (the hub on the NCP emulator)."""
    hub = bench.node_with_role(HUB_ROLE)
    if hub is None or hub.radio.kind != "ncp-emulator":
        return []
    return [
        ROLE_OF[n.name]
        for n in bench.nodes.values()
        if n.radio.kind == "virtual" and n.name in ROLE_OF
    ]


@contextlib.asynccontextmanager
async def ncp_premises(
    bench: Bench, out: Path, seed: int
) -> AsyncIterator[tuple[RunContext, Wired, Supplier, dict[str, bytes]]]:
    from .plugin import HAN_DEVICES  # the plugin imports this module

    hub_spec = bench.node_with_role(HUB_ROLE)
    assert hub_spec is not None  # read_bench checks an ncp bench has its hub on a dongle
    clock = RealClock()
    async with contextlib.AsyncExitStack() as stack:
        events = stack.enter_context(EventLog(out / EVENTS_FILE, clock))
        run = RunContext(out, seed, clock, events)
        run.acb_eui = ACB
        rng = random.Random(f"hil/install-codes/{seed}")
        codes = {m.label.lower(): rng.randbytes(16) for m in HAN_DEVICES}
        for spec in bench.nodes.values():
            if spec.under_test and spec.install_code is not None:
                codes[spec.name] = spec.install_code
        keys = premises_keys(f"hil/{seed}")
        inventory = Inventory(out / "dcc.sqlite")
        stack.callback(inventory.close)
        for entry in CPL.values():
            inventory.add_cpl_entry(entry)
        dcc = Dcc(inventory, keys.dcc, acb=ACB, clock=clock, trans_cos=TRANS_COS)
        han = VirtualHan(clock, seed=seed, capture_dir=out)
        stack.push_async_callback(han.stop)
        members = emulated_members(bench)
        nodes = make_nodes(han, clock, seed, members)
        esme_spec = router_esme(bench)
        hub_node, hub_port = await dongles.hub_node(stack, hub_spec, han, clock, seed, out)
        nodes[HUB.eui64] = hub_node
        if esme_spec is not None:
            nodes[ESME.eui64] = await dongles.router_node(
                stack, esme_spec, ESME, han, hub_port, seed, out
            )
        gpf = Gpf(hub_port, GPF, keys.devices[GPF], ACB, MemoryStateStore(), clock)
        hub = CommsHub(
            hub_port, keys.hub, ACB, MemoryStateStore(), clock, gpf,
            supplier=SUPPLIER, ota_serving=OTA_SERVING,
        )  # fmt: skip
        if hub.firmware is not None:
            hub.firmware.profile = OTA_PROFILES[HUB.eui64]
        for cluster in (TUNNELING, TIME, PREPAYMENT, METERING, OTA_UPGRADE):
            hub_node.applications[cluster] = hub.handle
        esme = gsme = ppmid = None
        routed = [ESME] if esme_spec is not None else []
        for m in [*routed, *members]:
            node = nodes[m.eui64]
            label = m.label.lower()
            if label == "esme":
                esme = Esme(
                    node.stack, MemoryStateStore(), keys.esme, ACB, clock,
                    cbke=node.cbke, trust_centre=HUB.eui64,
                    ota=OTA_PROFILES[m.eui64], supplier=SUPPLIER,
                )  # fmt: skip
                tunnel = TunnelServer(node.stack, esme.on_gbcs)
                esme.send_gbcs = tunnel.push
                node.applications[TUNNELING] = tunnel.handle
                for cluster in (PREPAYMENT, METERING, OTA_UPGRADE):
                    node.applications[cluster] = esme.handle
            elif label == "ppmid":
                ppmid = Ppmid(
                    node.stack, clock, MemoryStateStore(), keys.devices[m.eui64], ACB,
                    cbke=node.cbke, trust_centre=HUB.eui64,
                )  # fmt: skip
                node.applications[TUNNELING] = TunnelServer(node.stack, ppmid.on_gbcs).handle
                for cluster in (PREPAYMENT, METERING):
                    node.applications[cluster] = ppmid.handle
            elif label == "gsme":
                gsme = Gsme(
                    node.stack, MemoryStateStore(), keys.devices[m.eui64], ACB, clock, HUB.eui64
                )
                for cluster in (TUNNELING, TIME, PREPAYMENT, METERING):
                    node.applications[cluster] = gsme.handle
        await han.start()
        loop = asyncio.get_running_loop()
        every = [HUB, *routed, *members]
        tasks = [loop.create_task(n.serve()) for n in nodes.values()]
        tasks += [loop.create_task(watch(run, n, every)) for n in nodes.values()]
        if gsme is not None:
            tasks.append(loop.create_task(gsme.run()))

        async def stop_tasks() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await hub.aclose()
            if esme is not None:
                await esme.aclose()

        stack.push_async_callback(stop_tasks)
        relays: list[asyncio.Task[None]] = []

        def start_relay(new: object) -> None:
            for old in relays:
                old.cancel()
            relays[:] = [loop.create_task(relay(run, new, hub))]  # type: ignore[arg-type]
            tasks.extend(relays)

        dcc.link_listeners.append(start_relay)
        link = dcc.attach_link(HUB.eui64)
        await asyncio.sleep(0)
        wired = Wired(dcc, hub, han, nodes, link, esme, gsme, ppmid)
        yield run, wired, Supplier(dcc, keys.supplier, clock), codes
