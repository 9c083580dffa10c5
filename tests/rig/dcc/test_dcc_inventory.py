"""SMI transitions, MP202 CPL rows and whitelisting rule, the ACB counter, the journal tables."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from rig.dcc.inventory import (
    CplConflict,
    CplEntry,
    Inventory,
    SmetsVersion,
    SmiStatus,
    TransitionError,
)
from rig.dcc.requests import DeviceType, ServiceReferenceVariant

SUPPLIER = Eui64("90B3D51F30010000")
CHF = Eui64("00DB1234567890A2")
ESME = Eui64("00DB1234567890A0")
PPMID = Eui64("00DB1234567890A4")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def inv(tmp_path: Path) -> Inventory:
    return Inventory(tmp_path / "dcc.sqlite")


def _ppmid_row(version: str, fw: str = "01020304") -> CplEntry:
    return CplEntry("PP01", "DualMode", "1", fw, DeviceType.PPMID, version)


def test_database_is_wal(tmp_path: Path) -> None:
    Inventory(tmp_path / "dcc.sqlite").close()
    db = sqlite3.connect(tmp_path / "dcc.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_mp202_two_cpl_rows_for_one_firmware_version(inv: Inventory) -> None:
    inv.add_cpl_entry(_ppmid_row("SMETS1"))
    inv.add_cpl_entry(_ppmid_row("SMETS2 V4.1"))
    rows = inv.cpl_entries("PP01", "DualMode", DeviceType.PPMID, "01020304")
    assert [r.smets_version for r in rows] == [SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS]
    assert inv.cpl_entries(
        "PP01", "DualMode", DeviceType.PPMID, "01020304", SmetsVersion.SMETS1
    ) == [_ppmid_row("SMETS1")]
    # a third row of a generation already listed breaks the key
    with pytest.raises(CplConflict):
        inv.add_cpl_entry(_ppmid_row("SMETS2 V5.0"))
    assert inv.cpl_entries("PP01", "DualMode", DeviceType.PPMID, "99999999") == []
    inv.remove_cpl_entry(_ppmid_row("SMETS1"))
    assert len(inv.cpl_entries("PP01", "DualMode", DeviceType.PPMID)) == 1


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("SMETS1", SmetsVersion.SMETS1),
        ("SMETS V1.58", SmetsVersion.SMETS1),
        ("SMETS2 V4.1", SmetsVersion.SMETS2_PLUS),
        ("CHTS V1.1", SmetsVersion.SMETS2_PLUS),
    ],
)
def test_smets_version_classification(text: str, version: SmetsVersion) -> None:
    assert SmetsVersion.of(text) is version


def _prenotify(inv: Inventory, eui: Eui64, kind: DeviceType, smets: SmetsVersion | None) -> None:
    inv.prenotify(eui, kind, "M", "X", "1", smets, SUPPLIER)


def test_ch_transitions(inv: Inventory) -> None:
    _prenotify(inv, CHF, DeviceType.CHF, SmetsVersion.SMETS2_PLUS)
    rec = inv.smi(CHF)
    assert rec is not None and rec.status is SmiStatus.PENDING
    assert rec.registered_supplier == SUPPLIER
    assert inv.ch_install_no_sm_wan(CHF).status is SmiStatus.INSTALLED_NOT_COMMISSIONED
    with pytest.raises(TransitionError):
        inv.ch_install_no_sm_wan(CHF)
    assert inv.ch_install_success(CHF).status is SmiStatus.COMMISSIONED
    with pytest.raises(TransitionError):
        inv.ch_install_success(CHF)
    with pytest.raises(TransitionError):
        _prenotify(inv, CHF, DeviceType.CHF, None)
    with pytest.raises(TransitionError):
        inv.ch_install_success(Eui64(1))


def test_whitelist_and_remove(inv: Inventory) -> None:
    _prenotify(inv, CHF, DeviceType.CHF, SmetsVersion.SMETS2_PLUS)
    _prenotify(inv, ESME, DeviceType.ESME, SmetsVersion.SMETS2_PLUS)
    rec = inv.whitelist(ESME, CHF)
    assert rec.status is SmiStatus.WHITELISTED and rec.ch_id == CHF
    assert inv.remove_from_whitelist(ESME).status is SmiStatus.PENDING
    assert inv.smi(ESME) is not None and inv.smi(ESME).ch_id is None  # type: ignore[union-attr]
    with pytest.raises(TransitionError):
        inv.remove_from_whitelist(ESME)


@pytest.mark.parametrize(
    ("pre_notified", "ch", "result"),
    [
        (SmetsVersion.SMETS1, SmetsVersion.SMETS1, SmetsVersion.SMETS1),
        (SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS, SmetsVersion.SMETS2_PLUS),
        (SmetsVersion.SMETS2_PLUS, SmetsVersion.SMETS1, SmetsVersion.SMETS1),
        (SmetsVersion.SMETS2_PLUS, SmetsVersion.SMETS2_PLUS, SmetsVersion.SMETS2_PLUS),
    ],
)
def test_mp202_ppmid_takes_the_ch_smets_version(
    inv: Inventory, pre_notified: SmetsVersion, ch: SmetsVersion, result: SmetsVersion
) -> None:
    """DOMAIN.md section 1, the four-row table."""
    _prenotify(inv, CHF, DeviceType.CHF, ch)
    _prenotify(inv, PPMID, DeviceType.PPMID, pre_notified)
    assert inv.whitelist(PPMID, CHF).smets_version is result


def test_non_ppmid_keeps_its_smets_version(inv: Inventory) -> None:
    _prenotify(inv, CHF, DeviceType.CHF, SmetsVersion.SMETS1)
    _prenotify(inv, ESME, DeviceType.ESME, SmetsVersion.SMETS2_PLUS)
    assert inv.whitelist(ESME, CHF).smets_version is SmetsVersion.SMETS2_PLUS


def test_acb_counter_rises_and_survives_a_restart(tmp_path: Path) -> None:
    inv = Inventory(tmp_path / "dcc.sqlite")
    assert inv.next_counter(floor=1302) == 1302
    assert inv.next_counter(floor=1302) == 1303
    assert inv.next_counter() == 1304
    inv.close()
    again = Inventory(tmp_path / "dcc.sqlite")
    assert again.next_counter() == 1305
    assert again.next_counter(floor=5000) == 5000


def test_journal_tables(inv: Inventory) -> None:
    inv.journal_request(
        NOW,
        "rid",
        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
        1,
        {"x": 1},
        (1, 1302, b"\xdd\x00"),
    )
    inv.journal_response(NOW, "rid", None, None, "I0", b"\x01\x02", True)
    inv.journal_alert(NOW, "device", "8F12", None, None, b"\x0f\x20", True, secret=True)
    (req,) = inv.journal("request")
    assert req["gbcs_originator_counter"] == 1302 and len(str(req["gbcs_sha256"])) == 64
    assert "DD00" not in str(req)
    (resp,) = inv.journal("response")
    assert resp["gbcs"] == "0102" and resp["accepted"] == 1
    (alert,) = inv.journal("alert")
    assert str(alert["gbcs"]).startswith("sha256:")
    with pytest.raises(ValueError):
        inv.journal("smi")
