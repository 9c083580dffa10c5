"""Ask a dongle who it is without changing anything: EZSP version, EUI-64, stack state.

What ``hil-rig bench check`` shows for every dongle of a bench. The probe connects through
bellows (reset, version negotiation, configuration: what any host does on connect), reads, and
disconnects; it never forms, joins or leaves a network.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import bellows.types as bt

from ...codec.eui64 import Eui64
from .application import SeControllerApplication
from .errors import DongleUnavailable
from .settings import RadioSettings

PROBE_TIMEOUT = 15.0  # seconds: bellows' own reset and version exchange take a few


@dataclass(frozen=True)
class DongleInfo:
    port: str
    ezsp_version: int
    stack_version: str
    eui64: Eui64
    network_state: str
    """EmberNetworkStatus name: NO_NETWORK, JOINED_NETWORK, ..."""
    channel: int | None = None
    pan_id: int | None = None
    node_type: str | None = None


async def probe_dongle(settings: RadioSettings) -> DongleInfo:
    """``DongleUnavailable`` (with the likely cause) when the port is missing, busy or silent."""
    app = SeControllerApplication(settings.bellows_config())
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await app.connect()
            ezsp = app._ezsp
            (eui,) = await ezsp.getEui64()
            (state,) = await ezsp.networkState()
            channel = pan = kind = None
            if state == bt.EmberNetworkStatus.JOINED_NETWORK:
                status, node_type, params = await ezsp.getNetworkParameters()
                if status == bt.EmberStatus.SUCCESS:
                    channel, pan = int(params.radioChannel), int(params.panId)
                    kind = node_type.name
            stack = ""
            with contextlib.suppress(Exception):
                stack = await _stack_version(ezsp)
            return DongleInfo(
                settings.port,
                int(ezsp.ezsp_version),
                stack,
                Eui64.from_air(bytes(eui.serialize())),
                bt.EmberNetworkStatus(state).name,
                channel,
                pan,
                kind,
            )
    except Exception as exc:
        raise DongleUnavailable.explain(settings.port, exc) from exc
    finally:
        with contextlib.suppress(Exception):
            await app.disconnect()


async def _stack_version(ezsp: Any) -> str:
    status, value = await ezsp.getValue(valueId=bt.EzspValueId.VALUE_VERSION_INFO)
    if status != bt.EzspStatus.SUCCESS or len(value) < 5:
        return ""
    data = bytes(value)
    build = int.from_bytes(data[0:2], "little")
    return f"{data[2]}.{data[3]}.{data[4]} build {build}"
