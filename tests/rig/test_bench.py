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
            5,
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
