"""Outside oracle: scapy's dot15d4/zigbee layers dissect our frames to the same field values.

scapy neither decrypts nor checks the FCS, so headers are compared on the air bytes and command
payloads on the plain bytes we secured.
"""

from __future__ import annotations

import pytest
from scapy.config import conf

conf.dot15d4_protocol = "zigbee"

from scapy.layers.dot15d4 import (  # noqa: E402
    Dot15d4Beacon,
    Dot15d4Cmd,
    Dot15d4CmdAssocReq,
    Dot15d4CmdAssocResp,
    Dot15d4CmdDisassociation,
    Dot15d4Data,
    Dot15d4FCS,
)
from scapy.layers.zigbee import (  # noqa: E402
    ZigbeeAppCommandPayload,
    ZigbeeAppDataPayload,
    ZigBeeBeacon,
    ZigbeeNWK,
    ZigbeeNWKCommandPayload,
    ZigbeeSecurityHeader,
)
from support.catalogue import Entry  # noqa: E402

from emulator.codec import ieee802154 as mac  # noqa: E402
from emulator.codec.eui64 import Eui64  # noqa: E402
from emulator.codec.zigbee import aps, nwk  # noqa: E402
from emulator.codec.zigbee.auxiliary import AuxiliaryHeader  # noqa: E402


def scapy_addr(value: int | str) -> int:
    return int(value.replace(":", ""), 16) if isinstance(value, str) else value


def check_mac(entry: Entry) -> None:
    frame, pkt = entry.mac, Dot15d4FCS(entry.psdu)
    assert pkt.fcf_frametype == frame.frame_type
    assert pkt.seqnum == frame.seq
    assert bool(pkt.fcf_ackreq) == frame.ack_request
    assert bool(pkt.fcf_pending) == frame.frame_pending
    assert bool(pkt.fcf_panidcompress) == frame.pan_id_compression
    assert pkt.fcs == mac.fcs(entry.psdu[:-2])
    layer = pkt.payload
    if frame.dst is not None:
        assert layer.dest_panid == frame.dst_pan
        assert scapy_addr(layer.dest_addr) == int(frame.dst)
    if frame.src is not None:
        assert scapy_addr(layer.src_addr) == int(frame.src)
        if not frame.pan_id_compression:
            assert layer.src_panid == frame.src_pan
    if frame.beacon is not None:
        assert isinstance(layer, Dot15d4Beacon)
        assert bool(layer.sf_assocpermit) == frame.beacon.association_permit
        assert bool(layer.sf_pancoord) == frame.beacon.pan_coordinator
        zb = pkt[ZigBeeBeacon]
        assert frame.beacon.zigbee is not None
        assert scapy_addr(zb.extended_pan_id) == frame.beacon.zigbee.extended_pan_id
        assert zb.stack_profile == frame.beacon.zigbee.stack_profile
        assert zb.device_depth == frame.beacon.zigbee.device_depth
        assert bool(zb.router_capacity) == frame.beacon.zigbee.router_capacity
    if frame.command is not None:
        assert isinstance(layer, Dot15d4Cmd)
        assert layer.cmd_id == frame.command.command_id
        cmd = frame.command
        if isinstance(cmd, mac.AssociationRequest):
            req = pkt[Dot15d4CmdAssocReq]
            assert bool(req.allocate_address) == bool(
                cmd.capability & mac.Capability.ALLOCATE_ADDRESS
            )
            assert bool(req.device_type) == bool(cmd.capability & mac.Capability.FFD)
            assert bool(req.receiver_on_when_idle) == bool(
                cmd.capability & mac.Capability.RX_ON_WHEN_IDLE
            )
        elif isinstance(cmd, mac.AssociationResponse):
            rsp = pkt[Dot15d4CmdAssocResp]
            assert rsp.short_address == cmd.short_address and rsp.association_status == cmd.status
        elif isinstance(cmd, mac.DisassociationNotification):
            assert pkt[Dot15d4CmdDisassociation].disassociation_reason == cmd.reason
    if frame.frame_type == mac.FrameType.DATA:
        assert isinstance(layer, Dot15d4Data)


def check_aux(sec: ZigbeeSecurityHeader, aux: AuxiliaryHeader) -> None:
    assert sec.key_type == aux.key_id
    assert sec.fc == aux.frame_counter
    assert bool(sec.extended_nonce) == (aux.source is not None)
    if aux.source is not None:
        assert scapy_addr(sec.source) == aux.source
    if aux.key_seq is not None:
        assert sec.key_seqnum == aux.key_seq
    assert sec.nwk_seclevel == 0  # sent as 0 on the air, R22 §4.3.1.1


def check_nwk(entry: Entry) -> None:
    frame = entry.nwk
    assert frame is not None
    pkt = Dot15d4FCS(entry.psdu)[ZigbeeNWK]
    assert pkt.frametype == frame.frame_type
    assert pkt.proto_version == frame.protocol_version
    assert pkt.destination == frame.dst and pkt.source == frame.src
    assert pkt.radius == frame.radius and pkt.seqnum == frame.seq
    if frame.src_ieee is not None:
        assert scapy_addr(pkt.ext_src) == frame.src_ieee
    if frame.aux is not None:
        check_aux(pkt[ZigbeeSecurityHeader], frame.aux)
    elif entry.nwk_command is not None:
        check_nwk_command(ZigbeeNWKCommandPayload(frame.payload), entry.nwk_command)
    if entry.nwk_command is not None:
        check_nwk_command(ZigbeeNWKCommandPayload(entry.nwk_command.encode()), entry.nwk_command)


def check_nwk_command(pkt: ZigbeeNWKCommandPayload, cmd: nwk.NwkCommand) -> None:
    assert pkt.cmd_identifier == cmd.command_id
    if isinstance(cmd, nwk.Leave):
        assert (pkt.rejoin, pkt.request, pkt.remove_children) == (
            cmd.rejoin,
            cmd.request,
            cmd.remove_children,
        )
    elif isinstance(cmd, nwk.RejoinResponse):
        assert pkt.network_address == cmd.network_address and pkt.rejoin_status == cmd.status
    elif isinstance(cmd, nwk.NetworkStatus):
        assert pkt.status_code == cmd.status and pkt.destination_address == cmd.destination
    elif isinstance(cmd, nwk.RouteRecord):
        assert pkt.rr_relay_count == len(cmd.relays) and list(pkt.rr_relay_list) == list(cmd.relays)
    elif isinstance(cmd, nwk.LinkStatus):
        assert pkt.entry_count == len(cmd.entries)
        assert [e.neighbor_network_address for e in pkt.link_status_list] == [
            e.address for e in cmd.entries
        ]


def check_aps(entry: Entry) -> None:
    frame = entry.aps
    assert frame is not None
    plain_aps = frame.header() + (
        entry.aps_command.encode() if entry.aps_command else entry.app_payload or b""
    )
    for raw in (plain_aps,):
        pkt = ZigbeeAppDataPayload(raw)
        assert pkt.aps_frametype == frame.frame_type
        assert pkt.delivery_mode == frame.delivery_mode
        assert pkt.counter == frame.counter
        if frame.dst_endpoint is not None:
            assert pkt.dst_endpoint == frame.dst_endpoint and pkt.src_endpoint == frame.src_endpoint
            assert pkt.cluster == frame.cluster and pkt.profile == frame.profile
        if frame.aux is not None:
            check_aux(pkt[ZigbeeSecurityHeader], frame.aux)
    if entry.aps_command is not None:
        check_aps_command(ZigbeeAppCommandPayload(entry.aps_command.encode()), entry.aps_command)


def check_aps_command(pkt: ZigbeeAppCommandPayload, cmd: aps.ApsCommand) -> None:
    assert pkt.cmd_identifier == cmd.command_id
    if isinstance(cmd, aps.TransportKey):
        assert pkt.key_type == cmd.key_type and pkt.key == cmd.key
        if cmd.key_type == aps.KeyType.STANDARD_NETWORK_KEY:
            assert pkt.key_seqnum == cmd.key_seq
        if cmd.destination is not None:
            assert (
                scapy_addr(pkt.dest_addr) == cmd.destination
                and scapy_addr(pkt.src_addr) == cmd.source
            )
    elif isinstance(cmd, aps.UpdateDevice):
        assert scapy_addr(pkt.address) == cmd.device and pkt.short_address == cmd.short_address
        assert pkt.update_status == cmd.status
    elif isinstance(cmd, aps.RemoveDevice):
        assert scapy_addr(pkt.address) == cmd.target
    elif isinstance(cmd, aps.RequestKey):
        assert pkt.key_type == cmd.key_type
        if cmd.partner is not None:
            assert scapy_addr(pkt.partner_addr) == cmd.partner
    elif isinstance(cmd, aps.SwitchKey):
        assert pkt.seqnum == bytes((cmd.key_seq,))  # scapy keeps this one as a 1-byte string
    elif isinstance(cmd, aps.VerifyKey):
        assert pkt.key_type == cmd.key_type and scapy_addr(pkt.address) == cmd.source
    elif isinstance(cmd, aps.ConfirmKey):
        assert pkt.status == cmd.status and pkt.key_type == cmd.key_type
        assert scapy_addr(pkt.address) == cmd.destination


def test_every_catalogue_frame_matches_scapy(catalogue: list[Entry]) -> None:
    assert len(catalogue) >= 29
    for entry in catalogue:
        check_mac(entry)
        if entry.nwk is not None:
            check_nwk(entry)
        if entry.aps is not None:
            check_aps(entry)


@pytest.mark.parametrize(
    "eui", ["00-DB-12-34-56-78-90-A0", "ff:ee:dd:cc:bb:aa:99:88", "0011223344556677"]
)
def test_eui64_forms(eui: str) -> None:
    parsed = Eui64(eui)
    assert Eui64(str(parsed)) == parsed and Eui64(parsed.hex) == parsed
    assert Eui64.from_air(parsed.air()) == parsed and Eui64(parsed.big()) == parsed
