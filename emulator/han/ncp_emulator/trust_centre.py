"""The Trust Centre policy of an emulated EmberZNet NCP: transient keys and the permit window,
as the host configured them (RAM only: a reset forgets them)."""

from __future__ import annotations

import bellows.types as t

from ...codec.eui64 import Eui64
from ..clock import Clock
from ..stack.trust_center import Admission, TrustCenterPolicy

WILDCARD = Eui64("FF-FF-FF-FF-FF-FF-FF-FF")
PERMIT_FOREVER = 0xFF  # permitJoining(255): open until closed (EmberZNet)
TRANSIENT_KEY_TIMEOUT_S = 300  # EZSP CONFIG_TRANSIENT_KEY_TIMEOUT_S default


class EzspTrustCentre(TrustCenterPolicy):
    """The node's admission policy as EmberZNet decides it, from what the host configured.

    Nothing here is saved: transient keys and the permit window live in the NCP's RAM.
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.decision = t.EzspDecisionBitmask.DEFAULT_CONFIGURATION
        self.permit_until = -1.0
        self.transient: dict[Eui64, tuple[bytes, float]] = {}  # key, expiry (clock time)
        self.key_timeout = float(TRANSIENT_KEY_TIMEOUT_S)

    def add_transient_key(self, eui64: Eui64, key: bytes) -> None:
        self.transient[eui64] = (key, self.clock.now() + self.key_timeout)

    def permit_joining(self, seconds: int) -> None:
        now = self.clock.now()
        self.permit_until = float("inf") if seconds == PERMIT_FOREVER else now + seconds

    def _key_for(self, eui64: Eui64, now: float) -> bytes | None:
        candidates = [eui64]
        if not self.decision & t.EzspDecisionBitmask.JOINS_USE_INSTALL_CODE_KEY:
            candidates.append(WILDCARD)
        for who in candidates:
            entry = self.transient.get(who)
            if entry is not None and now <= entry[1]:
                return entry[0]
        return None

    def admission(self, eui64: Eui64, now: float) -> Admission | None:
        if not self.window_open(now) or not self.decision & t.EzspDecisionBitmask.ALLOW_JOINS:
            return None
        key = self._key_for(eui64, now)
        return None if key is None else Admission(key, self.permit_until)

    def window_open(self, now: float) -> bool:
        return now <= self.permit_until

    def revoke(self, eui64: Eui64) -> None:
        self.transient.pop(eui64, None)

    def preconfigured_keys(self) -> list[tuple[Eui64, bytes]]:
        return [(e, k) for e, (k, _) in self.transient.items()]

    def to_json(self) -> dict[str, dict[str, object]]:
        return {}  # RAM only
