"""`hil-rig run whitelist-and-join`: SRVs, GBCS over the WAN and the HAN in one run directory,
and every artefact checkable by an outside tool."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from support.rtds import RTDS

from emulator.codec.gbcs import GeneralCiphering, decode_message
from rig.cli import main

RTDS_ECS52_RESPONSE = RTDS["ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX"]["hex"]


def content(hex_text: str) -> bytes:
    message = decode_message(bytes.fromhex(hex_text.strip()))
    assert isinstance(message, GeneralCiphering)
    return message.apdu.content


def test_whitelisting_run_writes_verifiable_artefacts(tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        main, ["run", "whitelist-and-join", "--out", str(tmp_path), "--reveal-keys"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "pass" and record["acb_eui"]
    statuses = {row["device_type"]: row["status"] for row in record["smi"]}
    assert statuses == {"CHF": "Commissioned", "ESME": "Whitelisted", "GSME": "Whitelisted"}
    files = sorted((tmp_path / "gbcs").glob("*.hex"))
    assert [f.name[5:] for f in files] == [
        "0001-command.hex",
        "0001-response.hex",
        "0018-alert.hex",  # CCS01, then CS14
    ] * 2 + ["0059-command.hex", "0059-response.hex"]  # ECS52 to the ESME and its answer
    steps = {step["name"]: step for step in record["steps"]}
    read = steps["SRV 11.2 reads the ESME's firmware version through the hub's tunnel"]
    assert read["outcome"] == "pass"
    assert read["measurements"]["response_mac_valid"]["value"] == 1
    # The ESME answered what the RTDS ECS52 response carries (firmware 01 23 AB CD); only the
    # invoke-id differs, as it follows the request counter.
    ours, rtds = content(files[-1].read_text()), content(RTDS_ECS52_RESPONSE)
    assert ours[:2] == rtds[:2] and ours[6:] == rtds[6:] and ours[2:6] != rtds[2:6]
    decoded = CliRunner().invoke(
        main,
        [
            "gbcs",
            "decode",
            "--json",
            "--keystore",
            str(tmp_path / "keystore"),
            "--acb",
            record["acb_eui"],
            *map(str, files),
        ],
    )
    assert decoded.exit_code == 0, decoded.output
    verdicts = [json.loads(line) for line in decoded.output.splitlines()]
    assert all(v["mac"] == "valid" and v["reencoded_equal"] for v in verdicts)
    pcap, uat = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    assert (
        tshark(pcap, ["frame.number"], uat, "_ws.malformed || _ws.expert.severity >= warning") == []
    )


def test_no_keys_without_reveal_keys(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "whitelist-and-join", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "keys.json").exists()
    assert (
        not any((tmp_path / "keystore").glob("*.key")) if (tmp_path / "keystore").exists() else True
    )


def test_a_second_run_into_the_same_directory_starts_afresh(tmp_path: Path) -> None:
    for _ in range(2):
        result = CliRunner().invoke(main, ["run", "whitelist-and-join", "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "record.json").read_text())["outcome"] == "pass"
