"""ZigBee APS codec: data/ACK/command frames and APS security commands."""

from hypothesis import given
from hypothesis import strategies as st

from emulator.codec.errors import ApsDecodeError
from emulator.codec.eui64 import Eui64
from emulator.codec.zigbee import aps
from emulator.codec.zigbee.auxiliary import AuxiliaryHeader, KeyId

euis = st.integers(0, 2**64 - 1).map(Eui64)
u8, u16 = st.integers(0, 255), st.integers(0, 0xFFFF)
keys = st.binary(min_size=16, max_size=16)


@st.composite
def frames(draw: st.DrawFn) -> aps.ApsFrame:
    ftype = draw(st.sampled_from([aps.FrameType.DATA, aps.FrameType.COMMAND, aps.FrameType.ACK]))
    mode = draw(st.sampled_from(list(aps.DeliveryMode)))
    ack_format = ftype == aps.FrameType.ACK and draw(st.booleans())
    addressed = ftype == aps.FrameType.DATA or (ftype == aps.FrameType.ACK and not ack_format)
    group = mode == aps.DeliveryMode.GROUP
    frag = draw(st.none() | st.sampled_from(list(aps.Fragmentation)))
    extended = None
    if frag is not None:
        extended = aps.ExtendedHeader(
            frag,
            draw(u8) if frag else 0,
            draw(u8) if frag and ftype == aps.FrameType.ACK else None,
        )
    key_id = draw(st.sampled_from(list(KeyId)))
    aux = draw(
        st.none()
        | st.builds(
            AuxiliaryHeader,
            st.just(key_id),
            st.integers(0, 2**32 - 1),
            st.none() | euis,
            u8 if key_id == KeyId.NETWORK_KEY else st.none(),
        )
    )
    return aps.ApsFrame(
        ftype,
        draw(u8),
        delivery_mode=mode,
        dst_endpoint=draw(u8) if addressed and not group else None,
        group=draw(u16) if addressed and group else None,
        cluster=draw(u16) if addressed else None,
        profile=draw(u16) if addressed else None,
        src_endpoint=draw(u8) if addressed else None,
        ack_request=draw(st.booleans()),
        ack_format=ack_format,
        extended=extended,
        aux=aux,
        payload=draw(st.binary(min_size=4 if aux else 0, max_size=60)),
    )


commands = st.one_of(
    st.builds(aps.TransportKey, st.just(aps.KeyType.STANDARD_NETWORK_KEY), keys, u8, euis, euis),
    st.builds(
        aps.TransportKey, st.just(aps.KeyType.TRUST_CENTER_LINK_KEY), keys, st.just(0), euis, euis
    ),
    st.builds(
        aps.TransportKey,
        st.just(aps.KeyType.APPLICATION_LINK_KEY),
        keys,
        partner=euis,
        initiator=st.booleans(),
    ),
    st.builds(aps.UpdateDevice, euis, u16, st.sampled_from(list(aps.UpdateDeviceStatus))),
    st.builds(aps.RemoveDevice, euis),
    st.builds(aps.RequestKey, st.just(aps.RequestKeyType.TRUST_CENTER_LINK_KEY)),
    st.builds(aps.RequestKey, st.just(aps.RequestKeyType.APPLICATION_LINK_KEY), euis),
    st.builds(aps.SwitchKey, u8),
    st.builds(aps.VerifyKey, st.sampled_from(list(aps.KeyType)), euis, keys),
    st.builds(aps.ConfirmKey, u8, st.sampled_from(list(aps.KeyType)), euis),
    st.builds(aps.OtherApsCommand, st.sampled_from([0x01, 0x0E, 0x11]), st.binary(max_size=20)),
)


@given(frames())
def test_frame_round_trip(frame: aps.ApsFrame) -> None:
    assert aps.decode_aps(frame.encode()) == frame


@given(commands)
def test_command_round_trip(cmd: aps.ApsCommand) -> None:
    assert aps.decode_command(cmd.encode()) == cmd


@given(st.binary(max_size=80))
def test_garbage_raises_only_aps_decode_errors(data: bytes) -> None:
    for decode in (aps.decode_aps, aps.decode_command):
        try:
            decode(data)
        except ApsDecodeError as e:
            assert 0 <= e.offset <= len(data)


def test_transport_key_layout_network_key() -> None:
    # R22 §4.4.10.1.3: type, key, sequence number, destination, source (EUI-64s little-endian).
    cmd = aps.TransportKey(
        aps.KeyType.STANDARD_NETWORK_KEY, bytes(range(16)), 3, Eui64(0x1122334455667788), Eui64(1)
    )
    assert cmd.encode() == bytes([5, 1]) + bytes(range(16)) + bytes([3]) + bytes.fromhex(
        "8877665544332211"
    ) + (1).to_bytes(8, "little")
