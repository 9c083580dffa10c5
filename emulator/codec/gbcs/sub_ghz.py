"""The dual-band Communications Hub's sub-GHz objects as GBCS carries them (DBCH01-DBCH11).

Everything here is laid out as the RTDS 4.5.0 DBCH messages show it (DOMAIN.md §3, §6):

* Channel masks: a 32-bit bit-string, the channel page in the top five bits (28 = ``E0``, 29 =
  ``E8``, 30 = ``F0``, 31 = ``F8``), the page's channels in bits 0-26 (``E0000001`` = page 28
  channel 0). Page 28 holds channels 0-26, page 29 channels 27-34 (bits 0-7) and 62 (bit 8 [I]),
  page 30 channels 35-61 (bits 0-26), all in 863-876 MHz (f = 863.25 + 0.2 c MHz); page 31 is the
  upper band, 915-921 MHz, channels 0-26. The DUIS template for 6.28 (Channel1 + Channel2 of each
  range) and the RTDS DBCH04 command (``E0000006`` ... ``F8000006``) agree on bit = channel offset.
* The CHF Sub GHz Configuration (DLMS class 1 "Data", 0-0:94.44.10.0, attribute 2): a structure of
  15 fields, four masks then eleven numbers; DUIS 5.4's ``SubGHzConfiguration`` names them and
  gives their ranges (decimals carried x100, as the RTDS command carries 1.3 % as 130).
* The operating channel (0-0:94.44.10.2, a mask with one bit), the channel scan request
  (0-0:94.44.10.1, an unsigned) and the channel log (DBCH02, a compact array of {UTC time,
  alert code, octet string}).
* The DBCH06-11 alert bodies (the third element of the alert's data-notification structure).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterator
from dataclasses import dataclass, fields

from ..eui64 import Eui64
from .dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    BitString,
    CompactArray,
    CosemDescriptor,
    Data,
    DataType,
    TypeDescription,
    invoke_id_for,
)
from .errors import GbcsDecodeError

DATA_CLASS = 1
PROFILE_GENERIC_CLASS = 7
VALUE = 2  # class 1 attribute 2, class 7 attribute 2 (buffer)

SUB_GHZ_CONFIGURATION = bytes.fromhex("00005E2C0A00")
"""OBIS 0-0:94.44.10.0 "Sub GHz Configuration Settings" (RTDS DBCH03/DBCH04)."""
SUB_GHZ_CHANNEL_SCAN = bytes.fromhex("00005E2C0A01")
"""OBIS 0-0:94.44.10.1 "CHF Sub GHz Channel Scan" (RTDS DBCH05)."""
OPERATING_SUB_GHZ_CHANNEL = bytes.fromhex("00005E2C0A02")
"""OBIS 0-0:94.44.10.2 "Operating Sub GHz Channel" (RTDS DBCH01)."""
SUB_GHZ_CHANNEL_LOG = bytes.fromhex("00005E2C0A03")
"""[U] DBCH02's object: the RTDS set has no DBCH02 command, only its response. We read a class 7
buffer at 0-0:94.44.10.3, the next instance of the same group, with the DUIS ``ReadLogPeriod``
(start, end) as the request's data item. A named setting; the response layout is the RTDS one."""

CHANNEL_LOG_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
"""[I] The channel log's double-long-unsigned times count seconds from 2000-01-01 UTC (ZigBee
UTCTime): the RTDS log's 472348800 is 2014-12-20 00:00:00, days before the RTDS alerts' own
time stamps (2015-01-01)."""


class ChannelPage(enum.IntEnum):
    """The GB868 channel pages (DOMAIN.md §6)."""

    PAGE_28 = 28  # 863-876 MHz, channels 0-26
    PAGE_29 = 29  # 863-876 MHz, channels 27-34 and 62
    PAGE_30 = 30  # 863-876 MHz, channels 35-61
    PAGE_31 = 31  # 915-921 MHz, channels 0-26


PAGE_SHIFT = 27
CHANNEL_BITS = (1 << PAGE_SHIFT) - 1
_FIRST = {ChannelPage.PAGE_28: 0, ChannelPage.PAGE_29: 27, ChannelPage.PAGE_30: 35}
_PAGE_29_CHANNEL_62_BIT = 8  # [I] after 27-34 in bits 0-7
_LAST = {ChannelPage.PAGE_28: 26, ChannelPage.PAGE_29: 34, ChannelPage.PAGE_30: 61}


@dataclass(frozen=True, slots=True, order=True)
class SubGhzChannel:
    """One GB868 channel: its page and its channel number (lower band 0-62, upper band 0-26)."""

    page: ChannelPage
    number: int

    def __post_init__(self) -> None:
        if self.bit < 0 or self.bit >= PAGE_SHIFT:
            raise ValueError(f"channel {self.number} is not on page {int(self.page)}")

    @classmethod
    def lower(cls, number: int) -> SubGhzChannel:
        """A lower-band (863-876 MHz) channel by number: its page follows from it."""
        if 0 <= number <= 26:
            return cls(ChannelPage.PAGE_28, number)
        if 27 <= number <= 34 or number == 62:
            return cls(ChannelPage.PAGE_29, number)
        if 35 <= number <= 61:
            return cls(ChannelPage.PAGE_30, number)
        raise ValueError(f"no lower-band channel {number}")

    @property
    def bit(self) -> int:
        if self.page is ChannelPage.PAGE_31:
            return self.number if 0 <= self.number <= 26 else -1
        if self.page is ChannelPage.PAGE_29 and self.number == 62:
            return _PAGE_29_CHANNEL_62_BIT
        first, last = _FIRST[self.page], _LAST[self.page]
        return self.number - first if first <= self.number <= last else -1

    @property
    def frequency_mhz(self) -> float:
        """Centre frequency: 863.25 + 0.2 c MHz (lower band); [U] 915.35 + 0.2 c (page 31)."""
        base = 915.35 if self.page is ChannelPage.PAGE_31 else 863.25
        return round(base + 0.2 * self.number, 2)

    def mask(self) -> ChannelMask:
        return ChannelMask(self.page, frozenset({self.number}))


@dataclass(frozen=True, slots=True)
class ChannelMask:
    """A page and a set of its channels, as the 32-bit word GBCS and the Sub-GHz cluster carry."""

    page: ChannelPage
    channels: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        for c in self.channels:
            SubGhzChannel(self.page, c)  # raises for a channel not on the page

    @property
    def word(self) -> int:
        bits = 0
        for c in self.channels:
            bits |= 1 << SubGhzChannel(self.page, c).bit
        return (int(self.page) << PAGE_SHIFT) | bits

    @classmethod
    def from_word(cls, word: int) -> ChannelMask:
        if not 0 <= word <= 0xFFFFFFFF:
            raise ValueError("a channel mask is 32 bits")
        try:
            page = ChannelPage(word >> PAGE_SHIFT)
        except ValueError:
            raise ValueError(f"channel page {word >> PAGE_SHIFT} is not a GB868 page") from None
        channels: set[int] = set()
        for bit in range(PAGE_SHIFT):
            if word & (1 << bit):
                channels.add(_channel_for_bit(page, bit))
        return cls(page, frozenset(channels))

    def bit_string(self) -> Data:
        return Data(DataType.BIT_STRING, BitString(32, self.word.to_bytes(4, "big")))

    @classmethod
    def from_data(cls, data: Data) -> ChannelMask:
        value = data.value
        if data.type is not DataType.BIT_STRING or not isinstance(value, BitString):
            raise ValueError("a channel mask is a bit-string")
        if value.bits != 32:
            raise ValueError("a channel mask is 32 bits")
        return cls.from_word(int.from_bytes(value.data, "big"))

    def __iter__(self) -> Iterator[SubGhzChannel]:
        return iter([SubGhzChannel(self.page, c) for c in sorted(self.channels)])


def _channel_for_bit(page: ChannelPage, bit: int) -> int:
    if page is ChannelPage.PAGE_31:
        return bit
    if page is ChannelPage.PAGE_29 and bit == _PAGE_29_CHANNEL_62_BIT:
        return 62
    channel = _FIRST[page] + bit
    if channel > _LAST[page]:
        raise ValueError(f"bit {bit} names no channel on page {int(page)}")
    return channel


# ---- the configuration object ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    """Allowed values of one field, in the unit GBCS carries (DUIS 5.4 ``SubGHzConfiguration``;
    decimals x100). ``None``: no bound beyond the A-XDR type's."""

    low: int
    high: int | None
    exclusive_low: bool = False
    exclusive_high: bool = False

    def contains(self, v: int) -> bool:
        lo = v > self.low if self.exclusive_low else v >= self.low
        hi = self.high is None or (v < self.high if self.exclusive_high else v <= self.high)
        return lo and hi


class ConfigurationError(ValueError):
    """A configuration field outside its DUIS range (what DBCH04 answers ``other-reason`` to)."""

    def __init__(self, field: str, value: int, allowed: Range) -> None:
        super().__init__(f"{field} = {value} outside {allowed}")
        self.field = field


_U8, _U16 = DataType.UNSIGNED, DataType.LONG_UNSIGNED


@dataclass(frozen=True, slots=True)
class SubGhzConfiguration:
    """The 15 fields of 0-0:94.44.10.0 in their order, each with its A-XDR type and DUIS range.

    Thresholds and percentages are hundredths (130 = 1.3 %), as GBCS carries them."""

    lower_band_channels_0_to_26: ChannelMask
    lower_band_channels_27_to_34: ChannelMask
    lower_band_channels_35_to_61: ChannelMask
    upper_band_channels_0_to_26: ChannelMask
    normal_limited_duty_cycle_threshold: int  # x100 %, 0.5-2.0
    limited_critical_duty_cycle_threshold: int  # x100 %, (1.5, 2.5)
    maximum_sub_ghz_channel_changes_per_week: int  # 1-7
    gsme_curfew: int  # > 1 [U] unit (DUIS gives none)
    channel_quieter_threshold: int  # 1-255 [U] dB
    channel_noisier_threshold: int  # 0-20 [U] dB
    non_gsme_poor_comms_percentage_threshold: int  # x100 %, 1-100
    non_gsme_poor_comms_measurement_periods: int  # 50-150
    local_ch_noise_measurement_period: int  # > 60 [U] seconds
    local_ch_failure_percentage: int  # x100 %, 1-100
    local_ch_retry_percentage: int  # x100 %, 1-100

    def __post_init__(self) -> None:
        pages = (ChannelPage.PAGE_28, ChannelPage.PAGE_29, ChannelPage.PAGE_30, ChannelPage.PAGE_31)
        for f, page in zip(fields(self)[:4], pages, strict=True):
            mask = getattr(self, f.name)
            if mask.page is not page:
                raise ConfigurationError(f.name, mask.word, Range(page, page))
        for f, (_, allowed) in zip(fields(self)[4:], _NUMBERS, strict=True):
            value = getattr(self, f.name)
            if not allowed.contains(value):
                raise ConfigurationError(f.name, value, allowed)

    @property
    def masks(self) -> tuple[ChannelMask, ...]:
        return (
            self.lower_band_channels_0_to_26,
            self.lower_band_channels_27_to_34,
            self.lower_band_channels_35_to_61,
            self.upper_band_channels_0_to_26,
        )

    def available(self) -> list[SubGhzChannel]:
        """The "Sub GHz Available Channels" (Release 2 letter, Annex C): every masked channel."""
        return [c for mask in self.masks for c in mask]

    def data(self) -> Data:
        numbers = [getattr(self, f.name) for f in fields(self)[4:]]
        return Data.structure(
            *(m.bit_string() for m in self.masks),
            *(Data(t, v) for (t, _), v in zip(_NUMBERS, numbers, strict=True)),
        )

    @classmethod
    def from_data(cls, data: Data) -> SubGhzConfiguration:
        """The configuration in a DLMS structure; ``ValueError`` for a wrong shape or type,
        ``ConfigurationError`` for a value out of range."""
        if data.type is not DataType.STRUCTURE or len(data.items) != 15:
            raise ValueError("the sub-GHz configuration is a structure of 15")
        items = data.items
        masks = [ChannelMask.from_data(d) for d in items[:4]]
        numbers: list[int] = []
        for d, (t, _) in zip(items[4:], _NUMBERS, strict=True):
            if d.type is not t or not isinstance(d.value, int):
                raise ValueError(f"expected {t.name}, got {d.type.name}")
            numbers.append(d.value)
        return cls(*masks, *numbers)  # type: ignore[arg-type]  # 4 masks, then 11 ints


_NUMBERS: tuple[tuple[DataType, Range], ...] = (
    (_U16, Range(50, 200)),
    (_U16, Range(150, 250, exclusive_low=True, exclusive_high=True)),
    (_U8, Range(1, 7)),
    (_U16, Range(1, None, exclusive_low=True)),
    (_U8, Range(1, 255)),
    (_U8, Range(0, 20)),
    (_U16, Range(100, 10_000)),
    (_U8, Range(50, 150)),
    (_U16, Range(60, None, exclusive_low=True)),
    (_U16, Range(100, 10_000)),
    (_U16, Range(100, 10_000)),
)
"""A-XDR type and DUIS range of fields 5-15 (the RTDS DBCH04 command's types)."""


def _all(page: ChannelPage) -> ChannelMask:
    if page is ChannelPage.PAGE_29:
        return ChannelMask(page, frozenset({*range(27, 35), 62}))
    first, last = (0, 26) if page in (ChannelPage.PAGE_28, ChannelPage.PAGE_31) else (35, 61)
    return ChannelMask(page, frozenset(range(first, last + 1)))


DEFAULT_CONFIGURATION = SubGhzConfiguration(
    ChannelMask(ChannelPage.PAGE_28, frozenset({0, 1})),
    ChannelMask(ChannelPage.PAGE_29, frozenset({27, 28})),
    ChannelMask(ChannelPage.PAGE_30, frozenset({35, 36})),
    ChannelMask(ChannelPage.PAGE_31, frozenset({0, 1})),
    150,  # 1.5 %: DOMAIN.md §6 "defaults seen"
    208,  # 2.08 %
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
"""[U] A CH's configuration before any DBCH04: the RTDS DBCH03 response's layout with the duty
cycle thresholds DOMAIN.md §6 saw as defaults (the regulated 2.78 % is not configurable). The
available channels are [U] too: the RTDS DBCH03 answer's (channels 0-1 of each range)."""

ALL_CHANNELS = tuple(_all(p) for p in ChannelPage)


# ---- requests the DCC sends ------------------------------------------------------------------


def _spec(
    kind: AccessRequestKind, obis: bytes, class_id: int = DATA_CLASS
) -> AccessRequestSpecification:
    return AccessRequestSpecification(kind, CosemDescriptor(class_id, obis, VALUE))


def dbch01_payload(counter: int) -> bytes:
    """DBCH01 Read CHF Sub GHz Channel: GET 0-0:94.44.10.2 (RTDS DBCH01 command)."""
    spec = _spec(AccessRequestKind.GET, OPERATING_SUB_GHZ_CHANNEL)
    return AccessRequest(invoke_id_for(counter), (spec,), (Data.null(),)).encode()


def dbch02_payload(counter: int, start: datetime.datetime, end: datetime.datetime) -> bytes:
    """DBCH02 Read CHF Sub GHz Channel Log for (start, end) [U] (see ``SUB_GHZ_CHANNEL_LOG``)."""
    spec = _spec(AccessRequestKind.GET, SUB_GHZ_CHANNEL_LOG, PROFILE_GENERIC_CLASS)
    period = Data.structure(
        Data(DataType.DOUBLE_LONG_UNSIGNED, log_time(start)),
        Data(DataType.DOUBLE_LONG_UNSIGNED, log_time(end)),
    )
    return AccessRequest(invoke_id_for(counter), (spec,), (period,)).encode()


def dbch03_payload(counter: int) -> bytes:
    """DBCH03 Read CHF Sub GHz Configuration: GET 0-0:94.44.10.0."""
    spec = _spec(AccessRequestKind.GET, SUB_GHZ_CONFIGURATION)
    return AccessRequest(invoke_id_for(counter), (spec,), (Data.null(),)).encode()


def dbch04_payload(counter: int, configuration: SubGhzConfiguration) -> bytes:
    """DBCH04 Set CHF Sub GHz Configuration: SET 0-0:94.44.10.0 (RTDS DBCH04 command)."""
    spec = _spec(AccessRequestKind.SET, SUB_GHZ_CONFIGURATION)
    return AccessRequest(invoke_id_for(counter), (spec,), (configuration.data(),)).encode()


SCAN_REQUEST_VALUE = 0
"""[U] The unsigned DBCH05 sets 0-0:94.44.10.1 to: 0 in the RTDS command (read here as scan
trigger "RemotePartyCommand")."""


def dbch05_payload(counter: int) -> bytes:
    """DBCH05 Request CHF Sub GHz Channel Scan: SET 0-0:94.44.10.1 to 0 (RTDS DBCH05 command)."""
    spec = _spec(AccessRequestKind.SET, SUB_GHZ_CHANNEL_SCAN)
    data = Data(DataType.UNSIGNED, SCAN_REQUEST_VALUE)
    return AccessRequest(invoke_id_for(counter), (spec,), (data,)).encode()


# ---- the channel log -------------------------------------------------------------------------


def log_time(at: datetime.datetime) -> int:
    return int((at - CHANNEL_LOG_EPOCH).total_seconds())


class ScanTrigger(enum.IntEnum):
    """DUIS 5.4 ``ScanTrigger`` in its order; [I] GBCS carries the index (one octet)."""

    REMOTE_PARTY_COMMAND = 0
    GSME_REQUEST = 1
    GSME_MISSED_ITS_CURFEW = 2
    GSME_MISSING_FOR_THE_LAST_DAY = 3
    CH_DETECTED_MESSAGE_FAILURE_PROBLEMS = 4
    CH_DETECTED_MESSAGE_RETRY_PROBLEMS = 5
    SUB_GHZ_NON_GSME_DEVICE_REQUEST = 6
    SM_HAN_FORMATION = 7


class ScanAssessment(enum.IntEnum):
    """DUIS 5.4 ``SubGHzChannelScanRequestAssessmentOutcome/StatusCode`` in its order [I]."""

    SCAN_REQUEST_ACCEPTED = 0
    HHT_CONNECTED = 1
    DUTY_CYCLE_USAGE_IS_TOO_HIGH = 2
    JOINING_IS_CURRENTLY_PERMITTED = 3
    GSME_OTA_DISTRIBUTION_UNDERWAY = 4
    TOO_MANY_SCANS_TODAY = 5
    TOO_MANY_COMMANDS_TODAY = 6
    TOO_MANY_SCANS_THIS_WEEK = 7


@dataclass(frozen=True, slots=True)
class ChannelLogEntry:
    """One channel change: when, the alert it raised (0x8F26), the channel and its trigger."""

    time: int  # seconds since CHANNEL_LOG_EPOCH
    alert_code: int
    channel: ChannelMask
    trigger: ScanTrigger

    def details(self) -> bytes:
        """[I] The entry's octet string: the channel word, then the trigger as an A-XDR octet
        string (``E0000001 09 01 00``), as the RTDS DBCH02 response carries it."""
        return (
            self.channel.word.to_bytes(4, "big") + Data.octet_string(bytes([self.trigger])).encode()
        )


_LOG_ENTRY = TypeDescription(
    DataType.STRUCTURE,
    (
        TypeDescription(DataType.DOUBLE_LONG_UNSIGNED),
        TypeDescription(DataType.LONG_UNSIGNED),
        TypeDescription(DataType.OCTET_STRING),
    ),
)


def channel_log_data(entries: list[ChannelLogEntry] | tuple[ChannelLogEntry, ...]) -> Data:
    """The DBCH02 answer: a compact array of {double-long-unsigned, long-unsigned, octet}."""
    contents = b"".join(
        e.time.to_bytes(4, "big")
        + e.alert_code.to_bytes(2, "big")
        + Data.octet_string(e.details()).encode()[1:]
        for e in entries
    )
    return Data(DataType.COMPACT_ARRAY, CompactArray(_LOG_ENTRY, contents))


def channel_log_entries(data: Data) -> tuple[ChannelLogEntry, ...]:
    if data.type is not DataType.COMPACT_ARRAY or not isinstance(data.value, CompactArray):
        raise GbcsDecodeError("the channel log is a compact array", 0)
    if data.value.description != _LOG_ENTRY:
        raise GbcsDecodeError("unexpected channel log entry type", 0)
    out = []
    for element in data.value.elements():
        time, code, details = (d.value for d in element.items)
        assert isinstance(time, int) and isinstance(code, int) and isinstance(details, bytes)
        if len(details) != 7 or details[4:6] != b"\x09\x01":
            raise GbcsDecodeError("unexpected channel log details", 0)
        try:
            mask = ChannelMask.from_word(int.from_bytes(details[:4], "big"))
            trigger = ScanTrigger(details[6])
        except ValueError as e:
            raise GbcsDecodeError(str(e), 0) from None
        out.append(ChannelLogEntry(time, code, mask, trigger))
    return tuple(out)


# ---- alert bodies (DBCH06-11) -----------------------------------------------------------------


def device_body(device: Eui64) -> Data:
    """DBCH06 (device to suspend), DBCH11 (device with no sub-GHz capacity): the EUI-64."""
    return Data.octet_string(device.big())


def channel_changed_body(channel: ChannelMask, trigger: ScanTrigger) -> Data:
    """DBCH07: {operating channel, scan trigger}."""
    return Data.structure(channel.bit_string(), Data.octet_string(bytes([trigger])))


def scan_outcome_body(outcome: ScanAssessment, trigger: ScanTrigger) -> Data:
    """DBCH08: {status code, scan trigger}."""
    return Data.structure(Data.octet_string(bytes([outcome])), Data.octet_string(bytes([trigger])))


@dataclass(frozen=True, slots=True)
class DiscardedMessage:
    """DBCH10's body: the identity of the message the CH discarded (DUIS ``MessageDiscarded``):
    RequestID (originator, target, counter) and CRA flag, 25 octets as in the RTDS alert."""

    originator: Eui64
    target: Eui64
    cra: int
    counter: int

    def data(self) -> Data:
        return Data.octet_string(
            self.originator.big()
            + self.target.big()
            + bytes([self.cra])
            + self.counter.to_bytes(8, "big")
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> DiscardedMessage:
        if len(raw) != 25:
            raise GbcsDecodeError("a discarded message's identity is 25 octets", 0)
        return cls(Eui64(raw[:8]), Eui64(raw[8:16]), raw[16], int.from_bytes(raw[17:], "big"))
