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
    assert bench.radios == {"hub": "virtual", "esme": "virtual", "gsme": "virtual"}


def test_the_example_dongle_bench_is_documentation_not_a_bench() -> None:
    with pytest.raises(pytest.UsageError, match="no 'backend:' line"):
        read_bench(HARDWARE / "example-dongle.yaml")


def test_a_dongle_bench_is_refused_at_its_radio_line(tmp_path: Path) -> None:
    """The example, uncommented: refused at the first hardware radio, pointing at its line."""
    text = (HARDWARE / "example-dongle.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("# ") or line == "#"]
    body = "\n".join(line[2:] for line in lines if not line.startswith("# NOT"))
    path = tmp_path / "dongle.yaml"
    path.write_text(body, encoding="utf-8")
    hub_line = next(
        n for n, line in enumerate(body.splitlines(), start=1) if "radio: ezsp:" in line
    )
    with pytest.raises(pytest.UsageError, match=re.escape(f"{path}:{hub_line}: node hub")):
        read_bench(path)


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text("name: x\nbackend: dongle\n", encoding="utf-8")
    with pytest.raises(pytest.UsageError, match=re.escape(f"{path}:2: unknown backend 'dongle'")):
        read_bench(path)
