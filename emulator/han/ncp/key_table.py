"""What both of our dongle stacks (the hub's ``NcpStack``, a router's ``NcpRouterStack``) do
alike over EZSP: EUI-64s in zigpy's byte order, and APS link keys in the dongle's key table.

One copy, so the coordinator and the router install, find and erase keys the same way (EZSP
v12 replaced ``addOrUpdateKeyTableEntry`` with ``importLinkKey`` and an index the host picks).
"""

from __future__ import annotations

import bellows.types as bt
import zigpy.types as zt
from bellows.ezsp import EZSP

from ...codec.eui64 import Eui64
from ..port import DeliveryError

NO_KEY_INDEX = 0xFF
IMPORT_LINK_KEY_SINCE = 12  # EZSP v12 replaced addOrUpdateKeyTableEntry with importLinkKey


def zigpy_eui(eui64: Eui64) -> zt.EUI64:
    return zt.EUI64.deserialize(eui64.air())[0]


def our_eui(ieee: zt.EUI64) -> Eui64:
    return Eui64.from_air(bytes(ieee.serialize()))


async def install_link_key(ezsp: EZSP, partner: Eui64, key: bytes) -> None:
    """``key`` for ``partner`` into the key table (the APS link key the dongle uses with it from
    now on); DeliveryError if the dongle refuses it or its table is full."""
    ieee = zigpy_eui(partner)
    if ezsp.ezsp_version >= IMPORT_LINK_KEY_SINCE:
        (index,) = await ezsp.findKeyTableEntry(address=ieee, linkKey=True)
        if int(index) == NO_KEY_INDEX:
            index = await _free_index(ezsp)
        (status,) = await ezsp.importLinkKey(index=index, address=ieee, key=zt.KeyData(key))
        ok = bt.sl_Status.from_ember_status(status) == bt.sl_Status.OK
    else:
        (status,) = await ezsp.addOrUpdateKeyTableEntry(
            address=ieee, linkKey=True, keyData=zt.KeyData(key)
        )
        ok = status == bt.EmberStatus.SUCCESS
    if not ok:
        raise DeliveryError(f"the dongle refused a link key for {partner}: {status!r}")


async def erase_link_key(ezsp: EZSP, partner: Eui64) -> None:
    (index,) = await ezsp.findKeyTableEntry(address=zigpy_eui(partner), linkKey=True)
    if int(index) != NO_KEY_INDEX:
        await ezsp.eraseKeyTableEntry(index=index)


async def _free_index(ezsp: EZSP) -> int:
    _, size = await ezsp.getConfigurationValue(configId=bt.EzspConfigId.CONFIG_KEY_TABLE_SIZE)
    for index in range(int(size)):
        result = await ezsp.exportLinkKeyByIndex(index=index)
        if bt.sl_Status.from_ember_status(result[-1]) != bt.sl_Status.OK:
            return index
    raise DeliveryError("the dongle's key table is full")
