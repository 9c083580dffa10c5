"""The HIL pytest plugin: ``--bench FILE`` picks the bench, fixtures hand tests the premises.

The same test body runs on any bench (pytest-embedded's idea): the bench file names a backend, a
registry (``BACKENDS``) maps backend names to factories that build the premises, and a test only
sees the ``Premises`` they build: the DCC, the supplier, the hub and a node per device role.
Benches declare ``features`` (labgrid's idea); ``@pytest.mark.hil_feature("name", ...)`` skips a
test on a bench that lacks one, ``@pytest.mark.hil_virtual_only`` one that needs the emulators'
insides (counters, device logs, raw WAN bytes).

Two backends: ``virtual`` (every node emulated on one ``VirtualHan`` on modelled time, wired as
``rig.scenarios.premises`` wires it for the scenarios) and ``ncp`` (``ncp_backend.py``: the hub on
``NcpStack`` through an EZSP dongle — real or emulated —, an ESME on a second dongle as a router
when the bench says so, the other devices emulated or physical; real time).

Bench files are read by ``rig.bench.read_bench`` (the reader ``hil-rig run --bench`` and
``hil-rig bench check`` use too); its errors name the file and line (DESIGN.md rule 9) and become
``pytest.UsageError`` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.devices.ch_profile import CommsHubProfile, DeviceRadio
from emulator.devices.comms_hub import CommsHub
from emulator.han.clock import Clock, VirtualClock
from emulator.han.virtual import VirtualHan
from rig.bench import Bench, BenchError
from rig.bench import read_bench as read_bench_file
from rig.dcc import (
    Dcc,
    WanLink,
)
from rig.scenarios.context import EVENTS_FILE, EventLog, RunContext
from rig.scenarios.han_join import HUB, Member, Node
from rig.scenarios.premises import (
    ACB,
    MEMBERS,
    METERS,
    Supplier,
    Wired,
    premises_keys,
    wire_premises,
)

DEFAULT_BENCH = "virtual"
DEFAULT_SEED = 1

ROLES: dict[str, Member] = {m.label.lower(): m for m in MEMBERS}
"""The premises' device roles, as fixtures and ``Premises.nodes`` name them: hub, esme, gsme,
ppmid."""
HAN_DEVICES = tuple(m for m in MEMBERS if m is not HUB)
METER_ROLES = tuple(m.label.lower() for m in METERS)

VIRTUAL_FEATURES = frozenset(
    {"modelled-time", "emulated-hub", "emulated-devices", "wan-injection", "han-2g4"}
)
"""What the virtual bench can do; ``hardware/virtual.yaml`` lists the same (checked by a test)."""


# ---- bench files --------------------------------------------------------------------------------


VIRTUAL_BENCH = Bench(DEFAULT_BENCH, "virtual", VIRTUAL_FEATURES)


def read_bench(path: Path) -> Bench:
    """Read a bench file (``rig.bench.read_bench`` against ``BACKENDS``); ``pytest.UsageError``
    (naming the line) for what this rig cannot run."""
    try:
        return read_bench_file(path, BACKENDS)
    except BenchError as exc:
        raise pytest.UsageError(str(exc)) from None


# ---- the premises -------------------------------------------------------------------------------


@dataclass
class Premises:
    """One premises on a bench, as a test sees it."""

    bench: Bench
    run: RunContext
    """Where the run's artefacts go (``events.jsonl``, ``gbcs/``, the pcap)."""
    clock: Clock
    dcc: Dcc
    supplier: Supplier
    hub: CommsHub
    han: VirtualHan
    link: WanLink
    nodes: dict[str, Node]
    """By role: ``hub``, ``esme``, ``gsme``, ``ppmid``."""
    install_codes: dict[str, bytes] = field(repr=False)
    """Each HAN device's install code (16 bytes, as GBCS carries them), by role."""
    devices: Wired | None = None
    """The device emulators (virtual benches only: a physical device has no insides to show)."""

    def member(self, role: str) -> Member:
        return ROLES[role]

    def wan_messages(self) -> list[bytes]:
        """Every GBCS message that crossed the WAN link so far, in order (the relay's capture)."""
        return [bytes.fromhex(m.path.read_text()) for m in self.run.gbcs_messages]


PremisesFactory = Callable[[Bench, Path, int], AbstractAsyncContextManager[Premises]]


@dataclass(frozen=True)
class PremisesLayout:
    """The premises a test asks a virtual bench to build (a hardware bench's premises are what
    stands on the bench): the hub's profile (``None``: 2.4 GHz only, the flagship's), each
    device's radio (2.4 GHz when not named) and the modelled date the clock starts at (``None``:
    the clock's default). A test module overrides the ``premises_layout`` fixture, or
    parametrizes it, to get another."""

    hub_profile: CommsHubProfile | None = None
    radios: Mapping[Eui64, DeviceRadio] = field(default_factory=dict)
    epoch: datetime | None = None


DEFAULT_LAYOUT = PremisesLayout()


@contextlib.asynccontextmanager
async def virtual_premises(
    bench: Bench, out: Path, seed: int, layout: PremisesLayout = DEFAULT_LAYOUT
) -> AsyncIterator[Premises]:
    """Everything emulated, on the running virtual-time loop (``rig.scenarios.premises``)."""
    clock = VirtualClock() if layout.epoch is None else VirtualClock(layout.epoch)
    async with contextlib.AsyncExitStack() as stack:
        events = stack.enter_context(EventLog(out / EVENTS_FILE, clock))
        run = RunContext(out, seed, clock, events)
        run.acb_eui = ACB
        rng = random.Random(f"hil/install-codes/{seed}")
        codes = {m.label.lower(): rng.randbytes(16) for m in HAN_DEVICES}
        keys = premises_keys(f"hil/{seed}")
        wired = await stack.enter_async_context(
            wire_premises(run, keys, hub_profile=layout.hub_profile, radios=layout.radios)
        )
        # The DCC's task group lives in a task of its own: fixture setup and teardown may run in
        # different tasks, and a task group must be left by the task that entered it.
        dcc_ready = asyncio.Event()
        serving = asyncio.get_running_loop().create_task(_serve_dcc(wired.dcc, dcc_ready))

        async def stop_serving() -> None:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)

        stack.push_async_callback(stop_serving)
        await dcc_ready.wait()
        yield Premises(
            bench,
            run,
            clock,
            wired.dcc,
            Supplier(wired.dcc, keys.supplier, clock),
            wired.hub,
            wired.han,
            wired.link,
            {m.label.lower(): wired.nodes[m.eui64] for m in MEMBERS},
            codes,
            wired,
        )


async def _serve_dcc(dcc: Dcc, ready: asyncio.Event) -> None:
    async with dcc:
        ready.set()
        await asyncio.Event().wait()  # until cancelled at teardown


@contextlib.asynccontextmanager
async def ncp_premises(bench: Bench, out: Path, seed: int) -> AsyncIterator[Premises]:
    """The hub on ``NcpStack`` through the bench's dongle (``hil_tests.ncp_backend``), the
    other devices emulated where the bench says so, on real time."""
    from .ncp_backend import ncp_premises as build

    async with build(bench, out, seed) as (run, wired, supplier, codes):
        dcc_ready = asyncio.Event()
        serving = asyncio.get_running_loop().create_task(_serve_dcc(wired.dcc, dcc_ready))
        try:
            await dcc_ready.wait()
            nodes = {m.label.lower(): n for m in MEMBERS if (n := wired.nodes.get(m.eui64))}
            yield Premises(
                bench, run, run.clock, wired.dcc, supplier, wired.hub, wired.han, wired.link,
                nodes, codes, wired,
            )  # fmt: skip
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)


BACKENDS: dict[str, PremisesFactory] = {"virtual": virtual_premises, "ncp": ncp_premises}
"""Backend name (a bench file's ``backend``) -> premises factory."""


# ---- pytest hooks -------------------------------------------------------------------------------

_BENCH = pytest.StashKey[Bench]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "hardware-in-the-loop benches")
    group.addoption(
        "--bench",
        default=DEFAULT_BENCH,
        metavar="FILE",
        help="bench file (hardware/<bench>.yaml); default: the virtual bench",
    )
    group.addoption(
        "--hil-seed",
        type=int,
        default=DEFAULT_SEED,
        help="seed for install codes, keys and the radio model (default: %(default)s)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hil_virtual_only: needs the emulators' insides; skipped on a hardware bench"
    )
    config.addinivalue_line(
        "markers", "hil_feature(*names): skipped unless the bench declares every named feature"
    )
    option = str(config.getoption("--bench", DEFAULT_BENCH))
    bench = VIRTUAL_BENCH if option == DEFAULT_BENCH else read_bench(Path(option))
    config.stash[_BENCH] = bench


@pytest.hookimpl(tryfirst=True)
def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]] | None:
    """On a real-clock bench every test runs on a real event loop: a dongle's host (bellows)
    times out on the wall clock. Otherwise the root conftest decides (virtual time)."""
    bench = config.stash.get(_BENCH, VIRTUAL_BENCH)
    return {"real": asyncio.new_event_loop} if bench.clock == "real" else None


def pytest_report_header(config: pytest.Config) -> str:
    bench = config.stash.get(_BENCH, VIRTUAL_BENCH)
    features = ", ".join(sorted(bench.features)) or "none"
    return f"bench: {bench.name} (backend {bench.backend}; features {features})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    bench = config.stash.get(_BENCH, VIRTUAL_BENCH)
    for item in items:
        if item.get_closest_marker("hil_virtual_only") and bench.backend != "virtual":
            item.add_marker(pytest.mark.skip(reason=f"virtual bench only; bench is {bench.name}"))
        for mark in item.iter_markers("hil_feature"):
            missing = sorted(set(mark.args) - bench.features)
            if missing:
                reason = f"bench {bench.name} lacks feature(s): {', '.join(missing)}"
                item.add_marker(pytest.mark.skip(reason=reason))


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bench(pytestconfig: pytest.Config) -> Bench:
    """The bench this session runs on (``--bench``)."""
    return pytestconfig.stash.get(_BENCH, VIRTUAL_BENCH)


@pytest.fixture
def premises_layout() -> PremisesLayout:
    """The premises layout tests get (``PremisesLayout``); override it for another."""
    return DEFAULT_LAYOUT


@pytest.fixture
async def premises(
    bench: Bench, tmp_path: Path, pytestconfig: pytest.Config, premises_layout: PremisesLayout
) -> AsyncIterator[Premises]:
    """A fresh premises from the bench's backend: hub on its WAN link, meters not yet known to
    the DCC (no SRV sent); its artefacts go to the test's ``tmp_path``. A layout other than the
    default is built by the virtual backend only (skipped on another bench)."""
    seed = int(pytestconfig.getoption("--hil-seed", DEFAULT_SEED))
    if premises_layout == DEFAULT_LAYOUT:
        factory = BACKENDS[bench.backend](bench, tmp_path, seed)
    elif bench.backend == "virtual":
        factory = virtual_premises(bench, tmp_path, seed, premises_layout)
    else:
        pytest.skip(f"bench {bench.name} cannot build {premises_layout}")
    async with factory as built:
        yield built


@pytest.fixture
def dcc(premises: Premises) -> Dcc:
    return premises.dcc


@pytest.fixture
def supplier(premises: Premises) -> Supplier:
    return premises.supplier


@pytest.fixture
def hub(premises: Premises) -> CommsHub:
    return premises.hub


@pytest.fixture
def esme(premises: Premises) -> Node:
    return premises.nodes["esme"]


@pytest.fixture
def gsme(premises: Premises) -> Node:
    return premises.nodes["gsme"]


@pytest.fixture
def ppmid(premises: Premises) -> Node:
    return premises.nodes["ppmid"]
