"""ZigBee PRO NWK frames (R22 §3.3) and the NWK commands a GB HAN uses (R22 §3.4).

``NwkFrame.payload`` is what follows the headers on the air: for a secured frame, the ciphertext
and MIC (``emulator.codec.security.ccm`` secures and unsecures it). NWK commands travel inside that
payload, so they are decoded apart with :func:`decode_command` once the payload is plain.
Multicast frames are not used on a GB HAN and are refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from ..errors import NwkDecodeError
from ..eui64 import Eui64
from ..reader import Reader
from .auxiliary import MIC_LENGTH, AuxiliaryHeader

PROTOCOL_VERSION_PRO = 2

BROADCAST_ALL = 0xFFFF
BROADCAST_RX_ON_WHEN_IDLE = 0xFFFD
BROADCAST_ROUTERS = 0xFFFC


class FrameType(IntEnum):
    DATA = 0
    COMMAND = 1
    INTER_PAN = 3


class DiscoverRoute(IntEnum):
    SUPPRESS = 0
    ENABLE = 1


@dataclass(frozen=True, slots=True)
class NwkFrame:
    frame_type: FrameType
    dst: int
    src: int
    seq: int
    radius: int = 30
    discover_route: DiscoverRoute = DiscoverRoute.SUPPRESS
    protocol_version: int = PROTOCOL_VERSION_PRO
    dst_ieee: Eui64 | None = None
    src_ieee: Eui64 | None = None
    end_device_initiator: bool = False
    relays: tuple[int, ...] | None = None  # source route: relay list, None when absent
    relay_index: int = 0
    aux: AuxiliaryHeader | None = None
    payload: bytes = b""

    def header(self, level: int = 0) -> bytes:
        """Everything before the payload; ``level`` goes into the auxiliary header (0 on air)."""
        fc = (
            self.frame_type
            | (self.protocol_version << 2)
            | (self.discover_route << 6)
            | ((self.aux is not None) << 9)
            | ((self.relays is not None) << 10)
            | ((self.dst_ieee is not None) << 11)
            | ((self.src_ieee is not None) << 12)
            | (self.end_device_initiator << 13)
        )
        out = bytearray(fc.to_bytes(2, "little"))
        out += self.dst.to_bytes(2, "little") + self.src.to_bytes(2, "little")
        out += bytes((self.radius, self.seq))
        if self.dst_ieee is not None:
            out += self.dst_ieee.air()
        if self.src_ieee is not None:
            out += self.src_ieee.air()
        if self.relays is not None:
            out += bytes((len(self.relays), self.relay_index))
            for relay in self.relays:
                out += relay.to_bytes(2, "little")
        if self.aux is not None:
            out += self.aux.encode(level)
        return bytes(out)

    def encode(self) -> bytes:
        return self.header() + self.payload


_FIXED = struct.Struct("<HHHBB")  # frame control, destination, source, radius, sequence number
_FRAME_TYPES = (FrameType.DATA, FrameType.COMMAND, None, FrameType.INTER_PAN)
_DISCOVER_ROUTE = tuple(DiscoverRoute)


def decode_nwk(data: bytes) -> NwkFrame:
    """Decode a NWK frame; the fixed header is unpacked at once (this runs for every frame)."""
    n = len(data)
    if n < 8:
        raise NwkDecodeError(f"truncated NWK header: {n} bytes, need 8", n)
    fc, dst, src, radius, seq = _FIXED.unpack_from(data)
    frame_type = _FRAME_TYPES[fc & 0x03]
    if frame_type is None:
        raise NwkDecodeError("reserved NWK frame type 2", 0)
    if fc & 0x0100:
        raise NwkDecodeError("multicast frames are not used on a GB HAN", 1)
    if fc & 0xC000:
        raise NwkDecodeError("reserved frame control bits set", 1)
    pos = 8
    dst_ieee = src_ieee = None
    if fc & 0x0800:
        if n < pos + 8:
            raise NwkDecodeError("truncated destination IEEE address", n)
        dst_ieee = Eui64.from_air(data[pos : pos + 8])
        pos += 8
    if fc & 0x1000:
        if n < pos + 8:
            raise NwkDecodeError("truncated source IEEE address", n)
        src_ieee = Eui64.from_air(data[pos : pos + 8])
        pos += 8
    relays, relay_index = None, 0
    if fc & 0x0400:
        r = Reader(data, NwkDecodeError, pos)
        count = r.u8("relay count")
        relay_index = r.u8("relay index")
        relays = tuple(r.u16("relay address") for _ in range(count))
        pos = r.pos
    aux = None
    if fc & 0x0200:
        aux = AuxiliaryHeader.decode_at(data, pos, NwkDecodeError)
        pos += aux.size
        if n - pos < MIC_LENGTH:
            raise NwkDecodeError(f"secured frame too short for its {MIC_LENGTH}-byte MIC", pos)
    return NwkFrame(
        frame_type,
        dst,
        src,
        seq,
        radius,
        _DISCOVER_ROUTE[(fc >> 6) & 0x01],
        (fc >> 2) & 0x0F,
        dst_ieee,
        src_ieee,
        bool(fc & 0x2000),
        relays,
        relay_index,
        aux,
        data[pos:],
    )


# --- NWK commands ---------------------------------------------------------------------------


class CommandId(IntEnum):
    """R22 Table 3.40."""

    ROUTE_REQUEST = 0x01
    ROUTE_REPLY = 0x02
    NETWORK_STATUS = 0x03
    LEAVE = 0x04
    ROUTE_RECORD = 0x05
    REJOIN_REQUEST = 0x06
    REJOIN_RESPONSE = 0x07
    LINK_STATUS = 0x08
    NETWORK_REPORT = 0x09
    NETWORK_UPDATE = 0x0A
    END_DEVICE_TIMEOUT_REQUEST = 0x0B
    END_DEVICE_TIMEOUT_RESPONSE = 0x0C


class NetworkStatusCode(IntEnum):
    """R22 Table 3.42 (the codes a GB HAN meets)."""

    NO_ROUTE_AVAILABLE = 0x00
    TREE_LINK_FAILURE = 0x01
    NON_TREE_LINK_FAILURE = 0x02
    LOW_BATTERY = 0x03
    NO_ROUTING_CAPACITY = 0x04
    NO_INDIRECT_CAPACITY = 0x05
    INDIRECT_TRANSACTION_EXPIRY = 0x06
    TARGET_DEVICE_UNAVAILABLE = 0x07
    TARGET_ADDRESS_UNALLOCATED = 0x08
    PARENT_LINK_FAILURE = 0x09
    VALIDATE_ROUTE = 0x0A
    SOURCE_ROUTE_FAILURE = 0x0B
    MANY_TO_ONE_ROUTE_FAILURE = 0x0C
    ADDRESS_CONFLICT = 0x0D
    VERIFY_ADDRESSES = 0x0E
    PAN_IDENTIFIER_UPDATE = 0x0F
    NETWORK_ADDRESS_UPDATE = 0x10
    BAD_FRAME_COUNTER = 0x11
    BAD_KEY_SEQUENCE_NUMBER = 0x12
    UNKNOWN_COMMAND = 0x13


@dataclass(frozen=True, slots=True)
class NetworkStatus:
    status: int
    destination: int
    command_id = CommandId.NETWORK_STATUS

    def encode(self) -> bytes:
        return bytes((self.command_id, self.status)) + self.destination.to_bytes(2, "little")


@dataclass(frozen=True, slots=True)
class Leave:
    """R22 §3.4.4: a request (from a parent or the TC) or an indication (from the leaver)."""

    rejoin: bool = False
    request: bool = False
    remove_children: bool = False
    command_id = CommandId.LEAVE

    def encode(self) -> bytes:
        options = (self.rejoin << 5) | (self.request << 6) | (self.remove_children << 7)
        return bytes((self.command_id, options))


@dataclass(frozen=True, slots=True)
class RouteRecord:
    relays: tuple[int, ...]
    command_id = CommandId.ROUTE_RECORD

    def encode(self) -> bytes:
        return bytes((self.command_id, len(self.relays))) + b"".join(
            a.to_bytes(2, "little") for a in self.relays
        )


@dataclass(frozen=True, slots=True)
class RejoinRequest:
    capability: int
    command_id = CommandId.REJOIN_REQUEST

    def encode(self) -> bytes:
        return bytes((self.command_id, self.capability))


@dataclass(frozen=True, slots=True)
class RejoinResponse:
    network_address: int
    status: int = 0
    command_id = CommandId.REJOIN_RESPONSE

    def encode(self) -> bytes:
        return (
            bytes((self.command_id,))
            + self.network_address.to_bytes(2, "little")
            + bytes((self.status,))
        )


@dataclass(frozen=True, slots=True)
class LinkStatusEntry:
    address: int
    incoming_cost: int
    outgoing_cost: int


@dataclass(frozen=True, slots=True)
class LinkStatus:
    entries: tuple[LinkStatusEntry, ...]
    first_frame: bool = True
    last_frame: bool = True
    command_id = CommandId.LINK_STATUS

    def encode(self) -> bytes:
        options = len(self.entries) | (self.first_frame << 5) | (self.last_frame << 6)
        out = bytearray((self.command_id, options))
        for e in self.entries:
            out += e.address.to_bytes(2, "little")
            out.append((e.incoming_cost & 0x07) | ((e.outgoing_cost & 0x07) << 4))
        return bytes(out)


@dataclass(frozen=True, slots=True)
class EndDeviceTimeoutRequest:
    timeout_index: int
    configuration: int = 0
    command_id = CommandId.END_DEVICE_TIMEOUT_REQUEST

    def encode(self) -> bytes:
        return bytes((self.command_id, self.timeout_index, self.configuration))


@dataclass(frozen=True, slots=True)
class EndDeviceTimeoutResponse:
    status: int
    parent_information: int = 0
    command_id = CommandId.END_DEVICE_TIMEOUT_RESPONSE

    def encode(self) -> bytes:
        return bytes((self.command_id, self.status, self.parent_information))


@dataclass(frozen=True, slots=True)
class OtherNwkCommand:
    """A NWK command this codec does not model (route request/reply, reports): kept raw."""

    command_id: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return bytes((self.command_id,)) + self.payload


NwkCommand = (
    NetworkStatus
    | Leave
    | RouteRecord
    | RejoinRequest
    | RejoinResponse
    | LinkStatus
    | EndDeviceTimeoutRequest
    | EndDeviceTimeoutResponse
    | OtherNwkCommand
)


def decode_command(payload: bytes) -> NwkCommand:
    """Decode the (plain) payload of a NWK command frame."""
    r = Reader(payload, NwkDecodeError)
    cid = r.u8("NWK command identifier")
    cmd: NwkCommand
    if cid == CommandId.NETWORK_STATUS:
        cmd = NetworkStatus(r.u8("status code"), r.u16("destination address"))
    elif cid == CommandId.LEAVE:
        options = r.u8("leave options")
        if options & 0x1F:
            raise NwkDecodeError("reserved leave option bits set", 1)
        cmd = Leave(bool(options & 0x20), bool(options & 0x40), bool(options & 0x80))
    elif cid == CommandId.ROUTE_RECORD:
        count = r.u8("relay count")
        cmd = RouteRecord(tuple(r.u16("relay address") for _ in range(count)))
    elif cid == CommandId.REJOIN_REQUEST:
        cmd = RejoinRequest(r.u8("capability information"))
    elif cid == CommandId.REJOIN_RESPONSE:
        cmd = RejoinResponse(r.u16("network address"), r.u8("rejoin status"))
    elif cid == CommandId.LINK_STATUS:
        options = r.u8("link status options")
        if options & 0x80:
            raise NwkDecodeError("reserved link status option bit set", 1)
        entries = []
        for _ in range(options & 0x1F):
            address = r.u16("neighbor address")
            cost = r.u8("link costs")
            entries.append(LinkStatusEntry(address, cost & 0x07, (cost >> 4) & 0x07))
        cmd = LinkStatus(tuple(entries), bool(options & 0x20), bool(options & 0x40))
    elif cid == CommandId.END_DEVICE_TIMEOUT_REQUEST:
        cmd = EndDeviceTimeoutRequest(r.u8("requested timeout"), r.u8("end device configuration"))
    elif cid == CommandId.END_DEVICE_TIMEOUT_RESPONSE:
        cmd = EndDeviceTimeoutResponse(r.u8("status"), r.u8("parent information"))
    else:
        return OtherNwkCommand(cid, r.rest())
    r.expect_end("NWK command")
    return cmd
