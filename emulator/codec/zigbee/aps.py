"""ZigBee APS frames (R22 §2.2.5) and APS security commands (R22 §4.4.10).

``ApsFrame.payload`` is what follows the headers on the air. For a secured command frame the
command identifier is inside the ciphertext (R22 §4.4.1.1), so commands are decoded apart with
:func:`decode_command` once the payload is plain; for a plain command frame the payload starts
with the command identifier as well.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from ..errors import ApsDecodeError
from ..eui64 import Eui64
from ..reader import Reader
from .auxiliary import MIC_LENGTH, AuxiliaryHeader

ZDO_ENDPOINT = 0
PROFILE_ZDP = 0x0000
PROFILE_SMART_ENERGY = 0x0109


class FrameType(IntEnum):
    DATA = 0
    COMMAND = 1
    ACK = 2
    INTER_PAN = 3


class DeliveryMode(IntEnum):
    UNICAST = 0
    BROADCAST = 2
    GROUP = 3


class Fragmentation(IntEnum):
    """Extended frame control, R22 §2.2.5.1.8.1."""

    NONE = 0
    FIRST = 1
    SUBSEQUENT = 2


@dataclass(frozen=True, slots=True)
class ExtendedHeader:
    fragmentation: Fragmentation
    block_number: int = 0
    ack_bitfield: int | None = None  # only in fragmented ACK frames

    def encode(self) -> bytes:
        out = bytes((self.fragmentation,))
        if self.fragmentation != Fragmentation.NONE:
            out += bytes((self.block_number,))
            if self.ack_bitfield is not None:
                out += bytes((self.ack_bitfield,))
        return out


@dataclass(frozen=True, slots=True)
class ApsFrame:
    """Data frames carry endpoints, cluster and profile; command frames only the counter.

    An ACK for a data frame carries the endpoints, cluster and profile of the frame it
    acknowledges; an ACK for a command frame (``ack_format`` set) carries none.
    """

    frame_type: FrameType
    counter: int
    delivery_mode: DeliveryMode = DeliveryMode.UNICAST
    dst_endpoint: int | None = None
    group: int | None = None
    cluster: int | None = None
    profile: int | None = None
    src_endpoint: int | None = None
    ack_request: bool = False
    ack_format: bool = False
    extended: ExtendedHeader | None = None
    aux: AuxiliaryHeader | None = None
    payload: bytes = b""

    @property
    def _addressed(self) -> bool:
        return self.frame_type == FrameType.DATA or (
            self.frame_type == FrameType.ACK and not self.ack_format
        )

    def header(self, level: int = 0) -> bytes:
        fc = (
            self.frame_type
            | (self.delivery_mode << 2)
            | (self.ack_format << 4)
            | ((self.aux is not None) << 5)
            | (self.ack_request << 6)
            | ((self.extended is not None) << 7)
        )
        out = bytearray((fc,))
        if self._addressed:
            if self.delivery_mode == DeliveryMode.GROUP:
                out += (self.group or 0).to_bytes(2, "little")
            else:
                out.append(self.dst_endpoint or 0)
            out += (self.cluster or 0).to_bytes(2, "little")
            out += (self.profile or 0).to_bytes(2, "little")
            out.append(self.src_endpoint or 0)
        out.append(self.counter)
        if self.extended is not None:
            out += self.extended.encode()
        if self.aux is not None:
            out += self.aux.encode(level)
        return bytes(out)

    def encode(self) -> bytes:
        return self.header() + self.payload

    def acknowledgement(self, aux: AuxiliaryHeader | None = None) -> ApsFrame:
        """The APS ACK of this data frame (R22 §2.2.5.2.3): endpoints swapped, same cluster,
        profile and counter; secured (``aux``) when the data frame was. A fragment's ACK carries
        the extended header with the block acknowledged and the window's ACK bitfield (R22
        §2.2.8.4.5.2; one block per window here)."""
        extended = None
        block = self.block_index
        if self.extended is not None and block is not None:
            extended = ExtendedHeader(self.extended.fragmentation, block, 0x01)
        return ApsFrame(
            FrameType.ACK,
            self.counter,
            dst_endpoint=self.src_endpoint,
            cluster=self.cluster,
            profile=self.profile,
            src_endpoint=self.dst_endpoint,
            extended=extended,
            aux=aux,
        )

    @property
    def block_index(self) -> int | None:
        """Which block of a fragmented ASDU this is: the first carries the block count in its
        block number field (R22 §2.2.5.1.8.2), so its index is 0. None when not fragmented."""
        if self.extended is None or self.extended.fragmentation == Fragmentation.NONE:
            return None
        if self.extended.fragmentation == Fragmentation.FIRST and self.frame_type != FrameType.ACK:
            return 0
        return self.extended.block_number


_ADDRESSED = struct.Struct("<BHHB")  # endpoint, cluster, profile, endpoint
_GROUP_ADDRESSED = struct.Struct("<HHHB")  # group, cluster, profile, endpoint
_DELIVERY_MODES = (DeliveryMode.UNICAST, None, DeliveryMode.BROADCAST, DeliveryMode.GROUP)
_FRAME_TYPES = tuple(FrameType)


def decode_aps(data: bytes) -> ApsFrame:
    """Decode an APS frame; fixed parts are unpacked at once (this runs for every frame)."""
    n = len(data)
    if n < 2:
        raise ApsDecodeError(f"truncated APS header: {n} bytes", n)
    fc = data[0]
    frame_type = _FRAME_TYPES[fc & 0x03]
    delivery_mode = _DELIVERY_MODES[(fc >> 2) & 0x03]
    if delivery_mode is None:
        raise ApsDecodeError("reserved delivery mode 1", 0)
    if frame_type == FrameType.INTER_PAN:
        raise ApsDecodeError("inter-PAN frames are not used on a GB HAN", 0)
    ack_format = bool(fc & 0x10)
    dst_endpoint = group = cluster = profile = src_endpoint = None
    pos = 1
    if frame_type == FrameType.DATA or (frame_type == FrameType.ACK and not ack_format):
        if delivery_mode == DeliveryMode.GROUP:
            if n < 9:
                raise ApsDecodeError("truncated APS addressing fields", n)
            group, cluster, profile, src_endpoint = _GROUP_ADDRESSED.unpack_from(data, 1)
            pos = 8
        else:
            if n < 8:
                raise ApsDecodeError("truncated APS addressing fields", n)
            dst_endpoint, cluster, profile, src_endpoint = _ADDRESSED.unpack_from(data, 1)
            pos = 7
    if n <= pos:
        raise ApsDecodeError("truncated APS counter", n)
    counter = data[pos]
    pos += 1
    extended = None
    if fc & 0x80:
        r = Reader(data, ApsDecodeError, pos)
        efc = r.u8("extended frame control")
        if efc & 0x03 == 3 or efc & 0xFC:
            raise ApsDecodeError(f"bad extended frame control {efc:#04x}", pos)
        fragmentation = Fragmentation(efc & 0x03)
        block = ack_bits = None
        if fragmentation != Fragmentation.NONE:
            block = r.u8("block number")
            if frame_type == FrameType.ACK:
                ack_bits = r.u8("ack bitfield")
        extended = ExtendedHeader(fragmentation, block or 0, ack_bits)
        pos = r.pos
    aux = None
    if fc & 0x20:
        aux = AuxiliaryHeader.decode_at(data, pos, ApsDecodeError)
        pos += aux.size
        if n - pos < MIC_LENGTH:
            raise ApsDecodeError(f"secured frame too short for its {MIC_LENGTH}-byte MIC", pos)
    return ApsFrame(
        frame_type,
        counter,
        delivery_mode,
        dst_endpoint,
        group,
        cluster,
        profile,
        src_endpoint,
        bool(fc & 0x40),
        ack_format,
        extended,
        aux,
        data[pos:],
    )


# --- APS commands ---------------------------------------------------------------------------


class CommandId(IntEnum):
    """R22 Table 4.29."""

    TRANSPORT_KEY = 0x05
    UPDATE_DEVICE = 0x06
    REMOVE_DEVICE = 0x07
    REQUEST_KEY = 0x08
    SWITCH_KEY = 0x09
    TUNNEL = 0x0E
    VERIFY_KEY = 0x0F
    CONFIRM_KEY = 0x10


class KeyType(IntEnum):
    """StandardKeyType, R22 Table 4.13 (values used in transport/request/verify key)."""

    STANDARD_NETWORK_KEY = 0x01
    APPLICATION_LINK_KEY = 0x03
    TRUST_CENTER_LINK_KEY = 0x04


class RequestKeyType(IntEnum):
    """The Request-Key command's own key type values (R22 §4.4.10.4), not StandardKeyType."""

    APPLICATION_LINK_KEY = 0x02
    TRUST_CENTER_LINK_KEY = 0x04


class UpdateDeviceStatus(IntEnum):
    """R22 Table 4.35."""

    STANDARD_SECURED_REJOIN = 0
    STANDARD_UNSECURED_JOIN = 1
    DEVICE_LEFT = 2
    STANDARD_UNSECURED_REJOIN = 3


@dataclass(frozen=True, slots=True)
class TransportKey:
    """R22 §4.4.10.1. Network key: ``key_seq``, ``destination``, ``source``. Trust Center link
    key: ``destination``, ``source``. Application link key: ``partner`` and ``initiator``.
    """

    key_type: KeyType
    key: bytes
    key_seq: int = 0
    destination: Eui64 | None = None
    source: Eui64 | None = None
    partner: Eui64 | None = None
    initiator: bool = False
    command_id = CommandId.TRANSPORT_KEY

    def encode(self) -> bytes:
        out = bytes((self.command_id, self.key_type)) + self.key
        if self.key_type == KeyType.APPLICATION_LINK_KEY:
            return out + _eui(self.partner).air() + bytes((self.initiator,))
        if self.key_type == KeyType.STANDARD_NETWORK_KEY:
            out += bytes((self.key_seq,))
        return out + _eui(self.destination).air() + _eui(self.source).air()


@dataclass(frozen=True, slots=True)
class UpdateDevice:
    device: Eui64
    short_address: int
    status: UpdateDeviceStatus
    command_id = CommandId.UPDATE_DEVICE

    def encode(self) -> bytes:
        return (
            bytes((self.command_id,))
            + self.device.air()
            + self.short_address.to_bytes(2, "little")
            + bytes((self.status,))
        )


@dataclass(frozen=True, slots=True)
class RemoveDevice:
    target: Eui64
    command_id = CommandId.REMOVE_DEVICE

    def encode(self) -> bytes:
        return bytes((self.command_id,)) + self.target.air()


@dataclass(frozen=True, slots=True)
class RequestKey:
    """Trust Center link key (no partner) or application link key with ``partner``."""

    key_type: RequestKeyType
    partner: Eui64 | None = None
    command_id = CommandId.REQUEST_KEY

    def encode(self) -> bytes:
        out = bytes((self.command_id, self.key_type))
        return out + self.partner.air() if self.partner is not None else out


@dataclass(frozen=True, slots=True)
class SwitchKey:
    key_seq: int
    command_id = CommandId.SWITCH_KEY

    def encode(self) -> bytes:
        return bytes((self.command_id, self.key_seq))


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """R22 §4.4.10.7: ``hash`` is HMAC-MMO(link key, 0x03)."""

    key_type: KeyType
    source: Eui64
    hash: bytes
    command_id = CommandId.VERIFY_KEY

    def encode(self) -> bytes:
        return bytes((self.command_id, self.key_type)) + self.source.air() + self.hash


@dataclass(frozen=True, slots=True)
class ConfirmKey:
    status: int
    key_type: KeyType
    destination: Eui64
    command_id = CommandId.CONFIRM_KEY

    def encode(self) -> bytes:
        return bytes((self.command_id, self.status, self.key_type)) + self.destination.air()


@dataclass(frozen=True, slots=True)
class OtherApsCommand:
    command_id: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return bytes((self.command_id,)) + self.payload


ApsCommand = (
    TransportKey
    | UpdateDevice
    | RemoveDevice
    | RequestKey
    | SwitchKey
    | VerifyKey
    | ConfirmKey
    | OtherApsCommand
)


def _eui(value: Eui64 | None) -> Eui64:
    return value if value is not None else Eui64(0)


def _key_type(r: Reader) -> KeyType:
    value = r.u8("key type")
    try:
        return KeyType(value)
    except ValueError:
        raise r.fail(f"unknown key type {value:#04x}", r.pos - 1) from None


def decode_command(payload: bytes) -> ApsCommand:
    """Decode the (plain) payload of an APS command frame: command identifier first."""
    r = Reader(payload, ApsDecodeError)
    cid = r.u8("APS command identifier")

    def eui(what: str) -> Eui64:
        return Eui64.from_air(r.take(8, what))

    cmd: ApsCommand
    if cid == CommandId.TRANSPORT_KEY:
        key_type = _key_type(r)
        key = r.take(16, "key")
        if key_type == KeyType.APPLICATION_LINK_KEY:
            cmd = TransportKey(
                key_type, key, partner=eui("partner address"), initiator=bool(r.u8())
            )
        elif key_type == KeyType.STANDARD_NETWORK_KEY:
            seq = r.u8("key sequence number")
            cmd = TransportKey(
                key_type, key, seq, eui("destination address"), eui("source address")
            )
        else:
            cmd = TransportKey(key_type, key, 0, eui("destination address"), eui("source address"))
    elif cid == CommandId.UPDATE_DEVICE:
        device, short, status = eui("device address"), r.u16("short address"), r.u8("status")
        if status > 3:
            raise r.fail(f"unknown update device status {status}", r.pos - 1)
        cmd = UpdateDevice(device, short, UpdateDeviceStatus(status))
    elif cid == CommandId.REMOVE_DEVICE:
        cmd = RemoveDevice(eui("target address"))
    elif cid == CommandId.REQUEST_KEY:
        value = r.u8("request key type")
        if value not in (RequestKeyType.APPLICATION_LINK_KEY, RequestKeyType.TRUST_CENTER_LINK_KEY):
            raise r.fail(f"unknown request key type {value:#04x}", r.pos - 1)
        request_type = RequestKeyType(value)
        partner = (
            eui("partner address") if request_type == RequestKeyType.APPLICATION_LINK_KEY else None
        )
        cmd = RequestKey(request_type, partner)
    elif cid == CommandId.SWITCH_KEY:
        cmd = SwitchKey(r.u8("key sequence number"))
    elif cid == CommandId.VERIFY_KEY:
        cmd = VerifyKey(_key_type(r), eui("source address"), r.take(16, "verify key hash"))
    elif cid == CommandId.CONFIRM_KEY:
        status = r.u8("status")
        cmd = ConfirmKey(status, _key_type(r), eui("destination address"))
    else:
        return OtherApsCommand(cid, r.rest())
    r.expect_end("APS command")
    return cmd
