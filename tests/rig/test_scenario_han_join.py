"""`hil-rig run han-join`: the first real scenario, through the CLI, on the virtual HAN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from rig.commands.scenario import list_, run
from rig.scenarios import han_join

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"

MEASUREMENTS = {
    "ESME joins with its install code": {"join_seconds"},
    "GSME joins with its install code": {"join_seconds"},
    "ESME establishes a link key with the hub by CBKE": {"cbke_seconds"},
    "GSME establishes a link key with the hub by CBKE": {"cbke_seconds"},
    "hub reads ESME Basic/ZCLVersion": {"read_seconds", "zcl_version"},
    "hub reads GSME Basic/ZCLVersion": {"read_seconds", "zcl_version"},
    "HAN health": {"frames_on_air", "dropped_replays", "mic_failures"},
}


def invoke(out: Path, *flags: str) -> tuple[Result, dict[str, Any]]:
    result = CliRunner().invoke(run, ["han-join", "--out", str(out), *flags])
    assert result.exit_code == 0, result.output
    record: dict[str, Any] = json.loads((out / "record.json").read_text())
    return result, record


def test_han_join_passes_with_every_measurement(tmp_path: Path) -> None:
    result, record = invoke(tmp_path, "--seed", "5")
    assert record["scenario"] == "han-join" and record["outcome"] == "pass"
    assert record["seed"] == 5 and record["acb_eui"] is None and record["smi"] == []
    assert record["modelled_seconds"] > record["wall_seconds"]  # virtual time
    steps = {s["name"]: s for s in record["steps"]}
    assert all(s["outcome"] == "pass" for s in record["steps"])
    for name, expected in MEASUREMENTS.items():
        assert set(steps[name]["measurements"]) == expected
    health = steps["HAN health"]["measurements"]
    assert health["dropped_replays"]["value"] == 0 and health["frames_on_air"]["value"] > 50
    assert steps["hub reads GSME Basic/ZCLVersion"]["measurements"]["zcl_version"]["value"] == 8
    pcap = tmp_path / "han-2g4.pcap"
    assert pcap.read_bytes()[:4] == bytes.fromhex("d4c3b2a1") and pcap.stat().st_size > 1000
    for name in ("junit.xml", "report.html", "events.jsonl"):
        assert (tmp_path / name).is_file()
    assert not (tmp_path / "keys.json").exists() and not (tmp_path / "keystore").exists()
    events = [json.loads(e) for e in (tmp_path / "events.jsonl").read_text().splitlines()]
    han = [e for e in events if e["kind"] == "han" and "event" in e]
    assert {"joined", "key established"} <= {e["event"] for e in han}
    assert "pass" in result.output and "report.html" in result.output


def test_same_seed_same_run(tmp_path: Path) -> None:
    _, first = invoke(tmp_path / "a", "--seed", "3")
    _, second = invoke(tmp_path / "b", "--seed", "3")
    assert first["steps"] == second["steps"]
    assert first["modelled_seconds"] == second["modelled_seconds"]


def test_keys_only_with_reveal_keys_and_never_printed(tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    result, _ = invoke(tmp_path, "--reveal-keys")
    keys = json.loads((tmp_path / "keys.json").read_text())
    assert len(keys["network_keys"]) == 1 and len(keys["link_keys"]) >= 4
    assert (tmp_path / "keystore").is_dir()
    secrets = keys["network_keys"] + [k["key"] for k in keys["link_keys"]]
    assert not any(s.lower() in result.output.lower() for s in secrets)
    pcap, uat = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    bad = "_ws.malformed || _ws.expert.severity >= warning"
    assert tshark(pcap, ["frame.number"], uat, bad) == []
    # The hub's reads travel under the CBKE link keys: they decrypt only if keys.json has them.
    reads = tshark(
        pcap, ["zbee_zcl.cmd.tsn"], uat, "zbee_aps.cluster == 0x0000 && zbee_zcl.cmd.id == 0x01"
    )
    assert reads == [{"zbee_zcl.cmd.tsn": "1"}, {"zbee_zcl.cmd.tsn": "2"}]
    infos = [r["_ws.col.Info"] for r in tshark(pcap, ["_ws.col.Info"], uat)]
    assert sum("Confirm Key" in i for i in infos) >= 2


def test_a_hardware_bench_is_a_usage_error(tmp_path: Path) -> None:
    bench = tmp_path / "bench.yaml"
    bench.write_text(
        "backend: ncp\nnodes:\n  hub:\n    role: comms-hub\n"
        "    radio: ezsp:/dev/serial/by-id/usb-dongle\n"
    )
    result = CliRunner().invoke(
        run, ["han-join", "--out", str(tmp_path / "o"), "--bench", str(bench)]
    )
    assert result.exit_code == 2
    assert "unknown backend 'ncp' (known: virtual)" in result.output
    assert not (tmp_path / "o").exists()


def test_a_virtual_bench_runs(tmp_path: Path) -> None:
    bench = tmp_path / "bench.yaml"
    bench.write_text(
        "backend: virtual\nnodes:\n  hub:\n    radio: virtual\n  esme:\n    radio: 'virtual'\n"
    )
    _, record = invoke(tmp_path / "o", "--bench", str(bench))
    assert record["outcome"] == "pass"


def test_the_hardware_bench_files_as_the_cli_reads_them(tmp_path: Path) -> None:
    """The CLI reads bench files as the HIL plugin does (``rig.bench.read_bench``)."""
    _, record = invoke(tmp_path / "v", "--bench", str(HARDWARE / "virtual.yaml"))
    assert record["outcome"] == "pass"
    dongle = str(HARDWARE / "ci-ncp-emulator.yaml")
    result = CliRunner().invoke(run, ["han-join", "--out", str(tmp_path / "d"), "--bench", dongle])
    assert result.exit_code == 2
    assert "unknown backend 'ncp'" in result.output
    assert not (tmp_path / "d").exists()


def test_a_bench_without_a_backend_is_a_usage_error(tmp_path: Path) -> None:
    bench = tmp_path / "bench.yaml"
    bench.write_text("nodes:\n  hub:\n    radio: virtual\n")
    result = CliRunner().invoke(
        run, ["han-join", "--out", str(tmp_path / "o"), "--bench", str(bench)]
    )
    assert result.exit_code == 2 and "no 'backend:' line" in result.output


def test_an_unknown_scenario_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(run, ["no-such", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "han-join" in result.output


def test_list_names_han_join() -> None:
    result = CliRunner().invoke(list_, [])
    assert result.exit_code == 0 and "han-join" in result.output


def test_a_meter_answering_wrongly_fails_the_run_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(han_join, "DEVICE_ZCL_VERSION", 7)  # the meters now answer 7, limit is 8
    result = CliRunner().invoke(run, ["han-join", "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "fail"
    tail = [(s["name"], s["outcome"]) for s in record["steps"][-3:]]
    assert tail == [
        ("hub reads ESME Basic/ZCLVersion", "fail"),
        ("hub reads GSME Basic/ZCLVersion", "skipped"),
        ("HAN health", "skipped"),
    ]
    assert (tmp_path / "han-2g4.pcap").stat().st_size > 1000  # the HAN still stopped cleanly
