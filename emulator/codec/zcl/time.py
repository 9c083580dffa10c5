"""Time cluster (0x000A) values: zigpy defines the cluster; GB needs the epoch and the status.

ZCL UTCTime counts seconds from 2000-01-01 00:00 UTC (ZCL r6 §2.6.2, type 0xE2). A hub keeping the
HAN's time answers TimeStatus Master and Synchronized (ZCL r6 §3.12.2.2.2, bits 0 and 1).
"""

from __future__ import annotations

import datetime
from typing import Final

__all__ = ["TIME", "TIME_STATUS_MASTER_SYNCHRONISED", "ZIGBEE_EPOCH", "from_utc_time", "utc_time"]

TIME: Final = 0x000A
ZIGBEE_EPOCH: Final = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
TIME_STATUS_MASTER_SYNCHRONISED: Final = 0x03


def utc_time(moment: datetime.datetime) -> int:
    """``moment`` (aware) as ZCL UTCTime."""
    return int((moment - ZIGBEE_EPOCH).total_seconds())


def from_utc_time(seconds: int) -> datetime.datetime:
    return ZIGBEE_EPOCH + datetime.timedelta(seconds=seconds)
