"""The bench files in ``hardware/`` and how the plugin reads them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .plugin import BACKENDS, VIRTUAL_FEATURES, read_bench

HARDWARE = Path(__file__).resolve().parent.parent / "hardware"


def test_the_virtual_bench_file_describes_the_virtual_backend() -> None:
    bench = read_bench(HARDWARE / "virtual.yaml")
    assert bench.name == "virtual"
    assert bench.backend == "virtual" and bench.backend in BACKENDS
    assert bench.features == VIRTUAL_FEATURES
    assert set(bench.radios) == {"hub", "esme", "gsme", "ppmid"}
    assert set(bench.radios.values()) == {"virtual"}


def test_the_ci_bench_builds_the_hub_on_a_dongle() -> None:
    bench = read_bench(HARDWARE / "ci-ncp-emulator.yaml")
    assert bench.backend == "ncp" and bench.backend in BACKENDS and bench.clock == "real"
    assert bench.radios["hub"] == "ncp-emulator"


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("name: x\nbackend: dongle\n", encoding="utf-8")
    with pytest.raises(pytest.UsageError, match=re.escape(f"{path}:2: unknown backend 'dongle'")):
        read_bench(path)


# ---- hil-rig conformance ppmid on a dongle bench ------------------------------------------------


def _conformance(bench: Path, out: Path) -> tuple[int, str]:
    from click.testing import CliRunner

    from rig.cli import main

    args = ["conformance", "ppmid", "--bench", str(bench), "--out", str(out)]
    result = CliRunner().invoke(main, args, terminal_width=1000)
    return result.exit_code, " ".join(result.output.split())


def test_conformance_on_a_physical_ppmid_bench_says_what_it_lacks(tmp_path: Path) -> None:
    """The PPMID's identity is there (EUI-64, install code, power switch, CPL identity), the hub
    on a dongle too; the ESME on a second dongle is not, nor the fictitious SMETS1 version the
    tactical cases need."""
    code, output = _conformance(HARDWARE / "one-dongle-physical-ppmid.yaml", tmp_path / "o")
    assert code == 2
    assert "cannot run PPMID conformance" in output
    assert "an ESME the PPMID can hear: a second dongle" in output
    assert "cpl: tactical-firmware-version:), or --cpl-mode enduring" in output
    assert "eui64" not in output and "install-code" not in output
    assert "0123456789ABCDEF" not in output  # the install code is never shown
    assert not (tmp_path / "o").exists()


def _without(tmp_path: Path, prefix: str) -> Path:
    bench = tmp_path / f"without-{prefix.split(':')[0]}.yaml"
    text = (HARDWARE / "one-dongle-physical-ppmid.yaml").read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(prefix)]
    bench.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return bench


def test_conformance_names_each_missing_piece_of_a_physical_ppmid(tmp_path: Path) -> None:
    code, output = _conformance(_without(tmp_path, "power: switch"), tmp_path / "o")
    assert code == 2 and "a power switch for the PPMID (node ppmid, line 23: power:)" in output
    for field in ("eui64:", "install-code:"):  # the bench reader's own error, with the line
        code, output = _conformance(_without(tmp_path, field), tmp_path / "o")
        assert code == 2
        assert ":23: node ppmid is a device under test: give its eui64 and install-code" in output


def test_conformance_on_a_dongle_bench_without_a_device_under_test_is_refused(
    tmp_path: Path,
) -> None:
    """CI's one-dongle bench: the hub's (emulated) dongle is there; its PPMID and ESME are
    emulated on the virtual HAN, not a device under test and a second dongle."""
    code, output = _conformance(HARDWARE / "ci-ncp-emulator.yaml", tmp_path / "o")
    assert code == 2
    assert "a node with role ppmid and radio physical" in output
    assert "an ESME the PPMID can hear" in output
    assert "a comms-hub node on a dongle" not in output


def test_the_two_dongle_bench_lacks_only_the_key_material_a_physical_ppmid_trusts() -> None:
    """Its dongles, the PPMID's identity, CPL rows and power switch are all there; the lab's
    keys are not (a bench file names them where the lab keeps them)."""
    from rig.bench import read_bench as read
    from rig.commands.conformance import physical_ppmid_gaps
    from rig.dcc import CplMode

    bench = read(HARDWARE / "two-dongles.yaml")
    gaps = physical_ppmid_gaps(bench, (CplMode.ENDURING, CplMode.TACTICAL))
    assert [g.split(" (")[0] for g in gaps] == [
        "the lab's SMKI test credentials the PPMID trusts and its Device certificates",
        "ZSE CBKE credentials for the comms-hub from the CA the PPMID's certificate chains to",
        "ZSE CBKE credentials for the esme from the CA the PPMID's certificate chains to",
    ]
