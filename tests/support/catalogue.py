"""A catalogue of every frame kind the codecs build, secured for real, for the outside oracles.

Each entry is the PSDU as a radio sends it plus the objects it was built from, so oracle tests
can compare field by field. Keys are test-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.codec import ieee802154 as mac
from emulator.codec.eui64 import Eui64
from emulator.codec.security import ccm, keys
from emulator.codec.zigbee import aps, nwk
from emulator.codec.zigbee.auxiliary import AuxiliaryHeader, KeyId

TEST_NETWORK_KEY = bytes.fromhex("01030507090B0D0F00020406080A0C0D")  # test-only
TEST_INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")  # DOMAIN.md §4 vector
TEST_LINK_KEY = keys.link_key_from_install_code(keys.with_crc(TEST_INSTALL_CODE))
TC = Eui64("00-DB-12-34-56-78-90-A2")
DEVICE = Eui64("00-DB-12-34-56-78-90-A0")
PAN = 0x1A62
DEVICE_SHORT = 0x4F1C


@dataclass
class Entry:
    name: str
    psdu: bytes
    mac: mac.MacFrame
    nwk: nwk.NwkFrame | None = None
    nwk_command: nwk.NwkCommand | None = None
    aps: aps.ApsFrame | None = None
    aps_command: aps.ApsCommand | None = None
    app_payload: bytes | None = None  # plain APS payload (ZDO/ZCL) of data frames
    notes: dict[str, object] = field(default_factory=dict)


def _mac_data(seq: int, src: int, dst: int, payload: bytes, ack: bool = True) -> mac.MacFrame:
    return mac.MacFrame(
        mac.FrameType.DATA,
        seq,
        dst_pan=PAN,
        dst=dst,
        src=src,
        pan_id_compression=True,
        ack_request=ack and dst != 0xFFFF,
        payload=payload,
    )


class Builder:
    """Builds secured frames with running counters, as a stack would."""

    def __init__(self) -> None:
        self.seq = 0
        self.nwk_counter = 100
        self.aps_counter = 200
        self.entries: list[Entry] = []

    def _next(self) -> int:
        self.seq = (self.seq + 1) & 0xFF
        return self.seq

    def mac_only(self, name: str, frame: mac.MacFrame) -> None:
        self.entries.append(Entry(name, frame.psdu(), frame))

    def nwk_command(
        self,
        name: str,
        cmd: nwk.NwkCommand,
        *,
        src: int,
        dst: int,
        src_ieee: Eui64,
        secured: bool = True,
    ) -> None:
        seq = self._next()
        if secured:
            self.nwk_counter += 1
            frame = nwk.NwkFrame(
                nwk.FrameType.COMMAND,
                dst,
                src,
                seq,
                radius=1,
                src_ieee=src_ieee,
                aux=AuxiliaryHeader(KeyId.NETWORK_KEY, self.nwk_counter, src_ieee, 0),
            )
            wire = ccm.secure_nwk(frame, cmd.encode(), TEST_NETWORK_KEY)
        else:
            frame = nwk.NwkFrame(
                nwk.FrameType.COMMAND,
                dst,
                src,
                seq,
                radius=1,
                src_ieee=src_ieee,
                payload=cmd.encode(),
            )
            wire = frame.encode()
        m = _mac_data(seq, src, dst if dst < 0xFFF8 else 0xFFFF, wire)
        self.entries.append(Entry(name, m.psdu(), m, nwk.decode_nwk(wire), nwk_command=cmd))

    def aps_frame(
        self,
        name: str,
        frame: aps.ApsFrame,
        plain: bytes,
        *,
        src: int,
        dst: int,
        sender: Eui64,
        link_key: bytes | None = None,
        nwk_secured: bool = True,
        aps_command: aps.ApsCommand | None = None,
    ) -> None:
        if frame.aux is not None:
            assert link_key is not None
            aps_wire = ccm.secure_aps(frame, plain, link_key, sender)
        else:
            aps_wire = frame.header() + plain
        seq = self._next()
        if nwk_secured:
            self.nwk_counter += 1
            nf = nwk.NwkFrame(
                nwk.FrameType.DATA,
                dst,
                src,
                seq,
                aux=AuxiliaryHeader(KeyId.NETWORK_KEY, self.nwk_counter, sender, 0),
            )
            nwk_wire = ccm.secure_nwk(nf, aps_wire, TEST_NETWORK_KEY)
        else:
            nwk_wire = nwk.NwkFrame(
                nwk.FrameType.DATA, dst, src, seq, radius=1, payload=aps_wire
            ).encode()
        m = _mac_data(seq, src, dst if dst < 0xFFF8 else 0xFFFF, nwk_wire)
        self.entries.append(
            Entry(
                name,
                m.psdu(),
                m,
                nwk.decode_nwk(nwk_wire),
                aps=aps.decode_aps(aps_wire),
                aps_command=aps_command,
                app_payload=None if aps_command else plain,
            )
        )

    def aps_command(
        self,
        name: str,
        cmd: aps.ApsCommand,
        key_id: KeyId | None,
        *,
        src: int,
        dst: int,
        sender: Eui64,
        link_key: bytes = TEST_LINK_KEY,
        nwk_secured: bool = True,
        extended_nonce: bool = False,
    ) -> None:
        self.aps_counter += 1
        aux = None
        if key_id is not None:
            aux = AuxiliaryHeader(key_id, self.aps_counter, sender if extended_nonce else None)
        frame = aps.ApsFrame(aps.FrameType.COMMAND, self.aps_counter & 0xFF, aux=aux)
        self.aps_frame(
            name,
            frame,
            cmd.encode(),
            src=src,
            dst=dst,
            sender=sender,
            link_key=link_key,
            nwk_secured=nwk_secured,
            aps_command=cmd,
        )


def build_catalogue() -> list[Entry]:
    b = Builder()
    epid = Eui64("00-DB-12-34-56-78-90-00")
    b.mac_only(
        "beacon request",
        mac.MacFrame(
            mac.FrameType.MAC_COMMAND, 1, dst_pan=0xFFFF, dst=0xFFFF, command=mac.BeaconRequest()
        ),
    )
    b.mac_only(
        "beacon",
        mac.MacFrame(
            mac.FrameType.BEACON,
            2,
            src_pan=PAN,
            src=0,
            beacon=mac.Beacon(True, zigbee=mac.ZigbeeBeacon(epid, device_depth=0)),
        ),
    )
    b.mac_only(
        "association request",
        mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            3,
            dst_pan=PAN,
            dst=0,
            src_pan=0xFFFF,
            src=DEVICE,
            ack_request=True,
            command=mac.AssociationRequest(0x8E),
        ),
    )
    b.mac_only("ack", mac.ack(3))
    b.mac_only(
        "data request",
        mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            4,
            dst_pan=PAN,
            dst=0,
            src=DEVICE,
            pan_id_compression=True,
            ack_request=True,
            command=mac.DataRequest(),
        ),
    )
    b.mac_only("ack with frame pending", mac.ack(4, frame_pending=True))
    b.mac_only(
        "association response",
        mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            5,
            dst_pan=PAN,
            dst=DEVICE,
            src=TC,
            pan_id_compression=True,
            ack_request=True,
            command=mac.AssociationResponse(DEVICE_SHORT),
        ),
    )
    b.mac_only(
        "disassociation notification",
        mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            6,
            dst_pan=PAN,
            dst=TC,
            src=DEVICE,
            pan_id_compression=True,
            ack_request=True,
            command=mac.DisassociationNotification(2),
        ),
    )
    nk = aps.TransportKey(aps.KeyType.STANDARD_NETWORK_KEY, TEST_NETWORK_KEY, 0, DEVICE, TC)
    b.aps_command(
        "transport key (network key)",
        nk,
        KeyId.KEY_TRANSPORT_KEY,
        src=0,
        dst=DEVICE_SHORT,
        sender=TC,
        nwk_secured=False,
        extended_nonce=True,
    )
    b.nwk_command(
        "end device timeout request",
        nwk.EndDeviceTimeoutRequest(8),
        src=DEVICE_SHORT,
        dst=0,
        src_ieee=DEVICE,
    )
    # Key-management commands carry the extended nonce, as our stacks send them: tshark 4.0 fails to
    # decrypt a TC-link-key Request Key without it (it reports the frame malformed), while the
    # application-link-key variant and data frames decrypt either way.
    b.aps_command(
        "request key (TC link key)",
        aps.RequestKey(aps.RequestKeyType.TRUST_CENTER_LINK_KEY),
        KeyId.DATA_KEY,
        src=DEVICE_SHORT,
        dst=0,
        sender=DEVICE,
        extended_nonce=True,
    )
    tclk = bytes.fromhex("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF")  # test-only
    b.aps_command(
        "transport key (TC link key)",
        aps.TransportKey(aps.KeyType.TRUST_CENTER_LINK_KEY, tclk, 0, DEVICE, TC),
        KeyId.KEY_LOAD_KEY,
        src=0,
        dst=DEVICE_SHORT,
        sender=TC,
        extended_nonce=True,
    )
    b.aps_command(
        "verify key",
        aps.VerifyKey(aps.KeyType.TRUST_CENTER_LINK_KEY, DEVICE, keys.verify_key_hash(tclk)),
        None,
        src=DEVICE_SHORT,
        dst=0,
        sender=DEVICE,
    )
    b.aps_command(
        "confirm key",
        aps.ConfirmKey(0, aps.KeyType.TRUST_CENTER_LINK_KEY, DEVICE),
        KeyId.DATA_KEY,
        src=0,
        dst=DEVICE_SHORT,
        sender=TC,
        link_key=tclk,
    )
    partner = Eui64("00-DB-12-34-56-78-90-A4")
    b.aps_command(
        "request key (application link key)",
        aps.RequestKey(aps.RequestKeyType.APPLICATION_LINK_KEY, partner),
        KeyId.DATA_KEY,
        src=DEVICE_SHORT,
        dst=0,
        sender=DEVICE,
        link_key=tclk,
    )
    b.aps_command(
        "transport key (application link key)",
        aps.TransportKey(
            aps.KeyType.APPLICATION_LINK_KEY, bytes(range(16)), partner=partner, initiator=True
        ),
        KeyId.KEY_LOAD_KEY,
        src=0,
        dst=DEVICE_SHORT,
        sender=TC,
        link_key=tclk,
        extended_nonce=True,
    )
    b.aps_command(
        "update device",
        aps.UpdateDevice(partner, 0x2222, aps.UpdateDeviceStatus.STANDARD_UNSECURED_JOIN),
        KeyId.DATA_KEY,
        src=DEVICE_SHORT,
        dst=0,
        sender=DEVICE,
        link_key=tclk,
    )
    b.aps_command(
        "remove device",
        aps.RemoveDevice(partner),
        KeyId.DATA_KEY,
        src=0,
        dst=DEVICE_SHORT,
        sender=TC,
        link_key=tclk,
    )
    b.aps_command("switch key", aps.SwitchKey(1), None, src=0, dst=0xFFFD, sender=TC)
    b.nwk_command("leave", nwk.Leave(rejoin=True), src=DEVICE_SHORT, dst=0xFFFD, src_ieee=DEVICE)
    b.nwk_command(
        "rejoin request", nwk.RejoinRequest(0x8E), src=DEVICE_SHORT, dst=0, src_ieee=DEVICE
    )
    b.nwk_command(
        "rejoin response", nwk.RejoinResponse(DEVICE_SHORT, 0), src=0, dst=DEVICE_SHORT, src_ieee=TC
    )
    b.nwk_command(
        "network status",
        nwk.NetworkStatus(nwk.NetworkStatusCode.NO_ROUTE_AVAILABLE, 0x1234),
        src=0,
        dst=DEVICE_SHORT,
        src_ieee=TC,
    )
    b.nwk_command(
        "route record", nwk.RouteRecord((0x1111, 0x2222)), src=DEVICE_SHORT, dst=0, src_ieee=DEVICE
    )
    b.nwk_command(
        "link status",
        nwk.LinkStatus((nwk.LinkStatusEntry(0, 1, 1), nwk.LinkStatusEntry(0x2222, 3, 5))),
        src=DEVICE_SHORT,
        dst=0xFFFC,
        src_ieee=DEVICE,
    )
    b.nwk_command(
        "end device timeout response",
        nwk.EndDeviceTimeoutResponse(0, 3),
        src=0,
        dst=DEVICE_SHORT,
        src_ieee=TC,
    )
    # An APS data frame (ZCL Read Attributes on Prepayment, SE profile) under link key and
    # network key, its APS ACK, and a fragmented first block with the extended header.
    read = bytes([0x00, 0x21, 0x00, 0x00, 0x00, 0x01, 0x00])
    data = aps.ApsFrame(
        aps.FrameType.DATA,
        0x31,
        dst_endpoint=1,
        cluster=0x0705,
        profile=aps.PROFILE_SMART_ENERGY,
        src_endpoint=1,
        ack_request=True,
        aux=AuxiliaryHeader(KeyId.DATA_KEY, 501),
    )
    b.aps_frame(
        "APS data (ZCL read, link key)",
        data,
        read,
        src=0,
        dst=DEVICE_SHORT,
        sender=TC,
        link_key=tclk,
    )
    ack = aps.ApsFrame(
        aps.FrameType.ACK,
        0x31,
        dst_endpoint=1,
        cluster=0x0705,
        profile=aps.PROFILE_SMART_ENERGY,
        src_endpoint=1,
        aux=AuxiliaryHeader(KeyId.DATA_KEY, 502),
    )
    b.aps_frame("APS ack", ack, b"", src=DEVICE_SHORT, dst=0, sender=DEVICE, link_key=tclk)
    frag = aps.ApsFrame(
        aps.FrameType.DATA,
        0x32,
        dst_endpoint=1,
        cluster=0x0704,
        profile=aps.PROFILE_SMART_ENERGY,
        src_endpoint=1,
        ack_request=True,
        extended=aps.ExtendedHeader(aps.Fragmentation.FIRST, 3),
    )
    b.aps_frame("APS data (first fragment)", frag, bytes(40), src=0, dst=DEVICE_SHORT, sender=TC)
    return b.entries
