"""The capture demo: an ESME joins a Communications Hub, and the two exchange SE traffic.

A scripted, fully secured exchange (real bytes, real keys, modelled 2.4 GHz timing) a user can open
in Wireshark: discovery and association, the network key under the install-code key-transport key,
device announce, the R22 Trust Centre link key update, a ZCL read of the ESME's Prepayment cluster
and an OTA Query Next Image / Image Block exchange with the hub. Keys are test-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emulator.codec import ieee802154 as mac
from emulator.codec.eui64 import Eui64
from emulator.codec.security import keys
from emulator.codec.zcl import frame as zcl
from emulator.codec.zigbee import aps, nwk, zdo
from emulator.codec.zigbee.auxiliary import KeyId
from emulator.han.capture import KeyRing, PcapCapture
from emulator.han.scripted import Node, ScriptedHan, Sent

# Test-only material: the RTDS device EUIs, the install code of DOMAIN.md §4, fixed test keys.
HUB = Eui64("00-DB-12-34-56-78-90-A2")
ESME = Eui64("00-DB-12-34-56-78-90-A0")
ESME_SHORT = 0x4F1C
PAN_ID = 0x1A62
EXTENDED_PAN_ID = Eui64("00-DB-12-34-56-78-90-A2")
TEST_NETWORK_KEY = bytes.fromhex("2C5E5B1F7A4D3C8E9F0A1B2C3D4E5F60")
TEST_INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")
TEST_TC_LINK_KEY = bytes.fromhex("8E1D2C3B4A59687F0E1D2C3B4A596870")

OTA_MANUFACTURER = 0x1234
OTA_IMAGE_TYPE = 0x0001
OTA_BLOCK = 48  # fits one frame with APS security and the extended nonce (DOMAIN.md §5)


@dataclass(frozen=True)
class DemoCapture:
    pcap: Path
    keys: Path | None
    frames: int
    modelled_seconds: float


def build_exchange() -> tuple[list[Sent], KeyRing]:
    han = ScriptedHan(PAN_ID, TEST_NETWORK_KEY)
    hub, esme = Node(HUB, 0x0000), Node(ESME, 0xFFFE)
    link_key = keys.install_code_key(TEST_INSTALL_CODE)
    ring = KeyRing()
    ring.add_network_key(TEST_NETWORK_KEY)
    ring.add_link_key(ESME, link_key)
    ring.add_link_key(ESME, TEST_TC_LINK_KEY)

    capability = mac.Capability.FFD | mac.Capability.MAINS_POWERED | mac.Capability.RX_ON_WHEN_IDLE
    capability |= mac.Capability.ALLOCATE_ADDRESS
    han.associate(esme, hub, capability, EXTENDED_PAN_ID, ESME_SHORT)

    han.aps_command(
        "transport key",
        hub,
        ESME_SHORT,
        aps.TransportKey(aps.KeyType.STANDARD_NETWORK_KEY, TEST_NETWORK_KEY, 0, ESME, HUB),
        KeyId.KEY_TRANSPORT_KEY,
        link_key,
        nwk_secured=False,
    )
    announce = zdo.DeviceAnnce(1, ESME_SHORT, ESME, zdo.MacCapability(capability))
    han.aps_data(
        "device announce",
        esme,
        nwk.BROADCAST_RX_ON_WHEN_IDLE,
        cluster=zdo.ZdoCluster.DEVICE_ANNCE,
        payload=announce.encode(),
        profile=aps.PROFILE_ZDP,
        endpoint=0,
        dst_endpoint=0,
        ack=False,
    )
    han.aps_command(
        "request key",
        esme,
        hub.short,
        aps.RequestKey(aps.RequestKeyType.TRUST_CENTER_LINK_KEY),
        KeyId.DATA_KEY,
        link_key,
    )
    han.aps_command(
        "transport key (TC link key)",
        hub,
        ESME_SHORT,
        aps.TransportKey(aps.KeyType.TRUST_CENTER_LINK_KEY, TEST_TC_LINK_KEY, 0, ESME, HUB),
        KeyId.KEY_LOAD_KEY,
        link_key,
    )
    han.aps_command(
        "verify key",
        esme,
        hub.short,
        aps.VerifyKey(
            aps.KeyType.TRUST_CENTER_LINK_KEY, ESME, keys.verify_key_hash(TEST_TC_LINK_KEY)
        ),
        None,
    )
    han.aps_command(
        "confirm key",
        hub,
        ESME_SHORT,
        aps.ConfirmKey(0, aps.KeyType.TRUST_CENTER_LINK_KEY, ESME),
        KeyId.DATA_KEY,
        TEST_TC_LINK_KEY,
    )

    def exchange(
        name: str, sender: Node, receiver: Node, cluster: int, frame: zcl.ZclFrame
    ) -> None:
        sent = han.aps_data(
            name,
            sender,
            receiver.short,
            cluster=cluster,
            payload=frame.encode(),
            link_key=TEST_TC_LINK_KEY,
        )
        han.aps_ack(receiver, sender, sent, TEST_TC_LINK_KEY)

    prepayment = 0x0705
    exchange(
        "read prepayment",
        hub,
        esme,
        prepayment,
        zcl.read_attributes([0x0000, 0x0001, 0x0002, 0x0003], tsn=1),
    )
    exchange(
        "read prepayment response",
        esme,
        hub,
        prepayment,
        zcl.read_attributes_response(
            prepayment, {0x0000: 0x0001, 0x0001: 2_350, 0x0002: 500, 0x0003: 0x01}, tsn=1
        ),
    )

    ota = 0x0019
    exchange(
        "query next image",
        esme,
        hub,
        ota,
        zcl.build_command(
            ota,
            "query_next_image",
            tsn=2,
            field_control=0,
            manufacturer_code=OTA_MANUFACTURER,
            image_type=OTA_IMAGE_TYPE,
            current_file_version=0x00000100,
        ),
    )
    exchange(
        "query next image response",
        hub,
        esme,
        ota,
        zcl.build_command(
            ota,
            "query_next_image_response",
            tsn=2,
            status=0,
            manufacturer_code=OTA_MANUFACTURER,
            image_type=OTA_IMAGE_TYPE,
            file_version=0x00000101,
            image_size=262_144,
        ),
    )
    exchange(
        "image block request",
        esme,
        hub,
        ota,
        zcl.build_command(
            ota,
            "image_block",
            tsn=3,
            field_control=0,
            manufacturer_code=OTA_MANUFACTURER,
            image_type=OTA_IMAGE_TYPE,
            file_version=0x00000101,
            file_offset=0,
            maximum_data_size=OTA_BLOCK,
        ),
    )
    header = bytes.fromhex("1EF1EE0B0001380000003412010001010000")  # the OTA file's first bytes
    exchange(
        "image block response",
        hub,
        esme,
        ota,
        zcl.build_command(
            ota,
            "image_block_response",
            tsn=3,
            status=0,
            manufacturer_code=OTA_MANUFACTURER,
            image_type=OTA_IMAGE_TYPE,
            file_version=0x00000101,
            file_offset=0,
            image_data=(header + bytes(OTA_BLOCK))[:OTA_BLOCK],
        ),
    )
    return han.frames, ring


def write_demo(out: Path, reveal_keys: bool) -> DemoCapture:
    frames, ring = build_exchange()
    pcap = out / "han-2g4.pcap"
    with PcapCapture(pcap) as capture:
        for sent in frames:
            capture.write(sent.psdu, sent.time)
    keys_path = ring.write(out) if reveal_keys else None
    return DemoCapture(pcap, keys_path, len(frames), frames[-1].time)
