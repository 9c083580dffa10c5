"""``rig.bench``: the one reader of bench files, raising ``BenchError`` (a ``ValueError``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rig.bench import KNOWN_BACKENDS, BenchError, read_bench

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"


def test_bench_error_is_a_value_error() -> None:
    assert issubclass(BenchError, ValueError)


def test_the_virtual_bench_file() -> None:
    bench = read_bench(HARDWARE / "virtual.yaml")
    assert (bench.name, bench.backend) == ("virtual", "virtual") and "virtual" in KNOWN_BACKENDS
    assert bench.radios == {"hub": "virtual", "esme": "virtual", "gsme": "virtual"}
    assert "modelled-time" in bench.features


def test_comments_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("# radio: ezsp:/dev/ttyUSB0\nbackend: virtual  # /dev/null\n", encoding="utf-8")
    assert read_bench(path).backend == "virtual"


def test_the_example_dongle_bench_has_no_backend() -> None:
    with pytest.raises(BenchError, match=r"no 'backend:' line.*issue 11"):
        read_bench(HARDWARE / "example-dongle.yaml")


def test_a_hardware_radio_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("backend: virtual\nnodes:\n  hub:\n    radio: rfc2217://x:1\n", "utf-8")
    with pytest.raises(
        BenchError, match=re.escape(f"{path}:4: node hub has radio 'rfc2217://x:1'")
    ):
        read_bench(path)


def test_backends_are_the_callers(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("backend: dongle\n", encoding="utf-8")
    with pytest.raises(BenchError, match=re.escape(f"{path}:1: unknown backend 'dongle'")):
        read_bench(path)
    assert read_bench(path, backends={"dongle", "virtual"}).backend == "dongle"


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="--bench"):
        read_bench(tmp_path / "missing.yaml")
