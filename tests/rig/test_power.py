"""``rig.power``: the switches a bench describes (command lines, labgrid's NetworkPowerPort
backends, a stand-in's emulated power input) and ``power_cycle`` on the run's clock."""

from __future__ import annotations

import dataclasses
import sys
import threading
import types
from pathlib import Path

import pytest

from emulator.han.clock import VirtualClock
from rig.bench import Bench, BenchNode, Radio, read_bench
from rig.power import (
    OFF_SECONDS,
    CommandSwitch,
    LabgridSwitch,
    PowerError,
    power_cycle,
    power_switch,
)

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"
DUT = (
    "backend: ncp\nnodes:\n  hub:\n    radio: ncp-emulator\n"
    "  ppmid:\n    radio: physical\n    eui64: 00-DB-12-34-56-78-90-A4\n"
    "    install-code: 0123456789ABCDEF0123456789ABCDEF\n    power: {power}\n"
)


def _bench(tmp_path: Path, power: str, switches: str) -> tuple[Bench, BenchNode]:
    path = tmp_path / "bench.yaml"
    path.write_text(DUT.format(power=power) + "power:\n" + switches, encoding="utf-8")
    bench = read_bench(path)
    return bench, bench.nodes["ppmid"]


def _command(tmp_path: Path, on: str, off: str, power: str = "pdu/4") -> CommandSwitch:
    bench, node = _bench(
        tmp_path, power, f"  pdu:\n    driver: command\n    on: {on}\n    off: {off}\n"
    )
    switch = power_switch(bench, node)
    assert isinstance(switch, CommandSwitch)
    return switch


# ---- command ---------------------------------------------------------------------------------


@pytest.mark.real_time
async def test_a_command_switch_runs_its_lines_with_the_outlet(tmp_path: Path) -> None:
    log = tmp_path / "log"
    switch = _command(
        tmp_path,
        f"sh -c 'echo on {{index}} >> {log}'",
        f"sh -c 'echo \"off {{index}}\" >> {log}'",
    )
    assert switch.name == "pdu/4"
    assert switch.on == ("sh", "-c", f"echo on 4 >> {log}")  # shlex-split, no shell around it
    await switch.set(False)
    await switch.set(True)
    assert log.read_text().splitlines() == ["off 4", "on 4"]
    await _command(tmp_path, "true", "true").set(True)


@pytest.mark.real_time
async def test_a_failing_command_names_the_switch_exit_status_and_stderr(tmp_path: Path) -> None:
    switch = _command(tmp_path, "true", "sh -c 'echo outlet {index} is locked >&2; exit 3'")
    with pytest.raises(PowerError) as failed:
        await switch.set(False)
    assert str(failed.value) == ("power switch pdu/4 (off: sh): exit status 3: outlet 4 is locked")
    with pytest.raises(PowerError, match=r"^power switch pdu/4 \(on: false\): exit status 1$"):
        await _command(tmp_path, "false", "true").set(True)
    with pytest.raises(PowerError, match=r"\(on: /nonexistent/pdu\): cannot run it"):
        await _command(tmp_path, "/nonexistent/pdu", "true").set(True)


@pytest.mark.real_time
async def test_a_command_that_hangs_times_out(tmp_path: Path) -> None:
    switch = dataclasses.replace(_command(tmp_path, "sleep 30", "true"), timeout=0.2)
    with pytest.raises(
        PowerError, match=r"^power switch pdu/4 \(on: sleep\): no answer within 0.2 s"
    ):
        await switch.set(True)


def test_a_command_line_that_does_not_split_is_refused(tmp_path: Path) -> None:
    bench, node = _bench(
        tmp_path, "pdu/1", '  pdu:\n    driver: command\n    on: "sh -c \'x"\n    off: x\n'
    )
    with pytest.raises(PowerError, match="power switch pdu: its on command line: No closing"):
        power_switch(bench, node)


@pytest.mark.real_time
async def test_command_errors_name_the_program_not_the_line(tmp_path: Path) -> None:
    # a command line may carry a PDU's password: the error shows only the program
    switch = _command(tmp_path, "sh -c 'exit 2' --password=s3cret", "true")
    with pytest.raises(PowerError) as failed:
        await switch.set(True)
    assert str(failed.value) == "power switch pdu/4 (on: sh): exit status 2"
    assert "s3cret" not in repr(switch)


# ---- emulated ----------------------------------------------------------------------------------


class FakeInput:
    """A stand-in's power input."""

    def __init__(self) -> None:
        self.states: list[bool] = []

    async def power(self, on: bool) -> None:
        self.states.append(on)


async def test_the_emulated_switch_powers_the_stand_in_it_is_given() -> None:
    bench = read_bench(HARDWARE / "ci-stand-in-ppmid.yaml")
    device = FakeInput()
    switch = power_switch(bench, bench.nodes["ppmid"], {"ppmid": device})
    assert switch.name == "ci-power/1"
    await switch.set(False)
    await switch.set(True)
    assert device.states == [False, True]


def test_the_emulated_switch_needs_its_stand_in(tmp_path: Path) -> None:
    bench = read_bench(HARDWARE / "ci-stand-in-ppmid.yaml")
    with pytest.raises(PowerError, match="no emulated device was given for stand-in ppmid"):
        power_switch(bench, bench.nodes["ppmid"], {"esme": FakeInput()})
    with pytest.raises(PowerError, match="no emulated device was given"):
        power_switch(bench, bench.nodes["ppmid"])
    # read_bench refuses an emulated switch on anything but a stand-in; built by hand, so does this
    physical = dataclasses.replace(bench.nodes["ppmid"], radio=Radio("physical"))
    with pytest.raises(
        PowerError, match="powers stand-ins only, and node ppmid has radio physical"
    ):
        power_switch(bench, physical, {"ppmid": FakeInput()})


# ---- power_cycle --------------------------------------------------------------------------------


class Recorder:
    def __init__(self, clock: VirtualClock) -> None:
        self.name = "fake/1"
        self.clock = clock
        self.calls: list[tuple[bool, float]] = []

    async def set(self, on: bool) -> None:
        self.calls.append((on, self.clock.now()))


async def test_power_cycle_is_off_then_on_after_off_seconds_on_the_clock() -> None:
    clock = VirtualClock()
    switch = Recorder(clock)
    await power_cycle(switch, clock)
    assert switch.calls == [(False, 0.0), (True, pytest.approx(OFF_SECONDS))]
    assert OFF_SECONDS == 5.0
    switch.calls.clear()
    start = clock.now()
    await power_cycle(switch, clock, off_seconds=30.0)
    assert [(on, t - start) for on, t in switch.calls] == [(False, 0.0), (True, pytest.approx(30))]


async def test_a_cycle_whose_off_fails_never_switches_on() -> None:
    clock = VirtualClock()
    states: list[bool] = []

    class Broken:
        name = "broken/1"

        async def set(self, on: bool) -> None:
            states.append(on)
            raise PowerError("power switch broken/1 (off): unplugged")

    with pytest.raises(PowerError, match="unplugged"):
        await power_cycle(Broken(), clock)
    assert states == [False] and clock.now() == 0.0


# ---- NetworkPowerPort (labgrid) ----------------------------------------------------------------

NETIO = "  pdu:\n    driver: NetworkPowerPort\n    model: {model}\n    host: {host}\n"


def test_network_power_port_without_labgrid_says_which_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "labgrid", None)  # not importable, installed or not
    bench, node = _bench(tmp_path, "pdu/3", NETIO.format(model="netio", host="pdu-1.lab"))
    with pytest.raises(PowerError) as failed:
        power_switch(bench, node)
    assert str(failed.value) == (
        "power switch pdu is a labgrid NetworkPowerPort, and labgrid is not installed: "
        "pip install -e '.[labgrid]'"
    )


def _fake_labgrid(monkeypatch: pytest.MonkeyPatch, model: str, backend: types.ModuleType) -> None:
    for name in ("labgrid", "labgrid.driver", "labgrid.driver.power"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, f"labgrid.driver.power.{model}", backend)


@pytest.mark.real_time
async def test_network_power_port_calls_labgrids_backend_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[object, ...]] = []
    netio = types.ModuleType("netio")
    netio.PORT = 80  # type: ignore[attr-defined]  # labgrid: the backend names its port

    def power_set(host: str, port: int | None, index: str, value: bool) -> None:
        calls.append((host, port, index, value, threading.current_thread()))

    netio.power_set = power_set  # type: ignore[attr-defined]
    rest = types.ModuleType("simplerest")  # a URL host, no PORT: labgrid passes port None
    rest.power_set = power_set  # type: ignore[attr-defined]
    _fake_labgrid(monkeypatch, "netio", netio)
    _fake_labgrid(monkeypatch, "simplerest", rest)
    bench, node = _bench(tmp_path, "pdu/03", NETIO.format(model="netio", host="pdu-1.lab"))
    switch = power_switch(bench, node)
    assert isinstance(switch, LabgridSwitch) and switch.name == "pdu/03"
    await switch.set(False)
    await switch.set(True)
    url = "http://pdu/relay/{index}/{value}"
    bench, node = _bench(tmp_path, "pdu/1", NETIO.format(model="simplerest", host=url))
    await power_switch(bench, node).set(True)
    assert [c[:4] for c in calls] == [
        ("pdu-1.lab", 80, "3", False),  # labgrid's NetworkPowerPort index: str(int(x))
        ("pdu-1.lab", 80, "3", True),
        (url, None, "1", True),
    ]
    assert all(c[4] is not threading.main_thread() for c in calls)


@pytest.mark.real_time
async def test_network_power_port_failures_are_power_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netio = types.ModuleType("netio")

    def power_set(host: str, port: int | None, index: str, value: bool) -> None:
        raise ConnectionError(f"{host}: connection refused")

    netio.power_set = power_set  # type: ignore[attr-defined]
    _fake_labgrid(monkeypatch, "netio", netio)
    bench, node = _bench(tmp_path, "pdu/3", NETIO.format(model="netio", host="pdu-1.lab"))
    with pytest.raises(PowerError, match=r"^power switch pdu/3 \(on\): pdu-1.lab: connection ref"):
        await power_switch(bench, node).set(True)
    bench, node = _bench(tmp_path, "pdu/3", NETIO.format(model="nosuchpdu", host="pdu-1.lab"))
    with pytest.raises(PowerError, match="labgrid has no power backend for model 'nosuchpdu'"):
        power_switch(bench, node)
    bench, node = _bench(tmp_path, "pdu/3", NETIO.format(model="net-io", host="pdu-1.lab"))
    with pytest.raises(PowerError, match="'net-io' names no labgrid power backend"):
        power_switch(bench, node)


# ---- what a bench cannot switch -----------------------------------------------------------------


def test_an_unknown_driver_names_the_known_ones() -> None:
    node = BenchNode("ppmid", "ppmid", Radio("physical"), 1, power="pdu/1")
    bench = Bench("b", "ncp", frozenset(), power={"pdu": {"driver": "tasmota"}}, nodes={})
    with pytest.raises(PowerError) as failed:
        power_switch(bench, node)
    assert str(failed.value) == (
        "power switch pdu: unknown driver 'tasmota' (known: command, NetworkPowerPort, emulated)"
    )


def test_a_node_without_a_switch() -> None:
    bench = read_bench(HARDWARE / "one-dongle-physical-ppmid.yaml")
    bench.nodes["ppmid"] = dataclasses.replace(bench.nodes["ppmid"], power=None)
    with pytest.raises(PowerError, match="node ppmid has no power switch"):
        power_switch(bench, bench.nodes["ppmid"])
