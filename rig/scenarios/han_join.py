"""Scenario ``han-join``: a premises HAN forms, its meters join and secure their links with CBKE.

A Communications Hub (coordinator and Trust Centre), an ESME (router) and a GSME (sleepy end
device) on the virtual 2.4 GHz HAN. Each meter joins with its install code (GBCS 13.3.2: the hub
admits it for a join window with the install-code link key), then runs CBKE with the hub as
initiator (ZSE 1.4 C.3, certificates from a test ZSE CA), and the hub reads the Basic cluster's
ZCLVersion from each under the new CBKE link key. Install codes, CA and certificates derive from
the seed (test-only).

Limits: ZigBee leaves join time to the stack; 10 modelled seconds for a join and 60 for CBKE are
generous bounds for one hop on an idle channel (a sleepy GSME adds its 7.5 s poll period to each
reply it waits for) [I]. A replayed or undecryptable frame in a clean run is a bug: limit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke.suites import KeyEstablishmentSuite
from emulator.codec.zcl import frame as zcl
from emulator.han.clock import Clock
from emulator.han.key_establishment import (
    KEY_ESTABLISHMENT_CLUSTER,
    KeyEstablishmentFailed,
    KeyEstablishmentService,
)
from emulator.han.port import (
    ApsMessage,
    DeliveryError,
    DropReason,
    FrameDropped,
    Joined,
    JoinRefused,
    KeyEstablished,
    Left,
)
from emulator.han.radio import Band
from emulator.han.stack.node import EmulatedStack, JoinError, Role
from emulator.han.virtual import VirtualHan
from emulator.pki.zse import ZseTestCa

from .context import ChartKind, RunContext
from .framework import Measurement, StepSpec, scenario

BASIC = 0x0000
ZCL_VERSION = 0x0000
DEVICE_ZCL_VERSION = 8  # what our emulated meters report in Basic/ZCLVersion
POLL_PERIOD = 7.5  # the GSME's regular poll, seconds
READ_TIMEOUT = 30.0  # modelled seconds for a reply: a sleepy meter answers after its next poll
STEP_TIMEOUT = 600.0  # modelled seconds any one step may take before it is an error
KEY_KINDS = {"tc-link-key": "TC link key", "cbke": "CBKE link key"}


@dataclass(frozen=True)
class Member:
    """A device of the premises: its label on the chart, EUI-64 and stack role."""

    label: str
    eui64: Eui64
    role: Role


HUB = Member("hub", Eui64("00-DB-12-34-56-78-90-A2"), Role.COORDINATOR)
ESME = Member("ESME", Eui64("00-DB-12-34-56-78-90-A0"), Role.ROUTER)
GSME = Member("GSME", Eui64("00-DB-12-34-56-78-90-A1"), Role.END_DEVICE)
METERS = (ESME, GSME)


def _join_step(m: Member) -> StepSpec:
    return StepSpec(
        f"{m.label} joins with its install code",
        (Measurement("join_seconds", "s", low=0.0, high=10.0),),
        STEP_TIMEOUT,
    )


def _cbke_step(m: Member) -> StepSpec:
    return StepSpec(
        f"{m.label} establishes a link key with the hub by CBKE",
        (Measurement("cbke_seconds", "s", low=0.0, high=60.0),),
        STEP_TIMEOUT,
    )


def _read_step(m: Member) -> StepSpec:
    return StepSpec(
        f"hub reads {m.label} Basic/ZCLVersion",
        (
            Measurement("read_seconds", "s", low=0.0, high=READ_TIMEOUT),
            Measurement("zcl_version", "", low=DEVICE_ZCL_VERSION, high=DEVICE_ZCL_VERSION),
        ),
        STEP_TIMEOUT,
    )


FORM = StepSpec("hub forms the HAN", (), STEP_TIMEOUT)
JOIN = {m.eui64: _join_step(m) for m in METERS}
CBKE = {m.eui64: _cbke_step(m) for m in METERS}
READ = {m.eui64: _read_step(m) for m in METERS}
HEALTH = StepSpec(
    "HAN health",
    (
        Measurement("frames_on_air", "frames", low=1),
        Measurement("dropped_replays", "frames", low=0, high=0),
        Measurement("mic_failures", "frames", low=0, high=0),
    ),
)


class Node:
    """A device of the run: its stack, its CBKE service and a minimal application.

    The application hands Key Establishment frames to CBKE, answers Basic reads (meters), hands
    the clusters a device emulator registers in ``applications`` to it (the tunnels) and queues
    everything else for the scenario (the hub's read replies).
    """

    def __init__(self, member: Member, stack: EmulatedStack, cbke: KeyEstablishmentService) -> None:
        self.member = member
        self.stack = stack
        self.cbke = cbke
        self.applications: dict[int, Callable[[ApsMessage], Awaitable[None]]] = {}
        self.inbox: asyncio.Queue[ApsMessage] = asyncio.Queue()
        self.taps: list[Callable[[ApsMessage], None]] = []
        """Observers of every message the node receives (a device under test's evidence)."""

    async def serve(self) -> None:
        async for msg in self.stack.messages():
            for tap in self.taps:
                tap(msg)
            application = self.applications.get(msg.cluster)
            if application is not None:
                await application(msg)
            elif msg.cluster == KEY_ESTABLISHMENT_CLUSTER:
                self.cbke.handle(msg)
            elif msg.cluster == BASIC and self.member.role is not Role.COORDINATOR:
                await self._answer_basic(msg)
            else:
                self.inbox.put_nowait(msg)

    async def _answer_basic(self, msg: ApsMessage) -> None:
        request = zcl.decode_zcl(msg.payload)
        reply = zcl.read_attributes_response(
            BASIC, {ZCL_VERSION: DEVICE_ZCL_VERSION}, tsn=request.tsn
        )
        with contextlib.suppress(DeliveryError):  # a lost answer is the asker's to report
            await self.stack.send(
                msg.source, cluster=BASIC, payload=reply.encode(), dst_endpoint=msg.src_endpoint
            )


def _label_in(members: Sequence[Member], eui: Eui64 | int | None) -> str:
    for m in members:
        if eui == m.eui64:
            return m.label
    return "?" if eui is None else str(eui) if isinstance(eui, Eui64) else f"0x{eui:04X}"


async def watch(run: RunContext, node: Node, members: Sequence[Member] = (HUB, *METERS)) -> None:
    """HAN events of one node to events.jsonl; joins, keys and drops also to the chart."""

    def _label(eui: Eui64 | int | None) -> str:
        return _label_in(members, eui)

    me = node.member.label
    coordinator = node.member.role is Role.COORDINATOR
    async for event in node.stack.events():
        match event:
            case Joined(eui, short, parent) if not coordinator and eui == node.member.eui64:
                run.chart(
                    ChartKind.HAN, me, _label(parent), f"joined as 0x{short:04X}",
                    node=me, event="joined", eui64=str(eui),
                )  # fmt: skip
            case Joined(eui, short, _):
                run.log("han", node=me, event="joined", eui64=str(eui), short=short)
            case KeyEstablished(partner, kind) if not coordinator:
                run.chart(
                    ChartKind.HAN, me, _label(partner), f"{KEY_KINDS.get(kind, kind)} established",
                    node=me, event="key established", partner=str(partner), key_kind=kind,
                )  # fmt: skip
            case KeyEstablished(partner, kind):
                run.log("han", node=me, event="key", partner=str(partner), key_kind=kind)
            case FrameDropped(reason, source, detail):
                run.chart(
                    ChartKind.HAN, me, me, f"dropped from {_label(source)}: {reason.value}",
                    node=me, event="frame dropped", reason=reason.name, detail=detail,
                )  # fmt: skip
            case JoinRefused(eui, reason):
                run.chart(
                    ChartKind.HAN, me, me, f"join refused: {reason}",
                    node=me, event="join refused", eui64=str(eui),
                )  # fmt: skip
            case Left(eui, rejoin):
                run.log("han", node=me, event="left", eui64=str(eui), rejoin=rejoin)


def _install_codes(seed: int) -> dict[Eui64, bytes]:
    rng = random.Random(f"han-join/install-codes/{seed}")
    return {m.eui64: rng.randbytes(16) for m in METERS}


def make_nodes(
    han: VirtualHan,
    clock: Clock,
    seed: int,
    members: Sequence[Member] = (HUB, *METERS),
    bands: Mapping[Eui64, Band] | None = None,
    hub_bands: Sequence[Band] | None = None,
) -> dict[Eui64, Node]:
    """Stacks with CBKE credentials from one test ZSE CA (suite 2: the GB one); each device on
    its band in ``bands`` (2.4 GHz if not named), the hub on ``hub_bands`` (2.4 GHz only)."""
    ca = ZseTestCa.generate(
        KeyEstablishmentSuite.CRYPTO_SUITE_2, rng=random.Random(f"han-join/ca/{seed}").randbytes
    )
    nodes = {}
    for m in members:
        if m.role is Role.COORDINATOR:
            stack = han.coordinator(m.eui64, bands=hub_bands or (Band.GHZ_2_4,))
        else:
            band = (bands or {}).get(m.eui64, Band.GHZ_2_4)
            stack = han.node(m.eui64, m.role, band=band, poll_period=POLL_PERIOD)
        creds = ca.issue(m.eui64, rng=random.Random(f"han-join/{m.eui64.hex}/{seed}").randbytes)
        # Anyone talking to or as the sleepy GSME waits a poll period more for each answer.
        extra = POLL_PERIOD if m.role is not Role.ROUTER else 0.0
        nodes[m.eui64] = Node(m, stack, KeyEstablishmentService(stack, clock, [creds], seed, extra))
    return nodes


async def _read_zcl_version(run: RunContext, hub: Node, meter: Member, tsn: int) -> int | None:
    run.chart(ChartKind.HAN, HUB.label, meter.label, "ZCL Read Attributes Basic/ZCLVersion")
    request = zcl.read_attributes([ZCL_VERSION], tsn=tsn).encode()
    try:
        await hub.stack.send(meter.eui64, cluster=BASIC, payload=request)
        async with run.clock.timeout(READ_TIMEOUT):
            while True:
                reply = await hub.inbox.get()
                frame = zcl.decode_zcl(reply.payload)
                if reply.source == meter.eui64 and reply.cluster == BASIC and frame.tsn == tsn:
                    break
    except DeliveryError as exc:
        raise AssertionError(f"{meter.label} never acknowledged the read: {exc}") from exc
    except TimeoutError:
        return None  # no answer: zcl_version stays unset and the step fails on it
    assert reply.aps_secured, f"{meter.label} answered without APS security"
    run.chart(ChartKind.HAN, meter.label, HUB.label, "ZCL Read Attributes Response")
    value = zcl.read_attributes_result(frame).get(ZCL_VERSION)
    return value if isinstance(value, int) else None


@scenario(
    "han-join",
    "A hub forms the HAN; an ESME and a sleepy GSME join by install code, run CBKE with the hub, "
    "and answer the hub's read under the CBKE link key.",
    steps=(FORM, *JOIN.values(), *CBKE.values(), *READ.values(), HEALTH),
)
async def han_join(run: RunContext) -> None:
    clock = run.clock
    han = VirtualHan(clock, seed=run.seed, capture_dir=run.out)
    run.cleanup.push_async_callback(han.stop)
    run.reveal_han_keys(han.key_ring)
    tasks: list[asyncio.Task[None]] = []

    async def cancel_tasks() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    run.cleanup.push_async_callback(cancel_tasks)
    codes = _install_codes(run.seed)

    async with run.step(FORM):
        nodes = make_nodes(han, clock, run.seed)
        await han.start()
        loop = asyncio.get_running_loop()
        for node in nodes.values():
            tasks += [loop.create_task(node.serve()), loop.create_task(watch(run, node))]
        await clock.sleep(0)  # let the watchers subscribe before anything happens
        hub = nodes[HUB.eui64]
        assert hub.stack.network_key is not None, "the hub formed no network"
        run.chart(ChartKind.HAN, HUB.label, HUB.label, "network formed")

    for m in METERS:
        async with run.step(JOIN[m.eui64]) as scope:
            run.chart(ChartKind.HAN, HUB.label, HUB.label, f"permit joining {m.label}")
            started = clock.now()
            try:
                await han.admit_and_join(nodes[m.eui64].stack, codes[m.eui64])
            except JoinError as exc:  # the device under test did not join: a failure
                raise AssertionError(f"{m.label} did not join: {exc}") from exc
            scope.measure("join_seconds", clock.now() - started)
            assert nodes[m.eui64].stack.joined, f"{m.label} is not on the network"

    for m in METERS:
        async with run.step(CBKE[m.eui64]) as scope:
            meter = nodes[m.eui64]
            run.chart(ChartKind.HAN, m.label, HUB.label, "CBKE Initiate Key Establishment")
            started = clock.now()
            try:
                key = await meter.cbke.establish(HUB.eui64)
            except KeyEstablishmentFailed as exc:
                raise AssertionError(str(exc)) from exc
            scope.measure("cbke_seconds", clock.now() - started)
            assert meter.stack.link_key(HUB.eui64) == key, f"{m.label} did not install the key"
            await clock.sleep(1.0)  # the hub, as responder, installs once the last frame lands
            assert hub.stack.link_key(m.eui64) == key, f"the hub holds another key for {m.label}"

    for tsn, m in enumerate(METERS, start=1):
        async with run.step(READ[m.eui64]) as scope:
            started = clock.now()
            value = await _read_zcl_version(run, hub, m, tsn)
            scope.measure("read_seconds", clock.now() - started)
            if value is not None:
                scope.measure("zcl_version", value)

    async with run.step(HEALTH) as scope:
        scope.measure("frames_on_air", han.medium.frames)
        scope.measure("dropped_replays", sum(n.drops[DropReason.REPLAY] for n in han.nodes))
        scope.measure("mic_failures", sum(n.drops[DropReason.WRONG_KEY] for n in han.nodes))
