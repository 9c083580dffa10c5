"""DUIS request types: RequestID parsing and printing, schema-level checks, secrets kept out."""

from __future__ import annotations

import pytest

from emulator.codec.eui64 import Eui64
from rig.dcc.requests import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessSMWAN,
    CommandVariant,
    DevicePrenotification,
    DeviceType,
    RequestId,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    UpdateHANDeviceLog,
)

SUPPLIER = Eui64("90B3D51F30010000")
CHF = Eui64("00DB1234567890A2")
ESME = Eui64("00DB1234567890A0")


def test_request_id_parses_and_prints_the_duis_form() -> None:
    text = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2:1002"
    rid = RequestId.parse(text)
    assert rid == RequestId(SUPPLIER, CHF, 1002)
    assert str(rid) == text
    assert RequestId.parse(text.lower()) == rid
    assert RequestId.parse(str(RequestId(SUPPLIER, CHF, 2**64 - 1))).counter == 2**64 - 1


@pytest.mark.parametrize(
    "text",
    [
        "90B3D51F30010000:00DB1234567890A2:1002",  # bare hex: not the DUIS pattern
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2",  # no counter
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2:01002",  # leading zero
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2:-1",
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2:18446744073709551616",  # 2**64
        "90-B3-D5-1F-30-01-00:00-DB-12-34-56-78-90-A2:1",
    ],
)
def test_request_id_rejects_other_forms(text: str) -> None:
    with pytest.raises(ValueError):
        RequestId.parse(text)


def test_service_reference_and_default_command_variants() -> None:
    rid = RequestId(SUPPLIER, CHF, 1)
    ch = ServiceRequest(
        rid,
        ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS,
        CHFInstallSuccessSMWAN(CHF),
    )
    assert ch.service_reference == "8.14"
    assert ch.command_variant is CommandVariant.DCC_ONLY
    add = ServiceRequest(
        rid,
        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
        UpdateHANDeviceLog(ESME, RequestType.ADD, AddDeviceToCHFWhitelist(90, bytes(16))),
    )
    assert add.service_reference == "8.11"
    assert add.command_variant is CommandVariant.NON_CRITICAL_SR_TO_DEVICE


def test_body_must_match_the_srv() -> None:
    with pytest.raises(ValueError, match=r"12\.2"):
        ServiceRequest(
            RequestId(SUPPLIER, CHF, 1),
            ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION,
            CHFInstallSuccessSMWAN(CHF),
        )


def test_update_han_device_log_schema_rules() -> None:
    with pytest.raises(ValueError):
        UpdateHANDeviceLog(ESME, RequestType.ADD)
    with pytest.raises(ValueError):
        UpdateHANDeviceLog(ESME, RequestType.REMOVE, AddDeviceToCHFWhitelist(90, bytes(16)))
    with pytest.raises(ValueError):
        AddDeviceToCHFWhitelist(3601, bytes(16))
    with pytest.raises(ValueError):
        AddDeviceToCHFWhitelist(0, bytes(16))
    with pytest.raises(ValueError) as e:
        AddDeviceToCHFWhitelist(90, b"SECRETCODE_15_B")
    assert "SECRETCODE" not in str(e.value)
    with pytest.raises(ValueError):
        DevicePrenotification(ESME, "", "m", DeviceType.ESME)


def test_install_code_is_not_in_repr() -> None:
    code = bytes.fromhex("83FED3407A939723A5C639B26916D505")
    body = UpdateHANDeviceLog(ESME, RequestType.ADD, AddDeviceToCHFWhitelist(90, code))
    request = ServiceRequest(
        RequestId(SUPPLIER, CHF, 1), ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG, body
    )
    text = repr(request)
    assert "join_time_period=90" in text
    assert code.hex() not in text.lower() and repr(code) not in text


def test_response_codes() -> None:
    assert not ResponseCode.I0.is_error and not ResponseCode.I99.is_error
    assert ResponseCode.E19.is_error and ResponseCode("E120203").is_error
