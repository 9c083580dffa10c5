"""Outside oracle: tshark dissects a pcap of every frame kind with no malformed frame and, given
our keys file, decrypts every secured one to the bytes we built."""

from __future__ import annotations

from pathlib import Path

from support.catalogue import DEVICE, TEST_LINK_KEY, TEST_NETWORK_KEY, TEST_TCLK, Entry

from emulator.han.capture import KeyRing, PcapCapture


def write(entries: list[Entry], directory: Path, with_keys: bool = True) -> tuple[Path, Path]:
    pcap = directory / "han-2g4.pcap"
    with PcapCapture(pcap) as capture:
        for i, e in enumerate(entries):
            capture.write(e.psdu, i * 0.005)
    ring = KeyRing()
    if with_keys:
        ring.add_network_key(TEST_NETWORK_KEY)
        ring.add_link_key(DEVICE, TEST_LINK_KEY)
        ring.add_link_key(DEVICE, TEST_TCLK)
    ring.write(directory)
    return pcap, directory / "zigbee_pc_keys"


def test_no_malformed_or_undecrypted_frames(catalogue: list[Entry], tmp_path: Path, tshark) -> None:  # type: ignore[no-untyped-def]
    pcap, keys = write(catalogue, tmp_path)
    rows = tshark(pcap, ["frame.number"], keys, "_ws.malformed || _ws.expert.severity >= warning")
    assert rows == []
    assert len(tshark(pcap, ["frame.number"], keys)) == len(catalogue)


def test_decrypted_fields_match_what_we_built(
    catalogue: list[Entry], tmp_path: Path, tshark
) -> None:  # type: ignore[no-untyped-def]
    pcap, keys = write(catalogue, tmp_path)
    fields = [
        "wpan.frame_type",
        "wpan.seq_no",
        "wpan.fcs_ok",
        "wpan.cmd",
        "zbee_nwk.cmd.id",
        "zbee_aps.cmd.id",
        "zbee_aps.cmd.key",
        "zbee_aps.counter",
        "zbee_zcl.cmd.tsn",
        "zbee_zcl.cmd.id",
    ]
    rows = tshark(pcap, fields, keys)
    for entry, row in zip(catalogue, rows, strict=True):
        assert int(row["wpan.frame_type"], 16) == entry.mac.frame_type, entry.name
        assert row["wpan.fcs_ok"] in ("1", "True"), entry.name
        if entry.mac.command is not None:
            assert int(row["wpan.cmd"], 16) == entry.mac.command.command_id, entry.name
        if entry.nwk_command is not None:
            assert int(row["zbee_nwk.cmd.id"], 16) == entry.nwk_command.command_id, entry.name
        if entry.aps_command is not None:
            assert int(row["zbee_aps.cmd.id"], 16) == entry.aps_command.command_id, entry.name
            key = getattr(entry.aps_command, "key", None)
            if key is not None:
                assert bytes.fromhex(row["zbee_aps.cmd.key"]) == key, entry.name
        if (
            entry.app_payload
            and entry.aps is not None
            and entry.aps.profile == 0x0109
            and not entry.aps.extended
        ):
            # The decrypted ZCL header: its sequence number always, the command of global frames.
            assert int(row["zbee_zcl.cmd.tsn"]) == entry.app_payload[1], entry.name
            if entry.app_payload[0] & 0x03 == 0:
                assert int(row["zbee_zcl.cmd.id"], 16) == entry.app_payload[2], entry.name


def test_without_keys_secured_frames_stay_encrypted(
    catalogue: list[Entry], tmp_path: Path, tshark
) -> None:  # type: ignore[no-untyped-def]
    pcap, keys = write(catalogue, tmp_path, with_keys=False)
    secured = [e for e in catalogue if e.nwk is not None and (e.nwk.aux or (e.aps and e.aps.aux))]
    rows = tshark(pcap, ["frame.number"], keys, "_ws.expert.severity >= warning")
    assert len(rows) == len(secured)
