"""Trust Centre admission policy for Smart Energy joins (ZSE 1.4 §5.4.1, §5.4.8).

An SE Trust Centre admits only devices it was told about: each with its install-code link key
and a join window (GBCS: the CHF's Device Log entry and JoinTimePeriod). There is no default
global link key and no unsecured rejoin.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...codec.eui64 import Eui64


@dataclass(frozen=True, slots=True)
class Admission:
    link_key: bytes
    until: float  # modelled time the join window closes


class TrustCenterPolicy:
    def __init__(self) -> None:
        self._admissions: dict[Eui64, Admission] = {}

    def permit(self, eui64: Eui64, link_key: bytes, until: float) -> None:
        self._admissions[eui64] = Admission(link_key, until)

    def revoke(self, eui64: Eui64) -> None:
        self._admissions.pop(eui64, None)

    def admission(self, eui64: Eui64, now: float) -> Admission | None:
        entry = self._admissions.get(eui64)
        return entry if entry is not None and now <= entry.until else None

    def preconfigured_keys(self) -> list[tuple[Eui64, bytes]]:
        return [(e, a.link_key) for e, a in self._admissions.items()]

    def window_open(self, now: float) -> bool:
        return any(now <= a.until for a in self._admissions.values())

    def to_json(self) -> dict[str, dict[str, object]]:
        return {
            e.hex: {"key": a.link_key.hex(), "until": a.until} for e, a in self._admissions.items()
        }

    @classmethod
    def from_json(cls, doc: dict[str, dict[str, object]]) -> TrustCenterPolicy:
        policy = cls()
        for eui, entry in doc.items():
            policy.permit(Eui64(eui), bytes.fromhex(str(entry["key"])), float(str(entry["until"])))
        return policy
