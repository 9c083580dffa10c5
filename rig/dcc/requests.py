"""DUIS-shaped service requests, responses and alerts (DUIS 5.4, Python API first).

Names follow the DUIS 5.4 XML schema (``DUIS Schema V5.4.xsd`` as SmartDCCInnovation
dccboxed-signing-tool carries it; request bodies as SmartDCCInnovation duis-templates show them):
``RequestID``, ``CommandVariant``, ``ServiceReferenceVariant``, ``DevicePrenotification``,
``CHFInstallSuccessSMWAN``, ``UpdateHANDeviceLog``, ``ResponseCode``, ``DCCAlertCode``,
``JoinServiceCritical``, ``UnjoinServiceNonCritical``, ``CommissionDeviceSynchroniseClock``,
``ReadDeviceLog``, ``ReadInventory``, ``DecommissionDevice``, ``UpdateInventory`` (the
duis-templates requests of SRVs 8.1.1-8.9).

Critical SRVs go through the Pre-Command transform: the Service User sends the request with
``CommandVariant`` 4, the DCC answers with a ``PreCommand`` (the GBCS command, unsigned), the
Service User signs it and sends it back as a ``SignedPreCommand`` (``CommandVariant`` 5, same
RequestID).

Structural rules the schema enforces (patterns, ranges, which body goes with which SRV) are checked
when the objects are built and raise ``ValueError``, as schema validation rejects the XML; business
rules (SMI, CPL, statuses) are the DCC's and come back as DUIS response codes.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import Verdict

from . import dual_band

MAX_COUNTER = (1 << 64) - 1
_EUI_DUIS = r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}"
_REQUEST_ID = re.compile(rf"({_EUI_DUIS}):({_EUI_DUIS}):(0|[1-9][0-9]{{0,19}})")


@dataclass(frozen=True, slots=True)
class RequestId:
    """DUIS ``RequestIDType``: ``originatorEUI:targetEUI:counter`` (also the ``ResponseIDType``).

    The counter is the Service User's: it becomes the GBCS originator counter, or the supplementary
    remote party counter when the ACB originates the command (as for CCS01), DOMAIN.md section 2.
    """

    originator: Eui64
    target: Eui64
    counter: int

    def __post_init__(self) -> None:
        if not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError("a RequestID counter is an unsigned 64-bit number")

    @classmethod
    def parse(cls, text: str) -> RequestId:
        m = _REQUEST_ID.fullmatch(text.strip())
        if m is None:
            raise ValueError(f"not a DUIS RequestID: {text!r}")
        return cls(Eui64(m.group(1)), Eui64(m.group(2)), int(m.group(3)))

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"


ResponseId = RequestId
"""DUIS ``ResponseIDType`` has the same shape: ``deviceEUI:recipientEUI:counter``."""


class CommandVariant(enum.IntEnum):
    """DUIS ``CommandVariant`` (schema comment table): what the Service User wants back."""

    NON_CRITICAL_SR_TO_DEVICE = 1
    NON_CRITICAL_SR_LOCAL_DELIVERY = 2
    NON_CRITICAL_SR_DEVICE_AND_LOCAL = 3
    CRITICAL_SR_FOR_PRE_COMMAND = 4
    SIGNED_PRE_COMMAND_TO_DEVICE = 5
    SIGNED_PRE_COMMAND_LOCAL_DELIVERY = 6
    SIGNED_PRE_COMMAND_DEVICE_AND_LOCAL = 7
    DCC_ONLY = 8


class ServiceReferenceVariant(enum.Enum):
    """The SRVs this DCC serves (DOMAIN.md section 3)."""

    DEVICE_PRE_NOTIFICATION = "12.2"
    CH_STATUS_UPDATE_INSTALL_SUCCESS = "8.14.1"
    CH_STATUS_UPDATE_INSTALL_NO_SM_WAN = "8.14.2"
    UPDATE_HAN_DEVICE_LOG = "8.11"
    READ_FIRMWARE_VERSION = "11.2"
    COMMISSION_DEVICE = "8.1.1"
    READ_INVENTORY = "8.2"
    DECOMMISSION_DEVICE = "8.3"
    UPDATE_INVENTORY = "8.4"
    JOIN_SERVICE_CRITICAL = "8.7.1"
    JOIN_SERVICE_NON_CRITICAL = "8.7.2"
    UNJOIN_SERVICE_CRITICAL = "8.8.1"
    UNJOIN_SERVICE_NON_CRITICAL = "8.8.2"
    READ_DEVICE_LOG = "8.9"
    RESTORE_HAN_DEVICE_LOG = "8.12.1"
    SET_CHF_SUB_GHZ_CONFIGURATION = "6.28"
    REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN = "6.29"
    READ_CHF_SUB_GHZ_CONFIGURATION = "6.30"
    READ_CHF_SUB_GHZ_CHANNEL = "6.31"
    READ_CHF_SUB_GHZ_CHANNEL_LOG = "6.32"
    UPDATE_SECURITY_CREDENTIALS_COS = "6.23"
    UPDATE_FIRMWARE = "11.1"
    ACTIVATE_FIRMWARE = "11.3"
    UPDATE_PPMID_FIRMWARE = "11.4"

    @property
    def service_reference(self) -> str:
        """DUIS ``ServiceReference``: the variant's first two levels (``8.14.1`` -> ``8.14``)."""
        return ".".join(self.value.split(".")[:2])

    @property
    def dcc_only(self) -> bool:
        """Served from the DCC's own data, no GBCS (command variant 8)."""
        return self in _DCC_ONLY

    @property
    def critical(self) -> bool:
        """A critical SRV: its command goes through the Pre-Command transform (CV 4, then 5)."""
        return self in _CRITICAL


_DCC_ONLY = frozenset(
    {
        ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION,
        ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS,
        ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN,
        ServiceReferenceVariant.READ_INVENTORY,
        ServiceReferenceVariant.DECOMMISSION_DEVICE,
        ServiceReferenceVariant.UPDATE_INVENTORY,
    }
)
_CRITICAL = frozenset(
    {
        ServiceReferenceVariant.COMMISSION_DEVICE,
        ServiceReferenceVariant.JOIN_SERVICE_CRITICAL,
        ServiceReferenceVariant.UNJOIN_SERVICE_CRITICAL,
        ServiceReferenceVariant.ACTIVATE_FIRMWARE,
    }
)


class DeviceType(enum.Enum):
    """DUIS ``DeviceType``."""

    ESME = "ESME"
    GSME = "GSME"
    GPF = "GPF"
    CHF = "CHF"
    HCALCS = "HCALCS"
    PPMID = "PPMID"
    IHD = "IHD"
    CAD = "CAD"


class ResponseCode(enum.Enum):
    """DUIS ``ResponseCode`` values this DCC returns (the schema lists many more).

    Meanings from the DUIS "DCC Systems Response Codes" table as republished publicly (I0, I99,
    E1-E5, E11-E13, E17, E19-E21); the SRV-specific six-digit codes exist in the 5.4 schema but
    their texts are not public here: those we use are marked [U] at their alias below.
    """

    I0 = "I0"  # Success
    E1 = "E1"  # Failed Authentication - Signature Verification
    I99 = "I99"  # Acknowledgement: accepted for sending to the device, passed access control
    E4 = "E4"  # Failed Authorisation - Invalid User / User Role for Device
    E5 = "E5"  # Failed Authorisation - Invalid Device Status (SMI status incompatible with SRV)
    E11 = "E11"  # Failed Validation - Invalid Service Request / device type combination
    E12 = "E12"  # Failed Validation - Invalid Request / Command Variant combination
    E19 = "E19"  # Failed Authorisation - Device doesn't exist
    E20 = "E20"  # Communications Failure - Unable to Communicate with Device
    E21 = "E21"  # Communications Failure - No Response Received from Device
    E120201 = "E120201"  # [U] 12.2-specific
    E120203 = "E120203"  # [U] 12.2-specific

    @property
    def is_error(self) -> bool:
        return self.value.startswith("E")


SUCCESS = ResponseCode.I0
ACKNOWLEDGEMENT = ResponseCode.I99
DEVICE_DOES_NOT_EXIST = ResponseCode.E19
INVALID_DEVICE_STATUS = ResponseCode.E5
INVALID_DEVICE_TYPE_FOR_SRV = ResponseCode.E11
INVALID_COMMAND_VARIANT = ResponseCode.E12
NOT_AUTHORISED_FOR_DEVICE = ResponseCode.E4
UNABLE_TO_COMMUNICATE = ResponseCode.E20
NO_RESPONSE_FROM_DEVICE = ResponseCode.E21
PRE_COMMAND_NOT_AUTHENTIC = ResponseCode.E1
"""[U] A Signed Pre-Command whose signature does not verify with the Service User's Digital Signing
certificate, or whose bytes up to the signature are not the Pre-Command the DCC issued for that
RequestID. DUIS's E1 is the failed signature check of a request; which code DUIS gives a failed
Pre-Command check is not public here."""
NO_PRE_COMMAND_ISSUED = ResponseCode.E12
"""[U] A Signed Pre-Command (CV 5) for a RequestID with no outstanding Pre-Command: CV 5 without
a CV 4 before it, or sent twice (an invalid request / command variant combination)."""
DEVICE_ALREADY_IN_SMI = ResponseCode.E120201
"""[U] 12.2 for a Device ID the SMI already holds. The code is in the 5.4 schema and the public SEC
modification DP316 shows the DCC answering E120201 to a 12.2 naming one EUI twice; its exact text
is not public here."""
PPMID_NOT_ENROLLED_IN_SMETS2 = ResponseCode.E5
"""[U] 11.4 to a dual-mode PPMID whose SMI SMETS version is SMETS1 (MP202 requirement 7: OTA
firmware goes only to PPMIDs enrolled in a SMETS2+ system). No public DUIS code says exactly
this; E5 (the SMI record is incompatible with the SRV) with the reason in the journal note."""
INVALID_FIRMWARE_IMAGE = ResponseCode.E11
"""[U] 11.1 / 11.4 with an image that is not a GB OTA image, or not for the target's device
type: the request does not fit the device (no SRV-specific code is public here)."""
DEVICE_MODEL_NOT_ON_CPL = ResponseCode.E120203
"""[U] 12.2 for a manufacturer/model/firmware not on the CPL. The code is one of the 12.2-specific
codes of the 5.4 schema; which of them DUIS gives this meaning is not confirmed."""


class DccAlertCode(enum.Enum):
    """DUIS ``DCCAlertCode`` values this DCC raises."""

    N24 = "N24"
    """[U] Carries ``UpdateHANDeviceLogResult`` (the pairing seen in the tests of
    SmartDCCInnovation duis-parser): raised when an 8.11 did not complete (device error, or a
    response that failed the DCC's MAC check)."""


UPDATE_HAN_DEVICE_LOG_FAILED = DccAlertCode.N24


# ---- request bodies --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DevicePrenotification:
    """12.2 body (DUIS ``DevicePrenotification``)."""

    device_id: Eui64
    device_manufacturer: str
    device_model: str
    device_type: DeviceType
    smets_chts_version: str | None = None
    firmware_version: str | None = None

    def __post_init__(self) -> None:
        for name in ("device_manufacturer", "device_model"):
            if not 0 < len(getattr(self, name)) <= 30:
                raise ValueError(f"{name} is 1-30 characters")
        if self.smets_chts_version is not None and not 0 < len(self.smets_chts_version) <= 20:
            raise ValueError("SMETSCHTSVersion is 1-20 characters")


@dataclass(frozen=True, slots=True)
class CHFInstallSuccessSMWAN:
    """8.14.1 body: the CH is installed and has SM WAN."""

    device_id: Eui64


@dataclass(frozen=True, slots=True)
class CHFInstallSuccessNoSMWAN:
    """8.14.2 body: the CH is installed without SM WAN ("install and leave")."""

    device_id: Eui64


class RequestType(enum.Enum):
    """``UpdateHANDeviceLog/RequestType``."""

    ADD = "Add"
    REMOVE = "Remove"


ZIGBEE_INSTALL_CODE_LENGTHS = (6, 8, 12, 16)
"""Install code lengths without CRC (ZigBee); the DUIS schema allows 6-16 bytes of hexBinary."""
MAX_JOIN_TIME_PERIOD = 3600


@dataclass(frozen=True, slots=True)
class AddDeviceToCHFWhitelist:
    """8.11 Add details. The install code is a secret: it never appears in ``repr``."""

    join_time_period: int
    install_code: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.join_time_period <= MAX_JOIN_TIME_PERIOD:
            raise ValueError(f"JoinTimePeriod is 1-{MAX_JOIN_TIME_PERIOD} s")
        if len(self.install_code) not in ZIGBEE_INSTALL_CODE_LENGTHS:
            raise ValueError(
                f"an install code is {ZIGBEE_INSTALL_CODE_LENGTHS} bytes without CRC "
                f"(got {len(self.install_code)} bytes)"
            )


@dataclass(frozen=True, slots=True)
class UpdateHANDeviceLog:
    """8.11 body: add ``device_id`` to (or remove it from) the target CHF's device log."""

    device_id: Eui64
    request_type: RequestType
    add: AddDeviceToCHFWhitelist | None = None

    def __post_init__(self) -> None:
        if (self.request_type is RequestType.ADD) != (self.add is not None):
            raise ValueError("AddDeviceToCHFWhitelist goes with RequestType Add, and only there")


@dataclass(frozen=True, slots=True)
class ReadFirmwareVersion:
    """11.2 body: empty; the device read is the RequestID's target."""


@dataclass(frozen=True, slots=True)
class JoinServiceCritical:
    """8.7.1 body: join the target to ``other_device_id`` (CS03A1, CS03A2 or CS03C)."""

    other_device_id: Eui64


@dataclass(frozen=True, slots=True)
class JoinServiceNonCritical:
    """8.7.2 body: join the target to ``other_device_id`` (CS03B, GSME <-> GPF)."""

    other_device_id: Eui64


@dataclass(frozen=True, slots=True)
class UnjoinServiceCritical:
    """8.8.1 body: the target forgets ``other_device_id`` (CS04AC)."""

    other_device_id: Eui64


@dataclass(frozen=True, slots=True)
class UnjoinServiceNonCritical:
    """8.8.2 body: the target forgets ``other_device_id`` (CS04B)."""

    other_device_id: Eui64


MAX_TOLERANCE_PERIOD = 86400
"""[U] Upper bound of ``TolerancePeriod`` (seconds); the schema's own bound is not public here."""


@dataclass(frozen=True, slots=True)
class CommissionDeviceSynchroniseClock:
    """8.1.1 body: the Service User's ``CurrentDateTime`` and ``TolerancePeriod`` (seconds); the
    device accepts the new time inside [current, current + tolerance] (ECS70 / GCS28)."""

    current_date_time: datetime
    tolerance_period: int

    def __post_init__(self) -> None:
        if self.current_date_time.tzinfo is None:
            raise ValueError("CurrentDateTime is a UTC date-time")
        if not 0 < self.tolerance_period <= MAX_TOLERANCE_PERIOD:
            raise ValueError(f"TolerancePeriod is 1-{MAX_TOLERANCE_PERIOD} s")


@dataclass(frozen=True, slots=True)
class ReadDeviceLog:
    """8.9 body: empty; the device whose log is read is the RequestID's target."""


@dataclass(frozen=True, slots=True)
class RestoreHANDeviceLog:
    """8.12.1 body [U]: the devices the target CHF brings back from its historic log (CCS03),
    each with the TC link key it had, so they rejoin without a new install code."""

    device_ids: tuple[Eui64, ...]

    def __post_init__(self) -> None:
        if not self.device_ids:
            raise ValueError("8.12.1 names at least one device")


@dataclass(frozen=True, slots=True)
class ReadInventory:
    """8.2 body: the device whose SMI record (and, for a CHF, its devices' records) to read."""

    device_id: Eui64


@dataclass(frozen=True, slots=True)
class DecommissionDevice:
    """8.3 body: the device to set Decommissioned."""

    device_id: Eui64


@dataclass(frozen=True, slots=True)
class UpdateInventory:
    """8.4 body: ``DeleteDevice`` of ``device_id`` (the one change modelled: a device pre-notified
    in error leaves the SMI while still Pending [U])."""

    device_id: Eui64
    delete_device: bool = True

    def __post_init__(self) -> None:
        if not self.delete_device:
            raise ValueError("only DeleteDevice is modelled for 8.4")


@dataclass(frozen=True, slots=True)
class UpdateSecurityCredentialsCoS:
    """6.23 body: empty [U]. The device is the RequestID's target; the new Supplier
    certificates are the requester's own, from the DCC's SMKI repository (DUIS carries them in
    the request; the rig's DCC already holds every Service User's). See ``dcc.py``."""


@dataclass(frozen=True, slots=True)
class UpdateFirmware:
    """11.1 body: the GB OTA image (``FirmwareImage``) for the target ESME, GSME or CHF."""

    firmware_image: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class UpdatePPMIDFirmware:
    """11.4 body: the OTA image for the target PPMID, distributed by its CH."""

    firmware_image: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class ActivateFirmware:
    """11.3 body: the Manufacturer Image hash (32 bytes) and an optional execution time (UTC)."""

    manufacturer_image_hash: bytes
    execution_date_time: datetime | None = None

    def __post_init__(self) -> None:
        if len(self.manufacturer_image_hash) != 32:
            raise ValueError("the manufacturer image hash is 32 bytes (SHA-256)")
        if self.execution_date_time is not None and self.execution_date_time.tzinfo is None:
            raise ValueError("ExecutionDateTime is a UTC date-time")


RequestBody = (
    DevicePrenotification
    | CHFInstallSuccessSMWAN
    | CHFInstallSuccessNoSMWAN
    | UpdateHANDeviceLog
    | ReadFirmwareVersion
    | JoinServiceCritical
    | JoinServiceNonCritical
    | UnjoinServiceCritical
    | UnjoinServiceNonCritical
    | CommissionDeviceSynchroniseClock
    | ReadDeviceLog
    | RestoreHANDeviceLog
    | ReadInventory
    | DecommissionDevice
    | UpdateInventory
    | dual_band.SubGhzBody
    | UpdateSecurityCredentialsCoS
    | UpdateFirmware
    | UpdatePPMIDFirmware
    | ActivateFirmware
)

_BODY_FOR: dict[ServiceReferenceVariant, type] = {
    ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION: DevicePrenotification,
    ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS: CHFInstallSuccessSMWAN,
    ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN: CHFInstallSuccessNoSMWAN,
    ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG: UpdateHANDeviceLog,
    ServiceReferenceVariant.READ_FIRMWARE_VERSION: ReadFirmwareVersion,
    ServiceReferenceVariant.COMMISSION_DEVICE: CommissionDeviceSynchroniseClock,
    ServiceReferenceVariant.READ_INVENTORY: ReadInventory,
    ServiceReferenceVariant.DECOMMISSION_DEVICE: DecommissionDevice,
    ServiceReferenceVariant.UPDATE_INVENTORY: UpdateInventory,
    ServiceReferenceVariant.JOIN_SERVICE_CRITICAL: JoinServiceCritical,
    ServiceReferenceVariant.JOIN_SERVICE_NON_CRITICAL: JoinServiceNonCritical,
    ServiceReferenceVariant.UNJOIN_SERVICE_CRITICAL: UnjoinServiceCritical,
    ServiceReferenceVariant.UNJOIN_SERVICE_NON_CRITICAL: UnjoinServiceNonCritical,
    ServiceReferenceVariant.READ_DEVICE_LOG: ReadDeviceLog,
    ServiceReferenceVariant.RESTORE_HAN_DEVICE_LOG: RestoreHANDeviceLog,
    ServiceReferenceVariant.SET_CHF_SUB_GHZ_CONFIGURATION: dual_band.SetCHFSubGHzConfiguration,
    ServiceReferenceVariant.REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN: dual_band.RequestCHFSubGHzChannelScan,
    ServiceReferenceVariant.READ_CHF_SUB_GHZ_CONFIGURATION: dual_band.ReadCHFSubGHzConfiguration,
    ServiceReferenceVariant.READ_CHF_SUB_GHZ_CHANNEL: dual_band.ReadCHFSubGHzChannel,
    ServiceReferenceVariant.READ_CHF_SUB_GHZ_CHANNEL_LOG: dual_band.ReadCHFSubGHzChannelLog,
    ServiceReferenceVariant.UPDATE_SECURITY_CREDENTIALS_COS: UpdateSecurityCredentialsCoS,
    ServiceReferenceVariant.UPDATE_FIRMWARE: UpdateFirmware,
    ServiceReferenceVariant.ACTIVATE_FIRMWARE: ActivateFirmware,
    ServiceReferenceVariant.UPDATE_PPMID_FIRMWARE: UpdatePPMIDFirmware,
}


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    """A DUIS ``Request``: header (RequestID, CommandVariant, ServiceReferenceVariant) and body."""

    request_id: RequestId
    service_reference_variant: ServiceReferenceVariant
    body: RequestBody
    command_variant: CommandVariant | None = None

    def __post_init__(self) -> None:
        expected = _BODY_FOR[self.service_reference_variant]
        if not isinstance(self.body, expected):
            raise ValueError(
                f"SRV {self.service_reference_variant.value} takes a {expected.__name__} body"
            )
        if self.command_variant is None:
            srv = self.service_reference_variant
            if srv.dcc_only:
                default = CommandVariant.DCC_ONLY
            elif srv.critical:
                default = CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND
            else:
                default = CommandVariant.NON_CRITICAL_SR_TO_DEVICE
            object.__setattr__(self, "command_variant", default)

    @property
    def service_reference(self) -> str:
        return self.service_reference_variant.service_reference


@dataclass(frozen=True, slots=True)
class SignedPreCommand:
    """A DUIS ``SignedPreCommand``: the Pre-Command the DCC returned for ``request_id``, signed by
    the Service User (``gbcs_payload``: the whole general-signing APDU, ``DF 09 ...``)."""

    request_id: RequestId
    service_reference_variant: ServiceReferenceVariant
    gbcs_payload: bytes = field(repr=False)
    command_variant: CommandVariant = CommandVariant.SIGNED_PRE_COMMAND_TO_DEVICE

    def __post_init__(self) -> None:
        if self.command_variant not in _SIGNED_PRE_COMMAND_VARIANTS:
            raise ValueError("a Signed Pre-Command has CommandVariant 5, 6 or 7")


_SIGNED_PRE_COMMAND_VARIANTS = (
    CommandVariant.SIGNED_PRE_COMMAND_TO_DEVICE,
    CommandVariant.SIGNED_PRE_COMMAND_LOCAL_DELIVERY,
    CommandVariant.SIGNED_PRE_COMMAND_DEVICE_AND_LOCAL,
)

# ---- what comes back -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceResponse:
    """A DUIS ``Response`` with a ``ResponseMessage`` body.

    ``gbcs_payload`` is the device's GBCS response, passed through as DUIS does
    (``GBCSPayload``); ``None`` for acknowledgements, DCC-only responses and errors.
    ``device_signature`` is the DCC's verdict on a signed device response (critical commands'
    responses: signed, not MAC'd); ``None`` for anything else. ``inventory`` is the 8.2 answer.
    """

    request_id: RequestId
    response_code: ResponseCode
    service_reference_variant: ServiceReferenceVariant
    response_date_time: datetime
    response_id: ResponseId | None = None
    gbcs_payload: bytes | None = field(default=None, repr=False)
    device_signature: Verdict | None = None
    inventory: tuple[InventoryDevice, ...] = ()
    s1sp: S1spResponse | None = None
    """The S1SP's answer for a SMETS1 device (``s1sp.py``); ``None`` otherwise."""

    @property
    def service_reference(self) -> str:
        return self.service_reference_variant.service_reference


@dataclass(frozen=True, slots=True)
class S1spResponse:
    """The body of a response to an SRV for a SMETS1 device, carried out by the S1SP adapter
    (``s1sp.py``) on the SMETS1 hub's HAN: no GBCS. ``values`` are what it read (e.g.
    ``FirmwareVersion``), ``zcl_frames`` the ZCL frames the hub exchanged, in order. [U] DUIS has
    its own S1SP response bodies; these fields stand for them."""

    operation: str
    ok: bool
    reason: str = ""
    values: tuple[tuple[str, str], ...] = ()
    zcl_frames: tuple[bytes, ...] = field(default=(), repr=False)

    def value(self, name: str) -> str | None:
        return dict(self.values).get(name)


@dataclass(frozen=True, slots=True)
class InventoryDevice:
    """One device of an 8.2 Read Inventory answer: the SMI fields DUIS returns (statuses and SMETS
    versions as their DUIS texts)."""

    device_id: Eui64
    device_type: DeviceType
    device_status: str
    device_manufacturer: str
    device_model: str
    firmware_version: str | None
    smets_chts_version: str | None
    chf_id: Eui64 | None


@dataclass(frozen=True, slots=True)
class PreCommand:
    """A DUIS ``PreCommand``: the DCC's answer to a critical request (CV 4), the GBCS command
    without its signature, for the Service User to sign and return (``SignedPreCommand``)."""

    request_id: RequestId
    service_reference_variant: ServiceReferenceVariant
    response_date_time: datetime
    gbcs_payload: bytes = field(repr=False)

    @property
    def response_code(self) -> ResponseCode:
        return ResponseCode.I0


@dataclass(frozen=True, slots=True)
class DeviceAlert:
    """A DUIS ``Response`` with a ``DeviceAlertMessage`` body: a GBCS alert from a device.

    ``alert_code`` is the GBCS alert code (DUIS prints it as 4 hex digits, e.g. ``8F12``).
    """

    response_id: ResponseId
    alert_code: int
    response_date_time: datetime
    gbcs_payload: bytes = field(repr=False)

    @property
    def device_alert_code(self) -> str:
        return f"{self.alert_code:04X}"


@dataclass(frozen=True, slots=True)
class DccAlert:
    """A DUIS ``Response`` with a ``DCCAlertMessage`` body.

    ``request_id`` is the request the alert is about (``UpdateHANDeviceLogServiceRequestID`` for
    N24), ``recipient`` the Service User it goes to.
    """

    dcc_alert_code: DccAlertCode
    recipient: Eui64
    request_id: RequestId
    response_date_time: datetime
    reason: str = ""


DccMessage = ServiceResponse | DeviceAlert | DccAlert | PreCommand | dual_band.DualBandCHAlert
