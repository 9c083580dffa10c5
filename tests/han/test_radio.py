"""RadioModel: airtime and MAC timing numbers, channel access, link fate, duty cycle."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.han.radio import (
    PHY_2G4,
    PHY_GB868,
    Band,
    ChannelAccess,
    CsmaCa,
    DutyCycleLimits,
    DutyCycleMeter,
    DutyCycleState,
    LinkModel,
    ListenBeforeTalk,
    RadioModel,
    ack_airtime,
    airtime,
)

US = 1e-6
MS = 1e-3


# -- PHY numbers (DOMAIN.md §6, 802.15.4-2006 §6.4 / §7.4) ----------------------------------------


def test_airtime_of_a_full_frame_on_2g4_is_4_256_ms() -> None:
    assert airtime(Band.GHZ_2_4, 127) == pytest.approx(4.256 * MS)
    assert PHY_2G4.byte_time == pytest.approx(32 * US)
    assert PHY_2G4.phy_overhead_bytes == 6


def test_2g4_mac_timing_constants() -> None:
    assert PHY_2G4.symbol_period == pytest.approx(16 * US)
    assert PHY_2G4.turnaround == pytest.approx(192 * US)
    assert PHY_2G4.unit_backoff_period == pytest.approx(320 * US)
    assert PHY_2G4.cca_duration == pytest.approx(128 * US)
    assert PHY_2G4.ack_wait_duration == pytest.approx(864 * US)
    assert ack_airtime(Band.GHZ_2_4) == pytest.approx(352 * US)
    assert (PHY_2G4.mac_min_be, PHY_2G4.mac_max_be) == (3, 5)
    assert (PHY_2G4.mac_max_csma_backoffs, PHY_2G4.mac_max_frame_retries) == (4, 3)
    assert PHY_2G4.max_frame_retries == PHY_GB868.max_frame_retries == 3  # the medium's name


def test_best_case_acked_unicast_is_5_76_ms() -> None:
    model = RadioModel()
    per_frame = model.best_case_unicast(Band.GHZ_2_4, 127)
    assert per_frame == pytest.approx(5.76 * MS)
    # The same sum, spelled out from the parts.
    parts = (
        PHY_2G4.cca_duration
        + PHY_2G4.turnaround
        + airtime(Band.GHZ_2_4, 127)
        + PHY_2G4.turnaround
        + ack_airtime(Band.GHZ_2_4)
        + PHY_2G4.lifs
    )
    assert per_frame == pytest.approx(parts)


def test_gb868_numbers() -> None:
    assert PHY_GB868.bit_rate == 100_000
    assert PHY_GB868.byte_time == pytest.approx(80 * US)
    assert PHY_GB868.phy_overhead_bytes == 12
    # 12 overhead bytes outside the PSDU; the 2-byte FCS is part of psdu_len.
    assert airtime(Band.SUB_GHZ, 127) == pytest.approx((12 + 127) * 80 * US)
    assert ack_airtime(Band.SUB_GHZ) == pytest.approx(17 * 80 * US)
    assert PHY_GB868.turnaround == pytest.approx(500 * US)
    assert PHY_GB868.ack_wait_duration == pytest.approx(2.44 * MS)
    # The ACK must be able to arrive inside the wait.
    assert PHY_GB868.turnaround + ack_airtime(Band.SUB_GHZ) < PHY_GB868.ack_wait_duration
    assert PHY_2G4.turnaround + ack_airtime(Band.GHZ_2_4) < PHY_2G4.ack_wait_duration


@pytest.mark.parametrize("band", list(Band))
@pytest.mark.parametrize("length", [-1, 128])
def test_airtime_rejects_impossible_lengths(band: Band, length: int) -> None:
    with pytest.raises(ValueError):
        airtime(band, length)


def test_radio_model_answers_per_band() -> None:
    model = RadioModel()
    assert model.phy(Band.GHZ_2_4) is PHY_2G4
    assert model.phy(Band.SUB_GHZ) is PHY_GB868
    assert model.airtime(Band.SUB_GHZ, 50) == airtime(Band.SUB_GHZ, 50)
    assert model.ack_airtime(Band.GHZ_2_4) == ack_airtime(Band.GHZ_2_4)
    assert model.duty_cycle_meter().limits == model.duty_cycle


# -- CSMA-CA (802.15.4-2006 §7.5.1.4) -------------------------------------------------------------


def test_csma_backoff_ranges_grow_with_be_and_cap_at_max_be() -> None:
    rng = random.Random(1)
    csma = CsmaCa(PHY_2G4)
    unit = PHY_2G4.unit_backoff_period
    for be in (3, 4, 5, 5, 5):
        assert csma.be == be
        periods = {round(csma.next_backoff(rng) / unit, 9) for _ in range(2000)}
        assert periods == {float(p) for p in range(2**be)}
        csma.on_cca(busy=True)


def test_csma_fails_once_nb_exceeds_mac_max_csma_backoffs() -> None:
    csma = CsmaCa(PHY_2G4)
    # macMaxCSMABackoffs = 4 busy CCAs are each followed by another backoff...
    for _ in range(4):
        assert csma.on_cca(busy=True) == ChannelAccess.BACKOFF
    # ...and the fifth (NB = 5 > 4) is CHANNEL_ACCESS_FAILURE.
    assert csma.on_cca(busy=True) == ChannelAccess.FAILURE
    assert csma.on_cca(busy=True) == "failure"  # a StrEnum: plain strings compare equal


def test_csma_transmits_on_an_idle_channel() -> None:
    csma = CsmaCa(PHY_2G4)
    assert csma.on_cca(busy=True) == "backoff"
    assert csma.on_cca(busy=False) == ChannelAccess.TRANSMIT


def _decisions(seed: int) -> list[float | bool]:
    rng = random.Random(seed)
    model = RadioModel(link=LinkModel(default_loss=0.3))
    out: list[float | bool] = []
    for _ in range(50):
        out.append(CsmaCa().next_backoff(rng))
        out.append(model.lbt.listen_time(rng))
        out.append(model.link.lost("a", "b", rng))
    return out


def test_same_seed_same_decisions_different_seed_different() -> None:
    assert _decisions(7) == _decisions(7)
    assert _decisions(7) != _decisions(8)


# -- listen-before-talk and the 100 ms rule (DOMAIN.md §6) ----------------------------------------


def test_lbt_listen_time_is_5_ms_plus_up_to_5_ms() -> None:
    lbt = ListenBeforeTalk()
    rng = random.Random(3)
    times = [lbt.listen_time(rng) for _ in range(5000)]
    assert min(times) >= 5 * MS
    assert max(times) <= 10 * MS
    assert min(times) < 5.1 * MS and max(times) > 9.9 * MS


def test_100_ms_rule() -> None:
    lbt = RadioModel().lbt
    assert lbt.earliest_next_tx(12.0) == pytest.approx(12.1)
    assert lbt.max_attempts >= 1


# -- link loss ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_loss_rate_converges_to_p(p: float) -> None:
    link = LinkModel(default_loss=p)
    rng = random.Random(2024)
    n = 20_000
    lost = sum(link.lost(1, 2, rng) for _ in range(n))
    assert lost / n == pytest.approx(p, abs=0.015)


def test_per_link_override_and_range() -> None:
    link = LinkModel(default_loss=0.05).with_loss("chf", "gsme", 1.0)
    assert link.loss("chf", "gsme") == 1.0
    assert link.loss("gsme", "chf") == 0.05
    assert not link.hears("chf", "gsme") and link.hears("gsme", "chf")
    both = link.with_loss("esme", "ihd", 0.2, symmetric=True)
    assert both.loss("esme", "ihd") == both.loss("ihd", "esme") == 0.2
    assert link.loss("esme", "ihd") == 0.05  # the original is unchanged
    with pytest.raises(ValueError):
        LinkModel(default_loss=1.5)
    with pytest.raises(TypeError):
        link.losses[("a", "b")] = 0.5  # type: ignore[index]


def test_an_override_does_not_shift_other_links_decisions() -> None:
    a, b = random.Random(5), random.Random(5)
    plain = LinkModel(default_loss=0.3)
    tweaked = plain.with_loss(1, 3, 0.0)
    for _ in range(200):
        plain.lost(1, 3, a), tweaked.lost(1, 3, b)
        assert plain.lost(1, 2, a) == tweaked.lost(1, 2, b)


# -- duty cycle -----------------------------------------------------------------------------------


def test_duty_cycle_partial_overlap_counts_partially() -> None:
    meter = DutyCycleMeter()
    meter.record(100.0, 10.0)
    assert meter.used(105.0) == pytest.approx(5.0)  # still on air: counts up to now
    assert meter.used(200.0) == pytest.approx(10.0)
    assert meter.used(3700.0) == pytest.approx(10.0)  # window (100, 3700]: all of it
    assert meter.used(3705.0) == pytest.approx(5.0)
    assert meter.used(3710.0) == pytest.approx(0.0)
    assert meter.fraction(3710.0) == 0.0


class _EagerMeter(DutyCycleMeter):
    """Compacts its storage as soon as it can, so the examples exercise the rebasing."""

    _COMPACT_AT = 1


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 30.0),  # gap before the transmission
            st.floats(0.0, 8.0),  # duration
            st.floats(0.0, 20.0),  # how far time advances before a query
        ),
        max_size=60,
    ),
)
def test_duty_cycle_matches_brute_force(steps: list[tuple[float, float, float]]) -> None:
    limits = DutyCycleLimits(window=25.0)
    meter = _EagerMeter(limits)
    records: list[tuple[float, float]] = []
    t = 0.0
    now = 0.0
    for gap, duration, advance in steps:
        start = max(t, now) + gap
        meter.record(start, duration)
        records.append((start, start + duration))
        t = start + duration
        now = start + advance
        lo = now - limits.window
        expected = sum(max(0.0, min(e, now) - max(s, lo)) for s, e in records)
        assert meter.used(now) == pytest.approx(expected, abs=1e-9)


def test_duty_cycle_thresholds_and_states() -> None:
    limits = DutyCycleLimits()
    assert (limits.limited, limits.critical, limits.suspended) == (0.015, 0.0208, 0.0278)
    assert DutyCycleLimits.from_hundredths(150, 208, 278) == limits
    meter = DutyCycleMeter(limits)
    t = 0.0
    seen = []
    # 1 s on air every 10 s: the used time climbs 1 s per step until the hour is over.
    for _ in range(150):
        meter.record(t, 1.0)
        t += 10.0
        seen.append((meter.used(t), meter.state(t)))
    for used, state in seen:
        expected = (
            DutyCycleState.SUSPENDED
            if used >= 0.0278 * 3600
            else DutyCycleState.CRITICAL
            if used >= 0.0208 * 3600
            else DutyCycleState.LIMITED
            if used >= 54.0
            else DutyCycleState.NORMAL
        )
        assert state == expected
    states = [s for _, s in seen]
    assert states[0] == DutyCycleState.NORMAL
    assert states == sorted(states)  # Normal -> Limited -> Critical -> Suspended
    assert set(states) == set(DutyCycleState)
    # Silence for an hour brings the device back to Normal.
    assert meter.state(t + 3600.0) == DutyCycleState.NORMAL


def test_duty_cycle_limits_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        DutyCycleLimits(limited=0.03, critical=0.02, suspended=0.04)


def test_duty_cycle_time_does_not_go_back() -> None:
    meter = DutyCycleMeter()
    meter.record(10.0, 1.0)
    meter.used(20.0)
    with pytest.raises(ValueError):
        meter.used(19.0)
    with pytest.raises(ValueError):
        meter.record(10.5, 1.0)  # overlaps the previous transmission
    meter.record(15.0, 1.0)  # recorded after the fact, before the latest query: allowed
    assert meter.used(20.0) == pytest.approx(2.0)


def test_duty_cycle_pruning_keeps_memory_bounded() -> None:
    meter = DutyCycleMeter()
    t = 0.0
    # 300 000 frames, one every 2 s: almost a week of modelled time.
    for _ in range(300_000):
        meter.record(t, 0.005)
        t += 2.0
        assert len(meter) <= 3600 / 2 + 1
    assert meter.used(t) == pytest.approx(1800 * 0.005)
    assert len(meter._starts) <= 2 * (3600 / 2 + 1) + DutyCycleMeter._COMPACT_AT
