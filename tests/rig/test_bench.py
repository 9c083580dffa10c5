"""``rig.bench``: the one reader of bench files, raising ``BenchError`` (a ``ValueError``) that
names the file and line; and ``hil-rig bench check``."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.codec.eui64 import Eui64
from rig.bench import KNOWN_BACKENDS, BenchError, read_bench
from rig.cli import main

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"
ROOT = HARDWARE.parent


def test_bench_error_is_a_value_error() -> None:
    assert issubclass(BenchError, ValueError)


def test_the_virtual_bench_file() -> None:
    bench = read_bench(HARDWARE / "virtual.yaml")
    assert (bench.name, bench.backend, bench.clock) == ("virtual", "virtual", "virtual")
    assert set(KNOWN_BACKENDS) == {"virtual", "ncp"}
    assert set(bench.radios.values()) == {"virtual"}
    assert "modelled-time" in bench.features


def test_the_example_benches_are_valid() -> None:
    names = {p.name for p in HARDWARE.glob("*.yaml")}
    assert {
        "virtual.yaml",
        "one-dongle-physical-ppmid.yaml",
        "two-dongles.yaml",
        "ci-ncp-emulator.yaml",
        "ci-two-ncp-emulators.yaml",
        "ci-stand-in-ppmid.yaml",
    } <= names
    ci = read_bench(HARDWARE / "ci-ncp-emulator.yaml")
    assert (ci.backend, ci.clock, ci.nodes["hub"].radio.kind) == ("ncp", "real", "ncp-emulator")
    two_ci = read_bench(HARDWARE / "ci-two-ncp-emulators.yaml")
    assert [n.name for n in two_ci.dongles()] == ["hub", "esme"]
    assert two_ci.nodes["esme"].radio.kind == "ncp-emulator"
    one = read_bench(HARDWARE / "one-dongle-physical-ppmid.yaml")
    hub, ppmid = one.nodes["hub"], one.nodes["ppmid"]
    assert hub.radio.kind == "ezsp" and hub.radio.port.startswith("/dev/serial/by-id/")
    assert (hub.radio.channel, hub.radio.tx_power, hub.radio.flow_control) == (15, 3, "software")
    assert ppmid.under_test and ppmid.eui64 == Eui64("00-DB-12-34-56-78-90-A4")
    assert ppmid.install_code is not None and len(ppmid.install_code) == 16
    assert ppmid.cpl is not None and ppmid.cpl.smets_chts_version == "SMETS2 V4.1"
    assert ppmid.bands == ("2.4GHz",) and ppmid.power == "switch-1/3"
    two = read_bench(HARDWARE / "two-dongles.yaml")
    assert two.nodes["esme"].radio.port == "rfc2217://lab-exporter-1:4001"
    assert two.nodes["hub"].radio.flow_control == "hardware"
    assert [n.name for n in two.dongles()] == ["hub", "esme"]


def test_the_ci_stand_in_bench() -> None:
    bench = read_bench(HARDWARE / "ci-stand-in-ppmid.yaml")
    assert (bench.name, bench.backend, bench.clock) == ("ci-stand-in-ppmid", "ncp", "real")
    assert {"han-2g4", "emulated-hub", "wan-injection", "power-switch"} == bench.features
    hub, esme, ppmid = bench.nodes["hub"], bench.nodes["esme"], bench.nodes["ppmid"]
    assert (hub.radio.kind, esme.radio.kind) == ("ncp-emulator", "ncp-emulator")
    assert ppmid.under_test and ppmid.stand_in and not ppmid.radio.is_dongle
    assert not hub.under_test and not hub.stand_in
    assert ppmid.eui64 == Eui64("00-DB-12-34-56-78-90-A4")
    assert ppmid.install_code == bytes.fromhex("0123456789ABCDEF0123456789ABCDEF")
    assert ppmid.smets_version == "SMETS2 V4.1"
    assert ppmid.cpl is not None
    assert (ppmid.cpl.manufacturer, ppmid.cpl.model, ppmid.cpl.firmware_version) == (
        "AB03",
        "DUALPP1",
        "0004012F",
    )
    assert (ppmid.power, ppmid.power_switch, ppmid.power_index) == ("ci-power/1", "ci-power", "1")
    assert bench.power == {"ci-power": {"driver": "emulated"}}
    assert [n.name for n in bench.dongles()] == ["hub", "esme"]
    physical = read_bench(HARDWARE / "one-dongle-physical-ppmid.yaml").nodes["ppmid"]
    assert physical.under_test and not physical.stand_in


def test_comments_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("# radio: ezsp:/dev/ttyUSB0\nbackend: virtual  # /dev/null\n", encoding="utf-8")
    assert read_bench(path).backend == "virtual"


BASE = "backend: ncp\nclock: real\nnodes:\n  hub:\n    role: comms-hub\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (BASE + "    radio: ezsp:ttyUSB0\n", 6, "absolute device path"),
        (BASE + "    radio: rfc2217://host\n", 6, "rfc2217://host:port"),
        (BASE + "    radio: zigate:/dev/x\n", 6, "a radio is virtual"),
        (BASE + "    radio: ncp-emulator\n    channel: 27\n", 7, "channel 27 is outside 11..26"),
        (BASE + "    radio: ncp-emulator\n    tx-power: x\n", 7, "whole number"),
        (BASE + "    radio: ncp-emulator\n    flow-control: rts\n", 7, "flow-control 'rts'"),
        (BASE + "    radio: ncp-emulator\n    colour: red\n", 7, "unknown key 'colour'"),
        (BASE.replace("comms-hub", "meter") + "    radio: virtual\n", 5, "unknown role 'meter'"),
        (
            BASE + "    radio: ncp-emulator\n  ppmid:\n    role: ppmid\n    radio: physical\n",
            8,
            "give its eui64 and install-code",
        ),
        (
            BASE + "    radio: ncp-emulator\n  ppmid:\n    role: ppmid\n    radio: physical\n"
            "    eui64: 00-11\n    install-code: 00\n",
            10,
            "eui64",
        ),
        (
            BASE + "    radio: ncp-emulator\n    power: pdu/1\n",
            7,
            "names no switch",
        ),
        (
            "backend: ncp\nclock: virtual\nnodes:\n  hub:\n    role: comms-hub\n"
            "    radio: ncp-emulator\n",
            2,
            "real clock",
        ),
        (
            "backend: virtual\nnodes:\n  hub:\n    role: comms-hub\n    radio: rfc2217://x:1\n",
            5,
            "the virtual backend emulates every node",
        ),
        ("backend: virtual\nfeatures: {a: 1}\n", 2, "flow mappings"),
        ("backend: virtual\n  name: x\n", 2, "unexpected indentation"),
        ("backend: dongle\n", 1, "unknown backend 'dongle'"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(BenchError, match=re.escape(f"{path}:{line}: ") + ".*" + re.escape(message)):
        read_bench(path)


STAND_IN_HUB = "backend: ncp\nnodes:\n  hub:\n    radio: ncp-emulator\n"
STAND_IN = (
    "  ppmid:\n    radio: stand-in\n    eui64: 00-DB-12-34-56-78-90-A4\n"
    "    install-code: 0123456789ABCDEF0123456789ABCDEF\n"
)
EMULATED_POWER = "power:\n  sw:\n    driver: emulated\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (  # a stand-in has no air in common with a real dongle
            STAND_IN_HUB.replace("ncp-emulator", "ezsp:/dev/ttyUSB0") + STAND_IN,
            6,
            "is a stand-in: it lives on the NCP emulator's air",
        ),
        (
            "backend: virtual\nnodes:\n  hub:\n    radio: virtual\n" + STAND_IN,
            6,
            "backend: ncp with the comms-hub on radio ncp-emulator",
        ),
        (STAND_IN_HUB + STAND_IN.split("    eui64")[0], 6, "give its eui64 and install-code"),
        (
            STAND_IN_HUB + STAND_IN.split("    install-code")[0],
            6,
            "give its eui64 and install-code",
        ),
        (STAND_IN_HUB + STAND_IN + "    channel: 15\n", 9, "not to a stand-in radio"),
        (  # a stand-in is powered by its emulated power input only
            STAND_IN_HUB + STAND_IN + "    power: pdu/1\n"
            "power:\n  pdu:\n    driver: command\n    on: 'true'\n    off: 'true'\n",
            9,
            "is a stand-in: its power is its emulated power input",
        ),
        (  # and the emulated driver powers nothing else
            STAND_IN_HUB
            + STAND_IN.replace("stand-in", "physical")
            + "    power: sw/1\n"
            + EMULATED_POWER,
            9,
            "emulated power driver powers stand-ins only",
        ),
        (STAND_IN_HUB + STAND_IN + "    power: sw\n" + EMULATED_POWER, 9, "is switch/index"),
        (STAND_IN_HUB + "power:\n  sw:\n    model: netio\n", 7, "has no 'driver:'"),
        (
            STAND_IN_HUB + "power:\n  sw:\n    driver: tasmota\n",
            7,
            "unknown power driver 'tasmota' (known: command, NetworkPowerPort, emulated)",
        ),
        (
            STAND_IN_HUB + "power:\n  sw:\n    driver: NetworkPowerPort\n    host: pdu\n",
            7,
            "(driver NetworkPowerPort) lacks model",
        ),
        (
            STAND_IN_HUB + "power:\n  sw:\n    driver: command\n    on: x\n",
            7,
            "(driver command) lacks off",
        ),
        (
            STAND_IN_HUB + "power:\n  sw:\n    driver: emulated\n    host: pdu\n",
            8,
            "unknown key 'host' in power switch sw (driver emulated)",
        ),
        (
            STAND_IN_HUB + STAND_IN.replace("stand-in", "physical") + "    power: sw/a\n"
            "power:\n  sw:\n    driver: NetworkPowerPort\n    model: netio\n    host: h\n",
            9,
            "outlet on sw is a number",
        ),
    ],
)
def test_stand_ins_and_power_switches_are_checked(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(BenchError, match=re.escape(f"{path}:{line}: ") + ".*" + re.escape(message)):
        read_bench(path)


def test_a_stand_in_with_its_emulated_switch_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(STAND_IN_HUB + STAND_IN + "    power: sw/1\n" + EMULATED_POWER, "utf-8")
    bench = read_bench(path)
    assert bench.clock == "real" and bench.nodes["ppmid"].stand_in
    assert bench.nodes["ppmid"].power_switch == "sw"


def test_a_bench_without_a_backend(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(BenchError, match="no 'backend:' line"):
        read_bench(path)


# ---- hil-rig bench check -------------------------------------------------------------------------


@pytest.mark.real_time
def test_bench_check_probes_an_emulated_dongle_and_names_a_missing_port(tmp_path: Path) -> None:
    link = tmp_path / "ttyEZSP"
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from rig.cli import main; main()",
            "ncp-emulator",
            "--pty",
            str(link),
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )
    try:
        assert emulator.stderr is not None
        emulator.stderr.readline()  # the banner: the pty is there
        missing = tmp_path / "ttyGONE"
        path = tmp_path / "bench.yaml"
        path.write_text(
            "name: lab\nbackend: ncp\nnodes:\n"
            f"  hub:\n    role: comms-hub\n    radio: ezsp:{link}\n    channel: 20\n"
            f"  esme:\n    role: esme\n    radio: ezsp:{missing}\n",
            encoding="utf-8",
        )
        result = CliRunner().invoke(main, ["bench", "check", str(path)])
    finally:
        emulator.terminate()
        emulator.wait(10)
    assert result.exit_code == 1, result.output
    hub_line, esme_line = (
        line for line in result.output.splitlines() if "(comms-hub)" in line or "(esme)" in line
    )
    assert "✓" in hub_line and "EZSP v13" in hub_line and "00-DB-12-34-56-78-90-A2" in hub_line
    assert "NO_NETWORK" in hub_line
    assert "✗" in esme_line and "no such port" in esme_line and str(missing) in esme_line


@pytest.mark.real_time
def test_bench_check_passes_the_ci_bench_and_refuses_an_invalid_file(tmp_path: Path) -> None:
    ok = CliRunner().invoke(main, ["bench", "check", str(HARDWARE / "ci-ncp-emulator.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "bench OK" in ok.output and "EZSP v13" in ok.output
    path = tmp_path / "bad.yaml"
    path.write_text("backend: ncp\nnodes:\n  hub:\n    role: hub\n    radio: virtual\n", "utf-8")
    bad = CliRunner().invoke(main, ["bench", "check", str(path)])
    assert bad.exit_code == 2 and f"{path}:4: unknown role 'hub'" in bad.output


def test_install_codes_are_never_printed() -> None:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["bench", "check", str(HARDWARE / "virtual.yaml")])
    assert result.exit_code == 0 and time.monotonic() - started < 5
    spec = read_bench(HARDWARE / "one-dongle-physical-ppmid.yaml")
    code = spec.nodes["ppmid"].install_code
    assert code is not None
    out = CliRunner().invoke(
        main, ["bench", "check", str(HARDWARE / "one-dongle-physical-ppmid.yaml")]
    )
    assert code.hex().upper() not in out.output.upper() and "install code given" in out.output
    assert "power switch-1: driver NetworkPowerPort (labgrid netio at pdu-1.lab)" in out.output


@pytest.mark.real_time
def test_bench_check_names_a_stand_in_and_its_switch() -> None:
    spec = read_bench(HARDWARE / "ci-stand-in-ppmid.yaml")
    code = spec.nodes["ppmid"].install_code
    assert code is not None
    result = CliRunner().invoke(main, ["bench", "check", str(HARDWARE / "ci-stand-in-ppmid.yaml")])
    assert result.exit_code == 0, result.output
    ppmid_line = next(line for line in result.output.splitlines() if "(ppmid)" in line)
    assert "stand-in (emulated device under test) 00-DB-12-34-56-78-90-A4" in ppmid_line
    assert "power ci-power/1" in ppmid_line and "install code given" in ppmid_line
    assert "power ci-power: driver emulated" in result.output
    assert code.hex().upper() not in result.output.upper()


def test_bench_check_shows_no_credentials_of_a_switch(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(
        "backend: virtual\npower:\n"
        "  usb:\n    driver: command\n"
        "    on: curl -u admin:s3cret http://pdu/on/{index}\n    off: uhubctl -a off -p {index}\n"
        "  pdu:\n    driver: NetworkPowerPort\n    model: simplerest\n"
        "    host: http://admin:s3cret@pdu/relay/{index}/{value}\n",
        "utf-8",
    )
    result = CliRunner().invoke(main, ["bench", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "power usb: driver command (on: curl, off: uhubctl)" in result.output
    assert "labgrid simplerest at http://pdu/relay/" in result.output
    assert "s3cret" not in result.output
