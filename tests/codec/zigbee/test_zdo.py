"""ZDP payload codec: known answers from the R22 layouts, constructor rules, and hypothesis
properties (every object round-trips; any bytes decode byte-exactly or raise ZdoDecodeError)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.codec.errors import DecodeError, ZdoDecodeError
from emulator.codec.eui64 import Eui64
from emulator.codec.zigbee.zdo import (
    ActiveEpReq,
    ActiveEpRsp,
    AddrRequestType,
    CurrentPowerMode,
    DeviceAnnce,
    FrequencyBand,
    IeeeAddrReq,
    IeeeAddrRsp,
    LogicalType,
    MacCapability,
    MatchDescReq,
    MatchDescRsp,
    MgmtLeaveReq,
    MgmtLeaveRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtPermitJoiningReq,
    MgmtPermitJoiningRsp,
    Neighbor,
    NeighborDeviceType,
    NeighborPermitJoining,
    NeighborRelationship,
    NeighborRxOnWhenIdle,
    NodeDescReq,
    NodeDescriptor,
    NodeDescRsp,
    NwkAddrReq,
    NwkAddrRsp,
    PowerDescReq,
    PowerDescriptor,
    PowerDescRsp,
    PowerSource,
    PowerSourceLevel,
    RawZdp,
    SimpleDescReq,
    SimpleDescriptor,
    SimpleDescRsp,
    ZdoCluster,
    ZdoMessage,
    ZdoStatus,
    decode_zdo,
    encode_zdo,
)

IEEE = Eui64("00-0D-6F-00-0A-BC-DE-F0")
IEEE_AIR = bytes.fromhex("f0debc0a006f0d00")
EPID = Eui64("00-DB-12-34-56-78-90-A0")
EPID_AIR = bytes.fromhex("a09078563412db00")

# --- strategies ------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
eui64 = st.integers(0, (1 << 64) - 1).map(Eui64)
status = u8
failure = st.integers(1, 0xFF)
u16_list = st.lists(u16, max_size=8).map(tuple)
u8_list = st.lists(u8, max_size=12).map(tuple)

node_descriptors = st.builds(
    NodeDescriptor,
    logical_type=st.integers(0, 7),
    complex_descriptor_available=st.booleans(),
    user_descriptor_available=st.booleans(),
    aps_flags=st.integers(0, 7),
    frequency_band=st.integers(0, 31).map(FrequencyBand),
    mac_capability_flags=u8.map(MacCapability),
    manufacturer_code=u16,
    maximum_buffer_size=u8,
    maximum_incoming_transfer_size=u16,
    server_mask=u16,
    maximum_outgoing_transfer_size=u16,
    descriptor_capability_field=u8,
    reserved=st.integers(0, 7),
)
power_descriptors = st.builds(
    PowerDescriptor,
    st.integers(0, 15),
    st.integers(0, 15).map(PowerSource),
    st.integers(0, 15).map(PowerSource),
    st.integers(0, 15),
)
simple_descriptors = st.builds(SimpleDescriptor, u8, u16, u16, u8, u16_list, u16_list)
neighbors = st.builds(
    Neighbor,
    eui64,
    eui64,
    u16,
    device_type=st.integers(0, 3),
    rx_on_when_idle=st.integers(0, 3),
    relationship=st.integers(0, 7),
    permit_joining=st.integers(0, 3),
    depth=u8,
    lqi=u8,
    reserved1=st.integers(0, 1),
    reserved2=st.integers(0, 63),
)


def _addr_rsp(cls: type[NwkAddrRsp] | type[IeeeAddrRsp]) -> st.SearchStrategy[ZdoMessage]:
    single = st.builds(cls, u8, status, eui64, u16)
    no_assoc = st.builds(cls, u8, status, eui64, u16, st.none(), st.just(()))
    listed = st.builds(cls, u8, status, eui64, u16, u8, u16_list)
    return single | no_assoc | listed


messages: st.SearchStrategy[ZdoMessage] = st.one_of(
    st.builds(NwkAddrReq, u8, eui64, u8, u8),
    st.builds(IeeeAddrReq, u8, u16, u8, u8),
    st.builds(NodeDescReq, u8, u16),
    st.builds(PowerDescReq, u8, u16),
    st.builds(SimpleDescReq, u8, u16, u8),
    st.builds(ActiveEpReq, u8, u16),
    st.builds(MatchDescReq, u8, u16, u16, u16_list, u16_list),
    st.builds(DeviceAnnce, u8, u16, eui64, u8.map(MacCapability)),
    st.builds(MgmtLqiReq, u8, u8),
    st.builds(MgmtLeaveReq, u8, eui64, st.booleans(), st.booleans(), st.integers(0, 63)),
    st.builds(MgmtPermitJoiningReq, u8, u8, u8),
    _addr_rsp(NwkAddrRsp),
    _addr_rsp(IeeeAddrRsp),
    st.builds(NodeDescRsp, u8, st.just(0), u16, node_descriptors),
    st.builds(NodeDescRsp, u8, failure, u16),
    st.builds(PowerDescRsp, u8, st.just(0), u16, power_descriptors),
    st.builds(PowerDescRsp, u8, failure, u16),
    st.builds(SimpleDescRsp, u8, st.just(0), u16, simple_descriptors),
    st.builds(SimpleDescRsp, u8, failure, u16),
    st.builds(ActiveEpRsp, u8, status, u16, u8_list),
    st.builds(MatchDescRsp, u8, status, u16, u8_list),
    st.builds(MgmtLqiRsp, u8, st.just(0), u8, u8, st.lists(neighbors, max_size=3).map(tuple)),
    st.builds(MgmtLqiRsp, u8, failure),
    st.builds(MgmtLeaveRsp, u8, status),
    st.builds(MgmtPermitJoiningRsp, u8, status),
    st.builds(
        RawZdp,
        u8,
        u16.filter(lambda c: c not in set(ZdoCluster)),
        st.binary(max_size=16),
    ),
)

clusters = st.sampled_from(sorted(ZdoCluster)) | u16


# --- properties ------------------------------------------------------------------------------


@given(messages)
def test_every_message_round_trips(msg: ZdoMessage) -> None:
    data = encode_zdo(msg)
    assert data == msg.encode()
    assert data[0] == msg.tsn
    back = decode_zdo(msg.cluster_id, data)
    assert back == msg
    assert type(back) is type(msg)
    assert back.encode() == data


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(clusters, st.binary(max_size=80))
def test_random_bytes_decode_exactly_or_raise_zdo_decode_error(cluster: int, data: bytes) -> None:
    try:
        msg = decode_zdo(cluster, data)
    except ZdoDecodeError as e:
        assert e.layer == "zigbee-zdo"
        assert 0 <= e.offset <= len(data)
        return
    assert msg.cluster_id == cluster
    assert msg.encode() == data


@given(messages, st.data())
def test_mutated_encodings_decode_exactly_or_raise_zdo_decode_error(
    msg: ZdoMessage, data: st.DataObject
) -> None:
    """Truncations, extensions and bit flips of valid payloads: the cases random bytes miss."""
    raw = bytearray(msg.encode())
    action = data.draw(st.sampled_from(["truncate", "extend", "flip"]))
    if action == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif action == "extend":
        raw += data.draw(st.binary(min_size=1, max_size=30))
    else:
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << data.draw(st.integers(0, 7))
    try:
        back = decode_zdo(msg.cluster_id, bytes(raw))
    except ZdoDecodeError as e:
        assert 0 <= e.offset <= len(raw)
        return
    assert back.encode() == bytes(raw)


@pytest.mark.parametrize("cluster", sorted(ZdoCluster))
def test_every_truncation_of_a_full_payload_raises_or_is_a_shorter_form(cluster: int) -> None:
    """Exhaustive over prefix lengths for one rich example per cluster."""
    msg = next(m for m in EXAMPLES if m.cluster_id == cluster)
    raw = msg.encode()
    for n in range(len(raw)):
        try:
            back = decode_zdo(cluster, raw[:n])
        except ZdoDecodeError as e:
            assert e.offset <= n
        else:
            assert back.encode() == raw[:n]


def test_decode_error_is_the_codec_family() -> None:
    with pytest.raises(DecodeError) as info:
        decode_zdo(ZdoCluster.NODE_DESC_REQ, b"\x01\x02")
    assert isinstance(info.value, ZdoDecodeError)
    assert info.value.offset == 1
    assert "NWKAddrOfInterest" in info.value.reason


@pytest.mark.parametrize("cluster", [-1, 0x10000, 1 << 70])
def test_out_of_range_cluster_id_is_a_decode_error(cluster: int) -> None:
    with pytest.raises(ZdoDecodeError):
        decode_zdo(cluster, b"\x00")


@pytest.mark.parametrize("bad", [None, "00", 1.0, [0]])
def test_non_bytes_payload_is_a_decode_error(bad: object) -> None:
    with pytest.raises(ZdoDecodeError):
        decode_zdo(0x0002, bad)  # type: ignore[arg-type]
    with pytest.raises(ZdoDecodeError):
        decode_zdo(bad, b"\x00\x00\x00")  # type: ignore[arg-type]


def test_empty_payload_has_no_sequence_number() -> None:
    for cluster in (0x0013, 0x8031, 0x0021):
        with pytest.raises(ZdoDecodeError) as info:
            decode_zdo(cluster, b"")
        assert info.value.offset == 0


# --- known answers (layouts from R22 §2.3.2, §2.4.3, §2.4.4) ---------------------------------

ND = NodeDescriptor(
    logical_type=LogicalType.ROUTER,
    frequency_band=FrequencyBand.BAND_2400_MHZ,
    mac_capability_flags=MacCapability(0x8E),
    manufacturer_code=0x1234,
    maximum_buffer_size=0x52,
    maximum_incoming_transfer_size=0x0080,
    server_mask=22 << 9,
    maximum_outgoing_transfer_size=0x0080,
)
SD = SimpleDescriptor(1, 0x0109, 0x0501, 1, (0x0000, 0x0702), (0x000A,))
NB = Neighbor(
    EPID,
    IEEE,
    0xABCD,
    NeighborDeviceType.END_DEVICE,
    NeighborRxOnWhenIdle.OFF,
    NeighborRelationship.CHILD,
    NeighborPermitJoining.NOT_ACCEPTING,
    depth=2,
    lqi=0xC8,
)

VECTORS: list[tuple[ZdoMessage, str]] = [
    (NwkAddrReq(0x10, IEEE, AddrRequestType.EXTENDED_RESPONSE, 3), "10" + IEEE_AIR.hex() + "0103"),
    (IeeeAddrReq(0x11, 0x1234), "11 3412 00 00"),
    (NodeDescReq(0x12, 0xFFFD), "12 fdff"),
    (PowerDescReq(0x13, 0x0000), "13 0000"),
    (SimpleDescReq(0x14, 0x1234, 1), "14 3412 01"),
    (ActiveEpReq(0x15, 0x1234), "15 3412"),
    (MatchDescReq(0x16, 0xFFFD, 0x0109, (0x0800,), ()), "16 fdff 0901 01 0008 00"),
    (DeviceAnnce(0x81, 0x1234, IEEE, MacCapability(0x8E)), "81 3412" + IEEE_AIR.hex() + "8e"),
    (MgmtLqiReq(0x17, 2), "17 02"),
    (MgmtLeaveReq(0x18, IEEE, remove_children=False, rejoin=True), "18" + IEEE_AIR.hex() + "80"),
    (MgmtLeaveReq(0x18, Eui64(0), remove_children=True), "18 0000000000000000 40"),
    (MgmtPermitJoiningReq(0x19, 254), "19 fe 01"),
    (NwkAddrRsp(0x20, 0, IEEE, 0x1234), "20 00" + IEEE_AIR.hex() + "3412"),
    (NwkAddrRsp(0x20, 0, IEEE, 0x1234, None, ()), "20 00" + IEEE_AIR.hex() + "3412 00"),
    (
        IeeeAddrRsp(0x21, 0, IEEE, 0x0000, 0, (0x1111, 0x2222)),
        "21 00" + IEEE_AIR.hex() + "0000 02 00 1111 2222",
    ),
    (IeeeAddrRsp(0x21, 0, IEEE, 0x0000, 1, ()), "21 00" + IEEE_AIR.hex() + "0000 00 01"),
    (
        NodeDescRsp(0x22, 0, 0x1234, ND),
        "22 00 3412 01 40 8e 3412 52 8000 002c 8000 00",
    ),
    (NodeDescRsp(0x22, ZdoStatus.DEVICE_NOT_FOUND, 0x1234), "22 81 3412"),
    (
        PowerDescRsp(
            0x23,
            0,
            0x1234,
            PowerDescriptor(
                CurrentPowerMode.ON_WHEN_STIMULATED,
                PowerSource.CONSTANT_MAINS | PowerSource.DISPOSABLE_BATTERY,
                PowerSource.DISPOSABLE_BATTERY,
                PowerSourceLevel.PERCENT_66,
            ),
        ),
        "23 00 3412 52 84",
    ),
    (PowerDescRsp(0x23, ZdoStatus.NOT_SUPPORTED, 0x1234), "23 84 3412"),
    (
        SimpleDescRsp(0x24, 0, 0x1234, SD),
        "24 00 3412 0e 01 0901 0105 01 02 0000 0207 01 0a00",
    ),
    (SimpleDescRsp(0x24, ZdoStatus.NOT_ACTIVE, 0x1234), "24 83 3412 00"),
    (ActiveEpRsp(0x25, 0, 0x1234, (1, 2)), "25 00 3412 02 01 02"),
    (ActiveEpRsp(0x25, ZdoStatus.DEVICE_NOT_FOUND, 0x1234), "25 81 3412 00"),
    (MatchDescRsp(0x26, 0, 0x1234, (1,)), "26 00 3412 01 01"),
    (
        MgmtLqiRsp(0x27, 0, 5, 4, (NB,)),
        "27 00 05 04 01" + EPID_AIR.hex() + IEEE_AIR.hex() + "cdab 12 00 02 c8",
    ),
    (MgmtLqiRsp(0x27, ZdoStatus.NOT_SUPPORTED), "27 84"),
    (MgmtLeaveRsp(0x28, 0), "28 00"),
    (MgmtPermitJoiningRsp(0x29, ZdoStatus.INV_REQUESTTYPE), "29 80"),
    (RawZdp(0x2A, 0x0021, b"\x01\x02"), "2a 0102"),
]
EXAMPLES = [m for m, _ in VECTORS]


@pytest.mark.parametrize(("msg", "hexdata"), VECTORS, ids=lambda v: type(v).__name__)
def test_known_answer(msg: ZdoMessage, hexdata: str) -> None:
    data = bytes.fromhex(hexdata)
    assert msg.encode() == data
    assert decode_zdo(msg.cluster_id, data) == msg


def test_all_clusters_have_an_example() -> None:
    assert {m.cluster_id for m in EXAMPLES} >= set(ZdoCluster)


def test_decoded_enumerations_are_members_when_known_and_ints_when_reserved() -> None:
    msg = decode_zdo(0x8002, bytes.fromhex("01 00 3412 07 40 8e 3412 52 8000 002c 8000 00"))
    assert isinstance(msg, NodeDescRsp)
    assert msg.status is ZdoStatus.SUCCESS
    assert msg.node_descriptor is not None
    assert msg.node_descriptor.logical_type == 7
    assert not isinstance(msg.node_descriptor.logical_type, LogicalType)
    assert msg.node_descriptor.stack_compliance_revision == 22
    rsp = decode_zdo(0x8034, b"\x01\xa3")
    assert isinstance(rsp, MgmtLeaveRsp)
    assert rsp.status == 0xA3
    assert not isinstance(rsp.status, ZdoStatus)


def test_reserved_bits_survive_a_round_trip() -> None:
    raw = bytes.fromhex("05" + IEEE_AIR.hex() + "ff")  # rejoin, remove children, reserved 0x3f
    msg = decode_zdo(ZdoCluster.MGMT_LEAVE_REQ, raw)
    assert msg == MgmtLeaveReq(5, IEEE, True, True, 0x3F)
    assert msg.encode() == raw


def test_constructor_normalises_field_types() -> None:
    msg = NwkAddrReq(1, 0x000D6F000ABCDEF0, 1)  # type: ignore[arg-type]
    assert isinstance(msg.ieee_addr, Eui64)
    assert msg.request_type is AddrRequestType.EXTENDED_RESPONSE
    rsp = ActiveEpRsp(1, 0, 2, [1, 2])  # type: ignore[arg-type]
    assert rsp.active_ep_list == (1, 2)
    assert hash(rsp) == hash(ActiveEpRsp(1, 0, 2, (1, 2)))


@pytest.mark.parametrize(
    "build",
    [
        lambda: NodeDescReq(256, 0),
        lambda: NodeDescReq(0, 0x10000),
        lambda: NodeDescReq(-1, 0),
        lambda: SimpleDescReq(0, 0, 256),
        lambda: NodeDescRsp(0, 0, 0),
        lambda: NodeDescRsp(0, 0x81, 0, ND),
        lambda: PowerDescRsp(0, 0, 0),
        lambda: SimpleDescRsp(0, 0x83, 0, SD),
        lambda: SimpleDescRsp(0, 0, 0, SimpleDescriptor(1, 0, 0, 0, tuple(range(124)))),
        lambda: MgmtLqiRsp(0, 0x84, 1),
        lambda: MgmtLqiRsp(0, 0, 0, 0, tuple([NB] * 256)),
        lambda: MatchDescReq(0, 0, 0, tuple(range(256))),
        lambda: ActiveEpRsp(0, 0, 0, (256,)),
        lambda: NwkAddrRsp(0, 0, IEEE, 0, 0),
        lambda: NwkAddrRsp(0, 0, IEEE, 0, None, (1,)),
        lambda: RawZdp(0, ZdoCluster.NODE_DESC_REQ, b"\x00\x00"),
        lambda: NodeDescriptor(8),
        lambda: Neighbor(EPID, IEEE, 0, relationship=8),
        lambda: MgmtLeaveReq(0, IEEE, reserved=0x40),
        lambda: DeviceAnnce(0, 0, IEEE, True),  # type: ignore[arg-type]
    ],
)
def test_constructors_refuse_what_cannot_round_trip(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("cluster", "hexdata", "offset"),
    [
        (0x8004, "01 00 3412 00", 4),  # SUCCESS with Length 0
        (0x8004, "01 83 3412 0e", 4),  # failure with a Length
        (0x8004, "01 00 3412 09 01 0901 0105 01 01 0000", 14),  # descriptor overruns Length
        (0x8004, "01 00 3412 09 01 0901 0105 01 00 00 ff", 13),  # Length leaves a byte over
        (0x8002, "01 81 3412 01", 4),  # shortened form with trailing bytes
        (0x8031, "01 00 01 00 01 00", 5),  # neighbour record truncated
        (0x8031, "01 84 00 00 00", 2),  # failure carries the status only
        (0x8000, "01 00" + IEEE_AIR.hex() + "3412 02 00 1111", 14),  # list shorter than count
        (0x8005, "01 00 3412 03 01 02", 5),
    ],
)
def test_malformed_payloads_point_at_the_offending_byte(
    cluster: int, hexdata: str, offset: int
) -> None:
    with pytest.raises(ZdoDecodeError) as info:
        decode_zdo(cluster, bytes.fromhex(hexdata))
    assert info.value.offset == offset


def test_unknown_clusters_decode_to_raw_for_a_not_supported_answer() -> None:
    msg = decode_zdo(0x0021, b"\x42\x01\x02\x03")  # Bind_req: not modelled here
    assert msg == RawZdp(0x42, 0x0021, b"\x01\x02\x03")
    assert msg.cluster_id == 0x0021
    reply = MgmtLeaveRsp(msg.tsn, ZdoStatus.NOT_SUPPORTED)  # any status-first response shape
    assert reply.encode() == b"\x42\x84"


def test_message_classes_know_their_cluster() -> None:
    assert DeviceAnnce.CLUSTER is ZdoCluster.DEVICE_ANNCE
    assert NodeDescRsp(1, 0x81, 0).cluster_id == 0x8002
    for m in EXAMPLES:
        if not isinstance(m, RawZdp):
            assert m.cluster_id == type(m).CLUSTER
            req = m.cluster_id & 0x7FFF
            if m.cluster_id & 0x8000:
                assert req in set(ZdoCluster)
