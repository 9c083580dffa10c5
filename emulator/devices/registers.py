"""A meter's Prepayment and Metering registers, as the ZCL servers (and the GSME mirror) show them.

Credit in pence (SE currency units); the delivered-energy summation with its unit, multiplier
and divisor (ZSE Metering 0x0300-0x0302): an ESME counts Wh as kWh / 1000, a GSME litres as
m3 / 1000 (``GAS``). Kept in a meter's state store so a power cycle keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codec.zcl.metering import MeteringUnitOfMeasure

PREPAYMENT, METERING = 0x0705, 0x0702


@dataclass(frozen=True)
class Registers:
    credit_remaining: int = 2_000
    emergency_credit_remaining: int = 500
    credit_status: int = 0x01  # credit OK
    accumulated_debt: int = 0
    current_summation_delivered: int = 0
    unit_of_measure: int = MeteringUnitOfMeasure.KWH
    multiplier: int = 1
    divisor: int = 1000

    def attributes(self, cluster: int) -> dict[int, int]:
        """The attribute ids and values of ``cluster`` (Prepayment, else Metering)."""
        if cluster == PREPAYMENT:
            return {
                0x0001: self.credit_remaining,
                0x0002: self.emergency_credit_remaining,
                0x0003: self.credit_status,
                0x0005: self.accumulated_debt,
            }
        return {
            0x0000: self.current_summation_delivered,
            0x0300: self.unit_of_measure,
            0x0301: self.multiplier,
            0x0302: self.divisor,
        }


GAS = Registers(unit_of_measure=MeteringUnitOfMeasure.M3)
"""A GSME's registers as it leaves the factory."""
