"""CCS06 "Read CHF device log and check HAN communications": the CHF's ``active_devices`` answer.

One 14-field structure per device on the CHF Device Log, laid out as the RTDS 4.5.0 CCS06
response carries them: {EUI-64, status (bit-string of 8), RSSI max / mean / min (integer, dBm),
LQI max / mean / min (unsigned), last communication (date-time), hops, failed deliveries,
delivery success (%), application version, stack version}. The field meanings are [U]: the RTDS
response shows the layout and values, not their names; ours come from the codec's reading
(``ACTIVE_DEVICES``) and from what the hub's stack knows of each link (``HanPort.link_status``).

Named choices, each [U]:
- ``STATUS_*``: bit 7 "on the HAN", bit 6 "its TC link key is no longer the install-code key",
  bit 3 "heard from"; a healthy device reads 0xC8, as both RTDS devices do.
- ``VIRTUAL_RSSI_DBM``: the virtual medium has no signal levels; every heard frame reads this.
- ``HOPS``: the HAN is one hop (every device is the hub's child).
- Success is the percentage of APS deliveries acknowledged, 100 when none was tried (as the RTDS
  response reads for devices with no failures).
- ``APPLICATION_VERSION`` / ``STACK_VERSION``: the hub does not learn them; 1 and 1 as the RTDS.
"""

from __future__ import annotations

import datetime

from ..codec.gbcs.clock import NOT_SPECIFIED_DATE_TIME
from ..codec.gbcs.dlms import BitString, Data, DataType, date_time
from ..han.port import HanPort, LinkStatus
from .chf_device_log import ChfDeviceLog

STATUS_ON_HAN = 0x80
STATUS_KEY_ESTABLISHED = 0x40
STATUS_HEARD_FROM = 0x08
VIRTUAL_RSSI_DBM = -50
NO_SIGNAL_DBM = -128  # what an unheard device's RSSI fields read
HOPS = 1
APPLICATION_VERSION = STACK_VERSION = 1


def active_devices(log: ChfDeviceLog, han: HanPort, epoch: datetime.datetime) -> Data:
    """The array the CHF answers CCS06's GET of ``active_devices`` with; ``epoch`` is the
    calendar time of modelled second 0 (the hub's ``Clock.epoch``)."""
    rows = []
    for entry in log:
        link = han.link_status(entry.eui64)
        key = han.link_key(entry.eui64)
        status = STATUS_ON_HAN if link is not None else 0
        if key is not None and key != entry.preconfigured_key:
            status |= STATUS_KEY_ESTABLISHED
        if link is not None and link.heard:
            status |= STATUS_HEARD_FROM
        rows.append(Data.structure(*_fields(entry.eui64.big(), status, link, epoch)))
    return Data.array(*rows)


def _fields(
    eui: bytes, status: int, link: LinkStatus | None, epoch: datetime.datetime
) -> list[Data]:
    heard = link is not None and link.heard > 0
    rssi = VIRTUAL_RSSI_DBM if heard else NO_SIGNAL_DBM
    lqi = link.lqi if link is not None and link.lqi is not None else (0, 0, 0)
    last = NOT_SPECIFIED_DATE_TIME
    if link is not None and link.last_heard is not None:
        last = date_time(epoch + datetime.timedelta(seconds=link.last_heard))
    tried = 0 if link is None else link.delivered + link.failed
    success = 100 if link is None or tried == 0 else round(100 * link.delivered / tried)
    return [
        Data.octet_string(eui),
        Data(DataType.BIT_STRING, BitString(8, bytes([status]))),
        *(Data(DataType.INTEGER, rssi) for _ in range(3)),
        *(Data(DataType.UNSIGNED, q) for q in lqi),
        Data.octet_string(last),
        Data(DataType.UNSIGNED, HOPS),
        Data(DataType.UNSIGNED, min(0 if link is None else link.failed, 0xFF)),
        Data(DataType.UNSIGNED, success),
        Data(DataType.UNSIGNED, APPLICATION_VERSION),
        Data(DataType.UNSIGNED, STACK_VERSION),
    ]
