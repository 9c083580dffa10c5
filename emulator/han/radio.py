"""The radio model: airtime, channel access, link loss and duty cycle, as decisions.

The medium (``emulator.han.medium``) is the one authority that orders transmissions in modelled
time (DESIGN.md rule 4); it asks this module about timing, channel access, link loss and duty
cycle, and applies its own collision and half-duplex rule to frames that overlap. Nothing here
waits, reads a clock or keeps global state: each answer is a function of its arguments and of a
``random.Random`` the caller seeds, so a run is identical for the same seed (the OTNS radio-model
idea, STYLE.md). Times are seconds, lengths are bytes (octets).

Sources: IEEE 802.15.4-2006 §6.4 (PHY constants and PIB), §6.5 (2.4 GHz O-QPSK PHY), §7.4 (MAC
constants and PIB), §7.5.1.3 (interframe spacing), §7.5.1.4 (CSMA-CA), §7.5.6.4 (acknowledgment);
IEEE 802.15.4-2015 §20 (SUN FSK PHY); DOMAIN.md §6 (GB868 facts). Where a number is a choice rather
than a sourced fact it is marked [U] or [I] (DOMAIN.md tags) and is a named setting.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum, IntEnum, StrEnum
from types import MappingProxyType

__all__ = [
    "ACK_PSDU_BYTES",
    "GB868_MAX_PSDU",
    "GB868_TURNAROUND_SYMBOLS",
    "PHY_2G4",
    "PHY_GB868",
    "Band",
    "ChannelAccess",
    "CsmaCa",
    "DutyCycleLimits",
    "DutyCycleMeter",
    "DutyCycleState",
    "LinkModel",
    "ListenBeforeTalk",
    "PhyParameters",
    "RadioModel",
    "ack_airtime",
    "airtime",
]

ACK_PSDU_BYTES = 5
"""An imm-ACK MPDU: frame control 2, sequence number 1, FCS 2 (802.15.4-2006 §7.2.2.3)."""


BASE_SUPERFRAME_SYMBOLS = 960  # aBaseSuperframeDuration, 802.15.4-2006 Table 85


class Band(Enum):
    """The two HAN radios of a GB Communications Hub (DOMAIN.md §1, Release 2: dual band)."""

    GHZ_2_4 = "2.4 GHz"
    SUB_GHZ = "GB868"


@dataclass(frozen=True, slots=True)
class PhyParameters:
    """One band's PHY constants and the MAC PIB defaults that go with them.

    Durations are kept in symbols, as the standard states them, and converted with the symbol
    period. The PSDU counts the MAC header, payload and FCS; ``preamble + SFD + PHR`` is the PHY
    overhead outside it. On GB868 the 2-byte FCS is therefore *inside* the PSDU (the MAC codec
    appends it) and the "12 bytes PHY overhead" of DOMAIN.md §6 are preamble, SFD and PHR only.
    """

    band: Band
    bit_rate: int  # bit/s
    bits_per_symbol: int
    preamble_bytes: int
    sfd_bytes: int
    phr_bytes: int
    max_psdu: int  # aMaxPHYPacketSize
    turnaround_symbols: int  # aTurnaroundTime: RX-to-TX and TX-to-RX
    cca_symbols: int  # CCA detection time
    unit_backoff_symbols: int  # aUnitBackoffPeriod
    sifs_symbols: int = 12  # macSIFSPeriod, 802.15.4-2006 §7.4.1 Table 85 (aMinSIFSPeriod)
    lifs_symbols: int = 40  # macLIFSPeriod (aMinLIFSPeriod)
    max_sifs_frame_size: int = 18  # aMaxSIFSFrameSize, §7.4.1
    mac_min_be: int = 3  # macMinBE, §7.4.2 Table 86
    mac_max_be: int = 5  # macMaxBE
    mac_max_csma_backoffs: int = 4  # macMaxCSMABackoffs
    mac_max_frame_retries: int = 3  # macMaxFrameRetries

    def __post_init__(self) -> None:
        if not 0 <= self.mac_min_be <= self.mac_max_be:
            raise ValueError("need 0 <= macMinBE <= macMaxBE")

    @property
    def symbol_period(self) -> float:
        return self.bits_per_symbol / self.bit_rate

    @property
    def byte_time(self) -> float:
        """32 us on 2.4 GHz (DOMAIN.md §6), 80 us on GB868."""
        return 8 / self.bit_rate

    @property
    def phy_overhead_bytes(self) -> int:
        """SHR (preamble + SFD) and PHR: 6 on 2.4 GHz, 12 on GB868 (DOMAIN.md §6)."""
        return self.preamble_bytes + self.sfd_bytes + self.phr_bytes

    @property
    def shr_duration(self) -> float:
        """phySHRDuration."""
        return (self.preamble_bytes + self.sfd_bytes) * self.byte_time

    @property
    def turnaround(self) -> float:
        """aTurnaroundTime: 192 us on 2.4 GHz."""
        return self.turnaround_symbols * self.symbol_period

    @property
    def cca_duration(self) -> float:
        """8 symbols: 128 us on 2.4 GHz (802.15.4-2006 §6.9.9)."""
        return self.cca_symbols * self.symbol_period

    @property
    def response_wait_time(self) -> float:
        """aResponseWaitTime: 32 aBaseSuperframeDuration of 960 symbols (802.15.4-2006 Table 85);
        a joiner polls for its association response after it. 491.52 ms on 2.4 GHz."""
        return 32 * BASE_SUPERFRAME_SYMBOLS * self.symbol_period

    def scan_duration(self, exponent: int = 3) -> float:
        """Time on a channel in an active scan: aBaseSuperframeDuration x (2^n + 1), §7.5.2.1."""
        return BASE_SUPERFRAME_SYMBOLS * ((1 << exponent) + 1) * self.symbol_period

    @property
    def unit_backoff_period(self) -> float:
        """aUnitBackoffPeriod: 320 us on 2.4 GHz."""
        return self.unit_backoff_symbols * self.symbol_period

    @property
    def sifs(self) -> float:
        return self.sifs_symbols * self.symbol_period

    @property
    def lifs(self) -> float:
        return self.lifs_symbols * self.symbol_period

    @property
    def ack_wait_duration(self) -> float:
        """macAckWaitDuration, 802.15.4-2006 §7.4.2 Table 86.

        aUnitBackoffPeriod + aTurnaroundTime + phySHRDuration + ceil(ACK PHR+PSDU octets x
        phySymbolsPerOctet): 20 + 12 + 10 + 12 = 54 symbols = 864 us on 2.4 GHz. On GB868 the same
        formula with a 2-byte PHR gives 58 + 50 + 80 + 56 = 244 symbols = 2.44 ms [I]; Silicon
        Labs' GB868 PHY uses a permissive 255 symbols, noting R22 specifies 100 (too short to hold
        the ACK's own SHR at 100 kbit/s, so not used here).
        """
        symbols_per_octet = 8 / self.bits_per_symbol
        ack_symbols = math.ceil((self.phr_bytes + ACK_PSDU_BYTES) * symbols_per_octet)
        return (
            self.unit_backoff_period
            + self.turnaround
            + self.shr_duration
            + ack_symbols * self.symbol_period
        )

    def airtime(self, psdu_len: int) -> float:
        """Time on air of one PPDU whose PSDU (MPDU with FCS) is ``psdu_len`` bytes."""
        if not 0 <= psdu_len <= self.max_psdu:
            raise ValueError(
                f"PSDU of {psdu_len} bytes: {self.band.value} allows 0..{self.max_psdu}"
            )
        return (self.phy_overhead_bytes + psdu_len) * self.byte_time

    def ack_airtime(self) -> float:
        """An imm-ACK: 11 bytes, 352 us on 2.4 GHz; 17 bytes, 1.36 ms on GB868."""
        return self.airtime(ACK_PSDU_BYTES)

    @property
    def max_frame_retries(self) -> int:
        """macMaxFrameRetries under the name the medium uses."""
        return self.mac_max_frame_retries

    def ifs(self, psdu_len: int) -> float:
        """Interframe spacing after a frame (after its ACK if acknowledged), §7.5.1.3."""
        return self.sifs if psdu_len <= self.max_sifs_frame_size else self.lifs


PHY_2G4 = PhyParameters(
    band=Band.GHZ_2_4,
    bit_rate=250_000,  # O-QPSK, 62.5 ksymbol/s, 802.15.4-2006 §6.5.1
    bits_per_symbol=4,  # 16 us a symbol
    preamble_bytes=4,  # §6.3.1
    sfd_bytes=1,
    phr_bytes=1,
    max_psdu=127,  # aMaxPHYPacketSize, §6.4.1
    turnaround_symbols=12,  # aTurnaroundTime, §6.4.1: 192 us
    cca_symbols=8,  # §6.9.9: 128 us
    unit_backoff_symbols=20,  # aUnitBackoffPeriod, §7.4.1: 320 us
)
"""2.4 GHz O-QPSK, every number as DOMAIN.md §6 and 802.15.4-2006 state it."""

GB868_MAX_PSDU = 127
"""[U] 802.15.4g SUN FSK allows a 2047-byte PSDU, but ZigBee on GB868 keeps the 127-byte frames
of every other ZigBee PHY (the stack's buffers and fragmentation assume it). A named setting."""

GB868_TURNAROUND_SYMBOLS = 50
"""[S, secondary] aTurnaroundTime on GB868: 50 symbols = 500 us. Silicon Labs' GB868 PHY
parameters (Gecko SDK ``phy-params-868MHz.h``) note that "ZigBee GB868 ignores 15.4G and R22
specifies turnaround time of 50 symbols"; 802.15.4g itself would ask 1 ms."""

PHY_GB868 = PhyParameters(
    band=Band.SUB_GHZ,
    bit_rate=100_000,  # 2-FSK, 100 ksymbol/s (DOMAIN.md §6): 10 us a symbol, 80 us a byte
    bits_per_symbol=1,
    preamble_bytes=8,  # [I] the split of DOMAIN.md's 12 overhead bytes: preamble 8,
    sfd_bytes=2,  # SFD 2 (802.15.4-2015 §20.2.1.2),
    phr_bytes=2,  # PHR 2 (802.15.4-2015 §20.2.2); the 2-byte FCS is in the PSDU
    max_psdu=GB868_MAX_PSDU,
    turnaround_symbols=GB868_TURNAROUND_SYMBOLS,
    cca_symbols=8,  # aCcaTime, 8 symbols = 80 us (same source as the turnaround)
    # [I] aUnitBackoffPeriod = aTurnaroundTime + aCcaTime (802.15.4-2011 on): 58 symbols. Only
    # used if CSMA-CA is run on this band; GB868 accesses the channel by listen-before-talk.
    unit_backoff_symbols=GB868_TURNAROUND_SYMBOLS + 8,
    # [U] SIFS/LIFS keep their 12/40-symbol defaults (120/400 us at 100 ksymbol/s).
)
"""GB868 SUN FSK at 100 kbit/s."""

_DEFAULT_PHY = {Band.GHZ_2_4: PHY_2G4, Band.SUB_GHZ: PHY_GB868}


def airtime(band: Band, psdu_len: int) -> float:
    """Seconds on air for a PSDU of ``psdu_len`` bytes with the default PHY of ``band``.

    127 bytes on 2.4 GHz: (6 + 127) x 32 us = 4.256 ms (DOMAIN.md §6).
    """
    return _DEFAULT_PHY[band].airtime(psdu_len)


def ack_airtime(band: Band) -> float:
    """Seconds on air for an imm-ACK with the default PHY of ``band``."""
    return _DEFAULT_PHY[band].ack_airtime()


# -- channel access -----------------------------------------------------------------------------


class ChannelAccess(StrEnum):
    """What the medium does after a clear channel assessment."""

    TRANSMIT = "transmit"  # channel idle: transmit after aTurnaroundTime
    BACKOFF = "backoff"  # channel busy: back off and assess again
    FAILURE = "failure"  # CHANNEL_ACCESS_FAILURE (802.15.4-2006 §7.5.1.4, Table 78)


class CsmaCa:
    """Unslotted CSMA-CA for one transmission attempt, 802.15.4-2006 §7.5.1.4 (Figure 68).

    The medium drives it: sleep ``next_backoff(rng)``, assess the channel for
    ``phy.cca_duration``, feed the result to ``on_cca``. NB starts at 0 and BE at macMinBE; each
    busy CCA increments NB and BE (capped at macMaxBE); once NB exceeds macMaxCSMABackoffs the
    attempt fails. With the defaults that is the fifth busy CCA. A MAC retry after a missing ACK
    (up to macMaxFrameRetries, §7.5.6.4) starts a fresh ``CsmaCa``.
    """

    __slots__ = ("be", "nb", "phy")

    def __init__(self, phy: PhyParameters = PHY_2G4) -> None:
        self.phy = phy
        self.nb = 0
        self.be = phy.mac_min_be

    def next_backoff(self, rng: random.Random) -> float:
        """Random(2^BE - 1) whole unit backoff periods, in seconds."""
        return rng.randint(0, (1 << self.be) - 1) * self.phy.unit_backoff_period

    def on_cca(self, busy: bool) -> ChannelAccess:
        if not busy:
            return ChannelAccess.TRANSMIT
        self.nb += 1
        self.be = min(self.be + 1, self.phy.mac_max_be)
        if self.nb > self.phy.mac_max_csma_backoffs:
            return ChannelAccess.FAILURE
        return ChannelAccess.BACKOFF


@dataclass(frozen=True, slots=True)
class ListenBeforeTalk:
    """GB868 channel access and pacing (DOMAIN.md §6).

    Before each transmission the channel must be free for ``min_free`` (5 ms) plus a random
    0..``max_random_backoff`` (0-5 ms) listening time, the ETSI EN 300 220 LBT pattern; and a
    device stays silent ``min_tx_spacing`` (100 ms) between the end of one of its transmissions
    and the start of the next.
    """

    min_free: float = 5e-3
    max_random_backoff: float = 5e-3
    max_attempts: int = 5
    """[U] Listens before CHANNEL_ACCESS_FAILURE. No GB source; chosen to match CSMA-CA's
    macMaxCSMABackoffs + 1 assessments."""
    min_tx_spacing: float = 0.1
    """[I] Applies to a device's own data and command frames. An imm-ACK follows its frame after
    aTurnaroundTime, within macAckWaitDuration, so it cannot honour the rule and is exempt."""

    def listen_time(self, rng: random.Random) -> float:
        """How long the channel must be sensed free before this attempt may transmit."""
        return self.min_free + rng.random() * self.max_random_backoff

    def earliest_next_tx(self, last_tx_end: float) -> float:
        """The 100 ms rule: the earliest start of a device's next transmission."""
        return last_tx_end + self.min_tx_spacing


# -- fate of a frame ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkModel:
    """Independent per-link frame loss, seeded by the caller.

    ``losses`` overrides ``default_loss`` for an ordered (sender, receiver) pair; a loss of 1.0
    means out of range (``hears`` is false). ``lost`` draws exactly one number from the RNG
    whatever the probability, so changing one link's loss leaves every other decision unchanged.
    """

    default_loss: float = 0.0
    losses: Mapping[tuple[Hashable, Hashable], float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for p in (self.default_loss, *self.losses.values()):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"loss probability {p} outside 0..1")
        object.__setattr__(self, "losses", MappingProxyType(dict(self.losses)))

    def loss(self, src: Hashable, dst: Hashable) -> float:
        return self.losses.get((src, dst), self.default_loss)

    def hears(self, src: Hashable, dst: Hashable) -> bool:
        return self.loss(src, dst) < 1.0

    def lost(self, src: Hashable, dst: Hashable, rng: random.Random) -> bool:
        return rng.random() < self.loss(src, dst)

    def with_loss(
        self, src: Hashable, dst: Hashable, p: float, *, symmetric: bool = False
    ) -> LinkModel:
        """A copy with the loss of one link (both directions if ``symmetric``) set to ``p``."""
        losses = dict(self.losses)
        losses[(src, dst)] = p
        if symmetric:
            losses[(dst, src)] = p
        return replace(self, losses=losses)


# -- duty cycle ---------------------------------------------------------------------------------


class DutyCycleState(IntEnum):
    """Sub-GHz duty-cycle states (DOMAIN.md §6); values as Silicon Labs' EmberDutyCycleState."""

    NORMAL = 1
    LIMITED = 2
    CRITICAL = 3
    SUSPENDED = 4


@dataclass(frozen=True, slots=True)
class DutyCycleLimits:
    """Thresholds on the fraction of the sliding window a device spent transmitting.

    Defaults from DOMAIN.md §6 ("defaults seen"): reaching 1.5 % (54 s an hour) is Limited, the
    CH tells the offending client to suspend ZCL messages; 2.08 % (75 s) is Critical, it tells
    everyone; 2.78 % (100 s, one 36th) is Suspended, the device may not transmit. DUIS carries
    the configurable ones in hundredths of a percent (ranges 0.5-2.0 % and 1.5-2.5 %).
    """

    limited: float = 0.015
    critical: float = 0.0208
    suspended: float = 0.0278
    window: float = 3600.0  # aDUTYCYCLEMeasurementPeriod: one hour, sliding

    def __post_init__(self) -> None:
        if not 0.0 < self.limited < self.critical < self.suspended <= 1.0:
            raise ValueError("need 0 < limited < critical < suspended <= 1")
        if self.window <= 0:
            raise ValueError("window must be positive")

    @classmethod
    def from_hundredths(cls, limited: int, critical: int, suspended: int) -> DutyCycleLimits:
        """From percentages carried x100, as DUIS and EZSP carry them (150 = 1.5 %)."""
        return cls(limited / 10_000, critical / 10_000, suspended / 10_000)

    def state(self, fraction: float) -> DutyCycleState:
        """The highest threshold reached (>=)."""
        if fraction >= self.suspended:
            return DutyCycleState.SUSPENDED
        if fraction >= self.critical:
            return DutyCycleState.CRITICAL
        if fraction >= self.limited:
            return DutyCycleState.LIMITED
        return DutyCycleState.NORMAL


class DutyCycleMeter:
    """One device's transmit time over a sliding window, exactly.

    A transmission that overlaps the window partly counts partly; one still on air counts up to
    ``now``. Records are kept sorted (a device's transmissions do not overlap) with running sums,
    so a query is a binary search, O(log n); records that ended before the window are dropped as
    time advances, amortised O(1), so a 90-day run holds one hour of records. Time only moves
    forward: a query may not precede an earlier query or a recorded start.
    """

    __slots__ = ("_cum", "_ends", "_head", "_latest", "_starts", "limits")

    _COMPACT_AT = 256

    def __init__(self, limits: DutyCycleLimits | None = None) -> None:
        self.limits = limits or DutyCycleLimits()
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._cum: list[float] = []  # _cum[i]: total duration of records 0..i
        self._head = 0  # records before it are pruned
        self._latest = -math.inf

    def __len__(self) -> int:
        """Records held: those that may still fall in a window."""
        return len(self._starts) - self._head

    def record(self, tx_start: float, duration: float) -> None:
        if duration < 0:
            raise ValueError("negative duration")
        if self._starts and tx_start < self._ends[-1]:
            raise ValueError(f"transmission at {tx_start} overlaps the previous one")
        self._starts.append(tx_start)
        self._ends.append(tx_start + duration)
        self._cum.append((self._cum[-1] if self._cum else 0.0) + duration)
        self._advance(tx_start)

    def used(self, now: float) -> float:
        """Seconds spent transmitting within (now - window, now]."""
        self._advance(now)
        if now < self._latest:
            raise ValueError(f"duty-cycle query at {now} after time {self._latest}")
        lo = now - self.limits.window
        head = self._head
        k = bisect_left(self._starts, now, head)  # records head..k-1 started before now
        if k == head:
            return 0.0
        total = self._cum[k - 1] - (self._cum[head - 1] if head else 0.0)
        total -= max(0.0, lo - self._starts[head])  # the first may have started before the window
        total -= max(0.0, self._ends[k - 1] - now)  # the last may still be on air
        return max(0.0, total)

    def fraction(self, now: float) -> float:
        return self.used(now) / self.limits.window

    def state(self, now: float) -> DutyCycleState:
        return self.limits.state(self.fraction(now))

    def _advance(self, now: float) -> None:
        if now <= self._latest:
            return
        self._latest = now
        lo = now - self.limits.window
        head = self._head
        ends = self._ends
        while head < len(ends) and ends[head] <= lo:
            head += 1
        self._head = head
        if head >= self._COMPACT_AT and 2 * head >= len(ends):
            base = self._cum[head - 1]
            del self._starts[:head], self._ends[:head], self._cum[:head]
            self._cum = [c - base for c in self._cum]
            self._head = 0


# -- the bundle the medium takes ----------------------------------------------------------------


@dataclass(frozen=True)
class RadioModel:
    """Everything the medium asks about radio, in one object; defaults are the spec numbers."""

    phy_2g4: PhyParameters = PHY_2G4
    phy_sub_ghz: PhyParameters = PHY_GB868
    lbt: ListenBeforeTalk = field(default_factory=ListenBeforeTalk)
    link: LinkModel = field(default_factory=LinkModel)
    duty_cycle: DutyCycleLimits = field(default_factory=DutyCycleLimits)

    def phy(self, band: Band) -> PhyParameters:
        return self.phy_2g4 if band is Band.GHZ_2_4 else self.phy_sub_ghz

    def airtime(self, band: Band, psdu_len: int) -> float:
        return self.phy(band).airtime(psdu_len)

    def ack_airtime(self, band: Band) -> float:
        return self.phy(band).ack_airtime()

    def csma_ca(self, band: Band = Band.GHZ_2_4) -> CsmaCa:
        return CsmaCa(self.phy(band))

    def duty_cycle_meter(self) -> DutyCycleMeter:
        return DutyCycleMeter(self.duty_cycle)

    def best_case_unicast(self, band: Band, psdu_len: int) -> float:
        """Channel time per acknowledged frame with no backoff, no loss, back to back.

        Channel assessment (CCA on 2.4 GHz, the minimum LBT listen on GB868), RX-to-TX
        turnaround, the frame, aTurnaroundTime, the ACK, then the interframe spacing. For 127
        bytes on 2.4 GHz: 0.128 + 0.192 + 4.256 + 0.192 + 0.352 + 0.640 = 5.76 ms (DOMAIN.md §6).
        GB868 is further paced by the 100 ms rule, which this does not include.
        """
        phy = self.phy(band)
        access = phy.cca_duration if band is Band.GHZ_2_4 else self.lbt.min_free
        return (
            access
            + phy.turnaround
            + phy.airtime(psdu_len)
            + phy.turnaround
            + phy.ack_airtime()
            + phy.ifs(psdu_len)
        )
