"""GBCS a device sends later than the command's own turn: deferred responses through its tunnel.

``TunnelServer`` sends back what a device's GBCS handler returns while it handles the command; a
device that must first wait for HAN traffic (the ESME's CS03A1 response waits for CBKE with the
new partner) cannot answer in that turn without blocking its own message loop. It answers later
through ``GbcsSender``, which ``PushingTunnelServer.push`` implements: Transfer Data, server to
client, on the newest tunnel the device granted.

Integration note: this belongs in ``TunnelServer`` itself (``async def push(self, gbcs: bytes)``,
remembering the client's endpoint when it grants a tunnel); the subclass stands in until then.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.zcl import frame as zcl
from ..codec.zcl.tunneling import GbHgrpCommand
from ..han.port import ApsMessage, DeliveryError, HanPort
from .tunnel import TUNNELING, GbcsHandler, TunnelServer

GbcsSender = Callable[[bytes], Awaitable[None]]
"""Where a device sends GBCS it originates outside a handler's turn (deferred responses)."""

REQUEST_TUNNEL = 0x00


class PushingTunnelServer(TunnelServer):
    """A ``TunnelServer`` that can also send GBCS on its own initiative (``push``)."""

    def __init__(self, han: HanPort, on_gbcs: GbcsHandler) -> None:
        super().__init__(han, on_gbcs)
        self._endpoints: dict[Eui64, int] = {}
        self._push_tsn = itertools.count(0x80)

    async def handle(self, msg: ApsMessage) -> None:
        if msg.cluster == TUNNELING:
            try:
                frame = zcl.decode_zcl(msg.payload)
            except DecodeError:
                frame = None
            if frame is not None and not frame.is_global and frame.command_id == REQUEST_TUNNEL:
                self._endpoints[msg.source] = msg.src_endpoint
        await super().handle(msg)

    async def push(self, gbcs: bytes) -> None:
        """Send ``gbcs`` on the newest tunnel; raises ``DeliveryError`` when there is none or the
        client does not acknowledge it."""
        if not self._tunnels:
            raise DeliveryError("no tunnel to send GBCS on")
        tunnel_id = max(self._tunnels)
        client = self._tunnels[tunnel_id]
        endpoint = self._endpoints.get(client, 1)
        frame = zcl.build_command(
            TUNNELING,
            "transfer_data_server_to_client",
            tsn=next(self._push_tsn) & 0xFF,
            tunnel_id=tunnel_id,
            data=bytes((GbHgrpCommand.PUT,)) + gbcs,
        )
        await self.han.send(
            client, cluster=TUNNELING, payload=frame.encode(), dst_endpoint=endpoint
        )
