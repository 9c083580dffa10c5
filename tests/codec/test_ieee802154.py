"""802.15.4 MAC codec: FCS, round trips, and garbage in -> only MacDecodeError."""

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from emulator.codec import ieee802154 as mac
from emulator.codec.errors import DecodeError, MacDecodeError
from emulator.codec.eui64 import Eui64

euis = st.integers(0, 2**64 - 1).map(Eui64)
shorts = st.integers(0, 0xFFFF)
addresses = st.one_of(st.none(), shorts, euis)


def test_fcs_check_value() -> None:
    # CRC-16/KERMIT check value over "123456789".
    assert mac.fcs(b"123456789") == 0x2189


def test_fcs_of_a_real_ack() -> None:
    # An ACK with sequence number 0x56 as captured off air: 02 00 56 + FCS.
    assert (
        mac.ack(0x56).psdu().hex()
        == "020056" + mac.fcs(bytes.fromhex("020056")).to_bytes(2, "little").hex()
    )
    assert mac.decode_psdu(mac.ack(0x56).psdu()) == mac.ack(0x56)


@st.composite
def frames(draw: st.DrawFn) -> mac.MacFrame:
    ftype = draw(st.sampled_from(list(mac.FrameType)))
    dst = draw(addresses)
    src = draw(addresses)
    compression = dst is not None and src is not None and draw(st.booleans())
    kwargs: dict[str, object] = {}
    if ftype == mac.FrameType.BEACON:
        beacon = mac.Beacon(
            association_permit=draw(st.booleans()),
            pan_coordinator=draw(st.booleans()),
            zigbee=draw(
                st.none()
                | st.builds(
                    mac.ZigbeeBeacon,
                    extended_pan_id=euis,
                    stack_profile=st.integers(0, 15),
                    protocol_version=st.integers(0, 15),
                    router_capacity=st.booleans(),
                    device_depth=st.integers(0, 15),
                    end_device_capacity=st.booleans(),
                    tx_offset=st.integers(0, 0xFFFFFF),
                    update_id=st.integers(0, 255),
                )
            ),
        )
        kwargs["beacon"] = beacon
    elif ftype == mac.FrameType.MAC_COMMAND:
        kwargs["command"] = draw(
            st.one_of(
                st.builds(mac.AssociationRequest, st.integers(0, 255)),
                st.builds(
                    mac.AssociationResponse, shorts, st.sampled_from(list(mac.AssociationStatus))
                ),
                st.builds(mac.DisassociationNotification, st.integers(0, 255)),
                st.just(mac.DataRequest()),
                st.just(mac.BeaconRequest()),
                st.builds(mac.OtherCommand, st.integers(0x09, 0xFF), st.binary(max_size=10)),
            )
        )
    elif ftype == mac.FrameType.DATA:
        kwargs["payload"] = draw(st.binary(max_size=100))
    return mac.MacFrame(
        ftype,
        draw(st.integers(0, 255)),
        dst_pan=draw(shorts) if dst is not None else None,
        dst=dst,
        src_pan=draw(shorts) if src is not None and not compression else None,
        src=src,
        frame_pending=draw(st.booleans()),
        ack_request=draw(st.booleans()),
        pan_id_compression=compression,
        frame_version=draw(st.integers(0, 1)),
        **kwargs,  # type: ignore[arg-type]
    )


@given(frames())
def test_round_trip(frame: mac.MacFrame) -> None:
    assert mac.decode_psdu(frame.psdu()) == frame


@given(st.binary(max_size=140))
def test_garbage_raises_only_decode_errors(data: bytes) -> None:
    try:
        mac.decode_psdu(data)
    except MacDecodeError as e:
        assert 0 <= e.offset <= len(data)
    with contextlib.suppress(MacDecodeError):
        mac.decode_mpdu(data)


@given(frames(), st.data())
def test_any_flipped_bit_fails_the_fcs(frame: mac.MacFrame, data: st.DataObject) -> None:
    psdu = bytearray(frame.psdu())
    bit = data.draw(st.integers(0, len(psdu) * 8 - 1))
    psdu[bit // 8] ^= 1 << (bit % 8)
    try:
        mac.decode_psdu(bytes(psdu))
    except DecodeError as e:
        assert e.layer == "ieee802154"
    else:
        raise AssertionError("a single flipped bit passed the FCS")


def test_truncated_header_reports_offset() -> None:
    frame = mac.MacFrame(
        mac.FrameType.DATA, 1, dst_pan=0x1234, dst=Eui64(1), src=2, pan_id_compression=True
    )
    mpdu = frame.encode()[:6]
    try:
        mac.decode_mpdu(mpdu)
    except MacDecodeError as e:
        assert e.offset == 6 and "need 15 bytes" in e.reason
    else:
        raise AssertionError
