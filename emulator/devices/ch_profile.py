"""Communications Hub profiles: which CHTS version a hub implements and which HAN bands it runs.

The Release 2 letter (seed 004, paragraph 7) brings CHTS v1.1 and with it the dual-band CH: a
2.4 GHz HAN and a GB868 sub-GHz HAN at once. A CHTS v1.0 hub is single band (2.4 GHz): it has no
sub-GHz HAN, and the DBCH use cases address objects it does not have. A profile is data, chosen
when the hub is built (DESIGN.md rule 6), never a flag flipped later.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..han.radio import Band


@dataclass(frozen=True, slots=True)
class CommsHubProfile:
    name: str
    chts_version: str
    """As the CPL's ``SMETSCHTSVersion`` text spells it (``CHTS V1.1``): the TSAT reads it."""
    bands: frozenset[Band]
    sub_ghz_capacity: int = 0
    """[U] How many devices the sub-GHz HAN takes before DBCH11 "No More Sub GHz Device
    Capacity": no public number; a named setting per profile."""

    @property
    def dual_band(self) -> bool:
        return Band.SUB_GHZ in self.bands

    def __post_init__(self) -> None:
        if Band.GHZ_2_4 not in self.bands:
            raise ValueError("every GB Communications Hub runs a 2.4 GHz HAN")
        if self.dual_band != (self.sub_ghz_capacity > 0):
            raise ValueError("a sub-GHz capacity goes with a sub-GHz band, and only with it")


SINGLE_BAND_CHTS_1_0 = CommsHubProfile(
    "single-band CHTS v1.0", "CHTS V1.0", frozenset({Band.GHZ_2_4})
)
DUAL_BAND_CHTS_1_1 = CommsHubProfile(
    "dual-band CHTS v1.1",
    "CHTS V1.1",
    frozenset({Band.GHZ_2_4, Band.SUB_GHZ}),
    sub_ghz_capacity=4,
)
PROFILES = {p.name: p for p in (SINGLE_BAND_CHTS_1_0, DUAL_BAND_CHTS_1_1)}


@dataclass(frozen=True, slots=True)
class DeviceRadio:
    """The bands a HAN device's radio supports; it joins the first its hub also runs, in order
    of preference (a sub-GHz-capable GSME prefers sub-GHz: the band was made for gas meters'
    range [I])."""

    preference: tuple[Band, ...]

    def band_on(self, hub: CommsHubProfile) -> Band | None:
        return next((b for b in self.preference if b in hub.bands), None)


RADIO_2G4 = DeviceRadio((Band.GHZ_2_4,))
RADIO_SUB_GHZ_ONLY = DeviceRadio((Band.SUB_GHZ,))
RADIO_DUAL_PREFER_SUB_GHZ = DeviceRadio((Band.SUB_GHZ, Band.GHZ_2_4))
