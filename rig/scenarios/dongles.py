"""Premises nodes on dongles: the hub on ``NcpStack`` and a router (the ESME) on ``NcpRouterStack``.

A bench names each node's radio (``rig.bench``); a dongle radio is a local one (``ezsp:``), a
shared one (``rfc2217://``) or the NCP emulator on a pty (``ncp-emulator``: CI's dongle, whose
radio is on the virtual HAN ``han``). Both nodes carry CBKE credentials from the test CA
``make_nodes`` issues from (seeded: the same CA on every call), so emulated devices on the
virtual HAN and dongle nodes trust one another. Used by the HIL ``ncp`` backend and by the MP202
conformance run against a physical PPMID.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import cast

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke.exchange import Credentials
from emulator.han.clock import Clock
from emulator.han.key_establishment import KeyEstablishmentService
from emulator.han.ncp import NcpStack, RadioSettings
from emulator.han.ncp.router import NcpRouterStack, NetworkToJoin
from emulator.han.ncp_emulator import NcpEmulator
from emulator.han.stack.node import EmulatedStack
from emulator.han.virtual import VirtualHan
from rig.bench import BenchNode

from .han_join import HUB, POLL_PERIOD, Member, Node, make_nodes
from .lab_keys import cbke_credentials


def radio_settings(node: BenchNode, port: str) -> RadioSettings:
    r = node.radio
    return RadioSettings(
        port,
        baudrate=r.baudrate,
        flow_control=r.flow_control,  # type: ignore[arg-type]
        channel=r.channel,
        tx_power=r.tx_power,
    )


def credentials(
    clock: Clock, seed: int, member: Member, spec: BenchNode | None = None
) -> list[Credentials]:
    """``member``'s CBKE credentials: the file its bench node names (the lab's ZSE CA, which a
    device under test trusts), or as ``make_nodes`` gives them (made on a HAN of its own, never
    started)."""
    if spec is not None and spec.cbke_credentials is not None:
        return cbke_credentials(spec.cbke_credentials)
    node = make_nodes(VirtualHan(clock, seed=seed), clock, seed, [member])[member.eui64]
    return node.cbke.credentials


async def _port(
    stack: contextlib.AsyncExitStack, spec: BenchNode, han: VirtualHan, eui64: Eui64, tty: Path
) -> str:
    if spec.radio.kind != "ncp-emulator":
        return spec.radio.port
    dongle = await stack.enter_async_context(NcpEmulator(han, eui64, link=tty))
    return str(dongle.path)


async def hub_node(
    stack: contextlib.AsyncExitStack,
    spec: BenchNode,
    han: VirtualHan,
    clock: Clock,
    seed: int,
    out: Path,
) -> tuple[Node, NcpStack]:
    """The hub's node on its dongle (started; stopped when ``stack`` closes) and its port.
    CBKE waits a poll period more per answer, as ``make_nodes`` gives the hub: a sleepy device's
    CBKE messages come only as it polls."""
    port = await _port(stack, spec, han, HUB.eui64, out / "ttyNCP")
    hub_port = NcpStack(radio_settings(spec, port), clock)
    await hub_port.start()
    stack.push_async_callback(hub_port.stop)
    creds = credentials(clock, seed, HUB, spec)
    cbke = KeyEstablishmentService(hub_port, clock, creds, seed, POLL_PERIOD)
    # Node is typed for the emulated stack; on a dongle bench the hub's is the dongle's.
    return Node(HUB, cast(EmulatedStack, hub_port), cbke), hub_port


async def router_node(
    stack: contextlib.AsyncExitStack,
    spec: BenchNode,
    member: Member,
    han: VirtualHan,
    hub_port: NcpStack,
    seed: int,
    out: Path,
) -> Node:
    """``member`` (the ESME) on a dongle of its own: an ``NcpRouterStack`` that will join the
    network the hub's dongle formed with the install code the hub whitelists; CBKE is the rig's
    Key Establishment service above the dongle, as for the hub."""
    port = await _port(stack, spec, han, member.eui64, out / f"tty{member.label}")
    assert hub_port.app is not None
    info = hub_port.app.state.network_info
    network = NetworkToJoin(int(info.pan_id), Eui64.from_air(bytes(info.extended_pan_id)))
    router = NcpRouterStack(radio_settings(spec, port), hub_port.clock, network=network)
    await router.start()
    stack.push_async_callback(router.stop)
    creds = credentials(hub_port.clock, seed, member, spec)
    cbke = KeyEstablishmentService(router, hub_port.clock, creds, seed, 0.0)
    return Node(member, cast(EmulatedStack, router), cbke)
