"""bellows' ``ControllerApplication`` made fit for a Smart Energy Trust Centre.

Three things bellows and zigpy do that an SE hub must not, or cannot live with (DOMAIN.md §9):

- zigpy's device layer drops incoming ZCL on the Smart Energy profile: ``packet_received`` hands
  every packet to the ``NcpStack`` first (zigpy still sees it, for its ZDO and interviews);
- bellows' ``permit`` starts ``pre_permit``, which installs the wildcard ``ZigBeeAlliance09``
  transient key and allows unsecured rejoins: ``permit`` here opens joining on the dongle only,
  under the SE Trust Centre policy (install-code keys only, no unsecured rejoins);
- zigpy registers Home Automation endpoints: ``register_endpoints`` registers ours (``ENDPOINTS``).

Joins, leaves, refusals and a lost link are passed on to the listener (the ``NcpStack``).
"""

from __future__ import annotations

from typing import Any, Protocol

import bellows.types as bt
import zigpy.types as zt
from bellows.zigbee.application import ControllerApplication
from zigpy.zdo import types as zdo_t

from ...codec.zigbee.aps import PROFILE_SMART_ENERGY

SE_TC_POLICY = bt.EzspDecisionBitmask.JOINS_USE_INSTALL_CODE_KEY
"""The Trust Centre policy outside a join window: no joins, install-code keys only, no
unsecured rejoins (ZSE 5.4.1: an SE network admits only devices with a preconfigured key)."""
SE_TC_POLICY_JOINING = SE_TC_POLICY | bt.EzspDecisionBitmask.ALLOW_JOINS

ENERGY_SERVICE_INTERFACE = 0x0500  # ZSE device id of a Comms Hub's ESI
ENDPOINTS = (
    zdo_t.SimpleDescriptor(
        endpoint=1,
        profile=PROFILE_SMART_ENERGY,
        device_type=ENERGY_SERVICE_INTERFACE,
        device_version=0,
        # Basic, Identify, Time, Key Establishment, Price, Messaging, Tunneling, Prepayment,
        # Metering, Calendar, Device Management, Events; OTA Upgrade server.
        input_clusters=[
            0x0000, 0x0003, 0x000A, 0x0800, 0x0700, 0x0703, 0x0704, 0x0705, 0x0702, 0x0707,
            0x0708, 0x0709, 0x0019,
        ],
        output_clusters=[0x0000, 0x000A, 0x0800, 0x0704, 0x0702, 0x0705],
    ),
)  # fmt: skip
"""The hub's endpoints on the dongle [U]: one SE endpoint with the clusters GB devices talk to
it on; endpoint numbers other than 1 are a device profile's business, not the hub's."""


class ApplicationListener(Protocol):
    def on_packet(self, packet: zt.ZigbeePacket) -> None: ...

    def on_join(self, nwk: int, ieee: zt.EUI64, parent: int) -> None: ...

    def on_leave(self, nwk: int, ieee: zt.EUI64) -> None: ...

    def on_refused(self, ieee: zt.EUI64) -> None: ...

    def on_connection_lost(self, exc: Exception | None) -> None: ...


class SeControllerApplication(ControllerApplication):  # type: ignore[misc]
    """bellows' application with Smart Energy Trust Centre behaviour; ``listener`` hears all."""

    listener: ApplicationListener | None = None

    async def register_endpoints(self) -> None:
        for descriptor in ENDPOINTS:
            await self.add_endpoint(descriptor)

    async def permit(self, time_s: int = 60, node: Any = None) -> None:
        """Open (or close, with 0) joining on the dongle itself, without bellows' wildcard key
        and unsecured rejoins. Devices are admitted one by one with ``permit_with_link_key``."""
        await self._ezsp.setPolicy(
            policyId=bt.EzspPolicyId.TRUST_CENTER_POLICY,
            decisionId=SE_TC_POLICY_JOINING if time_s else SE_TC_POLICY,
        )
        await self.permit_ncp(time_s)

    async def permit_with_link_key(self, node: Any, link_key: Any, time_s: int = 60) -> None:
        """bellows' transient key, then our permit (zigpy's would broadcast to every router)."""
        status = await self._ezsp.add_transient_link_key(node, link_key)
        if bt.sl_Status.from_ember_status(status) != bt.sl_Status.OK:
            raise RuntimeError(f"the dongle refused the transient key: {status!r}")
        await self.permit(time_s)

    async def start_network(self) -> None:
        await super().start_network()
        self._ezsp.tc_policy = SE_TC_POLICY  # what bellows restores after a permit
        await self._ezsp.setPolicy(
            policyId=bt.EzspPolicyId.TRUST_CENTER_POLICY, decisionId=SE_TC_POLICY
        )

    def packet_received(self, packet: zt.ZigbeePacket) -> None:
        if self.listener is not None:
            self.listener.on_packet(packet)
        super().packet_received(packet)

    def handle_join(self, nwk: Any, ieee: Any, parent_nwk: Any, *args: Any, **kw: Any) -> None:
        if self.listener is not None:
            self.listener.on_join(int(nwk), ieee, int(parent_nwk))
        super().handle_join(nwk, ieee, parent_nwk, *args, **kw)

    def handle_leave(self, nwk: Any, ieee: Any) -> None:
        if self.listener is not None:
            self.listener.on_leave(int(nwk), ieee)
        super().handle_leave(nwk, ieee)

    def ezsp_callback_handler(self, frame_name: str, args: list[Any]) -> None:
        if frame_name == "trustCenterJoinHandler" and self.listener is not None:
            decision = next((a for a in args if isinstance(a, bt.EmberJoinDecision)), None)
            ieee = next((a for a in args if isinstance(a, zt.EUI64)), None)
            if decision == bt.EmberJoinDecision.DENY_JOIN and ieee is not None:
                self.listener.on_refused(ieee)
        super().ezsp_callback_handler(frame_name, args)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.listener is not None:
            self.listener.on_connection_lost(exc)
