"""`hil-rig han demo`: the summary contract, the refused node, and a capture tshark decrypts."""

from __future__ import annotations

import contextlib
import json
import socket
from pathlib import Path

from click.testing import CliRunner

from rig.cli import main


def run(out: Path, *flags: str) -> dict[str, object]:
    result = CliRunner().invoke(main, ["han", "demo", "--out", str(out), *flags])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads((out / "summary.json").read_text())
    return summary


def test_summary_contract_and_outcome(tmp_path: Path) -> None:
    summary = run(tmp_path, "--nodes", "3", "--seed", "5")
    assert {
        "joined",
        "refused",
        "modelled_seconds",
        "wall_seconds",
        "frames",
        "dropped_replays",
    } <= set(summary)
    joined, refused = summary["joined"], summary["refused"]
    assert isinstance(joined, list) and isinstance(refused, list)
    assert len(joined) == 4 and len(refused) == 1  # 3 routers + the sleepy device; 1 wrong code
    assert summary["answered"] == joined  # every joined node answered the coordinator's read
    assert summary["dropped_replays"] == 0
    assert isinstance(summary["frames"], int) and summary["frames"] > 100
    assert not (tmp_path / "keys.json").exists()


def test_capture_decrypts_with_the_keys_file(tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    run(tmp_path, "--nodes", "2", "--reveal-keys")
    keys = json.loads((tmp_path / "keys.json").read_text())
    assert len(keys["network_keys"]) == 1 and len(keys["link_keys"]) >= 6
    pcap, uat = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    assert (
        tshark(pcap, ["frame.number"], uat, "_ws.malformed || _ws.expert.severity >= warning") == []
    )
    infos = [r["_ws.col.Info"] for r in tshark(pcap, ["_ws.col.Info"], uat)]
    assert sum("Read Attributes Response" in i for i in infos) == 3
    assert any("Device Announcement" in i for i in infos)
    assert any("Confirm Key, SUCCESS" in i for i in infos)


def test_lossy_han_still_joins_everyone_it_should(tmp_path: Path) -> None:
    summary = run(tmp_path, "--nodes", "2", "--loss", "0.2", "--seed", "9")
    assert len(summary["joined"]) == 3 and len(summary["refused"]) == 1  # type: ignore[arg-type]


def test_live_zep_stream_carries_every_frame(tmp_path: Path) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    try:
        summary = run(tmp_path, "--nodes", "1", "--zep-port", str(receiver.getsockname()[1]))
        datagrams = []
        with contextlib.suppress(TimeoutError):
            while True:
                datagrams.append(receiver.recv(512))
    finally:
        receiver.close()
    assert len(datagrams) == summary["frames"]
    assert all(d[:2] == b"EX" and d[2] == 2 for d in datagrams)
