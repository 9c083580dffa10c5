"""IEEE 802.15.4-2006 MAC frames: data, ACK, beacon and MAC command frames, with the FCS.

Layouts from IEEE 802.15.4-2006 §7.2 (general MAC frame format, beacon, MAC commands) and the
ZigBee beacon payload of ZigBee PRO R22 §3.6.7. ZigBee never uses MAC-level security, so a frame
with the security-enabled bit is a decode error here rather than a half-parsed object.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field
from enum import IntEnum

from .errors import MacDecodeError
from .eui64 import Eui64
from .reader import Reader

BROADCAST_PAN = 0xFFFF
BROADCAST_SHORT = 0xFFFF
_FC_SEQ = struct.Struct("<HB")

_BIT_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def fcs(data: bytes) -> int:
    """The 802.15.4 FCS: CRC-16/KERMIT (ITU-T polynomial, reflected, initial value 0), §7.2.1.9.

    Computed as the non-reflected CRC-CCITT (``binascii.crc_hqx``, in C) of the bit-reversed bytes,
    then bit-reversed: the same value, about ten times faster than a Python table loop.
    """
    crc = binascii.crc_hqx(data.translate(_BIT_REVERSED), 0)
    return int(f"{crc:016b}"[::-1], 2)


def append_fcs(mpdu: bytes) -> bytes:
    return mpdu + fcs(mpdu).to_bytes(2, "little")


def check_fcs(psdu: bytes) -> bytes:
    """The MPDU without its FCS; raises MacDecodeError when the FCS does not match."""
    if len(psdu) < 5:
        raise MacDecodeError(f"frame of {len(psdu)} bytes is shorter than the minimum 5", 0)
    body, received = psdu[:-2], int.from_bytes(psdu[-2:], "little")
    if fcs(body) != received:
        raise MacDecodeError(f"bad FCS {received:04x}, computed {fcs(body):04x}", len(psdu) - 2)
    return body


class FrameType(IntEnum):
    BEACON = 0
    DATA = 1
    ACK = 2
    MAC_COMMAND = 3


class AddrMode(IntEnum):
    NONE = 0
    SHORT = 2
    EXTENDED = 3


class CommandId(IntEnum):
    """MAC command frame identifiers, 802.15.4-2006 Table 82."""

    ASSOCIATION_REQUEST = 0x01
    ASSOCIATION_RESPONSE = 0x02
    DISASSOCIATION_NOTIFICATION = 0x03
    DATA_REQUEST = 0x04
    PAN_ID_CONFLICT_NOTIFICATION = 0x05
    ORPHAN_NOTIFICATION = 0x06
    BEACON_REQUEST = 0x07
    COORDINATOR_REALIGNMENT = 0x08


class AssociationStatus(IntEnum):
    """802.15.4-2006 Table 83."""

    SUCCESSFUL = 0x00
    PAN_AT_CAPACITY = 0x01
    PAN_ACCESS_DENIED = 0x02


class Capability:
    """Capability Information bits, 802.15.4-2006 §7.3.1.2 (also used by ZigBee rejoin)."""

    ALTERNATE_PAN_COORDINATOR = 0x01
    FFD = 0x02
    MAINS_POWERED = 0x04
    RX_ON_WHEN_IDLE = 0x08
    SECURITY = 0x40
    ALLOCATE_ADDRESS = 0x80


Address = int | Eui64
"""A MAC address: an ``Eui64`` is an extended address, any other int a 16-bit short address."""


def _mode(addr: Address | None) -> AddrMode:
    if addr is None:
        return AddrMode.NONE
    return AddrMode.EXTENDED if isinstance(addr, Eui64) else AddrMode.SHORT


# --- MAC command payloads -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssociationRequest:
    capability: int
    command_id = CommandId.ASSOCIATION_REQUEST

    def encode(self) -> bytes:
        return bytes((self.command_id, self.capability))


@dataclass(frozen=True, slots=True)
class AssociationResponse:
    short_address: int
    status: AssociationStatus = AssociationStatus.SUCCESSFUL
    command_id = CommandId.ASSOCIATION_RESPONSE

    def encode(self) -> bytes:
        return (
            bytes((self.command_id,))
            + self.short_address.to_bytes(2, "little")
            + bytes((self.status,))
        )


@dataclass(frozen=True, slots=True)
class DisassociationNotification:
    reason: int
    command_id = CommandId.DISASSOCIATION_NOTIFICATION

    def encode(self) -> bytes:
        return bytes((self.command_id, self.reason))


@dataclass(frozen=True, slots=True)
class DataRequest:
    command_id = CommandId.DATA_REQUEST

    def encode(self) -> bytes:
        return bytes((self.command_id,))


@dataclass(frozen=True, slots=True)
class BeaconRequest:
    command_id = CommandId.BEACON_REQUEST

    def encode(self) -> bytes:
        return bytes((self.command_id,))


@dataclass(frozen=True, slots=True)
class OtherCommand:
    """A MAC command this codec does not model: kept byte-exact."""

    command_id: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return bytes((self.command_id,)) + self.payload


MacCommand = (
    AssociationRequest
    | AssociationResponse
    | DisassociationNotification
    | DataRequest
    | BeaconRequest
    | OtherCommand
)


def _decode_command(r: Reader) -> MacCommand:
    command_id = r.u8("MAC command identifier")
    if command_id == CommandId.ASSOCIATION_REQUEST:
        cmd: MacCommand = AssociationRequest(r.u8("capability information"))
    elif command_id == CommandId.ASSOCIATION_RESPONSE:
        short = r.u16("short address")
        status = r.u8("association status")
        try:
            cmd = AssociationResponse(short, AssociationStatus(status))
        except ValueError:
            raise r.fail(f"unknown association status {status:#04x}", r.pos - 1) from None
    elif command_id == CommandId.DISASSOCIATION_NOTIFICATION:
        cmd = DisassociationNotification(r.u8("disassociation reason"))
    elif command_id == CommandId.DATA_REQUEST:
        cmd = DataRequest()
    elif command_id == CommandId.BEACON_REQUEST:
        cmd = BeaconRequest()
    else:
        return OtherCommand(command_id, r.rest())
    r.expect_end("MAC command")
    return cmd


# --- Beacon payload -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZigbeeBeacon:
    """The NWK beacon payload, ZigBee PRO R22 §3.6.7 Table 3.56 (protocol ID 0)."""

    extended_pan_id: Eui64
    stack_profile: int = 2
    protocol_version: int = 2
    router_capacity: bool = True
    device_depth: int = 0
    end_device_capacity: bool = True
    tx_offset: int = 0xFFFFFF
    update_id: int = 0

    def encode(self) -> bytes:
        flags = (
            (self.router_capacity << 2)
            | ((self.device_depth & 0x0F) << 3)
            | (self.end_device_capacity << 7)
        )
        return (
            bytes((0, (self.stack_profile & 0x0F) | (self.protocol_version << 4), flags))
            + self.extended_pan_id.air()
            + self.tx_offset.to_bytes(3, "little")
            + bytes((self.update_id,))
        )

    @classmethod
    def decode(cls, r: Reader) -> ZigbeeBeacon:
        if r.u8("beacon protocol ID") != 0:
            raise r.fail("beacon payload is not ZigBee (protocol ID != 0)", r.pos - 1)
        profile = r.u8("stack profile")
        flags = r.u8("beacon flags")
        epid = Eui64.from_air(r.take(8, "extended PAN ID"))
        tx_offset = int.from_bytes(r.take(3, "TX offset"), "little")
        update_id = r.u8("update ID")
        r.expect_end("ZigBee beacon payload")
        return cls(
            extended_pan_id=epid,
            stack_profile=profile & 0x0F,
            protocol_version=profile >> 4,
            router_capacity=bool(flags & 0x04),
            device_depth=(flags >> 3) & 0x0F,
            end_device_capacity=bool(flags & 0x80),
            tx_offset=tx_offset,
            update_id=update_id,
        )


@dataclass(frozen=True, slots=True)
class Beacon:
    """Beacon frame payload, 802.15.4-2006 §7.2.2.1: nonbeacon-enabled PANs only (no GTS)."""

    association_permit: bool
    pan_coordinator: bool = True
    beacon_order: int = 15
    superframe_order: int = 15
    final_cap_slot: int = 15
    battery_life_extension: bool = False
    zigbee: ZigbeeBeacon | None = None

    def encode(self) -> bytes:
        superframe = (
            self.beacon_order
            | (self.superframe_order << 4)
            | (self.final_cap_slot << 8)
            | (self.battery_life_extension << 12)
            | (self.pan_coordinator << 14)
            | (self.association_permit << 15)
        )
        # GTS specification 0 (no GTS), pending address specification 0 (none pending).
        body = superframe.to_bytes(2, "little") + b"\x00\x00"
        return body + (self.zigbee.encode() if self.zigbee else b"")

    @classmethod
    def decode(cls, r: Reader) -> Beacon:
        superframe = r.u16("superframe specification")
        if r.u8("GTS specification") & 0x07:
            raise r.fail("GTS descriptors are not used by ZigBee", r.pos - 1)
        if r.u8("pending address specification") & 0x77:
            raise r.fail("pending addresses in a beacon are not supported", r.pos - 1)
        zigbee = ZigbeeBeacon.decode(r) if r.remaining else None
        return cls(
            association_permit=bool(superframe & 0x8000),
            pan_coordinator=bool(superframe & 0x4000),
            beacon_order=superframe & 0x0F,
            superframe_order=(superframe >> 4) & 0x0F,
            final_cap_slot=(superframe >> 8) & 0x0F,
            battery_life_extension=bool(superframe & 0x1000),
            zigbee=zigbee,
        )


# --- The frame ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacFrame:
    """One MPDU. ``payload`` is the NWK frame for data frames; beacons and commands are typed.

    Addresses: ``Eui64`` for extended, plain ``int`` for short, ``None`` for absent. With
    ``pan_id_compression`` the source PAN is the destination PAN and is not carried.
    """

    frame_type: FrameType
    seq: int
    dst_pan: int | None = None
    dst: Address | None = None
    src_pan: int | None = None
    src: Address | None = None
    frame_pending: bool = False
    ack_request: bool = False
    pan_id_compression: bool = False
    frame_version: int = 0
    payload: bytes = b""
    command: MacCommand | None = None
    beacon: Beacon | None = field(default=None)

    def encode(self) -> bytes:
        """The MPDU without FCS; ``psdu()`` appends it."""
        dst_mode, src_mode = _mode(self.dst), _mode(self.src)
        fc = (
            self.frame_type
            | (self.frame_pending << 4)
            | (self.ack_request << 5)
            | (self.pan_id_compression << 6)
            | (dst_mode << 10)
            | (self.frame_version << 12)
            | (src_mode << 14)
        )
        out = bytearray(fc.to_bytes(2, "little"))
        out.append(self.seq)
        if dst_mode:
            out += (self.dst_pan if self.dst_pan is not None else BROADCAST_PAN).to_bytes(
                2, "little"
            )
            out += _address_bytes(self.dst)
        if src_mode:
            if not self.pan_id_compression:
                out += (self.src_pan if self.src_pan is not None else BROADCAST_PAN).to_bytes(
                    2, "little"
                )
            out += _address_bytes(self.src)
        if self.frame_type == FrameType.BEACON and self.beacon is not None:
            out += self.beacon.encode()
        elif self.frame_type == FrameType.MAC_COMMAND and self.command is not None:
            out += self.command.encode()
        else:
            out += self.payload
        return bytes(out)

    def psdu(self) -> bytes:
        """The PSDU as the radio sends it: MPDU plus FCS."""
        return append_fcs(self.encode())


def _address_bytes(addr: Address | None) -> bytes:
    if isinstance(addr, Eui64):
        return addr.air()
    assert addr is not None
    return addr.to_bytes(2, "little")


_ADDRESS_LENGTH = (0, 0, 2, 8)
_FRAME_TYPES = tuple(FrameType)


def _address(data: bytes, pos: int, mode: int) -> Address:
    if mode == AddrMode.SHORT:
        return data[pos] | data[pos + 1] << 8
    return Eui64.from_air(data[pos : pos + 8])


def decode_mpdu(mpdu: bytes) -> MacFrame:
    """Decode an MPDU whose FCS has already been checked and removed.

    The addressing fields are length-checked once and unpacked directly: this runs for every
    frame a node hears, so it avoids a per-field cursor.
    """
    n = len(mpdu)
    if n < 3:
        raise MacDecodeError(f"truncated header: {n} bytes, need at least 3", n)
    fc, seq = _FC_SEQ.unpack_from(mpdu)
    frame_type = fc & 0x07
    if frame_type > 3:
        raise MacDecodeError(f"reserved frame type {frame_type}", 0)
    if fc & 0x08:
        raise MacDecodeError("MAC security is not used by ZigBee", 0)
    dst_mode, src_mode = (fc >> 10) & 0x03, (fc >> 14) & 0x03
    if dst_mode == 1 or src_mode == 1:
        raise MacDecodeError("reserved addressing mode", 1)
    compression = bool(fc & 0x40)
    if compression and src_mode and not dst_mode:
        raise MacDecodeError("PAN ID compression without a destination address", 0)
    end = 3
    if dst_mode:
        end += 2 + _ADDRESS_LENGTH[dst_mode]
    if src_mode:
        end += (0 if compression else 2) + _ADDRESS_LENGTH[src_mode]
    if n < end:
        raise MacDecodeError(f"truncated addressing fields: need {end} bytes, have {n}", n)
    pos = 3
    dst_pan = dst = src_pan = src = None
    if dst_mode:
        dst_pan = mpdu[3] | mpdu[4] << 8
        dst = _address(mpdu, 5, dst_mode)
        pos = 5 + _ADDRESS_LENGTH[dst_mode]
    if src_mode:
        if not compression:
            src_pan = mpdu[pos] | mpdu[pos + 1] << 8
            pos += 2
        src = _address(mpdu, pos, src_mode)
    beacon = command = None
    payload = b""
    if frame_type == FrameType.BEACON:
        beacon = Beacon.decode(Reader(mpdu, MacDecodeError, end))
    elif frame_type == FrameType.MAC_COMMAND:
        command = _decode_command(Reader(mpdu, MacDecodeError, end))
    else:
        payload = mpdu[end:]
    return MacFrame(
        _FRAME_TYPES[frame_type],
        seq,
        dst_pan,
        dst,
        src_pan,
        src,
        bool(fc & 0x10),
        bool(fc & 0x20),
        compression,
        (fc >> 12) & 0x03,
        payload,
        command,
        beacon,
    )


def decode_psdu(psdu: bytes) -> MacFrame:
    """Check the FCS, then decode: the receive path of a radio."""
    return decode_mpdu(check_fcs(psdu))


def ack(seq: int, frame_pending: bool = False) -> MacFrame:
    """The immediate acknowledgment for the frame with sequence number ``seq`` (§7.2.2.3)."""
    return MacFrame(FrameType.ACK, seq, frame_pending=frame_pending)
