"""Spec enumerations and per-suite constants for ZSE Certificate-Based Key Establishment.

ZigBee Smart Energy 1.x (07-5356) Annex C: crypto suite 1 is ECMQV/ECQV on sect163k1 with
48-byte implicit certificates (C.4.2.2.4), crypto suite 2 the same on sect283k1 with 74-byte
certificates (C.4.2.3.3). The Key Establishment cluster (0x0800, C.3) names suites with its
KeyEstablishmentSuite bitmap and ends a failed exchange with a Terminate status.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .curves import SECT163K1, SECT283K1, Curve


class KeyEstablishmentSuite(enum.IntEnum):
    """The KeyEstablishmentSuite bitmap values of the Key Establishment cluster (C.3.1.1.1)."""

    CRYPTO_SUITE_1 = 0x0001
    CRYPTO_SUITE_2 = 0x0002


class KeyEstablishmentStatus(enum.IntEnum):
    """Status of the Terminate Key Establishment command (C.3.1.2.3.4, C.3.1.3.4).

    Values as in the SE specification's table (cross-checked with the zsmartsystems and ZigBeeNet
    cluster code generated from the ZCL XML): 1-5 since SE 1.0; INVALID_CERTIFICATE was added by a
    later SE revision.
    """

    UNKNOWN_ISSUER = 0x01
    BAD_KEY_CONFIRM = 0x02
    BAD_MESSAGE = 0x03
    NO_RESOURCES = 0x04
    UNSUPPORTED_SUITE = 0x05
    INVALID_CERTIFICATE = 0x06


@dataclass(frozen=True, slots=True)
class SuiteParams:
    """What differs between the suites: the curve and the certificate size."""

    suite: KeyEstablishmentSuite
    curve: Curve
    certificate_length: int

    @property
    def point_length(self) -> int:
        """A compressed point: 02/03 || x (22 bytes on sect163k1, 37 on sect283k1)."""
        return self.curve.point_length


SUITE_1 = SuiteParams(
    suite=KeyEstablishmentSuite.CRYPTO_SUITE_1,
    curve=SECT163K1,
    certificate_length=48,
)
SUITE_2 = SuiteParams(
    suite=KeyEstablishmentSuite.CRYPTO_SUITE_2,
    curve=SECT283K1,
    certificate_length=74,
)

SUITES: dict[KeyEstablishmentSuite, SuiteParams] = {
    KeyEstablishmentSuite.CRYPTO_SUITE_1: SUITE_1,
    KeyEstablishmentSuite.CRYPTO_SUITE_2: SUITE_2,
}


def suite_params(suite: int) -> SuiteParams:
    """The constants of ``suite``; ``KeyError`` for a suite this code does not implement."""
    try:
        return SUITES[KeyEstablishmentSuite(suite)]
    except ValueError:
        raise KeyError(suite) from None
