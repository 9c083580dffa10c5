"""The DCC simulator (DESIGN.md rule 7): DUIS service requests, SMI, CPL, journal, ACB, WAN link.

``requests`` holds the DUIS-shaped types, ``inventory`` the SQLite tables and SMI transitions,
``tsat`` the Release 2 TS Applicability Tables, ``acb`` the GBCS commands the Access Control
Broker builds, ``services`` what the device SRVs become in GBCS, ``dcc`` the ``Dcc`` itself,
``supplier`` a Service User driving it (Pre-Command signing included).
"""

from __future__ import annotations

from emulator.codec.gbcs.device_log import HanDeviceType

from .acb import RTDS_ACB, AccessControlBroker
from .dcc import Dcc, NoWanPolicy, WanLink
from .inventory import (
    CplConflict,
    CplEntry,
    CplMode,
    Inventory,
    SmetsVersion,
    SmiRecord,
    SmiStatus,
    TransitionError,
)
from .requests import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessNoSMWAN,
    CHFInstallSuccessSMWAN,
    CommandVariant,
    CommissionDeviceSynchroniseClock,
    DccAlert,
    DccAlertCode,
    DccMessage,
    DecommissionDevice,
    DeviceAlert,
    DevicePrenotification,
    DeviceType,
    InventoryDevice,
    JoinServiceCritical,
    JoinServiceNonCritical,
    PreCommand,
    ReadDeviceLog,
    ReadFirmwareVersion,
    ReadInventory,
    RequestId,
    RequestType,
    ResponseCode,
    ResponseId,
    RestoreHANDeviceLog,
    S1spResponse,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SignedPreCommand,
    UnjoinServiceCritical,
    UnjoinServiceNonCritical,
    UpdateHANDeviceLog,
    UpdateInventory,
)
from .supplier import PreCommandRefused, Supplier
from .tsat import RELEASE_2_TSAT, TsatEntry, TsatVerdict, check_installation, check_maintenance
from .tsat import Outcome as TsatOutcome
from .tsat import Spec as TsatSpec
from .tsat import Unlisted as TsatUnlisted

__all__ = [
    "RELEASE_2_TSAT",
    "RTDS_ACB",
    "AccessControlBroker",
    "AddDeviceToCHFWhitelist",
    "CHFInstallSuccessNoSMWAN",
    "CHFInstallSuccessSMWAN",
    "CommandVariant",
    "CommissionDeviceSynchroniseClock",
    "CplConflict",
    "CplEntry",
    "CplMode",
    "Dcc",
    "DccAlert",
    "DccAlertCode",
    "DccMessage",
    "DecommissionDevice",
    "DeviceAlert",
    "DevicePrenotification",
    "DeviceType",
    "HanDeviceType",
    "Inventory",
    "InventoryDevice",
    "JoinServiceCritical",
    "JoinServiceNonCritical",
    "NoWanPolicy",
    "PreCommand",
    "PreCommandRefused",
    "ReadDeviceLog",
    "ReadFirmwareVersion",
    "ReadInventory",
    "RequestId",
    "RequestType",
    "ResponseCode",
    "ResponseId",
    "RestoreHANDeviceLog",
    "S1spResponse",
    "ServiceReferenceVariant",
    "ServiceRequest",
    "ServiceResponse",
    "SignedPreCommand",
    "SmetsVersion",
    "SmiRecord",
    "SmiStatus",
    "Supplier",
    "TransitionError",
    "TsatEntry",
    "TsatOutcome",
    "TsatSpec",
    "TsatUnlisted",
    "TsatVerdict",
    "UnjoinServiceCritical",
    "UnjoinServiceNonCritical",
    "UpdateHANDeviceLog",
    "UpdateInventory",
    "WanLink",
    "check_installation",
    "check_maintenance",
]
