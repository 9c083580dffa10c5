"""`hil-rig run ota-esme`: 11.1 distribution, the receipt alert, 11.3 activation and 11.2 read,
with the record's OTA measurements; and the fidelity check of the modelled transfer time (64-byte
blocks on 2.4 GHz; 48-byte blocks and GB868 are run in ``tests/devices/test_ota_fidelity.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rig.cli import main

FLOOR_64 = 38.5
"""DOMAIN.md section 5: best case for 256 KiB in 64-byte blocks on 2.4 GHz."""


def _measurements(record: dict, step_prefix: str) -> dict[str, float]:  # type: ignore[type-arg]
    for step in record["steps"]:
        if step["name"].startswith(step_prefix):
            return {name: m["value"] for name, m in step["measurements"].items()}
    raise AssertionError(f"no step {step_prefix!r}")


def test_ota_esme_distributes_activates_and_reads_back(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "ota-esme", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "pass"
    ota = _measurements(record, "SRV 11.1")
    assert set(ota) >= {"ota_modelled_seconds", "ota_blocks", "ota_retries", "image_bytes",
                        "block_size"}  # fmt: skip
    assert ota["block_size"] == 64 and ota["ota_retries"] == 0
    assert ota["ota_blocks"] == -(-ota["image_bytes"] // 64)
    # Fidelity: 256 KiB (plus the 132 bytes of header, sub-element header and signature) in
    # 64-byte blocks on 2.4 GHz, no loss, no device processing delay: within 10 % of 38.5 s.
    scaled = ota["ota_modelled_seconds"] * 256 * 1024 / ota["image_bytes"]
    assert abs(scaled - FLOOR_64) <= 0.1 * FLOOR_64, scaled
    files = sorted(p.name[5:] for p in (tmp_path / "gbcs").glob("*.hex"))
    assert "00CE-alert.hex" in files and "0012-response.hex" in files


def _run(tmp_path: Path, name: str) -> dict[str, float]:
    result = CliRunner().invoke(main, ["run", name, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "pass"
    ota = _measurements(record, "SRV 11.")
    assert set(ota) >= {"ota_modelled_seconds", "ota_blocks", "ota_retries", "image_bytes",
                        "block_size"}  # fmt: skip
    assert ota["ota_blocks"] == -(-ota["image_bytes"] // ota["block_size"])
    return ota


def test_ota_gsme_fetches_on_its_wake_ups_and_puts_its_receipt_alert(tmp_path: Path) -> None:
    ota = _run(tmp_path, "ota-gsme")
    assert ota["ota_modelled_seconds"] > 0
    files = sorted(p.name[5:] for p in (tmp_path / "gbcs").glob("*.hex"))
    # 0x00CF receipt alert, CS06 (0x0012) response, GCS38 (0x0084) command and response
    assert "00CF-alert.hex" in files and "0012-response.hex" in files
    assert "0084-command.hex" in files and "0084-response.hex" in files


def test_ota_ppmid_is_hub_driven_with_the_ccs08_alert(tmp_path: Path) -> None:
    _run(tmp_path, "ota-ppmid")
    files = sorted(p.name[5:] for p in (tmp_path / "gbcs").glob("*.hex"))
    assert "0128-alert.hex" in files  # CCS08 from the CHF
    assert "00CE-alert.hex" not in files and "00CF-alert.hex" not in files  # no receipt alert
    assert "0129-response.hex" in files  # CS08
