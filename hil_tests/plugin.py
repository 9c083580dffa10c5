"""The HIL pytest plugin: ``--bench FILE`` picks the bench, fixtures hand tests the premises.

The same test body runs on any bench (pytest-embedded's idea): the bench file names a backend, a
registry (``BACKENDS``) maps backend names to factories that build the premises, and a test only
sees the ``Premises`` they build: the DCC, the supplier, the hub and a node per device role.
Benches declare ``features`` (labgrid's idea); ``@pytest.mark.hil_feature("name", ...)`` skips a
test on a bench that lacks one, ``@pytest.mark.hil_virtual_only`` one that needs the emulators'
insides (counters, device logs, raw WAN bytes).

Only the ``virtual`` backend exists: every node emulated on one ``VirtualHan`` on modelled time,
wired as ``rig.scenarios.whitelist_and_join`` wires it (its relay of the WAN link, its members,
CPL and ACB). A bench file naming a dongle is a usage error until issue 11 brings those benches.

Bench files are read by ``rig.bench.read_bench`` (the reader ``hil-rig run --bench`` uses too), a
line scanner, not a YAML parser; its errors name the file and line (DESIGN.md rule 9) and become
``pytest.UsageError`` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import KeyStore
from emulator.devices.comms_hub import CommsHub
from emulator.han.clock import Clock, VirtualClock
from emulator.han.virtual import VirtualHan
from rig.bench import Bench, BenchError
from rig.bench import read_bench as read_bench_file
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessSMWAN,
    Dcc,
    DccAlert,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceResponse,
    UpdateHANDeviceLog,
    WanLink,
)
from rig.dcc import Supplier as SupplierRole
from rig.scenarios.context import EVENTS_FILE, EventLog, RunContext
from rig.scenarios.han_join import HUB, Member, Node
from rig.scenarios.whitelist_and_join import (
    ACB,
    CPL,
    JOIN_TIME_PERIOD,
    MEMBERS,
    METERS,
    SUPPLIER,
    premises_keys,
    wire_premises,
)

DEFAULT_BENCH = "virtual"
DEFAULT_SEED = 1

ROLES: dict[str, Member] = {m.label.lower(): m for m in MEMBERS}
"""The premises' device roles, as fixtures and ``Premises.nodes`` name them: hub, esme, gsme."""
METER_ROLES = tuple(m.label.lower() for m in METERS)

VIRTUAL_FEATURES = frozenset({"modelled-time", "emulated-hub", "wan-injection", "han-2g4"})
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


class Supplier(SupplierRole):
    """The premises' Import Supplier: ``rig.dcc.Supplier`` (DUIS SRVs with rising request
    counters, Pre-Command signing, the DCC's messages kept) plus this premises' set-up steps."""

    def __init__(
        self,
        dcc: Dcc,
        keystore: KeyStore,
        clock: Clock,
        eui64: Eui64 = SUPPLIER,
        counter: int = 1000,
    ) -> None:
        super().__init__(dcc, keystore, eui64, clock=clock, counter=counter)

    async def prenotify(self, member: Member) -> ResponseCode:
        """SRV 12.2 for ``member``, with its CPL identity."""
        body = CPL[member.eui64].prenotification(member.eui64)
        srv = ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION
        return (await self.submit(ACB, srv, body)).response_code

    async def hub_installed(self) -> ResponseCode:
        """SRV 8.14.1: the hub is installed with SM WAN."""
        srv = ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS
        return (await self.submit(ACB, srv, CHFInstallSuccessSMWAN(HUB.eui64))).response_code

    async def set_up(self) -> None:
        """12.2 for the hub and each meter, then 8.14.1: every answer I0."""
        for member in MEMBERS:
            code = await self.prenotify(member)
            assert code is ResponseCode.I0, f"12.2 {member.label}: {code.value}"
        code = await self.hub_installed()
        assert code is ResponseCode.I0, f"8.14.1: {code.value}"

    async def update_device_log(
        self, member: Member, install_code: bytes | None, period: int = JOIN_TIME_PERIOD
    ) -> tuple[ServiceResponse, ServiceResponse | DccAlert | None]:
        """SRV 8.11 Add (with ``install_code``) or Remove (``None``) for ``member`` on the hub:
        the immediate response and, when the command went out (I99), the DCC's later answer."""
        add = None if install_code is None else AddDeviceToCHFWhitelist(period, install_code)
        kind = RequestType.REMOVE if add is None else RequestType.ADD
        body = UpdateHANDeviceLog(member.eui64, kind, add)
        sent = await self.submit(HUB.eui64, ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG, body)
        if sent.response_code is not ResponseCode.I99:
            return sent, None
        return sent, await self.response_to(sent.request_id)

    async def whitelist(self, member: Member, install_code: bytes) -> ResponseCode:
        """SRV 8.11 Add; the device's response code (I0 when the hub logged it)."""
        sent, answer = await self.update_device_log(member, install_code)
        assert sent.response_code is ResponseCode.I99, f"8.11 not sent: {sent.response_code}"
        assert isinstance(answer, ServiceResponse), f"unexpected {answer!r}"
        return answer.response_code

    async def remove(self, member: Member) -> ResponseCode:
        """SRV 8.11 Remove; the device's response code."""
        sent, answer = await self.update_device_log(member, None)
        assert sent.response_code is ResponseCode.I99, f"8.11 not sent: {sent.response_code}"
        assert isinstance(answer, ServiceResponse), f"unexpected {answer!r}"
        return answer.response_code


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
    """By role: ``hub``, ``esme``, ``gsme``."""
    install_codes: dict[str, bytes] = field(repr=False)
    """Each meter's install code (16 bytes, as GBCS carries them), by role."""

    def member(self, role: str) -> Member:
        return ROLES[role]

    def wan_messages(self) -> list[bytes]:
        """Every GBCS message that crossed the WAN link so far, in order (the relay's capture)."""
        return [bytes.fromhex(m.path.read_text()) for m in self.run.gbcs_messages]


PremisesFactory = Callable[[Bench, Path, int], AbstractAsyncContextManager[Premises]]


@contextlib.asynccontextmanager
async def virtual_premises(bench: Bench, out: Path, seed: int) -> AsyncIterator[Premises]:
    """Everything emulated, on the running virtual-time loop, as ``whitelist-and-join`` wires it."""
    clock = VirtualClock()
    async with contextlib.AsyncExitStack() as stack:
        events = stack.enter_context(EventLog(out / EVENTS_FILE, clock))
        run = RunContext(out, seed, clock, events)
        run.acb_eui = ACB
        rng = random.Random(f"hil/install-codes/{seed}")
        codes = {m.label.lower(): rng.randbytes(16) for m in METERS}
        keys = premises_keys(f"hil/{seed}")
        wired = await stack.enter_async_context(wire_premises(run, keys))
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
        )


async def _serve_dcc(dcc: Dcc, ready: asyncio.Event) -> None:
    async with dcc:
        ready.set()
        await asyncio.Event().wait()  # until cancelled at teardown


BACKENDS: dict[str, PremisesFactory] = {"virtual": virtual_premises}
"""Backend name (a bench file's ``backend``) -> premises factory. Dongle benches: issue 11."""


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
async def premises(
    bench: Bench, tmp_path: Path, pytestconfig: pytest.Config
) -> AsyncIterator[Premises]:
    """A fresh premises from the bench's backend: hub on its WAN link, meters not yet known to
    the DCC (no SRV sent); its artefacts go to the test's ``tmp_path``."""
    seed = int(pytestconfig.getoption("--hil-seed", DEFAULT_SEED))
    async with BACKENDS[bench.backend](bench, tmp_path, seed) as built:
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
