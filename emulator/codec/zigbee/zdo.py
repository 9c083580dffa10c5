"""ZigBee Device Profile (ZDP) payloads: what rides in an APS data frame on endpoint 0, profile 0.

Layouts follow ZigBee R22 (05-3474-22): descriptors §2.3.2, client requests §2.4.3, server
responses §2.4.4. Every payload starts with the ZDP transaction sequence number (§2.4.2.8); the
cluster id comes from the APS header, so :func:`decode_zdo` takes it as an argument.

Rules kept here:

* Decoding raises only :class:`~emulator.codec.errors.ZdoDecodeError`, with the offset counted
  from the first byte of the ZDP payload (the sequence number). Trailing bytes are an error.
* Every object that can be built encodes to bytes that decode back to an equal object, and every
  byte string that decodes re-encodes to the same bytes: reserved bits are kept, not dropped.
  Invariants that would break this (a descriptor in a failed response, a list too long for its
  count octet) are refused by the constructors with ``ValueError``.
* Enumerated fields (status, logical type, power mode...) come back as their ``IntEnum`` member
  when the value is known and as a plain ``int`` when it is reserved, so a device that sends a
  reserved value is still decoded and can be reported on.
* A cluster id this module does not model decodes to :class:`RawZdp` (sequence number plus the
  undecoded rest) rather than failing: a stack must still answer an unsupported request with
  ``NOT_SUPPORTED`` and the same sequence number (R22 §2.4.3, §2.4.4.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import ClassVar, Self, TypeVar

from ..errors import ZdoDecodeError
from ..eui64 import Eui64
from ..reader import Reader

__all__ = [
    "ActiveEpReq",
    "ActiveEpRsp",
    "AddrRequestType",
    "CurrentPowerMode",
    "DeviceAnnce",
    "FrequencyBand",
    "IeeeAddrReq",
    "IeeeAddrRsp",
    "LogicalType",
    "MacCapability",
    "MatchDescReq",
    "MatchDescRsp",
    "MgmtLeaveReq",
    "MgmtLeaveRsp",
    "MgmtLqiReq",
    "MgmtLqiRsp",
    "MgmtPermitJoiningReq",
    "MgmtPermitJoiningRsp",
    "Neighbor",
    "NeighborDeviceType",
    "NeighborPermitJoining",
    "NeighborRelationship",
    "NeighborRxOnWhenIdle",
    "NodeDescReq",
    "NodeDescRsp",
    "NodeDescriptor",
    "NwkAddrReq",
    "NwkAddrRsp",
    "PowerDescReq",
    "PowerDescRsp",
    "PowerDescriptor",
    "PowerSource",
    "PowerSourceLevel",
    "RawZdp",
    "SimpleDescReq",
    "SimpleDescRsp",
    "SimpleDescriptor",
    "ZdoCluster",
    "ZdoMessage",
    "ZdoStatus",
    "decode_zdo",
    "encode_zdo",
]


class ZdoCluster(IntEnum):
    """ZDP cluster ids (R22 Table 2.41 and 2.42); a response is its request's id | 0x8000."""

    NWK_ADDR_REQ = 0x0000
    IEEE_ADDR_REQ = 0x0001
    NODE_DESC_REQ = 0x0002
    POWER_DESC_REQ = 0x0003
    SIMPLE_DESC_REQ = 0x0004
    ACTIVE_EP_REQ = 0x0005
    MATCH_DESC_REQ = 0x0006
    DEVICE_ANNCE = 0x0013
    MGMT_LQI_REQ = 0x0031
    MGMT_LEAVE_REQ = 0x0034
    MGMT_PERMIT_JOINING_REQ = 0x0036
    NWK_ADDR_RSP = 0x8000
    IEEE_ADDR_RSP = 0x8001
    NODE_DESC_RSP = 0x8002
    POWER_DESC_RSP = 0x8003
    SIMPLE_DESC_RSP = 0x8004
    ACTIVE_EP_RSP = 0x8005
    MATCH_DESC_RSP = 0x8006
    MGMT_LQI_RSP = 0x8031
    MGMT_LEAVE_RSP = 0x8034
    MGMT_PERMIT_JOINING_RSP = 0x8036


class ZdoStatus(IntEnum):
    """ZDP status codes (R22 §2.4.5, Table 2.138)."""

    SUCCESS = 0x00
    INV_REQUESTTYPE = 0x80
    DEVICE_NOT_FOUND = 0x81
    INVALID_EP = 0x82
    NOT_ACTIVE = 0x83
    NOT_SUPPORTED = 0x84
    TIMEOUT = 0x85
    NO_MATCH = 0x86
    NO_ENTRY = 0x88
    NO_DESCRIPTOR = 0x89
    INSUFFICIENT_SPACE = 0x8A
    NOT_PERMITTED = 0x8B
    TABLE_FULL = 0x8C
    NOT_AUTHORIZED = 0x8D
    DEVICE_BINDING_TABLE_FULL = 0x8E
    INVALID_INDEX = 0x8F


class AddrRequestType(IntEnum):
    """RequestType of NWK_addr_req / IEEE_addr_req (R22 §2.4.3.1.1-2); 0x02-0xff reserved."""

    SINGLE_DEVICE_RESPONSE = 0x00
    EXTENDED_RESPONSE = 0x01


class LogicalType(IntEnum):
    """Node descriptor logical type (R22 §2.3.2.3.1); 0b011-0b111 reserved."""

    COORDINATOR = 0b000
    ROUTER = 0b001
    END_DEVICE = 0b010


class FrequencyBand(IntFlag):
    """Node descriptor frequency band, 5 bits (R22 §2.3.2.3.5, Table 2.25).

    ``EUROPEAN_SUB_GHZ`` (863-876 MHz and 915-921 MHz FSK) is the band GB868 dual-band devices use.
    """

    BAND_868_MHZ = 0x01
    BAND_902_MHZ = 0x04
    BAND_2400_MHZ = 0x08
    EUROPEAN_SUB_GHZ = 0x10


class MacCapability(IntFlag):
    """MAC capability flags (R22 §2.3.2.3.6, Table 2.26; IEEE 802.15.4 capability information)."""

    NONE = 0x00
    ALTERNATE_PAN_COORDINATOR = 0x01
    DEVICE_TYPE = 0x02  # set: full-function device (router-capable)
    POWER_SOURCE = 0x04  # set: mains powered
    RECEIVER_ON_WHEN_IDLE = 0x08
    SECURITY_CAPABILITY = 0x40
    ALLOCATE_ADDRESS = 0x80


class CurrentPowerMode(IntEnum):
    """Power descriptor current power mode, 4 bits (R22 §2.3.2.4.1); 0b0011-0b1111 reserved."""

    SYNCHRONIZED_WITH_RX_ON_WHEN_IDLE = 0b0000
    PERIODICALLY_ON = 0b0001
    ON_WHEN_STIMULATED = 0b0010


class PowerSource(IntFlag):
    """Available / current power source bits, 4 bits (R22 §2.3.2.4.2-3); 0b1000 reserved."""

    CONSTANT_MAINS = 0b0001
    RECHARGEABLE_BATTERY = 0b0010
    DISPOSABLE_BATTERY = 0b0100


class PowerSourceLevel(IntEnum):
    """Power descriptor current power source level, 4 bits (R22 §2.3.2.4.4); others reserved."""

    CRITICAL = 0b0000
    PERCENT_33 = 0b0100
    PERCENT_66 = 0b1000
    PERCENT_100 = 0b1100


class NeighborDeviceType(IntEnum):
    """Neighbor table list record, device type, 2 bits (R22 Table 2.126)."""

    COORDINATOR = 0x0
    ROUTER = 0x1
    END_DEVICE = 0x2
    UNKNOWN = 0x3


class NeighborRxOnWhenIdle(IntEnum):
    """Neighbor table list record, RxOnWhenIdle, 2 bits (R22 Table 2.126); 0x3 reserved."""

    OFF = 0x0
    ON = 0x1
    UNKNOWN = 0x2


class NeighborRelationship(IntEnum):
    """Neighbor table list record, relationship, 3 bits (R22 Table 2.126); 0x5-0x7 reserved."""

    PARENT = 0x0
    CHILD = 0x1
    SIBLING = 0x2
    NONE_OF_THE_ABOVE = 0x3
    PREVIOUS_CHILD = 0x4


class NeighborPermitJoining(IntEnum):
    """Neighbor table list record, permit joining, 2 bits (R22 Table 2.126); 0x3 reserved."""

    NOT_ACCEPTING = 0x0
    ACCEPTING = 0x1
    UNKNOWN = 0x2


# --- helpers ---------------------------------------------------------------------------------

_E = TypeVar("_E", bound=IntEnum)


def _known(enum: type[_E], value: int) -> _E | int:
    """The enum member for ``value`` if the spec names it, else ``value`` (reserved values)."""
    try:
        return enum(value)
    except ValueError:
        return value


def _uint(name: str, value: int, bits: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise ValueError(f"{name} must be a {bits}-bit unsigned integer, got {value!r}")


def _set(obj: object, name: str, value: object) -> None:
    """Normalise a field of a frozen dataclass in ``__post_init__``."""
    object.__setattr__(obj, name, value)


def _u16_tuple(obj: object, name: str, values: Iterable[int], max_len: int = 0xFF) -> None:
    items = tuple(values)
    if len(items) > max_len:
        raise ValueError(f"{name} has {len(items)} entries; its count octet allows {max_len}")
    for v in items:
        _uint(name, v, 16)
    _set(obj, name, items)


def _u8_tuple(obj: object, name: str, values: Iterable[int]) -> None:
    items = tuple(values)
    if len(items) > 0xFF:
        raise ValueError(f"{name} has {len(items)} entries; its count octet allows 255")
    for v in items:
        _uint(name, v, 8)
    _set(obj, name, items)


def _u16s(values: Iterable[int]) -> bytes:
    return b"".join(v.to_bytes(2, "little") for v in values)


def _read_u16s(r: Reader, count: int, what: str) -> tuple[int, ...]:
    data = r.take(2 * count, what)
    return tuple(int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2))


def _read_eui64(r: Reader, what: str) -> Eui64:
    return Eui64.from_air(r.take(8, what))


def _status(obj: object, value: int) -> None:
    _uint("status", value, 8)
    _set(obj, "status", _known(ZdoStatus, value))


# --- descriptors (R22 §2.3.2) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeDescriptor:
    """Node descriptor, 13 octets (R22 §2.3.2.3, Table 2.22).

    ``server_mask`` keeps the stack compliance revision in its bits 9-15 (R22 §2.3.2.3.10).
    ``reserved`` is bits 5-7 of the first octet, kept so re-encoding is byte-exact.
    """

    SIZE: ClassVar[int] = 13

    logical_type: LogicalType | int
    complex_descriptor_available: bool = False
    user_descriptor_available: bool = False
    aps_flags: int = 0
    frequency_band: FrequencyBand = FrequencyBand.BAND_2400_MHZ
    mac_capability_flags: MacCapability = MacCapability.NONE
    manufacturer_code: int = 0
    maximum_buffer_size: int = 0
    maximum_incoming_transfer_size: int = 0
    server_mask: int = 0
    maximum_outgoing_transfer_size: int = 0
    descriptor_capability_field: int = 0
    reserved: int = 0

    def __post_init__(self) -> None:
        _uint("logical_type", self.logical_type, 3)
        _set(self, "logical_type", _known(LogicalType, self.logical_type))
        _set(self, "complex_descriptor_available", bool(self.complex_descriptor_available))
        _set(self, "user_descriptor_available", bool(self.user_descriptor_available))
        _uint("reserved", self.reserved, 3)
        _uint("aps_flags", self.aps_flags, 3)
        _uint("frequency_band", self.frequency_band, 5)
        _set(self, "frequency_band", FrequencyBand(self.frequency_band))
        _uint("mac_capability_flags", self.mac_capability_flags, 8)
        _set(self, "mac_capability_flags", MacCapability(self.mac_capability_flags))
        _uint("manufacturer_code", self.manufacturer_code, 16)
        _uint("maximum_buffer_size", self.maximum_buffer_size, 8)
        _uint("maximum_incoming_transfer_size", self.maximum_incoming_transfer_size, 16)
        _uint("server_mask", self.server_mask, 16)
        _uint("maximum_outgoing_transfer_size", self.maximum_outgoing_transfer_size, 16)
        _uint("descriptor_capability_field", self.descriptor_capability_field, 8)

    @property
    def stack_compliance_revision(self) -> int:
        """Server mask bits 9-15 (R22 §2.3.2.3.10): 22 for an R22 stack, 0 before R21."""
        return self.server_mask >> 9

    def encode(self) -> bytes:
        b0 = (
            self.logical_type
            | self.complex_descriptor_available << 3
            | self.user_descriptor_available << 4
            | self.reserved << 5
        )
        b1 = self.aps_flags | self.frequency_band << 3
        return (
            bytes((b0, b1, self.mac_capability_flags))
            + self.manufacturer_code.to_bytes(2, "little")
            + bytes((self.maximum_buffer_size,))
            + self.maximum_incoming_transfer_size.to_bytes(2, "little")
            + self.server_mask.to_bytes(2, "little")
            + self.maximum_outgoing_transfer_size.to_bytes(2, "little")
            + bytes((self.descriptor_capability_field,))
        )

    @classmethod
    def read(cls, r: Reader) -> NodeDescriptor:
        b0 = r.u8("node descriptor")
        b1 = r.u8("node descriptor")
        return cls(
            logical_type=b0 & 0x07,
            complex_descriptor_available=bool(b0 & 0x08),
            user_descriptor_available=bool(b0 & 0x10),
            reserved=b0 >> 5,
            aps_flags=b1 & 0x07,
            frequency_band=FrequencyBand(b1 >> 3),
            mac_capability_flags=MacCapability(r.u8("MAC capability flags")),
            manufacturer_code=r.u16("manufacturer code"),
            maximum_buffer_size=r.u8("maximum buffer size"),
            maximum_incoming_transfer_size=r.u16("maximum incoming transfer size"),
            server_mask=r.u16("server mask"),
            maximum_outgoing_transfer_size=r.u16("maximum outgoing transfer size"),
            descriptor_capability_field=r.u8("descriptor capability field"),
        )


@dataclass(frozen=True, slots=True)
class PowerDescriptor:
    """Power descriptor, 2 octets of 4-bit fields (R22 §2.3.2.4, Table 2.28)."""

    current_power_mode: CurrentPowerMode | int = CurrentPowerMode.SYNCHRONIZED_WITH_RX_ON_WHEN_IDLE
    available_power_sources: PowerSource = PowerSource.CONSTANT_MAINS
    current_power_source: PowerSource = PowerSource.CONSTANT_MAINS
    current_power_source_level: PowerSourceLevel | int = PowerSourceLevel.PERCENT_100

    def __post_init__(self) -> None:
        _uint("current_power_mode", self.current_power_mode, 4)
        _set(self, "current_power_mode", _known(CurrentPowerMode, self.current_power_mode))
        _uint("available_power_sources", self.available_power_sources, 4)
        _set(self, "available_power_sources", PowerSource(self.available_power_sources))
        _uint("current_power_source", self.current_power_source, 4)
        _set(self, "current_power_source", PowerSource(self.current_power_source))
        _uint("current_power_source_level", self.current_power_source_level, 4)
        level = _known(PowerSourceLevel, self.current_power_source_level)
        _set(self, "current_power_source_level", level)

    def encode(self) -> bytes:
        return bytes(
            (
                self.current_power_mode | self.available_power_sources << 4,
                self.current_power_source | self.current_power_source_level << 4,
            )
        )

    @classmethod
    def read(cls, r: Reader) -> PowerDescriptor:
        b0 = r.u8("power descriptor")
        b1 = r.u8("power descriptor")
        return cls(b0 & 0x0F, PowerSource(b0 >> 4), PowerSource(b1 & 0x0F), b1 >> 4)


@dataclass(frozen=True, slots=True)
class SimpleDescriptor:
    """Simple descriptor of one endpoint (R22 §2.3.2.5, Table 2.29).

    ``device_version`` is the whole octet: the spec uses its low 4 bits and reserves the high 4,
    which are kept as received so re-encoding is byte-exact (zigpy does the same).
    """

    endpoint: int
    profile_id: int
    device_id: int
    device_version: int = 0
    in_cluster_list: tuple[int, ...] = ()
    out_cluster_list: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _uint("endpoint", self.endpoint, 8)
        _uint("profile_id", self.profile_id, 16)
        _uint("device_id", self.device_id, 16)
        _uint("device_version", self.device_version, 8)
        _u16_tuple(self, "in_cluster_list", self.in_cluster_list)
        _u16_tuple(self, "out_cluster_list", self.out_cluster_list)

    def encode(self) -> bytes:
        return (
            bytes((self.endpoint,))
            + self.profile_id.to_bytes(2, "little")
            + self.device_id.to_bytes(2, "little")
            + bytes((self.device_version, len(self.in_cluster_list)))
            + _u16s(self.in_cluster_list)
            + bytes((len(self.out_cluster_list),))
            + _u16s(self.out_cluster_list)
        )

    @classmethod
    def read(cls, r: Reader) -> SimpleDescriptor:
        endpoint = r.u8("endpoint")
        profile_id = r.u16("application profile identifier")
        device_id = r.u16("application device identifier")
        device_version = r.u8("application device version")
        in_clusters = _read_u16s(r, r.u8("input cluster count"), "input cluster list")
        out_clusters = _read_u16s(r, r.u8("output cluster count"), "output cluster list")
        return cls(endpoint, profile_id, device_id, device_version, in_clusters, out_clusters)


@dataclass(frozen=True, slots=True)
class Neighbor:
    """One neighbor table list record of Mgmt_Lqi_rsp, 22 octets (R22 §2.4.4.4.2, Table 2.126).

    ``reserved1`` is bit 7 of octet 18 and ``reserved2`` bits 2-7 of octet 19, kept so
    re-encoding is byte-exact.
    """

    SIZE: ClassVar[int] = 22

    extended_pan_id: Eui64
    extended_address: Eui64
    network_address: int
    device_type: NeighborDeviceType | int = NeighborDeviceType.UNKNOWN
    rx_on_when_idle: NeighborRxOnWhenIdle | int = NeighborRxOnWhenIdle.UNKNOWN
    relationship: NeighborRelationship | int = NeighborRelationship.NONE_OF_THE_ABOVE
    permit_joining: NeighborPermitJoining | int = NeighborPermitJoining.UNKNOWN
    depth: int = 0
    lqi: int = 0
    reserved1: int = 0
    reserved2: int = 0

    def __post_init__(self) -> None:
        _set(self, "extended_pan_id", Eui64(self.extended_pan_id))
        _set(self, "extended_address", Eui64(self.extended_address))
        _uint("network_address", self.network_address, 16)
        _uint("device_type", self.device_type, 2)
        _set(self, "device_type", _known(NeighborDeviceType, self.device_type))
        _uint("rx_on_when_idle", self.rx_on_when_idle, 2)
        _set(self, "rx_on_when_idle", _known(NeighborRxOnWhenIdle, self.rx_on_when_idle))
        _uint("relationship", self.relationship, 3)
        _set(self, "relationship", _known(NeighborRelationship, self.relationship))
        _uint("permit_joining", self.permit_joining, 2)
        _set(self, "permit_joining", _known(NeighborPermitJoining, self.permit_joining))
        _uint("depth", self.depth, 8)
        _uint("lqi", self.lqi, 8)
        _uint("reserved1", self.reserved1, 1)
        _uint("reserved2", self.reserved2, 6)

    def encode(self) -> bytes:
        b18 = (
            self.device_type
            | self.rx_on_when_idle << 2
            | self.relationship << 4
            | self.reserved1 << 7
        )
        b19 = self.permit_joining | self.reserved2 << 2
        return (
            self.extended_pan_id.air()
            + self.extended_address.air()
            + self.network_address.to_bytes(2, "little")
            + bytes((b18, b19, self.depth, self.lqi))
        )

    @classmethod
    def read(cls, r: Reader) -> Neighbor:
        ext_pan = _read_eui64(r, "extended PAN id")
        ext_addr = _read_eui64(r, "extended address")
        nwk = r.u16("network address")
        b18 = r.u8("neighbor flags")
        b19 = r.u8("permit joining")
        return cls(
            ext_pan,
            ext_addr,
            nwk,
            device_type=b18 & 0x03,
            rx_on_when_idle=(b18 >> 2) & 0x03,
            relationship=(b18 >> 4) & 0x07,
            permit_joining=b19 & 0x03,
            depth=r.u8("depth"),
            lqi=r.u8("LQI"),
            reserved1=b18 >> 7,
            reserved2=b19 >> 2,
        )


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZdoMessage:
    """A ZDP payload: the transaction sequence number (R22 §2.4.2.8) then the command fields.

    Subclasses name their cluster in ``CLUSTER``; :attr:`cluster_id` is what goes in the APS
    header. ``encode()`` gives the APS payload bytes.
    """

    CLUSTER: ClassVar[ZdoCluster]

    tsn: int

    def __post_init__(self) -> None:
        _uint("tsn", self.tsn, 8)
        self._validate()

    def _validate(self) -> None:
        """Check and normalise the command fields (subclasses)."""

    @property
    def cluster_id(self) -> int:
        return int(self.CLUSTER)

    def encode(self) -> bytes:
        return bytes((self.tsn,)) + self._body()

    def _body(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class RawZdp(ZdoMessage):
    """A ZDP payload for a cluster this module does not model, left undecoded.

    Only cluster ids outside :class:`ZdoCluster` are allowed, so that decoding never has two
    answers for the same bytes.
    """

    cluster: int
    payload: bytes = b""

    def _validate(self) -> None:
        _uint("cluster", self.cluster, 16)
        if self.cluster in _DECODERS:
            raise ValueError(f"cluster {self.cluster:#06x} is modelled; use its own class")
        _set(self, "payload", bytes(self.payload))

    @property
    def cluster_id(self) -> int:
        return self.cluster

    def _body(self) -> bytes:
        return self.payload


# Requests carrying only NWKAddrOfInterest (R22 §2.4.3.1.3, .4, .6).


@dataclass(frozen=True, slots=True)
class _NwkAddrOfInterestReq(ZdoMessage):
    nwk_addr_of_interest: int

    def _validate(self) -> None:
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)

    def _body(self) -> bytes:
        return self.nwk_addr_of_interest.to_bytes(2, "little")

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        return cls(tsn, r.u16("NWKAddrOfInterest"))


@dataclass(frozen=True, slots=True)
class NodeDescReq(_NwkAddrOfInterestReq):
    """Node_Desc_req (R22 §2.4.3.1.3)."""

    CLUSTER = ZdoCluster.NODE_DESC_REQ


@dataclass(frozen=True, slots=True)
class PowerDescReq(_NwkAddrOfInterestReq):
    """Power_Desc_req (R22 §2.4.3.1.4)."""

    CLUSTER = ZdoCluster.POWER_DESC_REQ


@dataclass(frozen=True, slots=True)
class ActiveEpReq(_NwkAddrOfInterestReq):
    """Active_EP_req (R22 §2.4.3.1.6)."""

    CLUSTER = ZdoCluster.ACTIVE_EP_REQ


@dataclass(frozen=True, slots=True)
class SimpleDescReq(ZdoMessage):
    """Simple_Desc_req (R22 §2.4.3.1.5): NWKAddrOfInterest, EndPoint."""

    CLUSTER = ZdoCluster.SIMPLE_DESC_REQ

    nwk_addr_of_interest: int
    endpoint: int

    def _validate(self) -> None:
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)
        _uint("endpoint", self.endpoint, 8)

    def _body(self) -> bytes:
        return self.nwk_addr_of_interest.to_bytes(2, "little") + bytes((self.endpoint,))

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        return cls(tsn, r.u16("NWKAddrOfInterest"), r.u8("EndPoint"))


@dataclass(frozen=True, slots=True)
class MatchDescReq(ZdoMessage):
    """Match_Desc_req (R22 §2.4.3.1.7): NWKAddrOfInterest, ProfileID, in and out cluster lists."""

    CLUSTER = ZdoCluster.MATCH_DESC_REQ

    nwk_addr_of_interest: int
    profile_id: int
    in_cluster_list: tuple[int, ...] = ()
    out_cluster_list: tuple[int, ...] = ()

    def _validate(self) -> None:
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)
        _uint("profile_id", self.profile_id, 16)
        _u16_tuple(self, "in_cluster_list", self.in_cluster_list)
        _u16_tuple(self, "out_cluster_list", self.out_cluster_list)

    def _body(self) -> bytes:
        return (
            self.nwk_addr_of_interest.to_bytes(2, "little")
            + self.profile_id.to_bytes(2, "little")
            + bytes((len(self.in_cluster_list),))
            + _u16s(self.in_cluster_list)
            + bytes((len(self.out_cluster_list),))
            + _u16s(self.out_cluster_list)
        )

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        nwk = r.u16("NWKAddrOfInterest")
        profile = r.u16("ProfileID")
        in_clusters = _read_u16s(r, r.u8("NumInClusters"), "InClusterList")
        out_clusters = _read_u16s(r, r.u8("NumOutClusters"), "OutClusterList")
        return cls(tsn, nwk, profile, in_clusters, out_clusters)


@dataclass(frozen=True, slots=True)
class NwkAddrReq(ZdoMessage):
    """NWK_addr_req (R22 §2.4.3.1.1): IEEEAddr, RequestType, StartIndex."""

    CLUSTER = ZdoCluster.NWK_ADDR_REQ

    ieee_addr: Eui64
    request_type: AddrRequestType | int = AddrRequestType.SINGLE_DEVICE_RESPONSE
    start_index: int = 0

    def _validate(self) -> None:
        _set(self, "ieee_addr", Eui64(self.ieee_addr))
        _uint("request_type", self.request_type, 8)
        _set(self, "request_type", _known(AddrRequestType, self.request_type))
        _uint("start_index", self.start_index, 8)

    def _body(self) -> bytes:
        return self.ieee_addr.air() + bytes((self.request_type, self.start_index))

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        return cls(tsn, _read_eui64(r, "IEEEAddr"), r.u8("RequestType"), r.u8("StartIndex"))


@dataclass(frozen=True, slots=True)
class IeeeAddrReq(ZdoMessage):
    """IEEE_addr_req (R22 §2.4.3.1.2): NWKAddrOfInterest, RequestType, StartIndex."""

    CLUSTER = ZdoCluster.IEEE_ADDR_REQ

    nwk_addr_of_interest: int
    request_type: AddrRequestType | int = AddrRequestType.SINGLE_DEVICE_RESPONSE
    start_index: int = 0

    def _validate(self) -> None:
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)
        _uint("request_type", self.request_type, 8)
        _set(self, "request_type", _known(AddrRequestType, self.request_type))
        _uint("start_index", self.start_index, 8)

    def _body(self) -> bytes:
        return self.nwk_addr_of_interest.to_bytes(2, "little") + bytes(
            (self.request_type, self.start_index)
        )

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        return cls(tsn, r.u16("NWKAddrOfInterest"), r.u8("RequestType"), r.u8("StartIndex"))


@dataclass(frozen=True, slots=True)
class DeviceAnnce(ZdoMessage):
    """Device_annce (R22 §2.4.3.1.11): NWKAddr, IEEEAddr, Capability."""

    CLUSTER = ZdoCluster.DEVICE_ANNCE

    nwk_addr: int
    ieee_addr: Eui64
    capability: MacCapability = MacCapability.NONE

    def _validate(self) -> None:
        _uint("nwk_addr", self.nwk_addr, 16)
        _set(self, "ieee_addr", Eui64(self.ieee_addr))
        _uint("capability", self.capability, 8)
        _set(self, "capability", MacCapability(self.capability))

    def _body(self) -> bytes:
        return (
            self.nwk_addr.to_bytes(2, "little") + self.ieee_addr.air() + bytes((self.capability,))
        )

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        nwk = r.u16("NWKAddr")
        return cls(tsn, nwk, _read_eui64(r, "IEEEAddr"), MacCapability(r.u8("Capability")))


@dataclass(frozen=True, slots=True)
class MgmtLqiReq(ZdoMessage):
    """Mgmt_Lqi_req (R22 §2.4.3.3.2): StartIndex."""

    CLUSTER = ZdoCluster.MGMT_LQI_REQ

    start_index: int = 0

    def _validate(self) -> None:
        _uint("start_index", self.start_index, 8)

    def _body(self) -> bytes:
        return bytes((self.start_index,))

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        return cls(tsn, r.u8("StartIndex"))


@dataclass(frozen=True, slots=True)
class MgmtLeaveReq(ZdoMessage):
    """Mgmt_Leave_req (R22 §2.4.3.3.5): DeviceAddress, then Remove Children (bit 6) and Rejoin
    (bit 7); ``reserved`` is bits 0-5 of that octet, kept so re-encoding is byte-exact.

    An all-zero DeviceAddress asks the receiver itself to leave.
    """

    CLUSTER = ZdoCluster.MGMT_LEAVE_REQ

    device_address: Eui64
    remove_children: bool = False
    rejoin: bool = False
    reserved: int = 0

    def _validate(self) -> None:
        _set(self, "device_address", Eui64(self.device_address))
        _set(self, "remove_children", bool(self.remove_children))
        _set(self, "rejoin", bool(self.rejoin))
        _uint("reserved", self.reserved, 6)

    def _body(self) -> bytes:
        flags = self.reserved | self.remove_children << 6 | self.rejoin << 7
        return self.device_address.air() + bytes((flags,))

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        address = _read_eui64(r, "DeviceAddress")
        flags = r.u8("leave options")
        return cls(tsn, address, bool(flags & 0x40), bool(flags & 0x80), flags & 0x3F)


@dataclass(frozen=True, slots=True)
class MgmtPermitJoiningReq(ZdoMessage):
    """Mgmt_Permit_Joining_req (R22 §2.4.3.3.7): PermitDuration (seconds; 0xff: no limit), then
    TC_Significance, an octet that R22 fixes at 1 and that is kept as sent."""

    CLUSTER = ZdoCluster.MGMT_PERMIT_JOINING_REQ

    permit_duration: int
    tc_significance: int = 1

    def _validate(self) -> None:
        _uint("permit_duration", self.permit_duration, 8)
        _uint("tc_significance", self.tc_significance, 8)

    def _body(self) -> bytes:
        return bytes((self.permit_duration, self.tc_significance))

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        return cls(tsn, r.u8("PermitDuration"), r.u8("TC_Significance"))


# Responses (R22 §2.4.4): status first.


@dataclass(frozen=True, slots=True)
class _StatusOnlyRsp(ZdoMessage):
    status: ZdoStatus | int = ZdoStatus.SUCCESS

    def _validate(self) -> None:
        _status(self, self.status)

    def _body(self) -> bytes:
        return bytes((self.status,))

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        return cls(tsn, r.u8("Status"))


@dataclass(frozen=True, slots=True)
class MgmtLeaveRsp(_StatusOnlyRsp):
    """Mgmt_Leave_rsp (R22 §2.4.4.4.5): Status."""

    CLUSTER = ZdoCluster.MGMT_LEAVE_RSP


@dataclass(frozen=True, slots=True)
class MgmtPermitJoiningRsp(_StatusOnlyRsp):
    """Mgmt_Permit_Joining_rsp (R22 §2.4.4.4.7): Status."""

    CLUSTER = ZdoCluster.MGMT_PERMIT_JOINING_RSP


@dataclass(frozen=True, slots=True)
class _AddrRsp(ZdoMessage):
    """NWK_addr_rsp / IEEE_addr_rsp body (R22 §2.4.4.2.1-2, Tables 2.93 and 2.94).

    Three shapes, told apart by length:

    * ``nwk_addr_assoc_dev_list is None``: single device response, or any error (11 octets);
    * ``()`` with ``start_index is None``: extended response from a device with no associated
      devices, NumAssocDev = 0 and no StartIndex (12 octets);
    * otherwise NumAssocDev (= the list's length), StartIndex and the list. A zero NumAssocDev
      followed by a StartIndex is also accepted, as Wireshark reads it.
    """

    status: ZdoStatus | int
    ieee_addr_remote_dev: Eui64
    nwk_addr_remote_dev: int
    start_index: int | None = None
    nwk_addr_assoc_dev_list: tuple[int, ...] | None = None

    def _validate(self) -> None:
        _status(self, self.status)
        _set(self, "ieee_addr_remote_dev", Eui64(self.ieee_addr_remote_dev))
        _uint("nwk_addr_remote_dev", self.nwk_addr_remote_dev, 16)
        if self.nwk_addr_assoc_dev_list is None:
            if self.start_index is not None:
                raise ValueError("start_index needs nwk_addr_assoc_dev_list (extended response)")
            return
        _u16_tuple(self, "nwk_addr_assoc_dev_list", self.nwk_addr_assoc_dev_list)
        if self.start_index is None:
            if self.nwk_addr_assoc_dev_list:
                raise ValueError("a non-empty nwk_addr_assoc_dev_list needs start_index")
        else:
            _uint("start_index", self.start_index, 8)

    def _body(self) -> bytes:
        out = (
            bytes((self.status,))
            + self.ieee_addr_remote_dev.air()
            + self.nwk_addr_remote_dev.to_bytes(2, "little")
        )
        if self.nwk_addr_assoc_dev_list is not None:
            out += bytes((len(self.nwk_addr_assoc_dev_list),))
            if self.start_index is not None:
                out += bytes((self.start_index,)) + _u16s(self.nwk_addr_assoc_dev_list)
        return out

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        status = r.u8("Status")
        ieee = _read_eui64(r, "IEEEAddrRemoteDev")
        nwk = r.u16("NWKAddrRemoteDev")
        if not r.remaining:
            return cls(tsn, status, ieee, nwk)
        count = r.u8("NumAssocDev")
        if count == 0 and not r.remaining:
            return cls(tsn, status, ieee, nwk, None, ())
        start = r.u8("StartIndex")
        return cls(tsn, status, ieee, nwk, start, _read_u16s(r, count, "NWKAddrAssocDevList"))


@dataclass(frozen=True, slots=True)
class NwkAddrRsp(_AddrRsp):
    """NWK_addr_rsp (R22 §2.4.4.2.1)."""

    CLUSTER = ZdoCluster.NWK_ADDR_RSP


@dataclass(frozen=True, slots=True)
class IeeeAddrRsp(_AddrRsp):
    """IEEE_addr_rsp (R22 §2.4.4.2.2)."""

    CLUSTER = ZdoCluster.IEEE_ADDR_RSP


@dataclass(frozen=True, slots=True)
class NodeDescRsp(ZdoMessage):
    """Node_Desc_rsp (R22 §2.4.4.2.3): Status, NWKAddrOfInterest, and the NodeDescriptor only
    when Status is SUCCESS."""

    CLUSTER = ZdoCluster.NODE_DESC_RSP

    status: ZdoStatus | int
    nwk_addr_of_interest: int
    node_descriptor: NodeDescriptor | None = None

    def _validate(self) -> None:
        _status(self, self.status)
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)
        if (self.status == ZdoStatus.SUCCESS) != (self.node_descriptor is not None):
            raise ValueError("node_descriptor is present if and only if status is SUCCESS")

    def _body(self) -> bytes:
        out = bytes((self.status,)) + self.nwk_addr_of_interest.to_bytes(2, "little")
        return out if self.node_descriptor is None else out + self.node_descriptor.encode()

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        status = r.u8("Status")
        nwk = r.u16("NWKAddrOfInterest")
        desc = NodeDescriptor.read(r) if status == ZdoStatus.SUCCESS else None
        return cls(tsn, status, nwk, desc)


@dataclass(frozen=True, slots=True)
class PowerDescRsp(ZdoMessage):
    """Power_Desc_rsp (R22 §2.4.4.2.4): Status, NWKAddrOfInterest, and the PowerDescriptor only
    when Status is SUCCESS."""

    CLUSTER = ZdoCluster.POWER_DESC_RSP

    status: ZdoStatus | int
    nwk_addr_of_interest: int
    power_descriptor: PowerDescriptor | None = None

    def _validate(self) -> None:
        _status(self, self.status)
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)
        if (self.status == ZdoStatus.SUCCESS) != (self.power_descriptor is not None):
            raise ValueError("power_descriptor is present if and only if status is SUCCESS")

    def _body(self) -> bytes:
        out = bytes((self.status,)) + self.nwk_addr_of_interest.to_bytes(2, "little")
        return out if self.power_descriptor is None else out + self.power_descriptor.encode()

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        status = r.u8("Status")
        nwk = r.u16("NWKAddrOfInterest")
        desc = PowerDescriptor.read(r) if status == ZdoStatus.SUCCESS else None
        return cls(tsn, status, nwk, desc)


@dataclass(frozen=True, slots=True)
class SimpleDescRsp(ZdoMessage):
    """Simple_Desc_rsp (R22 §2.4.4.2.5): Status, NWKAddrOfInterest, Length, SimpleDescriptor.

    Length is always sent; it is 0 and the descriptor absent unless Status is SUCCESS. The
    descriptor must fill exactly Length octets, so it can list at most 123 clusters in all.
    """

    CLUSTER = ZdoCluster.SIMPLE_DESC_RSP

    status: ZdoStatus | int
    nwk_addr_of_interest: int
    simple_descriptor: SimpleDescriptor | None = None

    def _validate(self) -> None:
        _status(self, self.status)
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)
        if (self.status == ZdoStatus.SUCCESS) != (self.simple_descriptor is not None):
            raise ValueError("simple_descriptor is present if and only if status is SUCCESS")
        if self.simple_descriptor is not None and len(self.simple_descriptor.encode()) > 0xFF:
            raise ValueError("simple_descriptor is longer than its Length octet allows")

    def _body(self) -> bytes:
        desc = b"" if self.simple_descriptor is None else self.simple_descriptor.encode()
        return (
            bytes((self.status,))
            + self.nwk_addr_of_interest.to_bytes(2, "little")
            + bytes((len(desc),))
            + desc
        )

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        status = r.u8("Status")
        nwk = r.u16("NWKAddrOfInterest")
        length_at = r.pos
        length = r.u8("Length")
        if status != ZdoStatus.SUCCESS:
            if length:
                raise r.fail(f"Length {length} in a response with status {status:#04x}", length_at)
            return cls(tsn, status, nwk)
        if length == 0:
            raise r.fail("Length 0 in a SUCCESS response", length_at)
        inner = Reader(r.take(length, "SimpleDescriptor"), r.error)
        try:
            desc = SimpleDescriptor.read(inner)
            inner.expect_end("SimpleDescriptor")
        except ZdoDecodeError as e:
            raise e.shifted(length_at + 1) from None
        return cls(tsn, status, nwk, desc)


@dataclass(frozen=True, slots=True)
class _EndpointListRsp(ZdoMessage):
    status: ZdoStatus | int
    nwk_addr_of_interest: int
    endpoints: ClassVar[str]

    def _validate(self) -> None:
        _status(self, self.status)
        _uint("nwk_addr_of_interest", self.nwk_addr_of_interest, 16)

    def _list(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _body(self) -> bytes:
        eps = self._list()
        return (
            bytes((self.status,))
            + self.nwk_addr_of_interest.to_bytes(2, "little")
            + bytes((len(eps),))
            + bytes(eps)
        )

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        status = r.u8("Status")
        nwk = r.u16("NWKAddrOfInterest")
        eps = tuple(r.take(r.u8(f"{cls.endpoints} count"), cls.endpoints))
        return cls(tsn, status, nwk, eps)  # type: ignore[call-arg]


@dataclass(frozen=True, slots=True)
class ActiveEpRsp(_EndpointListRsp):
    """Active_EP_rsp (R22 §2.4.4.2.6): Status, NWKAddrOfInterest, ActiveEPCount, ActiveEPList.

    The count octet is sent whatever the status (0 with an empty list on error).
    """

    CLUSTER = ZdoCluster.ACTIVE_EP_RSP
    endpoints = "ActiveEPList"

    active_ep_list: tuple[int, ...] = ()

    def _validate(self) -> None:
        _EndpointListRsp._validate(self)
        _u8_tuple(self, "active_ep_list", self.active_ep_list)

    def _list(self) -> tuple[int, ...]:
        return self.active_ep_list


@dataclass(frozen=True, slots=True)
class MatchDescRsp(_EndpointListRsp):
    """Match_Desc_rsp (R22 §2.4.4.2.7): Status, NWKAddrOfInterest, MatchLength, MatchList.

    The length octet is sent whatever the status (0 with an empty list on error).
    """

    CLUSTER = ZdoCluster.MATCH_DESC_RSP
    endpoints = "MatchList"

    match_list: tuple[int, ...] = ()

    def _validate(self) -> None:
        _EndpointListRsp._validate(self)
        _u8_tuple(self, "match_list", self.match_list)

    def _list(self) -> tuple[int, ...]:
        return self.match_list


@dataclass(frozen=True, slots=True)
class MgmtLqiRsp(ZdoMessage):
    """Mgmt_Lqi_rsp (R22 §2.4.4.4.2): Status, NeighborTableEntries, StartIndex,
    NeighborTableListCount, NeighborTableList.

    Unless Status is SUCCESS only the status is sent (the shortened form zigpy expects), so the
    other fields must keep their defaults.
    """

    CLUSTER = ZdoCluster.MGMT_LQI_RSP

    status: ZdoStatus | int = ZdoStatus.SUCCESS
    neighbor_table_entries: int = 0
    start_index: int = 0
    neighbor_table_list: tuple[Neighbor, ...] = ()

    def _validate(self) -> None:
        _status(self, self.status)
        _uint("neighbor_table_entries", self.neighbor_table_entries, 8)
        _uint("start_index", self.start_index, 8)
        items = tuple(self.neighbor_table_list)
        if len(items) > 0xFF:
            raise ValueError("neighbor_table_list is longer than its count octet allows")
        if not all(isinstance(n, Neighbor) for n in items):
            raise ValueError("neighbor_table_list holds Neighbor records only")
        _set(self, "neighbor_table_list", items)
        if self.status != ZdoStatus.SUCCESS and (
            self.neighbor_table_entries or self.start_index or items
        ):
            raise ValueError("a Mgmt_Lqi_rsp that is not SUCCESS carries the status only")

    def _body(self) -> bytes:
        if self.status != ZdoStatus.SUCCESS:
            return bytes((self.status,))
        return bytes(
            (
                self.status,
                self.neighbor_table_entries,
                self.start_index,
                len(self.neighbor_table_list),
            )
        ) + b"".join(n.encode() for n in self.neighbor_table_list)

    @classmethod
    def _read(cls, tsn: int, r: Reader) -> Self:
        status = r.u8("Status")
        if status != ZdoStatus.SUCCESS:
            return cls(tsn, status)
        entries = r.u8("NeighborTableEntries")
        start = r.u8("StartIndex")
        count = r.u8("NeighborTableListCount")
        if r.remaining < count * Neighbor.SIZE:
            raise r.fail(f"truncated NeighborTableList: {count} records need {count * 22} bytes")
        records = tuple(Neighbor.read(r) for _ in range(count))
        return cls(tsn, status, entries, start, records)


_DECODERS: dict[int, type[ZdoMessage]] = {
    cls.CLUSTER: cls
    for cls in (
        NwkAddrReq,
        IeeeAddrReq,
        NodeDescReq,
        PowerDescReq,
        SimpleDescReq,
        ActiveEpReq,
        MatchDescReq,
        DeviceAnnce,
        MgmtLqiReq,
        MgmtLeaveReq,
        MgmtPermitJoiningReq,
        NwkAddrRsp,
        IeeeAddrRsp,
        NodeDescRsp,
        PowerDescRsp,
        SimpleDescRsp,
        ActiveEpRsp,
        MatchDescRsp,
        MgmtLqiRsp,
        MgmtLeaveRsp,
        MgmtPermitJoiningRsp,
    )
}


def decode_zdo(cluster_id: int, payload: bytes) -> ZdoMessage:
    """Decode a ZDP payload (APS payload on endpoint 0) sent on ``cluster_id``.

    Raises only :class:`ZdoDecodeError`. Clusters outside :class:`ZdoCluster` give
    :class:`RawZdp`.
    """
    if isinstance(cluster_id, bool) or not isinstance(cluster_id, int):
        raise ZdoDecodeError(f"cluster id must be an int, got {type(cluster_id).__name__}")
    if not 0 <= cluster_id <= 0xFFFF:
        raise ZdoDecodeError(f"cluster id {cluster_id:#x} is not 16 bits")
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise ZdoDecodeError(f"payload must be bytes, got {type(payload).__name__}")
    r = Reader(bytes(payload), ZdoDecodeError)
    tsn = r.u8("transaction sequence number")
    cls = _DECODERS.get(cluster_id)
    if cls is None:
        return RawZdp(tsn, cluster_id, r.rest())
    msg = cls._read(tsn, r)
    r.expect_end(cls.__name__)
    return msg


def encode_zdo(msg: ZdoMessage) -> bytes:
    """The APS payload for ``msg``; send it on cluster ``msg.cluster_id``, profile 0, endpoint 0."""
    return msg.encode()
