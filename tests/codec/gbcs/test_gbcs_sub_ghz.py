"""The sub-GHz objects (DBCH01-11) built from typed values reproduce the RTDS 4.5.0 payloads byte
for byte; channel masks, the 15-field configuration with its DUIS ranges, the channel log."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.rtds import rtds_bytes

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import GeneralCiphering, decode_message
from emulator.codec.gbcs.dlms import AccessResponse, DataNotification, decode_data, decode_dlms
from emulator.codec.gbcs.errors import GbcsDecodeError
from emulator.codec.gbcs.sub_ghz import (
    DEFAULT_CONFIGURATION,
    ChannelLogEntry,
    ChannelMask,
    ChannelPage,
    ConfigurationError,
    DiscardedMessage,
    ScanAssessment,
    ScanTrigger,
    SubGhzChannel,
    SubGhzConfiguration,
    channel_changed_body,
    channel_log_data,
    channel_log_entries,
    dbch01_payload,
    dbch04_payload,
    dbch05_payload,
    device_body,
    log_time,
    scan_outcome_body,
)

GSME = Eui64("00DB1234567890A1")
ESME = Eui64("00DB1234567890A0")
SUPPLIER = Eui64("90B3D51F30010000")
P28, P29, P30, P31 = ChannelPage


def content(name: str) -> bytes:
    m = decode_message(rtds_bytes(name))
    assert isinstance(m, GeneralCiphering)
    return m.apdu.content


def alert_body(name: str) -> bytes:
    n = decode_dlms(content(name))
    assert isinstance(n, DataNotification)
    return n.body.items[2].encode()


RTDS_CONFIGURATION = SubGhzConfiguration(
    ChannelMask(P28, frozenset({1, 2})),
    ChannelMask(P29, frozenset({28, 29})),
    ChannelMask(P30, frozenset({36, 37})),
    ChannelMask(P31, frozenset({1, 2})),
    130,
    220,
    5,
    7,
    7,
    12,
    6000,
    130,
    100,
    4000,
    3000,
)
"""The DUIS 6.28 template's values (Channel1/2, 28/29, 36/37, 1/2; 1.3 %, 2.2 % ...)."""


def test_channel_masks_as_the_rtds_words() -> None:
    assert SubGhzChannel(P28, 0).mask().word == 0xE0000001
    assert [m.word for m in RTDS_CONFIGURATION.masks] == [
        0xE0000006,
        0xE8000006,
        0xF0000006,
        0xF8000006,
    ]
    assert ChannelMask.from_word(0xF0000006) == ChannelMask(P30, frozenset({36, 37}))
    assert SubGhzChannel.lower(62) == SubGhzChannel(P29, 62)
    assert SubGhzChannel.lower(61).page is P30
    assert SubGhzChannel(P28, 0).frequency_mhz == 863.25
    assert SubGhzChannel(P30, 61).frequency_mhz == 875.45
    for bad in (lambda: SubGhzChannel(P28, 27), lambda: SubGhzChannel.lower(63)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError, match="page"):
        ChannelMask.from_word(0x00000001)  # page 0 is not GB868
    with pytest.raises(ValueError, match="no channel"):
        ChannelMask.from_word(0xE8000000 | 1 << 20)  # page 29 has 9 channels


@given(st.sampled_from(list(ChannelPage)), st.integers(0, (1 << 27) - 1))
def test_mask_words_round_trip_or_raise(page: ChannelPage, bits: int) -> None:
    word = int(page) << 27 | bits
    try:
        mask = ChannelMask.from_word(word)
    except ValueError:
        return
    assert mask.word == word


def test_dbch04_command_payload_is_the_rtds_one() -> None:
    assert dbch04_payload(1300, RTDS_CONFIGURATION) == content(
        "DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX"
    )


def test_dbch01_and_dbch05_command_payloads_are_the_rtds_ones() -> None:
    assert dbch01_payload(1300) == content("DBCH01_6.31_SUCCESS_COMMAND_GBCS.HEX")
    assert dbch05_payload(1300) == content("DBCH05_6.29_SUCCESS_COMMAND_GBCS.HEX")


def test_dbch03_response_configuration_decodes_and_reencodes() -> None:
    r = decode_dlms(content("DBCH03_6.30_SUCCESS_RESPONSE_GBCS.HEX"))
    assert isinstance(r, AccessResponse)
    config = SubGhzConfiguration.from_data(r.data[0])
    assert config.normal_limited_duty_cycle_threshold == 125
    assert config.data() == r.data[0]
    assert [str(c.number) for c in config.available()] == [
        "0",
        "1",
        "27",
        "28",
        "35",
        "36",
        "0",
        "1",
    ]


def test_dbch09_alert_body_is_the_configuration() -> None:
    assert RTDS_CONFIGURATION.data().encode() == alert_body(
        "DBCH04_6.28_NA_SUCCESS_ALERT_DBCH09_GBCS.HEX"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("normal_limited_duty_cycle_threshold", 49),
        ("normal_limited_duty_cycle_threshold", 201),
        ("limited_critical_duty_cycle_threshold", 150),  # exclusive
        ("limited_critical_duty_cycle_threshold", 250),
        ("maximum_sub_ghz_channel_changes_per_week", 0),
        ("maximum_sub_ghz_channel_changes_per_week", 8),
        ("gsme_curfew", 1),
        ("channel_noisier_threshold", 21),
        ("non_gsme_poor_comms_percentage_threshold", 99),
        ("non_gsme_poor_comms_measurement_periods", 151),
        ("local_ch_noise_measurement_period", 60),
        ("local_ch_retry_percentage", 10_001),
    ],
)
def test_configuration_ranges_are_duis_ones(field: str, value: int) -> None:
    from dataclasses import replace

    with pytest.raises(ConfigurationError) as e:
        replace(RTDS_CONFIGURATION, **{field: value})
    assert e.value.field == field


def test_configuration_rejects_masks_on_the_wrong_page_and_bad_shapes() -> None:
    from dataclasses import replace

    with pytest.raises(ConfigurationError):
        replace(RTDS_CONFIGURATION, lower_band_channels_0_to_26=ChannelMask(P29))
    with pytest.raises(ValueError):
        SubGhzConfiguration.from_data(decode_data(bytes.fromhex("020111 05")))
    assert DEFAULT_CONFIGURATION.normal_limited_duty_cycle_threshold == 150


def test_dbch02_channel_log_is_the_rtds_one() -> None:
    r = decode_dlms(content("DBCH02_6.32_SUCCESS_RESPONSE_GBCS.HEX"))
    assert isinstance(r, AccessResponse)
    entries = channel_log_entries(r.data[0])
    assert len(entries) == 11
    assert entries[0] == ChannelLogEntry(
        472348800, 0x8F26, SubGhzChannel(P28, 0).mask(), ScanTrigger.REMOTE_PARTY_COMMAND
    )
    assert entries[7].trigger is ScanTrigger.SM_HAN_FORMATION
    assert channel_log_data(entries) == r.data[0]
    assert log_time(datetime.datetime(2014, 12, 20, tzinfo=datetime.UTC)) == 472348800
    bad = channel_log_data([entries[0]]).encode().replace(bytes.fromhex("0901 00"), b"\x08\x01\x00")
    with pytest.raises(GbcsDecodeError):
        channel_log_entries(decode_data(bad))


def test_alert_bodies_are_the_rtds_ones() -> None:
    assert device_body(GSME).encode() == alert_body("DBCH06_NA_8F20_ALERT_GBCS.HEX")
    assert device_body(GSME).encode() == alert_body("DBCH11_NA_8F2D_ALERT_GBCS.HEX")
    channel = SubGhzChannel(P28, 0).mask()
    assert channel_changed_body(channel, ScanTrigger.REMOTE_PARTY_COMMAND).encode() == alert_body(
        "DBCH07_NA_8F26_ALERT_GBCS.HEX"
    )
    assert scan_outcome_body(
        ScanAssessment.SCAN_REQUEST_ACCEPTED, ScanTrigger.REMOTE_PARTY_COMMAND
    ).encode() == alert_body("DBCH08_NA_8F28_ALERT_GBCS.HEX")
    discarded = DiscardedMessage(SUPPLIER, ESME, 1, 1000)
    assert discarded.data().encode() == alert_body("DBCH10_NA_8F2C_ALERT_GBCS.HEX")
    assert DiscardedMessage.from_bytes(discarded.data().value) == discarded  # type: ignore[arg-type]
    with pytest.raises(GbcsDecodeError):
        DiscardedMessage.from_bytes(b"\x00" * 24)
