"""A catalogue of every frame kind the codecs build, secured for real, for the outside oracles.

Each entry is a :class:`~emulator.han.scripted.Sent`: the PSDU as a radio sends it plus the
objects it was built from, so oracle tests can compare field by field. Keys are test-only.
"""

from __future__ import annotations

from emulator.codec import ieee802154 as mac
from emulator.codec.eui64 import Eui64
from emulator.codec.security import keys
from emulator.codec.zcl import frame as zcl
from emulator.codec.zigbee import aps, nwk, zdo
from emulator.codec.zigbee.auxiliary import KeyId
from emulator.han.scripted import Node, ScriptedHan, Sent

Entry = Sent

TEST_NETWORK_KEY = bytes.fromhex("01030507090B0D0F00020406080A0C0D")  # test-only
TEST_INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")  # DOMAIN.md §4 vector
TEST_LINK_KEY = keys.install_code_key(TEST_INSTALL_CODE)
TEST_TCLK = bytes.fromhex("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF")  # test-only
TC = Eui64("00-DB-12-34-56-78-90-A2")
DEVICE = Eui64("00-DB-12-34-56-78-90-A0")
PARTNER = Eui64("00-DB-12-34-56-78-90-A4")
PAN = 0x1A62
DEVICE_SHORT = 0x4F1C

# One ZDP payload per ZDO cluster (transaction sequence number first), R22 §2.4.3-2.4.4.
_IEEE = "a09078563412db00"
_EPID = "009078563412db00"
ZDO_SAMPLES: dict[int, str] = {
    0x0000: "10" + _IEEE + "0000",
    0x0001: "11 1c4f 00 00",
    0x0002: "12 1c4f",
    0x0003: "13 1c4f",
    0x0004: "14 1c4f 01",
    0x0005: "15 1c4f",
    0x0006: "16 fdff 0901 01 0008 00",
    0x0013: "81 1c4f" + _IEEE + "8e",
    0x0031: "17 00",
    0x0034: "18" + _IEEE + "00",
    0x0036: "19 fe 01",
    0x8000: "10 00" + _IEEE + "1c4f",
    0x8001: "11 00" + _IEEE + "1c4f",
    0x8002: "12 00 1c4f 01 40 8e 3412 52 8000 002c 8000 00",
    0x8003: "13 00 1c4f 52 84",
    0x8004: "14 00 1c4f 0e 01 0901 0105 01 02 0000 0207 01 0a00",
    0x8005: "15 00 1c4f 01 01",
    0x8006: "16 00 1c4f 01 01",
    0x8031: "17 00 01 00 01" + _EPID + _IEEE + "1c4f 12 00 01 c8",
    0x8034: "18 00",
    0x8036: "19 00",
}


def _zcl(cluster: int, name: str, tsn: int, **fields: object) -> bytes:
    return zcl.build_command(cluster, name, tsn=tsn, **fields).encode()


def build_catalogue() -> list[Sent]:
    han = ScriptedHan(PAN, TEST_NETWORK_KEY)
    tc, dev = Node(TC, 0x0000), Node(DEVICE, 0xFFFE)
    epid = Eui64("00-DB-12-34-56-78-90-00")

    # MAC: discovery and association, then a disassociation notification.
    han.associate(dev, tc, 0x8E, epid, DEVICE_SHORT)
    disassociation = mac.MacFrame(
        mac.FrameType.MAC_COMMAND,
        dev.next_mac_seq(),
        dst_pan=PAN,
        dst=TC,
        src=DEVICE,
        pan_id_compression=True,
        ack_request=True,
        command=mac.DisassociationNotification(2),
    )
    han.mac_frame("disassociation notification", disassociation)

    # APS key management.
    han.aps_command(
        "transport key (network key)",
        tc,
        DEVICE_SHORT,
        aps.TransportKey(aps.KeyType.STANDARD_NETWORK_KEY, TEST_NETWORK_KEY, 0, DEVICE, TC),
        KeyId.KEY_TRANSPORT_KEY,
        TEST_LINK_KEY,
        nwk_secured=False,
    )
    han.nwk_command("end device timeout request", dev, 0, nwk.EndDeviceTimeoutRequest(8))
    han.aps_command(
        "request key (TC link key)",
        dev,
        0,
        aps.RequestKey(aps.RequestKeyType.TRUST_CENTER_LINK_KEY),
        KeyId.DATA_KEY,
        TEST_LINK_KEY,
    )
    han.aps_command(
        "transport key (TC link key)",
        tc,
        DEVICE_SHORT,
        aps.TransportKey(aps.KeyType.TRUST_CENTER_LINK_KEY, TEST_TCLK, 0, DEVICE, TC),
        KeyId.KEY_LOAD_KEY,
        TEST_LINK_KEY,
    )
    han.aps_command(
        "verify key",
        dev,
        0,
        aps.VerifyKey(aps.KeyType.TRUST_CENTER_LINK_KEY, DEVICE, keys.verify_key_hash(TEST_TCLK)),
        None,
    )
    han.aps_command(
        "confirm key",
        tc,
        DEVICE_SHORT,
        aps.ConfirmKey(0, aps.KeyType.TRUST_CENTER_LINK_KEY, DEVICE),
        KeyId.DATA_KEY,
        TEST_TCLK,
    )
    han.aps_command(
        "request key (application link key)",
        dev,
        0,
        aps.RequestKey(aps.RequestKeyType.APPLICATION_LINK_KEY, PARTNER),
        KeyId.DATA_KEY,
        TEST_TCLK,
    )
    han.aps_command(
        "transport key (application link key)",
        tc,
        DEVICE_SHORT,
        aps.TransportKey(
            aps.KeyType.APPLICATION_LINK_KEY, bytes(range(16)), partner=PARTNER, initiator=True
        ),
        KeyId.KEY_LOAD_KEY,
        TEST_TCLK,
    )
    han.aps_command(
        "update device",
        dev,
        0,
        aps.UpdateDevice(PARTNER, 0x2222, aps.UpdateDeviceStatus.STANDARD_UNSECURED_JOIN),
        KeyId.DATA_KEY,
        TEST_TCLK,
    )
    han.aps_command(
        "remove device", tc, DEVICE_SHORT, aps.RemoveDevice(PARTNER), KeyId.DATA_KEY, TEST_TCLK
    )
    han.aps_command("switch key", tc, 0xFFFD, aps.SwitchKey(0), None)

    # NWK commands.
    han.nwk_command(
        "end device timeout response", tc, DEVICE_SHORT, nwk.EndDeviceTimeoutResponse(0, 3)
    )
    han.nwk_command("leave", dev, 0xFFFD, nwk.Leave(rejoin=True))
    han.nwk_command("rejoin request", dev, 0, nwk.RejoinRequest(0x8E))
    han.nwk_command("rejoin response", tc, DEVICE_SHORT, nwk.RejoinResponse(DEVICE_SHORT, 0))
    han.nwk_command(
        "network status",
        tc,
        DEVICE_SHORT,
        nwk.NetworkStatus(nwk.NetworkStatusCode.NO_ROUTE_AVAILABLE, 0x1234),
    )
    han.nwk_command("route record", dev, 0, nwk.RouteRecord((0x1111, 0x2222)))
    han.nwk_command(
        "link status",
        dev,
        0xFFFC,
        nwk.LinkStatus((nwk.LinkStatusEntry(0, 1, 1), nwk.LinkStatusEntry(0x2222, 3, 5))),
    )

    # ZDO: one message per cluster, on endpoint 0 of the ZigBee Device Profile.
    for cluster, hexdata in ZDO_SAMPLES.items():
        payload = zdo.decode_zdo(cluster, bytes.fromhex(hexdata)).encode()
        sender, dst = (dev, 0) if cluster & 0x8000 else (tc, DEVICE_SHORT)
        if cluster == zdo.ZdoCluster.DEVICE_ANNCE:
            sender, dst = dev, 0xFFFD
        han.aps_data(
            f"ZDO {zdo.ZdoCluster(cluster).name}",
            sender,
            dst,
            cluster=cluster,
            payload=payload,
            profile=aps.PROFILE_ZDP,
            endpoint=0,
            dst_endpoint=0,
            ack=False,
        )

    # ZCL on the Smart Energy profile, APS-secured with the TC link key, and an APS ACK.
    read = han.aps_data(
        "ZCL read attributes (prepayment)",
        tc,
        DEVICE_SHORT,
        cluster=0x0705,
        payload=zcl.read_attributes([0x0000, 0x0001], tsn=0x21).encode(),
        link_key=TEST_TCLK,
    )
    han.aps_ack(dev, tc, read, TEST_TCLK)
    han.aps_data(
        "ZCL request tunnel (GB-HGRP)",
        tc,
        DEVICE_SHORT,
        cluster=0x0704,
        payload=_zcl(
            0x0704,
            "request_tunnel",
            0x22,
            protocol_id=6,
            manufacturer_code=0xFFFF,
            flow_control_support=False,
            maximum_incoming_transfer_size=1500,
        ),
        link_key=TEST_TCLK,
    )
    han.aps_data(
        "ZCL OTA query next image",
        dev,
        0,
        cluster=0x0019,
        payload=_zcl(
            0x0019,
            "query_next_image",
            0x23,
            field_control=0,
            manufacturer_code=0x1234,
            image_type=0x0001,
            current_file_version=0x00000101,
        ),
        link_key=TEST_TCLK,
    )

    # APS fragmentation: a first block with the extended header, unsecured at APS.
    frag = aps.ApsFrame(
        aps.FrameType.DATA,
        tc.next_aps_counter(),
        dst_endpoint=1,
        cluster=0x0704,
        profile=aps.PROFILE_SMART_ENERGY,
        src_endpoint=1,
        ack_request=True,
        extended=aps.ExtendedHeader(aps.Fragmentation.FIRST, 3),
    )
    han.send_aps("APS data (first fragment)", tc, DEVICE_SHORT, frag, bytes(40))
    return han.frames
