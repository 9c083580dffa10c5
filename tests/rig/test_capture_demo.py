"""`hil-rig capture demo`: tshark decrypts it with the keys file; keys only on request."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rig.capture_demo import TEST_INSTALL_CODE, TEST_NETWORK_KEY, TEST_TC_LINK_KEY
from rig.cli import main


def run_demo(out: Path, *flags: str) -> str:
    result = CliRunner().invoke(main, ["capture", "demo", "--out", str(out), *flags])
    assert result.exit_code == 0, result.output
    return result.output


def test_keys_only_with_reveal_keys(tmp_path: Path) -> None:
    output = run_demo(tmp_path)
    assert (tmp_path / "han-2g4.pcap").stat().st_size > 1000
    assert not (tmp_path / "keys.json").exists()
    assert not (tmp_path / "zigbee_pc_keys").exists()
    for secret in (TEST_NETWORK_KEY, TEST_TC_LINK_KEY, TEST_INSTALL_CODE):
        assert secret.hex() not in output.lower()


def test_keys_json_contract(tmp_path: Path) -> None:
    output = run_demo(tmp_path, "--reveal-keys")
    doc = json.loads((tmp_path / "keys.json").read_text())
    assert set(doc) == {"network_keys", "link_keys"}
    assert doc["network_keys"] == [TEST_NETWORK_KEY.hex()]
    assert {"eui64": "00db1234567890a0", "key": TEST_TC_LINK_KEY.hex()} in doc["link_keys"]
    assert all(set(k) == {"eui64", "key"} for k in doc["link_keys"])
    assert TEST_NETWORK_KEY.hex() not in output.lower()  # written to the file, never printed


def test_tshark_decrypts_the_demo(tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    run_demo(tmp_path, "--reveal-keys")
    pcap, keys = tmp_path / "han-2g4.pcap", tmp_path / "zigbee_pc_keys"
    assert (
        tshark(pcap, ["frame.number"], keys, "_ws.malformed || _ws.expert.severity >= warning")
        == []
    )
    rows = tshark(pcap, ["zbee_zcl.cmd.tsn", "_ws.col.Info"], keys, "zbee_zcl")
    infos = [r["_ws.col.Info"] for r in rows]
    assert any("Read Attributes Response" in i for i in infos)
    assert any("Image Block Response" in i for i in infos)
    # Without the keys, the same frames stay encrypted.
    (tmp_path / "empty").write_text("")
    assert tshark(pcap, ["frame.number"], tmp_path / "empty", "zbee_zcl") == []
