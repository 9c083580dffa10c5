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
