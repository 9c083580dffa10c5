"""`hil-rig gbcs decode`: JSON lines contract, readable tree, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from support.rtds import RTDS_KEYSTORE, RTDS_MESSAGES

from rig.commands.gbcs import gbcs

KEYSTORE = str(RTDS_KEYSTORE.root)
MESSAGES = RTDS_MESSAGES
ACB = "90B3D51F30000002"
FIELDS = [
    "ok",
    "error",
    "message_code",
    "use_case",
    "cra",
    "originator",
    "recipient",
    "counter",
    "mac",
    "signature",
    "reencoded_equal",
]


def _run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(gbcs, ["decode", *args], input=input)


def test_json_lines_for_every_rtds_message(tmp_path: Path) -> None:
    listing = tmp_path / "rtds.txt"
    listing.write_text("# RTDS 4.5.0\n" + "\n".join(m["hex"] for m in MESSAGES) + "\n")
    result = _run("--json", "--keystore", KEYSTORE, "--acb", ACB, str(listing))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(MESSAGES)
    for line, m in zip(lines, MESSAGES, strict=True):
        rec = json.loads(line)
        e = m["expected"]
        assert list(rec) == FIELDS
        assert rec["ok"] is True and rec["error"] is None
        assert rec["message_code"] == e["message_code"]
        assert rec["cra"] == {1: "command", 2: "response", 3: "alert"}[e["cra"]]
        assert rec["originator"] == e["originator"].lower()
        assert rec["recipient"] == e["recipient"].lower()
        assert rec["counter"] == e["originator_counter"]
        assert rec["mac"] == ("valid" if e["mac_header"] else "absent")
        assert rec["signature"] == ("valid" if e["signature_valid"] else "absent")
        assert rec["reencoded_equal"] is True
        assert isinstance(rec["use_case"], str) and rec["use_case"]


def test_json_without_keys_or_with_another_acb() -> None:
    ccs01 = MESSAGES[0]["hex"]
    rec = json.loads(_run("--json", ccs01).output)
    assert (rec["ok"], rec["use_case"], rec["mac"], rec["signature"]) == (
        True,
        "CCS01",
        "unknown-key",
        "absent",
    )
    # The ACB defaults to the RTDS one (the rig's DCC's too); another names other keys.
    rec = json.loads(_run("--json", "--keystore", KEYSTORE, ccs01).output)
    assert rec["mac"] == "valid"
    other = _run("--json", "--keystore", KEYSTORE, "--acb", "90-B3-D5-1F-30-00-00-09", ccs01)
    assert json.loads(other.output)["mac"] == "unknown-key"


def test_tampered_and_broken_inputs() -> None:
    raw = bytearray(bytes.fromhex(MESSAGES[0]["hex"]))
    raw[-1] ^= 1
    result = _run("--json", "--keystore", KEYSTORE, "--acb", ACB, raw.hex(), "DD00", "nothex")
    assert result.exit_code == 1
    tampered, truncated, nothex = (json.loads(x) for x in result.output.splitlines())
    assert tampered["ok"] is True and tampered["mac"] == "invalid"
    assert truncated["ok"] is False and "offset" in truncated["error"]
    assert truncated["message_code"] is None and list(truncated) == FIELDS
    assert nothex["ok"] is False


def test_binary_file_and_stdin(tmp_path: Path) -> None:
    f = tmp_path / "msg.bin"
    f.write_bytes(bytes.fromhex(MESSAGES[1]["hex"]))
    rec = json.loads(_run("--json", "--keystore", KEYSTORE, str(f)).output)
    assert rec["mac"] == "valid" and rec["cra"] == "response"
    result = _run("--json", "-", input=MESSAGES[2]["hex"] + "\n" + MESSAGES[3]["hex"] + "\n")
    assert [json.loads(x)["counter"] for x in result.output.splitlines()] == [1303, 1302]


def test_readable_tree_never_prints_keys() -> None:
    ecs17b = MESSAGES[-1]["hex"]
    result = _run("--keystore", KEYSTORE, "--acb", ACB, ecs17b)
    assert result.exit_code == 0
    out = result.output
    assert "Grouping Header" in out and "MAC: 48 6A F3 DF 46 AC BC 45 A5 21 7E 08 (valid)" in out
    assert "Decrypted Payload 0" in out
    assert "Re-encoded Equal: True" in out
    for key_file in Path(KEYSTORE).glob("*.key"):
        body = "".join(key_file.read_text().splitlines()[1:-1])
        assert body[:40] not in out
    assert "PRIVATE" not in out


def test_install_codes_are_redacted_unless_revealed() -> None:
    ccs01 = next(m["hex"] for m in MESSAGES if m["name"].startswith("CCS01_8.11_SUCCESS_COMMAND"))
    install_code = "30 31 32 33 34 35 36 37 38 39 41 42 43 44 45 46"  # RTDS test code
    hidden = _run(ccs01)
    assert hidden.exit_code == 0
    assert install_code not in hidden.output and "redacted" in hidden.output
    assert "00 DB 12 34 56 78 90 A0" in hidden.output  # the EUI-64 beside it is not a secret
    assert install_code in _run("--reveal-keys", ccs01).output


def test_the_device_log_alert_hides_its_install_codes() -> None:
    cs14 = next(m["hex"] for m in MESSAGES if m["name"].startswith("CS14"))
    install_code = "83 FE D3 40 7A 93 97 23 A5 C6 39 B2 69 16 D5"  # RTDS test codes, both devices
    hidden = _run(cs14)
    assert hidden.exit_code == 0
    assert install_code not in hidden.output and hidden.output.count("redacted") == 2
    assert _run("--reveal-keys", cs14).output.count(install_code) == 2


def test_bad_acb_is_a_usage_error() -> None:
    result = _run("--acb", "xyz", MESSAGES[0]["hex"])
    assert result.exit_code == 2


def test_gbt_block_json() -> None:
    from emulator.codec.eui64 import Eui64
    from emulator.codec.gbcs import CRA, RoutingHeader, split

    routing = RoutingHeader(CRA.RESPONSE, 9, Eui64("00DB1234567890A2"), Eui64(ACB), 0x010B)
    blocks = [b.encode().hex() for b in split(bytes.fromhex(MESSAGES[46]["hex"]), routing, 100)]
    result = _run("--json", *blocks)
    assert result.exit_code == 0
    recs = [json.loads(x) for x in result.output.splitlines()]
    assert len(recs) == len(blocks) == 3
    for rec in recs:
        assert rec["ok"] and rec["reencoded_equal"]
        assert (rec["mac"], rec["signature"], rec["use_case"], rec["counter"]) == (
            "absent",
            "absent",
            "DBCH02",
            9,
        )
    tree = _run(blocks[0]).output
    assert "General Block Transfer" in tree and "Block Number: 1" in tree
