"""`hil-rig run commission-premises`, the flagship: one premises commissioned end to end, and its
artefacts checked by outside tools (the GBCS decoder with the revealed keystore, tshark)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rig.cli import main

USE_CASES = [
    *["0001-command", "0001-response", "0018-alert"] * 3,  # CCS01 and CS14 per HAN device
    *["00AB-command", "00AB-response", "000D-command", "000D-response"],  # Method A
    *["000E-command", "000E-response"] * 2,  # Method B: the GSME, then the GPF
    "00B2-alert",  # GCS62: the GPF's Device Log changed
    *["00AF-command", "00AF-response"],  # Method C
    *["0062-command", "0062-response", "007F-command", "007F-response"],  # ECS70, GCS28
]


def test_the_flagship_commissions_every_device_with_verifiable_artefacts(
    tmp_path: Path,
    tshark,  # type: ignore[no-untyped-def]
) -> None:
    result = CliRunner().invoke(
        main, ["run", "commission-premises", "--out", str(tmp_path), "--reveal-keys"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "pass", [s for s in record["steps"] if s["outcome"] != "pass"]
    assert {row["device_type"]: row["status"] for row in record["smi"]} == {
        kind: "Commissioned" for kind in ("CHF", "GPF", "ESME", "GSME", "PPMID")
    }
    files = sorted((tmp_path / "gbcs").glob("*.hex"))
    assert [f.name[5:-4] for f in files] == USE_CASES
    decoded = CliRunner().invoke(
        main,
        ["gbcs", "decode", "--json", "--keystore", str(tmp_path / "keystore"), *map(str, files)],
    )
    assert decoded.exit_code == 0, decoded.output
    verdicts = [json.loads(line) for line in decoded.output.splitlines()]
    for v in verdicts:  # every message MAC'd, signed, or both, and all of it checks out
        assert v["reencoded_equal"] and {v["mac"], v["signature"]} <= {"valid", "absent"}, v
        assert "valid" in (v["mac"], v["signature"]), v
    critical = [
        v for v in verdicts if v["use_case"] in ("CS03A1", "CS03A2", "CS03C", "ECS70", "GCS28")
    ]
    assert len(critical) == 10 and all(v["signature"] == "valid" for v in critical)
    pcap, uat = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    assert (
        tshark(pcap, ["frame.number"], uat, "_ws.malformed || _ws.expert.severity >= warning") == []
    )
    report = (tmp_path / "report.html").read_text()
    assert "commission-premises" in report and "PPMID" in report
