"""The Set Clock payloads of SRV 8.1.1 Commission Device: ECS70 (ESME, DLMS), GCS28 (GSME, ASN.1).

Both carry the validity interval DUIS ``CommissionDeviceSynchroniseClock`` gives: from
``CurrentDateTime`` to ``CurrentDateTime + TolerancePeriod`` (the duis-templates requests and the
RTDS 4.5.0 commands agree: 23:59:10 + 60 s for ECS70, 23:30:00 + 3600 s for GCS28).

ECS70 is a DLMS ACCESS on the clock object (class 8, 0-0:1.0.0.255), laid out as the RTDS command
is: SET attribute 9 (``clock_base``) to ``CLOCK_BASE``, ACTION method 5 (``preset_adjusting_time``:
preset time "not specified", validity start, validity end), ACTION method 4
(``adjust_to_preset_time``, integer 0), GET attribute 2 (``time``) and 4 (``status``).
"""

from __future__ import annotations

import datetime
import enum

from .asn1 import encode_asn1
from .dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    CosemDescriptor,
    Data,
    DataType,
    date_time,
    invoke_id_for,
)

CLOCK_CLASS = 8
CLOCK = bytes.fromhex("0000010000FF")
"""OBIS 0-0:1.0.0.255: the meter's clock."""


class ClockAttribute(enum.IntEnum):
    """Blue Book class 8 attributes ECS70 touches."""

    TIME = 2
    STATUS = 4
    CLOCK_BASE = 9


class ClockMethod(enum.IntEnum):
    """Blue Book class 8 methods ECS70 calls."""

    ADJUST_TO_PRESET_TIME = 4
    PRESET_ADJUSTING_TIME = 5


CLOCK_BASE = 5
"""[U] The ``clock_base`` enum ECS70 sets: 5, as the RTDS command carries it (Blue Book reads 5 as
"radio controlled"; GBCS's reason for it is not in our sources)."""
NOT_SPECIFIED_DATE_TIME = bytes.fromhex("FFFFFFFFFFFFFFFFFF8000FF")
"""The preset time of ECS70: every field "not specified", as in the RTDS command."""


def _clock(kind: AccessRequestKind, member: int) -> AccessRequestSpecification:
    return AccessRequestSpecification(kind, CosemDescriptor(CLOCK_CLASS, CLOCK, member))


def _naive_utc(at: datetime.datetime) -> datetime.datetime:
    if at.tzinfo is not None:
        at = at.astimezone(datetime.UTC).replace(tzinfo=None)
    return at


def ecs70_payload(
    counter: int, validity_start: datetime.datetime, validity_end: datetime.datetime
) -> AccessRequest:
    """ECS70 Set Clock on ESME; the invoke-id follows the originator ``counter``."""
    start, end = _naive_utc(validity_start), _naive_utc(validity_end)
    return AccessRequest(
        invoke_id_for(counter),
        (
            _clock(AccessRequestKind.SET, ClockAttribute.CLOCK_BASE),
            _clock(AccessRequestKind.ACTION, ClockMethod.PRESET_ADJUSTING_TIME),
            _clock(AccessRequestKind.ACTION, ClockMethod.ADJUST_TO_PRESET_TIME),
            _clock(AccessRequestKind.GET, ClockAttribute.TIME),
            _clock(AccessRequestKind.GET, ClockAttribute.STATUS),
        ),
        (
            Data(DataType.ENUM, CLOCK_BASE),
            Data.structure(
                Data.octet_string(NOT_SPECIFIED_DATE_TIME),
                Data.octet_string(date_time(start)),
                Data.octet_string(date_time(end)),
            ),
            Data(DataType.INTEGER, 0),
            Data.null(),
            Data.null(),
        ),
    )


def gcs28_payload(validity_start: datetime.datetime, validity_end: datetime.datetime) -> bytes:
    """GCS28 Set Clock on GSME: ``SetTimeCommand`` {validity start, validity end} (DER)."""
    return encode_asn1(
        "SetTimeCommand",
        {
            "validityIntervalStart": _naive_utc(validity_start),
            "validityIntervalEnd": _naive_utc(validity_end),
        },
    )
