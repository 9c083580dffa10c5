"""The DCC-only SRVs, answered from the SMI and CPL alone: 12.2, 8.14.1 / 8.14.2, 8.2 / 8.3 / 8.4.

It exists so the SRVs that send nothing to a device (their SMI transitions: ``inventory.py``)
are apart from those that do. Each returns what the DCC's I0 response carries, or raises
``Rejected``; for 12.2 the device must be new (``DEVICE_ALREADY_IN_SMI`` [U]) and its model on
the CPL (``DEVICE_MODEL_NOT_ON_CPL`` [U]).
"""

from __future__ import annotations

from datetime import date

from . import requests as r
from . import tsat
from .inventory import Inventory, SmetsVersion, SmiRecord, SmiStatus, TransitionError
from .services import Rejected, device
from .tsat_gate import check_tsat, cpl_rows


def prenotify(
    inventory: Inventory,
    request: r.ServiceRequest,
    body: r.DevicePrenotification,
    on: date,
    unlisted: tsat.Unlisted,
) -> str:
    """12.2: new SMI record (Pending) if the model is on the CPL; the journal note."""
    if inventory.smi(body.device_id) is not None:
        raise Rejected(r.DEVICE_ALREADY_IN_SMI, "device already in the SMI")
    smets = None if body.smets_chts_version is None else SmetsVersion.of(body.smets_chts_version)
    rows = inventory.cpl_entries(
        body.device_manufacturer,
        body.device_model,
        body.device_type,
        body.firmware_version,
        smets,
    )
    if not rows:
        raise Rejected(r.DEVICE_MODEL_NOT_ON_CPL, "device model not on the CPL")
    note = check_tsat(rows, r.DEVICE_MODEL_NOT_ON_CPL, on, unlisted)
    if smets is None and len({e.smets_version for e in rows}) == 1:
        smets = rows[0].smets_version
    inventory.prenotify(
        body.device_id,
        body.device_type,
        body.device_manufacturer,
        body.device_model,
        body.firmware_version,
        smets,
        request.request_id.originator,
    )
    return note


def ch_status_update(
    inventory: Inventory,
    body: r.CHFInstallSuccessSMWAN | r.CHFInstallSuccessNoSMWAN,
    on: date,
    unlisted: tsat.Unlisted,
) -> str:
    """8.14.1 / 8.14.2: the CHF's SMI status; the journal note (the WAN is the DCC's)."""
    ch = device(inventory, body.device_id)
    if ch.device_type is not r.DeviceType.CHF:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "8.14 applies to a CHF")
    maintenance = ch.status is SmiStatus.INSTALLED_NOT_COMMISSIONED
    note = check_tsat(cpl_rows(inventory, ch), r.INVALID_DEVICE_STATUS, on, unlisted, maintenance)
    try:
        if isinstance(body, r.CHFInstallSuccessSMWAN):
            inventory.ch_install_success(body.device_id)
        else:
            inventory.ch_install_no_sm_wan(body.device_id)
    except TransitionError as e:
        raise Rejected(r.INVALID_DEVICE_STATUS, str(e)) from None
    return note


def inventory_service(
    inventory: Inventory,
    request: r.ServiceRequest,
    body: r.ReadInventory | r.DecommissionDevice | r.UpdateInventory,
) -> tuple[r.InventoryDevice, ...]:
    """8.2 / 8.3 / 8.4, from the SMI alone (see ``inventory.py`` for the transitions); the
    devices 8.2 reads.

    8.2 answers the device's record and, for a CHF, those of the devices on its log [U]; any
    Service User may read it [U]. 8.3 and 8.4 need the requester to be the device's
    registered supplier (E4)."""
    record = device(inventory, body.device_id)
    if isinstance(body, r.ReadInventory):
        records = [record]
        if record.device_type is r.DeviceType.CHF:
            records += inventory.devices_on(record.device_id)
        return tuple(_inventory_device(x) for x in records)
    if record.registered_supplier != request.request_id.originator:
        raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
    try:
        if isinstance(body, r.DecommissionDevice):
            inventory.decommission(body.device_id)
        else:
            inventory.delete_device(body.device_id)
    except TransitionError as e:
        raise Rejected(r.INVALID_DEVICE_STATUS, str(e)) from None
    return ()


def _inventory_device(record: SmiRecord) -> r.InventoryDevice:
    return r.InventoryDevice(
        record.device_id,
        record.device_type,
        record.status.value,
        record.manufacturer,
        record.model,
        record.firmware_version,
        None if record.smets_version is None else record.smets_version.value,
        record.ch_id,
    )
