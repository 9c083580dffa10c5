"""Which cluster class defines each cluster id the rig speaks.

The GB Smart Energy clusters are this package's own definitions (zigpy leaves them empty, DOMAIN.md
§9); Basic, Identify, Time, OTA Upgrade and Metering are zigpy's, used as they are. The mapping is
explicit and read-only: our classes set ``_skip_registry``, so importing this package changes
nothing in zigpy's global cluster registry (zigpy's own empty classes stay what zigpy resolves).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from zigpy.zcl import Cluster
from zigpy.zcl.clusters.general import Basic, Identify, Ota, Time
from zigpy.zcl.clusters.smartenergy import Metering

from .calendar import Calendar
from .device_management import DeviceManagement
from .events import Events
from .key_establishment import KeyEstablishment
from .messaging import Messaging
from .prepayment import Prepayment
from .price import Price
from .sub_ghz import SubGhz
from .tunneling import Tunneling

__all__ = ["CLUSTERS", "GB_CLUSTERS", "ZIGPY_CLUSTERS"]

GB_CLUSTERS: tuple[type[Cluster], ...] = (
    Price,
    Messaging,
    Tunneling,
    Prepayment,
    Calendar,
    DeviceManagement,
    Events,
    SubGhz,
    KeyEstablishment,
)
"""The Smart Energy clusters defined here."""

ZIGPY_CLUSTERS: tuple[type[Cluster], ...] = (Basic, Identify, Time, Ota, Metering)
"""zigpy's own definitions, complete enough for GB use."""

CLUSTERS: Mapping[int, type[Cluster]] = MappingProxyType(
    {int(c.cluster_id): c for c in (*ZIGPY_CLUSTERS, *GB_CLUSTERS)}
)
"""Cluster id -> cluster class, for every cluster the rig encodes and decodes."""
