"""A prepayment meter's top-up check: which UTRNs it accepts, once each, and how much credit.

Shared by the meters that serve the Prepayment cluster (the ESME; the GPF for the GSME): the
Consumer Top Up's code must be a UTRN (``emulator.codec.utrn``) made for this meter with its key,
not used before, and within the limits; the result is the ZSE ``ResultType`` the Consumer Top Up
Response carries. Used sequence numbers are non-volatile, so a power cycle does not reopen them.

[U] GB sets the limits through the Supplier's prepayment configuration (ECS08 and friends); until
those use cases exist ``TopUpLimits`` holds them as a profile with test defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codec import utrn
from ..codec.eui64 import Eui64
from ..codec.zcl.prepayment import ResultType
from ..han.stack.state import StateStore


@dataclass(frozen=True)
class TopUpLimits:
    """In pence."""

    max_credit_per_top_up: int = 100_000
    max_credit: int = 1_000_000


DEFAULT_LIMITS = TopUpLimits()


@dataclass(frozen=True)
class TopUpOutcome:
    result: ResultType
    value: int
    """Pence added (0 when refused)."""


class TopUpLedger:
    """The UTRNs ``meter`` has accepted, persisted in ``store`` under ``key``."""

    def __init__(
        self,
        store: StateStore,
        meter: Eui64,
        utrn_key: bytes,
        limits: TopUpLimits = DEFAULT_LIMITS,
        key: str = "top-up/used-sequences",
    ) -> None:
        self._store, self._key = store, key
        self.meter, self.utrn_key, self.limits = meter, utrn_key, limits
        self.used: set[int] = set(store.load(key) or [])

    def apply(self, code: bytes, credit: int) -> TopUpOutcome:
        """Check top-up ``code`` against a balance of ``credit``; records it when accepted (the
        caller adds ``value`` to the credit)."""
        try:
            token = utrn.decode(code)
        except utrn.UtrnDecodeError:
            return TopUpOutcome(ResultType.REJECTED_INVALID_TOP_UP, 0)
        if not utrn.authentic(self.utrn_key, self.meter, token):
            return TopUpOutcome(ResultType.REJECTED_INVALID_TOP_UP, 0)
        if token.sequence in self.used:
            return TopUpOutcome(ResultType.REJECTED_DUPLICATE_TOP_UP, 0)
        if token.value > self.limits.max_credit_per_top_up:
            return TopUpOutcome(ResultType.REJECTED_TOP_UP_VALUE_TOO_LARGE, 0)
        if credit + token.value > self.limits.max_credit:
            return TopUpOutcome(ResultType.REJECTED_MAX_CREDIT_REACHED, 0)
        self.used.add(token.sequence)
        self._store.save(self._key, sorted(self.used))
        return TopUpOutcome(ResultType.ACCEPTED, token.value)
