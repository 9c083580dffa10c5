"""Where the DCC applies the TSAT to a request: the device's CPL rows against the modelled date.

It exists so every SRV that checks the TSAT (``tsat.py``, the Release 2 letter's tables) gets
the same verdict and the same journal note.

The device's CPL ``SMETSCHTSVersion`` must be inside its installation validity period on the
request's modelled date (``clock.datetime()``, or today's UTC date without a clock) at 12.2, at
8.14.x for a Pending CHF, and at 8.11 Add for a Pending device, and at 8.1.1 Commission Device
(the maintenance period for a device already InstalledNotCommissioned); 8.14.1 for an
InstalledNotCommissioned CHF checks the maintenance period instead. Refused: 12.2 answers
``DEVICE_MODEL_NOT_ON_CPL`` (E120203), the others ``E5`` [U] (no TSAT-specific code is public);
nothing in the SMI changes. Warned: the request succeeds, the warning goes to the log (WARNING)
and to the response's journal note ("TSAT warning: ..."); no DCC alert, as no DUIS alert code
for it is known [U]. A model with several CPL rows (dual mode) takes the best verdict.
"""

from __future__ import annotations

import logging
from datetime import date

from . import requests as r
from . import tsat
from .inventory import CplEntry, Inventory, SmiRecord
from .services import Rejected

log = logging.getLogger(__name__)


def cpl_rows(inventory: Inventory, device: SmiRecord) -> list[CplEntry]:
    """The CPL rows of ``device``'s model, firmware and SMETS version."""
    return inventory.cpl_entries(
        device.manufacturer,
        device.model,
        device.device_type,
        device.firmware_version,
        device.smets_version,
    )


def check_tsat(
    rows: list[CplEntry],
    code: r.ResponseCode,
    on: date,
    unlisted: tsat.Unlisted,
    maintenance: bool = False,
) -> str:
    """The TSAT verdict on ``rows`` (the device's CPL rows) for the date ``on``: raises
    ``Rejected(code)`` if refused, returns the journal note ("" or the warning)."""
    if not rows:
        return ""  # not on the CPL (any more): not the TSAT's question
    verdicts = [
        tsat.check_version_text(
            e.smets_chts_version, on, maintenance=maintenance, unlisted=unlisted
        )
        for e in rows
    ]
    # the best verdict wins: Outcome is declared allowed, warned, refused
    best = min(verdicts, key=lambda v: list(tsat.Outcome).index(v.outcome))
    if best.outcome is tsat.Outcome.REFUSED:
        raise Rejected(code, f"TSAT: {best.reason}")
    if best.outcome is tsat.Outcome.WARNED:
        log.warning("TSAT warning: %s", best.reason)
        return f"TSAT warning: {best.reason}"
    return ""
