"""EZSP network commands: form, resume, leave, scan, parameters, addresses and children."""

from __future__ import annotations

from typing import Any

import bellows.types as t

from ...codec.eui64 import Eui64
from ..stack.node import COORDINATOR_SHORT, JoinError, Role
from .core import LOG, UNKNOWN_NODE, NcpCore, _eui, _ezsp_eui


class NetworkCommands(NcpCore):
    """Forming, resuming and leaving the network; what the host asks about it."""

    # -- network -----------------------------------------------------------------------------------
    async def _cmd_networkState(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        state = (
            t.EmberNetworkStatus.JOINED_NETWORK
            if self.network_up
            else t.EmberNetworkStatus.NO_NETWORK
        )
        return {"status": state}

    async def _cmd_networkInit(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        if "network" not in self._tokens():
            return {"status": t.EmberStatus.NOT_JOINED}
        await self._start_node()
        after.append(("stackStatusHandler", {"status": t.EmberStatus.NETWORK_UP}))
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_formNetwork(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        security = self._tokens().get("security")
        if security is None or not security.get("network_key"):
            return {"status": t.EmberStatus.SECURITY_CONFIGURATION_INVALID}
        params: t.EmberNetworkParameters = p["parameters"]
        if not 11 <= int(params.radioChannel) <= 26:
            return {"status": t.EmberStatus.PHY_INVALID_CHANNEL}
        network = {
            "pan_id": int(params.panId),
            "extended_pan_id": _eui(t.EUI64(params.extendedPanId)).hex,
            "channel": int(params.radioChannel),
            "tx_power": int(params.radioTxPower),
            "nwk_update_id": int(params.nwkUpdateId),
        }
        # A new network: the node's old state goes, the host's network key comes in.
        self.store.save(
            "stack",
            {
                "nwk_key": security["network_key"],
                "key_seq": security["key_seq"],
                "short": COORDINATOR_SHORT,
                "pan_id": network["pan_id"],
            },
        )
        self._save_tokens(network=network)
        await self._start_node()
        after.append(("stackStatusHandler", {"status": t.EmberStatus.NETWORK_UP}))
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_joinNetwork(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        """Join an existing network as a router, with the preconfigured (install-code) link key
        of ``setInitialSecurityState``. The answer comes at once; the outcome later, as
        ``stackStatusHandler`` NETWORK_UP or JOIN_FAILED (as EmberZNet reports it)."""
        if self.network_up or self._joining:
            return {"status": t.EmberStatus.INVALID_CALL}
        if p["nodeType"] != t.EmberNodeType.ROUTER:
            # [U] JOIN_NODE_TYPES: end devices join through the device emulators, not a dongle.
            return {"status": t.EmberStatus.INVALID_PARAMETER}
        key = self._security().get("tc_link_key")
        if not key:
            return {"status": t.EmberStatus.SECURITY_CONFIGURATION_INVALID}
        params: t.EmberNetworkParameters = p["parameters"]
        if not 11 <= int(params.radioChannel) <= 26:
            return {"status": t.EmberStatus.PHY_INVALID_CHANNEL}
        network = {
            "role": Role.ROUTER.value,
            "pan_id": int(params.panId),
            "extended_pan_id": _eui(t.EUI64(params.extendedPanId)).hex,
            "channel": int(params.radioChannel),
            "tx_power": int(params.radioTxPower),
            "nwk_update_id": int(params.nwkUpdateId),
        }
        self.store.save("stack", {})  # a join starts from nothing but the preconfigured key
        self._save_tokens(network=network)
        self._joining = True
        self._spawn_node_task(self._join_as_router(network, bytes.fromhex(key)))
        return {"status": t.EmberStatus.SUCCESS}

    async def _join_as_router(self, network: dict[str, Any], key: bytes) -> None:
        node = self._make_node(network)
        await node.start()
        try:
            await node.join(key)
        except JoinError as exc:
            LOG.info("EZSP: joinNetwork failed: %s", exc)
            await node.stop()
            self._forget_network()
            self._joining = False
            self.callback("stackStatusHandler", status=t.EmberStatus.JOIN_FAILED)
            return
        self._save_tokens(network={**network, "pan_id": node.radio.pan_id})
        self._joining = False
        self._node_up(node)
        self.callback("stackStatusHandler", status=t.EmberStatus.NETWORK_UP)

    async def _cmd_leaveNetwork(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if not self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        await self._stop_node()
        self._forget_network()
        after.append(("stackStatusHandler", {"status": t.EmberStatus.NETWORK_DOWN}))
        return {"status": t.EmberStatus.SUCCESS}

    def _forget_network(self) -> None:
        doc = self._tokens()
        doc.pop("network", None)
        self.store.save("ncp", doc)
        self.store.save("stack", {})

    async def _cmd_removeDevice(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        """The Trust Centre asks a device to leave (a NWK Leave) and forgets it."""
        if self.node is None:
            return {"status": t.EmberStatus.NETWORK_DOWN}
        await self.node.remove_device(_eui(p["targetLong"]))
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_tokenFactoryReset(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        await self._stop_node()
        self.store.save("ncp", {})
        self.store.save("stack", {})
        return {}

    async def _cmd_getNetworkParameters(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        network = self._tokens().get("network")
        params = t.EmberNetworkParameters(
            extendedPanId=t.ExtendedPanId.deserialize(b"\x00" * 8)[0],
            panId=0,
            radioTxPower=0,
            radioChannel=0,
            joinMethod=t.EmberJoinMethod.USE_MAC_ASSOCIATION,
            nwkManagerId=0,
            nwkUpdateId=0,
            channels=t.Channels.NO_CHANNELS,
        )
        if network is None or not self.network_up:
            return {
                "status": t.EmberStatus.NOT_JOINED,
                "nodeType": t.EmberNodeType.UNKNOWN_DEVICE,
                "parameters": params,
            }
        params = params.replace(
            extendedPanId=t.ExtendedPanId.deserialize(Eui64(network["extended_pan_id"]).air())[0],
            panId=network["pan_id"],
            radioTxPower=network["tx_power"] & 0xFF,
            radioChannel=network["channel"],
            nwkUpdateId=network["nwk_update_id"],
            channels=t.Channels.from_channel_list([network["channel"]]),
        )
        kind = (
            t.EmberNodeType.COORDINATOR if self.role is Role.COORDINATOR else t.EmberNodeType.ROUTER
        )
        return {
            "status": t.EmberStatus.SUCCESS,
            "nodeType": kind,
            "parameters": params,
        }

    async def _cmd_startScan(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        channels = [c for c in range(11, 27) if p["channelMask"] & (1 << c)]
        if p["scanType"] == t.EzspNetworkScanType.ENERGY_SCAN:
            for channel in channels:
                # The virtual HAN has no interferers: a quiet floor everywhere.
                after.append(("energyScanResultHandler", {"channel": channel, "maxRssiValue": -95}))
        last = channels[-1] if channels else 0
        after.append(("scanCompleteHandler", {"channel": last, "status": t.EmberStatus.SUCCESS}))
        return {"status": t.EmberStatus.SUCCESS}

    # -- addresses and children --------------------------------------------------------------------
    async def _cmd_lookupNodeIdByEui64(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"nodeId": self._short_of(_eui(p["eui64"]))}

    async def _cmd_lookupEui64ByNodeId(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        who = self.node.addresses.get(int(p["nodeId"])) if self.node is not None else None
        if who is None:
            return {"status": t.EmberStatus.ERR_FATAL, "eui64": _ezsp_eui(Eui64(0))}
        return {"status": t.EmberStatus.SUCCESS, "eui64": _ezsp_eui(who)}

    async def _cmd_getAddressTableRemoteNodeId(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"nodeId": UNKNOWN_NODE}  # the address table is not used: every entry is free

    async def _cmd_getAddressTableRemoteEui64(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"eui64": _ezsp_eui(Eui64(0))}

    async def _cmd_getChildData(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        children = self.node.children() if self.node is not None else []
        index = int(p["index"])
        field = "child_data" if self.schema.version >= 10 else "childData"
        data_type = self.schema.commands["getChildData"][2][field]
        if index >= len(children):
            empty = data_type(
                eui64=_ezsp_eui(Eui64(0)),
                type=t.EmberNodeType.UNKNOWN_DEVICE,
                id=0,
                phy=0,
                power=0,
                timeout=0,
                **({"timeout_remaining": 0} if self.schema.version >= 10 else {}),
            )
            return {"status": t.EmberStatus.NOT_JOINED, field: empty}
        eui, short, rx_on = children[index]
        kind = t.EmberNodeType.END_DEVICE if rx_on else t.EmberNodeType.SLEEPY_END_DEVICE
        data = data_type(
            eui64=_ezsp_eui(eui),
            type=kind,
            id=short,
            phy=0,
            power=0,
            timeout=0,
            **({"timeout_remaining": 0} if self.schema.version >= 10 else {}),
        )
        return {"status": t.EmberStatus.SUCCESS, field: data}

    async def _cmd_setExtendedTimeout(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        who = _eui(p["remoteEui64"])
        if p["extendedTimeout"]:
            self.extended_timeouts.add(who)
        else:
            self.extended_timeouts.discard(who)
        return {}

    async def _cmd_getExtendedTimeout(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"extendedTimeout": t.Bool(_eui(p["remoteEui64"]) in self.extended_timeouts)}
