"""Sub-GHz duty-cycle management on the dual-band CH: states, transitions and what each one does.

Each sub-GHz device's transmit time over the sliding hour comes from the radio model
(``emulator.han.radio.DutyCycleMeter``, fed by the medium). The CH compares it with its configured
thresholds (DBCH04: Normal-Limited, Limited-Critical, in hundredths of a percent) and the regulated
ceiling, and walks the device's state one step at a time, up or down (DOMAIN.md §6):

===========  ==========  ===========================================================  =========
from -> to   alert       action                                                       message
===========  ==========  ===========================================================  =========
N -> L       0x8F20      Suspend ZCL Messages to the offending device                 DBCH06
L -> C       0x8F22      Suspend ZCL Messages to every sub-GHz device                 [U] 0x1001
C -> S       0x8F24      the device may not transmit; GBCS for it is discarded        [U] 0x1001
S -> C       0x8F25                                                                   [U] 0x1001
C -> L       0x8F23      lift the suspension of the others                            [U] 0x1001
L -> N       0x8F21      lift the device's suspension                                 [U] 0x1001
===========  ==========  ===========================================================  =========

Only 0x8F20 has a message code of its own (DBCH06, body: the device to suspend); the others are
[U] sent as generic non-critical alerts {alert code, time stamp} (GBCS's message-code table has
no DBCH use case for them). A jump of several thresholds between two samples walks every step.
This module is the decision; ``sub_ghz.py`` sends the alerts and the ZCL commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..codec.eui64 import Eui64
from ..codec.gbcs import AlertCode
from ..codec.gbcs.sub_ghz import SubGhzConfiguration
from ..han.radio import DutyCycleLimits, DutyCycleState

REGULATED_DUTY_CYCLE = 0.0278
"""[S, DOMAIN.md §6 "defaults seen"] 2.78 % (100 s an hour, one 36th): the regulatory ceiling
(ETSI EN 300 220 at 10 % of the 1 % ... [U] exact regulation); not configurable by DBCH04."""


def limits_for(config: SubGhzConfiguration, window: float = 3600.0) -> DutyCycleLimits:
    """The radio model's thresholds from a CH configuration (x100 % -> fraction)."""
    return DutyCycleLimits(
        config.normal_limited_duty_cycle_threshold / 10_000,
        config.limited_critical_duty_cycle_threshold / 10_000,
        REGULATED_DUTY_CYCLE,
        window,
    )


S = DutyCycleState

_UP = {
    S.LIMITED: AlertCode.LIMITED_DUTY_CYCLE_ACTION_TAKEN,
    S.CRITICAL: AlertCode.CRITICAL_DUTY_CYCLE_ACTION_TAKEN,
    S.SUSPENDED: AlertCode.REGULATED_DUTY_CYCLE_ACTION_TAKEN,
}
_DOWN = {  # keyed by the state left
    S.LIMITED: AlertCode.DUTY_CYCLE_FALLEN_BELOW_NORMAL_LIMITED_DUTY_CYCLE_THRESHOLD,
    S.CRITICAL: AlertCode.DUTY_CYCLE_FALLEN_BELOW_LIMITED_CRITICAL_DUTY_CYCLE_THRESHOLD,
    S.SUSPENDED: AlertCode.DUTY_CYCLE_FALLEN_BELOW_CRITICAL_REGULATED_DUTY_CYCLE_THRESHOLD,
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of one device's duty-cycle state, with the alert it raises."""

    device: Eui64
    old: DutyCycleState
    new: DutyCycleState
    fraction: float

    @property
    def rising(self) -> bool:
        return self.new > self.old

    @property
    def alert(self) -> AlertCode:
        return _UP[self.new] if self.rising else _DOWN[self.old]


class DutyCycleMonitor:
    """Every sub-GHz device's duty-cycle state; ``update`` turns fresh fractions into steps."""

    def __init__(self, limits: DutyCycleLimits) -> None:
        self.limits = limits
        self.states: dict[Eui64, DutyCycleState] = {}

    def state(self, device: Eui64) -> DutyCycleState:
        return self.states.get(device, S.NORMAL)

    @property
    def worst(self) -> DutyCycleState:
        return max(self.states.values(), default=S.NORMAL)

    def update(self, fractions: Iterable[tuple[Eui64, float]]) -> list[Transition]:
        steps: list[Transition] = []
        for device, fraction in fractions:
            old = self.state(device)
            new = self.limits.state(fraction)
            while old != new:
                nxt = S(old + 1) if new > old else S(old - 1)
                steps.append(Transition(device, old, nxt, fraction))
                old = nxt
            self.states[device] = new
        return steps
