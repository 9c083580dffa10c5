"""ZigBee NWK codec: frames and commands round-trip; garbage raises only NwkDecodeError."""

from hypothesis import given
from hypothesis import strategies as st

from emulator.codec.errors import NwkDecodeError
from emulator.codec.eui64 import Eui64
from emulator.codec.zigbee import nwk
from emulator.codec.zigbee.auxiliary import AuxiliaryHeader, KeyId

euis = st.integers(0, 2**64 - 1).map(Eui64)
u8, u16 = st.integers(0, 255), st.integers(0, 0xFFFF)


@st.composite
def aux_headers(draw: st.DrawFn, key_ids: list[KeyId] | None = None) -> AuxiliaryHeader:
    key_id = draw(st.sampled_from(key_ids or list(KeyId)))
    return AuxiliaryHeader(
        key_id,
        draw(st.integers(0, 2**32 - 1)),
        draw(st.none() | euis),
        draw(u8) if key_id == KeyId.NETWORK_KEY else None,
    )


@st.composite
def frames(draw: st.DrawFn) -> nwk.NwkFrame:
    aux = draw(st.none() | aux_headers())
    relays = draw(st.none() | st.lists(u16, max_size=5).map(tuple))
    return nwk.NwkFrame(
        draw(st.sampled_from(list(nwk.FrameType))),
        draw(u16),
        draw(u16),
        draw(u8),
        radius=draw(u8),
        discover_route=draw(st.sampled_from(list(nwk.DiscoverRoute))),
        dst_ieee=draw(st.none() | euis),
        src_ieee=draw(st.none() | euis),
        end_device_initiator=draw(st.booleans()),
        relays=relays,
        relay_index=draw(u8) if relays is not None else 0,
        aux=aux,
        payload=draw(st.binary(min_size=4 if aux else 0, max_size=60)),
    )


commands = st.one_of(
    st.builds(nwk.NetworkStatus, u8, u16),
    st.builds(nwk.Leave, st.booleans(), st.booleans(), st.booleans()),
    st.builds(nwk.RouteRecord, st.lists(u16, max_size=8).map(tuple)),
    st.builds(nwk.RejoinRequest, u8),
    st.builds(nwk.RejoinResponse, u16, u8),
    st.builds(
        nwk.LinkStatus,
        st.lists(
            st.builds(nwk.LinkStatusEntry, u16, st.integers(0, 7), st.integers(0, 7)), max_size=31
        ).map(tuple),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(nwk.EndDeviceTimeoutRequest, u8, u8),
    st.builds(nwk.EndDeviceTimeoutResponse, u8, u8),
    st.builds(nwk.OtherNwkCommand, st.sampled_from([1, 2, 9, 10, 0x20]), st.binary(max_size=8)),
)


@given(frames())
def test_frame_round_trip(frame: nwk.NwkFrame) -> None:
    assert nwk.decode_nwk(frame.encode()) == frame


@given(commands)
def test_command_round_trip(cmd: nwk.NwkCommand) -> None:
    assert nwk.decode_command(cmd.encode()) == cmd


@given(st.binary(max_size=80))
def test_garbage_raises_only_nwk_decode_errors(data: bytes) -> None:
    for decode in (nwk.decode_nwk, nwk.decode_command):
        try:
            decode(data)
        except NwkDecodeError as e:
            assert 0 <= e.offset <= len(data)


def test_leave_with_rejoin_layout() -> None:
    # R22 §3.4.4.3.1: options bit 5 = rejoin, bit 6 = request, bit 7 = remove children.
    assert nwk.Leave(rejoin=True, request=True).encode() == bytes([0x04, 0x60])


def test_secured_frame_without_room_for_mic_is_refused() -> None:
    frame = nwk.NwkFrame(
        nwk.FrameType.DATA,
        0,
        1,
        2,
        aux=AuxiliaryHeader(KeyId.NETWORK_KEY, 1, Eui64(1), 0),
        payload=b"\x01\x02\x03\x04",
    )
    data = frame.encode()[:-1]
    try:
        nwk.decode_nwk(data)
    except NwkDecodeError as e:
        assert "MIC" in e.reason
    else:
        raise AssertionError
