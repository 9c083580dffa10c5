"""CCM* level 5 on NWK and APS frames: round trips, tamper detection, nonce sources."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.codec.errors import SecurityError
from emulator.codec.eui64 import Eui64
from emulator.codec.security import ccm
from emulator.codec.zigbee import aps, nwk
from emulator.codec.zigbee.auxiliary import AuxiliaryHeader, KeyId

NETWORK_KEY = bytes.fromhex("01030507090B0D0F00020406080A0C0D")
LINK_KEY = bytes.fromhex("66B6900981E1EE3CA4206B6B861C02BB")
TC, DEVICE = Eui64("00-DB-12-34-56-78-90-A2"), Eui64("00-DB-12-34-56-78-90-A4")


def nwk_frame(counter: int = 1) -> nwk.NwkFrame:
    return nwk.NwkFrame(
        nwk.FrameType.DATA, 0x5678, 0, 9, aux=AuxiliaryHeader(KeyId.NETWORK_KEY, counter, TC, 0)
    )


@given(st.binary(max_size=80), st.integers(0, 2**32 - 1))
def test_nwk_round_trip(plain: bytes, counter: int) -> None:
    wire = ccm.secure_nwk(nwk_frame(counter), plain, NETWORK_KEY)
    frame = nwk.decode_nwk(wire)
    assert frame.aux is not None and frame.aux.frame_counter == counter
    assert wire[8] & 0x07 == 0  # the security level travels as 0 (R22 §4.3.1.1)
    assert ccm.unsecure_nwk(frame, NETWORK_KEY) == plain
    assert ccm.unsecure_nwk(frame, NETWORK_KEY, wire) == plain  # AAD from the received bytes


@given(st.data())
def test_any_tampered_byte_fails_the_mic(data: st.DataObject) -> None:
    wire = bytearray(ccm.secure_nwk(nwk_frame(), b"\x00\x01\x02\x03hello", NETWORK_KEY))
    i = data.draw(st.integers(0, len(wire) - 1))
    wire[i] ^= data.draw(st.integers(1, 255))
    try:
        frame = nwk.decode_nwk(bytes(wire))
        ccm.unsecure_nwk(frame, NETWORK_KEY, bytes(wire))
    except SecurityError:
        pass
    except Exception as e:  # a header byte may also become undecodable: still a DecodeError
        assert isinstance(e, nwk.NwkDecodeError)
    else:
        raise AssertionError(f"tampered byte {i} went unnoticed")


def test_wrong_key_is_a_security_error() -> None:
    frame = nwk.decode_nwk(ccm.secure_nwk(nwk_frame(), b"abc", NETWORK_KEY))
    with pytest.raises(SecurityError, match="MIC"):
        ccm.unsecure_nwk(frame, LINK_KEY)


@pytest.mark.parametrize("key_id", [KeyId.DATA_KEY, KeyId.KEY_TRANSPORT_KEY, KeyId.KEY_LOAD_KEY])
def test_aps_link_key_family(key_id: KeyId) -> None:
    frame = aps.ApsFrame(aps.FrameType.COMMAND, 4, aux=AuxiliaryHeader(key_id, 77))
    command = aps.RequestKey(aps.RequestKeyType.TRUST_CENTER_LINK_KEY).encode()
    decoded = aps.decode_aps(ccm.secure_aps(frame, command, LINK_KEY, DEVICE))
    assert ccm.unsecure_aps(decoded, LINK_KEY, DEVICE) == command
    wire = ccm.secure_aps(frame, command, LINK_KEY, DEVICE)
    assert ccm.unsecure_aps(aps.decode_aps(wire), LINK_KEY, DEVICE, wire) == command
    # The nonce carries the sender: the same bytes from another sender do not verify.
    with pytest.raises(SecurityError):
        ccm.unsecure_aps(decoded, LINK_KEY, TC)


def test_aps_extended_nonce_needs_no_sender() -> None:
    frame = aps.ApsFrame(
        aps.FrameType.COMMAND, 4, aux=AuxiliaryHeader(KeyId.KEY_TRANSPORT_KEY, 0, TC)
    )
    decoded = aps.decode_aps(ccm.secure_aps(frame, b"\x05payload", LINK_KEY, TC))
    assert ccm.unsecure_aps(decoded, LINK_KEY, None) == b"\x05payload"


def test_unknown_sender_is_a_security_error() -> None:
    frame = aps.ApsFrame(aps.FrameType.COMMAND, 4, aux=AuxiliaryHeader(KeyId.DATA_KEY, 0))
    decoded = aps.decode_aps(ccm.secure_aps(frame, b"\x05payload", LINK_KEY, TC))
    with pytest.raises(SecurityError, match="unknown"):
        ccm.unsecure_aps(decoded, LINK_KEY, None)
