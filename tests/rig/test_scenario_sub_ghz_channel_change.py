"""`hil-rig run sub-ghz-channel-change`: a dual-band premises moves its GB868 channel; the run's
sub-GHz pcap shows the move (tshark reads each frame's channel page and number)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rig.cli import main


def test_channel_change_run_passes_and_its_pcap_shows_both_channels(
    tmp_path: Path,
    tshark,  # type: ignore[no-untyped-def]
) -> None:
    result = CliRunner().invoke(main, ["run", "sub-ghz-channel-change", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "pass"
    rows = tshark(tmp_path / "han-subghz.pcap", ["wpan-tap.ch_page", "wpan-tap.ch_num"])
    channels = [(r["wpan-tap.ch_page"], r["wpan-tap.ch_num"]) for r in rows]
    assert channels[0] == ("28", "0") and channels[-1] == ("28", "1")
    assert set(channels) == {("28", "0"), ("28", "1")}
    malformed = tshark(tmp_path / "han-subghz.pcap", ["frame.number"], None, "_ws.malformed")
    assert malformed == []
