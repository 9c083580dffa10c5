"""`hil-rig run dual-band-duty-cycle`: a GB868 GSME driven through every duty-cycle state and
back, each Sub GHz Alert in its order on the WAN; the load generator's limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.devices.load_generator import LoadProfile
from emulator.han.stack.node import MAX_UNSECURED_APS_PAYLOAD
from rig.cli import main


def test_duty_cycle_run_passes_with_every_alert_in_order(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "dual-band-duty-cycle", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "pass"
    assert all(s["outcome"] == "pass" for s in record["steps"])
    charted = [
        line["label"].split()[1]
        for line in map(json.loads, (tmp_path / "events.jsonl").read_text().splitlines())
        if line.get("kind") == "srv" and line.get("label", "").startswith("DualBandCHAlert")
    ]
    assert charted == ["8F2A", "8F20", "8F22", "8F24", "8F2C", "8F25", "8F23", "8F21", "8F2D"]
    rise = record["steps"][2]["measurements"]
    assert rise["load_frames"]["value"] == rise["load_frames_received"]["value"] > 8000


@pytest.mark.parametrize("size", [0, MAX_UNSECURED_APS_PAYLOAD + 1])
def test_a_load_frame_fits_one_frame(size: int) -> None:
    with pytest.raises(ValueError, match="one frame"):
        LoadProfile(payload_size=size)
