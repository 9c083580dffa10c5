"""MP202's inventory rules for dual-mode PPMIDs in the DCC: CPL modes, route, wrong system.

- **CPL mode per model** (``inventory.CplMode``, read from the model's rows): *enduring* (two rows
  with the same firmware version, one SMETS1 and one SMETS2+) or *tactical* (the SMETS1 row carries
  a fictitious firmware version). ``dual_mode_rows`` writes a model's rows in either mode.
- **Pre-notification** (12.2) as SMETS1 or SMETS2+ picks the row; the SMI keeps its version and
  firmware version.
- **Whitelisting** (8.11, ``Inventory.whitelist``): the PPMID's SMI SMETS version becomes the
  CH's (the four-row table, ``inventory.mp202_smets_version``), except in the tactical mode, where
  it stays as pre-notified [U] (the table is the enduring solution's).
- **Route** (``route``): a SMETS1 device's requests go to the S1SP (``s1sp.py``), a SMETS2+ one's
  become GBCS; the route follows the SMI SMETS version.
- **Wrong system** (``wrong_system``): a PPMID whose SMI SMETS version is not its CH's, or whose
  (firmware version, SMETS version) has no CPL row for its model, was installed against the wrong
  system and "cannot be the target of any Service Requests" (MP202 section 2): every request whose
  target it is gets ``PPMID_ON_WRONG_SYSTEM`` (``refuse_wrong_system``). Only the Supplier's
  8.11 Remove on its CH, and the DCC's manual SMI changes, can follow.
- **Requirement 7** lives with 11.4 in ``firmware.py`` (OTA only to PPMIDs enrolled in SMETS2+).
"""

from __future__ import annotations

import enum

from emulator.codec.eui64 import Eui64

from . import requests as r
from .inventory import CplEntry, CplMode, Inventory, SmetsVersion, SmiRecord, cpl_mode
from .services import Rejected

ROW_NAMES = ("s1-s1", "s1-s2", "s2-s1", "s2-s2")
"""MP202's four rows as pre-notified-CH: ``s1-s2`` is pre-notified SMETS1, CH SMETS2+."""


PPMID_ON_WRONG_SYSTEM = r.ResponseCode.E5
"""[U] The DUIS error for a request whose target is a PPMID installed against the wrong system:
its SMI record is incompatible with any SRV (E5, "invalid device status"); no public DUIS code
says exactly this. The reason goes to the response's journal note."""

SMETS1_TEXT = "SMETS1"
SMETS2_TEXT = "SMETS2 V4.1"


class Route(enum.Enum):
    """Where the DCC sends a device's service requests."""

    GBCS = "GBCS (ACB, SM WAN, CH)"
    S1SP = "S1SP (SMETS1 Service Provider)"


def route(record: SmiRecord) -> Route:
    """The route of ``record``'s requests: its SMI SMETS version decides (MP202 section 1)."""
    return Route.S1SP if record.smets_version is SmetsVersion.SMETS1 else Route.GBCS


def dual_mode_rows(
    manufacturer: str,
    model: str,
    hardware_version: str,
    firmware_version: str,
    mode: CplMode,
    fictitious_firmware_version: str | None = None,
    smets2_text: str = SMETS2_TEXT,
) -> tuple[CplEntry, CplEntry]:
    """A dual-mode PPMID model's two CPL rows, (SMETS1, SMETS2+), in ``mode``: ENDURING with the
    same firmware version, TACTICAL with ``fictitious_firmware_version`` on the SMETS1 row."""
    if mode is CplMode.SINGLE:
        raise ValueError("a dual-mode model is on the CPL in the enduring or the tactical mode")
    smets1_version = firmware_version
    if mode is CplMode.TACTICAL:
        if fictitious_firmware_version in (None, firmware_version):
            raise ValueError("the tactical mode needs a fictitious SMETS1 firmware version")
        assert fictitious_firmware_version is not None
        smets1_version = fictitious_firmware_version
    t = r.DeviceType.PPMID
    return (
        CplEntry(manufacturer, model, hardware_version, smets1_version, t, SMETS1_TEXT),
        CplEntry(manufacturer, model, hardware_version, firmware_version, t, smets2_text),
    )


def wrong_system(inventory: Inventory, record: SmiRecord) -> str | None:
    """Why ``record`` (a PPMID on a CH) is installed against the wrong system, or None."""
    if record.device_type is not r.DeviceType.PPMID or record.ch_id is None:
        return None
    ch = inventory.smi(record.ch_id)
    if ch is None or ch.smets_version is None or record.smets_version is None:
        return None
    if record.smets_version is not ch.smets_version:
        return (
            f"PPMID {record.device_id} is {record.smets_version.value} in the SMI but installed "
            f"on a {ch.smets_version.value} CH ({ch.device_id})"
        )
    rows = inventory.cpl_entries(
        record.manufacturer,
        record.model,
        record.device_type,
        record.firmware_version,
        record.smets_version,
    )
    if not rows:
        return (
            f"PPMID {record.device_id}: no {record.smets_version.value} CPL row for firmware "
            f"{record.firmware_version} of {record.manufacturer} {record.model}"
        )
    return None


def refuse_wrong_system(inventory: Inventory, target: Eui64) -> None:
    """Raise ``Rejected(PPMID_ON_WRONG_SYSTEM)`` when ``target`` is a PPMID on the wrong system."""
    record = inventory.smi(target)
    if record is None:
        return
    reason = wrong_system(inventory, record)
    if reason is not None:
        raise Rejected(PPMID_ON_WRONG_SYSTEM, f"MP202: cannot be the target of an SRV: {reason}")


def cpl_mode_of(inventory: Inventory, record: SmiRecord) -> CplMode:
    """The CPL mode of ``record``'s model for its firmware version."""
    rows = inventory.cpl_entries(record.manufacturer, record.model, record.device_type)
    return cpl_mode(rows, record.firmware_version)
