"""The emulated dongle: EZSP commands answered by a coordinator node on a virtual HAN.

What the firmware of an EmberZNet NCP keeps, this keeps: in RAM the EZSP configuration, values,
policies, endpoints, the transient key table and the permit-join window (all lost on reset,
which is why hosts write them again after every reset); in "tokens" (the ``StateStore``) the
network parameters, the initial security state, the key table and everything the node's stack
keeps (network key, children, frame counters), so a reset or a power cycle resumes the network
on ``networkInit``.

The node is an ``EmulatedStack`` coordinator and Trust Centre. Its admission decisions follow
the EZSP Trust Centre policy the host sets (``EzspTrustCentre``): a joiner is admitted while
joining is permitted, the policy allows joins and there is a transient key for its EUI-64 (or,
without ``JOINS_USE_INSTALL_CODE_KEY``, the wildcard key bellows installs). Joins, leaves and
refusals come back as ``trustCenterJoinHandler``; APS data as ``incomingMessageHandler``; each
send ends with ``messageSentHandler``.

Not emulated, and answered as the firmware answers a command it lacks (``invalidCommand``):
multicast sends, source routes, Green Power, ZLL, RF4CE, mfglib, and commands nothing we know of
sends. The CBKE commands answer as a dongle without Smart Energy certificates does
(``getCertificate`` -> ``LIBRARY_NOT_PRESENT``): see ``CBKE_LIBRARY``.
"""

from __future__ import annotations

from typing import Any

import bellows.types as t

from ...codec.zigbee import zdo
from .core import (
    MFG_BOARD_NAME,
    MFG_STRING,
    NO_NODE,
    STACK_TYPE,
    STACK_VERSIONS,
    _ezsp_eui,
)
from .network import NetworkCommands
from .security import SecurityCommands
from .sending import SendingCommands


class EzspNcp(NetworkCommands, SecurityCommands, SendingCommands):
    """The emulated NCP: start-up and configuration commands here, the rest in the mixins."""

    # -- start-up ----------------------------------------------------------------------------------
    async def _cmd_version(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if p["desiredProtocolVersion"] == self.schema.version:
            self.negotiated = True
        return {
            "protocolVersion": self.schema.version,
            "stackType": STACK_TYPE,
            "stackVersion": STACK_VERSIONS[self.schema.version],
        }

    async def _cmd_nop(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {}

    async def _cmd_customFrame(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.INVALID_CALL, "reply": b""}  # no XNCP extensions

    async def _cmd_getMfgToken(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        token = p["tokenId"]
        values = {
            t.EzspMfgTokenId.MFG_STRING: MFG_STRING,
            t.EzspMfgTokenId.MFG_BOARD_NAME: MFG_BOARD_NAME,
            t.EzspMfgTokenId.MFG_CUSTOM_EUI_64: b"\xff" * 8,
        }
        return {"tokenData": values.get(token, b"")}

    async def _cmd_getTokenData(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.NOT_FOUND}  # no NVM3 tokens exposed

    async def _cmd_getConfigurationValue(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        name = p["configId"].name
        if name not in self.config:
            return {"status": t.EzspStatus.ERROR_INVALID_ID, "value": 0}
        return {"status": t.EzspStatus.SUCCESS, "value": self.config[name]}

    async def _cmd_setConfigurationValue(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EzspStatus.ERROR_INVALID_CALL}  # config is fixed once running
        self.config[p["configId"].name] = int(p["value"])
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_getValue(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        value_id = p["valueId"]
        if value_id == t.EzspValueId.VALUE_VERSION_INFO:
            stack = STACK_VERSIONS[self.schema.version]
            build = 0
            digits = bytes(((stack >> 12) & 0xF, (stack >> 8) & 0xF, (stack >> 4) & 0xF, 0))
            return {"status": t.EzspStatus.SUCCESS, "value": build.to_bytes(2, "little") + digits}
        if value_id == t.EzspValueId.VALUE_FREE_BUFFERS:
            return {"status": t.EzspStatus.SUCCESS, "value": bytes((200,))}
        if int(value_id) in self.values:
            return {"status": t.EzspStatus.SUCCESS, "value": self.values[int(value_id)]}
        return {"status": t.EzspStatus.ERROR_INVALID_ID, "value": b""}

    async def _cmd_setValue(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.values[int(p["valueId"])] = bytes(p["value"])
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_setPolicy(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.policies[int(p["policyId"])] = int(p["decisionId"])
        if p["policyId"] == t.EzspPolicyId.TRUST_CENTER_POLICY:
            self.trust_centre.decision = t.EzspDecisionBitmask(int(p["decisionId"]))
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_addEndpoint(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if p["endpoint"] in self.endpoints:
            return {"status": t.EzspStatus.ERROR_INVALID_CALL}
        # bellows' schema reads both cluster lists into the first: split them by the counts.
        clusters = [int(c) for c in p["inputClusterList"]] + [
            int(c) for c in p["outputClusterList"]
        ]
        inputs = int(p["inputClusterCount"])
        self.endpoints[p["endpoint"]] = zdo.SimpleDescriptor(
            int(p["endpoint"]),
            int(p["profileId"]),
            int(p["deviceId"]),
            int(p["deviceVersion"]),
            tuple(clusters[:inputs]),
            tuple(clusters[inputs : inputs + int(p["outputClusterCount"])]),
        )
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_getEui64(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"eui64": _ezsp_eui(self.eui64)}

    async def _cmd_getNodeId(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"nodeId": self.own_short if self.network_up else NO_NODE}

    async def _cmd_setConcentrator(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.SUCCESS}  # one hop: no many-to-one routes to keep

    async def _cmd_setSourceRouteDiscoveryMode(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"remainingTime": 0}

    async def _cmd_setRadioPower(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if not -26 <= int(p["power"]) <= 20:
            return {"status": t.EmberStatus.PHY_INVALID_POWER}
        network = self._tokens().get("network")
        if network is not None:
            network["tx_power"] = int(p["power"])
            self._save_tokens(network=network)
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_setManufacturerCode(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {}

    async def _cmd_readCounters(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"values": [0] * len(t.EmberCounterType.__members__)}

    async def _cmd_readAndClearCounters(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"values": [0] * len(t.EmberCounterType.__members__)}

    async def _cmd_gpSinkTableClearAll(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {}

    async def _cmd_getMulticastTableEntry(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        index = int(p["index"])
        if index >= self.config["CONFIG_MULTICAST_TABLE_SIZE"]:
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE, "value": _empty_multicast()}
        entry = self.multicast.get(index, _empty_multicast())
        return {"status": t.EmberStatus.SUCCESS, "value": entry}

    async def _cmd_setMulticastTableEntry(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        index = int(p["index"])
        if index >= self.config["CONFIG_MULTICAST_TABLE_SIZE"]:
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE}
        self.multicast[index] = p["value"]
        return {"status": t.EmberStatus.SUCCESS}


def _empty_multicast() -> t.EmberMulticastTableEntry:
    return t.EmberMulticastTableEntry(multicastId=0, endpoint=0, networkIndex=0)
