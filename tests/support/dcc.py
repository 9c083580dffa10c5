"""Shared DCC test parties and DUIS service request builders (RTDS 4.5.0 CCS01 defaults)."""

from __future__ import annotations

from collections.abc import Sequence

from emulator.codec.eui64 import Eui64
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessNoSMWAN,
    CHFInstallSuccessSMWAN,
    CplEntry,
    DccMessage,
    RequestId,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    UpdateHANDeviceLog,
)

ACB = Eui64("90B3D51F30000002")
SUPPLIER = Eui64("90B3D51F30010000")
ESME = Eui64("00DB1234567890A0")
CHF = Eui64("00DB1234567890A2")
PPMID = Eui64("00DB1234567890A4")
INSTALL_CODE = b"0123456789ABCDEF"  # the RTDS CCS01's install code (ASCII, 16 bytes)
RTDS_REQUEST_COUNTER = 1002


def prenotification(
    eui: Eui64, entry: CplEntry, counter: int, supplier: Eui64 = SUPPLIER
) -> ServiceRequest:
    """12.2 Device Pre-notification of ``eui`` as the CPL ``entry``."""
    return ServiceRequest(
        RequestId(supplier, ACB, counter),
        ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION,
        entry.prenotification(eui),
    )


def ch_install(counter: int, wan: bool = True) -> ServiceRequest:
    """8.14.1 (with SM WAN) or 8.14.2 (no SM WAN) for the CHF."""
    if wan:
        return ServiceRequest(
            RequestId(SUPPLIER, ACB, counter),
            ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS,
            CHFInstallSuccessSMWAN(CHF),
        )
    return ServiceRequest(
        RequestId(SUPPLIER, ACB, counter),
        ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN,
        CHFInstallSuccessNoSMWAN(CHF),
    )


def add_request(
    device: Eui64 = ESME,
    counter: int = RTDS_REQUEST_COUNTER,
    supplier: Eui64 = SUPPLIER,
    install_code: bytes = INSTALL_CODE,
) -> ServiceRequest:
    """8.11 Add to the CHF's whitelist; by default the RTDS / duis-templates CCS01_8.11 request."""
    return ServiceRequest(
        RequestId(supplier, CHF, counter),
        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
        UpdateHANDeviceLog(device, RequestType.ADD, AddDeviceToCHFWhitelist(90, install_code)),
    )


def only(messages: Sequence[DccMessage]) -> DccMessage:
    assert len(messages) == 1, messages
    return messages[0]


def code_of(messages: Sequence[DccMessage]) -> ResponseCode:
    m = only(messages)
    assert isinstance(m, ServiceResponse)
    return m.response_code
