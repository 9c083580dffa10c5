"""Fixtures shared by the whole suite: the outside oracles."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

TsharkRun = Callable[..., list[dict[str, str]]]


@pytest.fixture(scope="session")
def tshark_bin() -> str:
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is missing in CI: `make setup` installs it")
        pytest.skip("tshark not installed (run `make setup` as root)")
    return path


@pytest.fixture
def tshark(tshark_bin: str, tmp_path: Path) -> TsharkRun:
    """Run tshark over a pcap with a private profile holding our ``zigbee_pc_keys`` file.

    Returns one dict per frame of the requested fields (multi-valued fields joined by ``,``).
    """

    def run(
        pcap: Path, fields: Sequence[str], keys_file: Path | None = None, display_filter: str = ""
    ) -> list[dict[str, str]]:
        profile = tmp_path / "xdg" / "wireshark"
        profile.mkdir(parents=True, exist_ok=True)
        if keys_file is not None:
            shutil.copy(keys_file, profile / "zigbee_pc_keys")
        cmd = [tshark_bin, "-n", "-r", str(pcap), "-T", "fields", "-E", "separator=\t"]
        if display_filter:
            cmd += ["-Y", display_filter]
        for f in fields:
            cmd += ["-e", f]
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
        return [dict(zip(fields, line.split("\t"), strict=True)) for line in out.splitlines()]

    return run
