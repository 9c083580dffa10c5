"""The DCC's side of dual-band Communications Hubs: SRVs 6.28-6.32 and the DualBandCHAlert.

SRVs (DUIS 5.4 bodies; DOMAIN.md §3): 6.28 ``SetCHFSubGHzConfiguration`` -> DBCH04, 6.29
``RequestCHFSubGHzChannelScan`` -> DBCH05, 6.30 ``ReadCHFSubGHzConfiguration`` -> DBCH03, 6.31
``ReadCHFSubGHzChannel`` -> DBCH01, 6.32 ``ReadCHFSubGHzChannelLog`` -> DBCH02. The target is a
CHF; the ACB originates the command with the Service User as supplementary remote party (the RTDS
DBCH commands: originator 90B3D51F30000002, remote party the supplier with its request counter).
The DUIS ranges of the configuration are checked when the body is built (``SubGhzConfiguration``
raises), so a request out of range never reaches a hub.

Sub GHz Alerts (0x8F20-0x8F2D) from a CH become a DUIS ``DCCAlert`` ``DualBandCHAlert`` (SRPD
v1.1 clause 15.5(c) as the Release 2 letter amends it, paragraph 4): the CHF's ID, the device alert
code, the GBCS message code, and the detail the alert carries (device to suspend, operating
channel and scan trigger, assessment outcome, configuration, the discarded message's RequestID and
CRA flag, the device refused for capacity).
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import CRA, GbcsDecodeError, GeneralSigning, MessageCode, OtherInformation
from emulator.codec.gbcs.dlms import Data, DataNotification, decode_dlms
from emulator.codec.gbcs.sub_ghz import (
    ChannelMask,
    DiscardedMessage,
    ScanAssessment,
    ScanTrigger,
    SubGhzConfiguration,
    dbch01_payload,
    dbch02_payload,
    dbch03_payload,
    dbch04_payload,
    dbch05_payload,
)

SUB_GHZ_ALERTS = range(0x8F20, 0x8F2E)
DUAL_BAND_CH_ALERT_CODE = "N60"
"""[U] The DCCAlertCode a DualBandCHAlert travels under: DUIS 5.4 lists N1-N65 without their
meanings; which N-code SRPD 15.5(c) assigns is not public here. A named setting."""


@dataclass(frozen=True, slots=True)
class SetCHFSubGHzConfiguration:
    """6.28 body."""

    configuration: SubGhzConfiguration


@dataclass(frozen=True, slots=True)
class RequestCHFSubGHzChannelScan:
    """6.29 body (empty in DUIS)."""


@dataclass(frozen=True, slots=True)
class ReadCHFSubGHzConfiguration:
    """6.30 body (empty in DUIS)."""


@dataclass(frozen=True, slots=True)
class ReadCHFSubGHzChannel:
    """6.31 body (empty in DUIS)."""


@dataclass(frozen=True, slots=True)
class ReadCHFSubGHzChannelLog:
    """6.32 body: DUIS ``ReadLogPeriod``."""

    start: datetime.datetime
    end: datetime.datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("ReadLogPeriod ends before it starts")


SubGhzBody = (
    SetCHFSubGHzConfiguration
    | RequestCHFSubGHzChannelScan
    | ReadCHFSubGHzConfiguration
    | ReadCHFSubGHzChannel
    | ReadCHFSubGHzChannelLog
)


def command(
    body: SubGhzBody, acb: Eui64, counter: int, chf: Eui64, supplier: Eui64, supplier_counter: int
) -> tuple[MessageCode, GeneralSigning]:
    """The DBCH command for ``body`` from the ACB to ``chf`` (not yet MAC'd)."""
    code: MessageCode
    if isinstance(body, SetCHFSubGHzConfiguration):
        code, content = (
            MessageCode.DBCH04_SET_CHF_SUB_GHZ_CONFIGURATION,
            dbch04_payload(counter, body.configuration),
        )
    elif isinstance(body, RequestCHFSubGHzChannelScan):
        code, content = MessageCode.DBCH05_REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN, dbch05_payload(counter)
    elif isinstance(body, ReadCHFSubGHzConfiguration):
        code, content = MessageCode.DBCH03_READ_CHF_SUB_GHZ_CONFIGURATION, dbch03_payload(counter)
    elif isinstance(body, ReadCHFSubGHzChannel):
        code, content = MessageCode.DBCH01_READ_CHF_SUB_GHZ_CHANNEL, dbch01_payload(counter)
    else:
        code = MessageCode.DBCH02_READ_CHF_SUB_GHZ_CHANNEL_LOG
        content = dbch02_payload(counter, body.start, body.end)
    apdu = GeneralSigning(
        CRA.COMMAND,
        counter,
        acb,
        chf,
        OtherInformation(int(code), supplier, supplier_counter),
        content,
    )
    return code, apdu


class DualBandDetail(enum.Enum):
    """Which element of the DUIS choice the alert fills."""

    LIMITED_DUTY_CYCLE_ACTION_TAKEN = "LimitedDutyCycleActionTaken"
    SUB_GHZ_CHANNEL_CHANGED = "SubGHzChannelChanged"
    SUB_GHZ_CHANNEL_SCAN_REQUEST_ASSESSMENT_OUTCOME = "SubGHzChannelScanRequestAssessmentOutcome"
    SUB_GHZ_CONFIGURATION_CHANGED = "SubGHzConfigurationChanged"
    MESSAGE_DISCARDED_DUE_TO_DUTY_CYCLE_MANAGEMENT = "MessageDiscardedDueToDutyCycleManagement"
    NO_MORE_SUB_GHZ_DEVICE_CAPACITY = "NoMoreSubGHzDeviceCapacity"


@dataclass(frozen=True, slots=True)
class DualBandCHAlert:
    """DUIS ``DCCAlert/DualBandCHAlert``: CHFDeviceID, DeviceAlertCode,
    GBCSHexadecimalMessageCode and the optional detail."""

    recipient: Eui64
    chf_device_id: Eui64
    device_alert_code: int
    gbcs_message_code: int
    response_date_time: datetime.datetime
    detail: DualBandDetail | None = None
    device_id: Eui64 | None = None  # LimitedDutyCycleActionTaken / NoMoreSubGHzDeviceCapacity
    operating_channel: ChannelMask | None = None
    scan_trigger: ScanTrigger | None = None
    status_code: ScanAssessment | None = None
    configuration: SubGhzConfiguration | None = None
    discarded: DiscardedMessage | None = None
    dcc_alert_code: str = DUAL_BAND_CH_ALERT_CODE
    gbcs_payload: bytes = field(default=b"", repr=False)

    @property
    def device_alert_code_hex(self) -> str:
        return f"{self.device_alert_code:04X}"

    @property
    def discarded_request_id(self) -> str | None:
        """The discarded message's DUIS RequestID (``originator:target:counter``)."""
        d = self.discarded
        return None if d is None else f"{d.originator}:{d.target}:{d.counter}"

    @property
    def discarded_cra_flag(self) -> str | None:
        return None if self.discarded is None else CRA(self.discarded.cra).name.title()


def to_dual_band_alert(
    apdu: GeneralSigning,
    alert_code: int,
    recipient: Eui64,
    now: datetime.datetime,
    data: bytes,
) -> DualBandCHAlert:
    """The DUIS alert for a CH's Sub GHz Alert (``alert_code`` in ``SUB_GHZ_ALERTS``)."""
    alert = DualBandCHAlert(
        recipient, apdu.originator, alert_code, apdu.message_code, now, gbcs_payload=data
    )
    body = _body(apdu.content)
    code = apdu.message_code
    try:
        if body is None:
            return alert
        if code in (
            MessageCode.DBCH06_LIMITED_DUTY_CYCLE_ACTION_TAKEN_SUB_GHZ_ALERT,
            MessageCode.DBCH11_NO_MORE_SUB_GHZ_DEVICE_CAPACITY_SUB_GHZ_ALERT,
        ) and isinstance(body.value, bytes):
            detail = (
                DualBandDetail.LIMITED_DUTY_CYCLE_ACTION_TAKEN
                if code == MessageCode.DBCH06_LIMITED_DUTY_CYCLE_ACTION_TAKEN_SUB_GHZ_ALERT
                else DualBandDetail.NO_MORE_SUB_GHZ_DEVICE_CAPACITY
            )
            return _with(alert, detail=detail, device_id=Eui64(body.value))
        if code == MessageCode.DBCH07_SUB_GHZ_SUB_GHZ_CHANNEL_CHANGED_SUB_GHZ_ALERT:
            channel, trigger = body.items
            return _with(
                alert,
                detail=DualBandDetail.SUB_GHZ_CHANNEL_CHANGED,
                operating_channel=ChannelMask.from_data(channel),
                scan_trigger=ScanTrigger(_octet(trigger)),
            )
        if code == MessageCode.DBCH08_SUB_GHZ_CHANNEL_SCAN_REQUEST_ASSESSMENT_OUTCOME_SUB_GHZ_ALERT:
            status, trigger = body.items
            return _with(
                alert,
                detail=DualBandDetail.SUB_GHZ_CHANNEL_SCAN_REQUEST_ASSESSMENT_OUTCOME,
                status_code=ScanAssessment(_octet(status)),
                scan_trigger=ScanTrigger(_octet(trigger)),
            )
        if code == MessageCode.DBCH09_SUB_GHZ_CONFIGURATION_CHANGED_SUB_GHZ_ALERT:
            return _with(
                alert,
                detail=DualBandDetail.SUB_GHZ_CONFIGURATION_CHANGED,
                configuration=SubGhzConfiguration.from_data(body),
            )
        if code == MessageCode.DBCH10_MESSAGE_DISCARDED_DUE_TO_DUTY_CYCLE_MANAGEMENT_SUB_GHZ_ALERT:
            assert isinstance(body.value, bytes)
            return _with(
                alert,
                detail=DualBandDetail.MESSAGE_DISCARDED_DUE_TO_DUTY_CYCLE_MANAGEMENT,
                discarded=DiscardedMessage.from_bytes(body.value),
            )
    except (ValueError, TypeError, AssertionError, GbcsDecodeError):
        pass  # the alert still goes out, without a detail it could not read
    return alert


def _with(alert: DualBandCHAlert, **changes: object) -> DualBandCHAlert:
    from dataclasses import replace

    return replace(alert, **changes)  # type: ignore[arg-type]


def _body(content: bytes) -> Data | None:
    try:
        n = decode_dlms(content)
    except GbcsDecodeError:
        return None
    if not isinstance(n, DataNotification) or len(n.body.items) < 3:
        return None
    return n.body.items[2]


def _octet(d: Data) -> int:
    if not isinstance(d.value, bytes) or len(d.value) != 1:
        raise ValueError("expected one octet")
    return d.value[0]
