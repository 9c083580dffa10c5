"""EZSP sending: unicasts and broadcasts onto the HAN (each ends with ``messageSentHandler``),
and the host's messages to its own node, answered by the stack's ZDO."""

from __future__ import annotations

from typing import Any

import bellows.types as t

from ...codec.errors import DecodeError
from ...codec.zigbee import aps, zdo
from ..port import DeliveryError
from ..stack.node import Role
from .core import LOG, MANUFACTURER_CODE, NcpCore


class SendingCommands(NcpCore):
    """APS data onto the HAN, and the host's own ZDO answered locally."""

    # -- sending ---------------------------------------------------------------------------------
    async def _cmd_sendUnicast(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.node is None:
            return {"status": t.EmberStatus.NETWORK_DOWN, "sequence": 0}
        if p["type"] != t.EmberOutgoingMessageType.OUTGOING_DIRECT:
            return {"status": t.EmberStatus.INVALID_CALL, "sequence": 0}  # no address table
        sequence = self._next_sequence()
        self._spawn_node_task(
            self._deliver(
                int(p["indexOrDestination"]),
                p["apsFrame"],
                int(p["messageTag"]),
                bytes(p["messageContents"]),
                p["type"],
            )
        )
        return {"status": t.EmberStatus.SUCCESS, "sequence": sequence}

    async def _cmd_sendBroadcast(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.node is None:
            return {"status": t.EmberStatus.NETWORK_DOWN, "sequence": 0}
        sequence = self._next_sequence()
        self._spawn_node_task(
            self._deliver(
                int(p["destination"]),
                p["apsFrame"],
                int(p["messageTag"]),
                bytes(p["messageContents"]),
                t.EmberOutgoingMessageType.OUTGOING_BROADCAST,
            )
        )
        return {"status": t.EmberStatus.SUCCESS, "sequence": sequence}

    async def _deliver(
        self,
        destination: int,
        frame: t.EmberApsFrame,
        tag: int,
        payload: bytes,
        kind: t.EmberOutgoingMessageType,
    ) -> None:
        status = t.EmberStatus.SUCCESS
        node = self.node
        try:
            if node is None:
                raise DeliveryError("network down")
            if destination == self.own_short:
                self._to_self(frame, payload)  # the stack answers its own ZDO; nothing on air
            else:
                await node.send(
                    destination,
                    cluster=int(frame.clusterId),
                    payload=payload,
                    profile=int(frame.profileId),
                    src_endpoint=int(frame.sourceEndpoint),
                    dst_endpoint=int(frame.destinationEndpoint),
                    aps_security=bool(frame.options & t.EmberApsOption.APS_OPTION_ENCRYPTION),
                    ack=bool(frame.options & t.EmberApsOption.APS_OPTION_RETRY),
                )
        except DeliveryError as exc:
            LOG.info("EZSP: send to 0x%04X failed: %s", destination, exc)
            status = t.EmberStatus.DELIVERY_FAILED
        self.callback(
            "messageSentHandler",
            type=kind,
            indexOrDestination=destination,
            apsFrame=frame,
            messageTag=tag,
            status=status,
            messageContents=b"",
        )

    def _to_self(self, frame: t.EmberApsFrame, payload: bytes) -> None:
        """A message the host addressed to its own node: ZDO requests are answered by the
        stack's ZDO from the endpoints the host registered; anything else loops back."""
        if int(frame.profileId) != aps.PROFILE_ZDP:
            self._incoming(frame, self.own_short, payload, secured=False, broadcast=False)
            return
        try:
            request = zdo.decode_zdo(int(frame.clusterId), payload)
        except DecodeError:
            return
        answer = self._zdo_answer(request)
        if answer is None:
            return
        reply = t.EmberApsFrame(
            profileId=aps.PROFILE_ZDP,
            clusterId=answer.cluster_id,
            sourceEndpoint=0,
            destinationEndpoint=0,
            options=t.EmberApsOption.APS_OPTION_NONE,
            groupId=0,
            sequence=self._next_sequence(),
        )
        self._incoming(reply, self.own_short, answer.encode(), secured=False, broadcast=False)

    def _zdo_answer(self, request: zdo.ZdoMessage) -> zdo.ZdoMessage | None:
        me = self.own_short
        if isinstance(request, zdo.NodeDescReq):
            kind = (
                zdo.LogicalType.COORDINATOR
                if self.role is Role.COORDINATOR
                else zdo.LogicalType.ROUTER
            )
            descriptor = zdo.NodeDescriptor(
                kind,
                mac_capability_flags=zdo.MacCapability(0x8F),
                manufacturer_code=MANUFACTURER_CODE,
                maximum_buffer_size=82,
                maximum_incoming_transfer_size=128,
                server_mask=0x2C41,
                maximum_outgoing_transfer_size=128,
            )
            return zdo.NodeDescRsp(request.tsn, zdo.ZdoStatus.SUCCESS, me, descriptor)
        if isinstance(request, zdo.ActiveEpReq):
            return zdo.ActiveEpRsp(request.tsn, zdo.ZdoStatus.SUCCESS, me, tuple(self.endpoints))
        if isinstance(request, zdo.SimpleDescReq):
            endpoint = self.endpoints.get(request.endpoint)
            if endpoint is None:
                return zdo.SimpleDescRsp(request.tsn, zdo.ZdoStatus.NOT_ACTIVE, me)
            return zdo.SimpleDescRsp(request.tsn, zdo.ZdoStatus.SUCCESS, me, endpoint)
        if request.cluster_id < 0x8000:
            try:  # R22 §2.4.3: an unsupported request gets NOT_SUPPORTED on its response cluster
                status = bytes((zdo.ZdoStatus.NOT_SUPPORTED,))
                return zdo.RawZdp(request.tsn, request.cluster_id | 0x8000, status)
            except ValueError:
                return None  # a modelled response cluster we do not serve: no answer
        return None
