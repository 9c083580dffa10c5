"""GBCS over the HAN: the Tunneling cluster (0x0704) with the GB-HGRP protocol (DOMAIN.md §2).

The CHF asks a device's Tunneling server for a tunnel (protocol 6 GB-HGRP, manufacturer 0xFFFF,
no flow control, 1500-byte transfers); GBCS messages then travel in Transfer Data, each behind
the GB-HGRP PUT octet, in both directions. The APS layer fragments what one frame cannot hold.
A device refuses another protocol (PROTOCOL_NOT_SUPPORTED) and answers data on a tunnel it never
granted, or from another device, with Transfer Data Error (ZSE 1.4 §D.6). Get Supported Tunnel
Protocols is answered with GB-HGRP alone.

The sleepy GSME turns this round: it asks the hub's tunnel server for a tunnel, and on each
wake-up pulls what the CHF holds for it with GET (``01``); the hub answers GET-RESPONSE,
``02 || number of messages still waiting (1 octet) || one GBCS message`` (nothing after the count
when none waits), and the GSME pushes its answers with PUT (GBCS §10.2.2 as Silicon Labs'
comms-hub plugin quotes it). The server takes what it hands out from a ``Mailbox``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.zcl import frame as zcl
from ..codec.zcl.tunneling import (
    GB_HGRP_MANUFACTURER_CODE,
    GB_HGRP_MAXIMUM_INCOMING_TRANSFER_SIZE,
    GbHgrpCommand,
    ProtocolId,
    SupportedProtocol,
    TransferDataStatus,
    TunnelStatus,
)
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort

TUNNELING = 0x0704
OPEN_TIMEOUT = 30.0  # modelled seconds for the Request Tunnel Response

GET_TIMEOUT = 30.0  # modelled seconds for a GET-RESPONSE (a sleepy client polls for it)

GbcsHandler = Callable[[bytes], Awaitable[list[bytes]]]
"""What a device does with a GBCS message: the messages it sends back (responses, alerts)."""
GbcsSender = Callable[[bytes], Awaitable[None]]
"""Where a device sends GBCS outside a handler's turn (a response that waited for HAN traffic,
as the ESME's CS03A1 response waits for CBKE with the new partner): ``TunnelServer.push``."""


class Mailbox(Protocol):
    """GBCS held for devices that fetch it (the hub's store for the sleepy GSME)."""

    def peek(self, device: Eui64) -> tuple[bytes | None, int]:
        """The next message for ``device``, if any, and how many wait after it."""
        ...

    def delivered(self, device: Eui64, message: bytes) -> None:
        """``message`` reached ``device`` (its APS ACK came back): forget it."""
        ...


def get_response(message: bytes | None, remaining: int) -> bytes:
    """GB-HGRP GET-RESPONSE: ``02 || messages remaining || message``."""
    return bytes((GbHgrpCommand.GET_RESPONSE, min(remaining, 0xFF))) + (message or b"")


class TunnelServer:
    """A device's end of its tunnels: GBCS in, the device's GBCS out.

    On the hub, for tunnels the GSME asks for: ``accept`` says who may have one (the CHF
    accepts devices on its Device Log) and ``mailbox`` answers GET."""

    def __init__(
        self,
        han: HanPort,
        on_gbcs: GbcsHandler,
        *,
        mailbox: Mailbox | None = None,
        accept: Callable[[Eui64], bool] | None = None,
    ) -> None:
        self.han = han
        self.on_gbcs = on_gbcs
        self.mailbox = mailbox
        self.accept = accept
        self._tunnels: dict[int, Eui64] = {}
        self._endpoints: dict[int, int] = {}  # tunnel id -> the client's endpoint
        self._ids = itertools.count(1)
        self._push_tsn = itertools.count(0x80)

    async def push(self, gbcs: bytes) -> None:
        """Send ``gbcs`` (PUT) on the newest tunnel; raises ``DeliveryError`` when there is none
        or the client does not acknowledge it."""
        if not self._tunnels:
            raise DeliveryError("no tunnel to send GBCS on")
        tunnel_id = max(self._tunnels)
        frame = zcl.build_command(
            TUNNELING,
            "transfer_data_server_to_client",
            tsn=next(self._push_tsn) & 0xFF,
            tunnel_id=tunnel_id,
            data=bytes((GbHgrpCommand.PUT,)) + gbcs,
        )
        await self.han.send(
            self._tunnels[tunnel_id],
            cluster=TUNNELING,
            payload=frame.encode(),
            dst_endpoint=self._endpoints[tunnel_id],
        )

    async def handle(self, msg: ApsMessage) -> None:
        parsed = _tunneling_command(msg, zcl.Direction.CLIENT_TO_SERVER)
        if parsed is None:
            return
        frame, command = parsed
        if frame.command_id == 0x00:  # Request Tunnel
            await self._open(msg, frame.tsn, command)
        elif frame.command_id == 0x02:  # Transfer Data
            await self._transfer(msg, frame.tsn, command)
        elif frame.command_id == 0x06:  # Get Supported Tunnel Protocols
            await self._supported_protocols(msg, frame.tsn, command)

    async def _supported_protocols(self, msg: ApsMessage, tsn: int, request: object) -> None:
        """GB-HGRP is the one protocol a GB tunnel server offers (ZSE D.6.2.4.7): what tells a
        dual-mode PPMID it joined a HAN that carries GBCS (``dual_mode.py``)."""
        offered = [SupportedProtocol(GB_HGRP_MANUFACTURER_CODE, ProtocolId.GB_HGRP)]
        listed = offered[int(_field(request, "protocol_offset")) :]
        await self._send(
            msg,
            zcl.build_command(
                TUNNELING,
                "supported_tunnel_protocols_response",
                tsn=tsn,
                protocol_list_complete=True,
                protocol_count=len(listed),
                protocol_list=listed,
            ),
        )

    async def _open(self, msg: ApsMessage, tsn: int, request: object) -> None:
        granted = (
            _field(request, "protocol_id") == ProtocolId.GB_HGRP
            and _field(request, "manufacturer_code") == GB_HGRP_MANUFACTURER_CODE
        )
        admitted = self.accept is None or self.accept(msg.source)
        status = TunnelStatus.SUCCESS if granted else TunnelStatus.PROTOCOL_NOT_SUPPORTED
        if granted and not admitted:
            status = TunnelStatus.BUSY  # [U] ZSE has no "not allowed" status; BUSY says "not now"
        tunnel_id = 0xFFFF
        if status == TunnelStatus.SUCCESS:
            for old in [t for t, owner in self._tunnels.items() if owner == msg.source]:
                del self._tunnels[old]  # one tunnel per device: a new request replaces it
                del self._endpoints[old]
            tunnel_id = next(self._ids)
            self._tunnels[tunnel_id] = msg.source
            self._endpoints[tunnel_id] = msg.src_endpoint
        await self._send(
            msg,
            zcl.build_command(
                TUNNELING,
                "request_tunnel_response",
                tsn=tsn,
                tunnel_id=tunnel_id,
                tunnel_status=status,
                maximum_incoming_transfer_size=GB_HGRP_MAXIMUM_INCOMING_TRANSFER_SIZE,
            ),
        )

    async def _transfer(self, msg: ApsMessage, tsn: int, transfer: object) -> None:
        tunnel_id = int(_field(transfer, "tunnel_id"))
        owner = self._tunnels.get(tunnel_id)
        if owner != msg.source:
            status = (
                TransferDataStatus.NO_SUCH_TUNNEL
                if owner is None
                else TransferDataStatus.WRONG_DEVICE
            )
            await self._send(
                msg,
                zcl.build_command(
                    TUNNELING,
                    "transfer_data_error_server_to_client",
                    tsn=tsn,
                    tunnel_id=tunnel_id,
                    transfer_data_status=status,
                ),
            )
            return
        data = bytes(_field(transfer, "data"))
        if data[:1] == bytes((GbHgrpCommand.GET,)) and self.mailbox is not None:
            message, remaining = self.mailbox.peek(msg.source)
            sent = await self._send_data(msg, tsn, tunnel_id, get_response(message, remaining))
            if sent and message is not None:
                self.mailbox.delivered(msg.source, message)  # kept until then: nothing lost
            return
        if not data or data[0] != GbHgrpCommand.PUT:
            return
        for reply in await self.on_gbcs(data[1:]):
            await self._send_data(msg, tsn, tunnel_id, bytes((GbHgrpCommand.PUT,)) + reply)

    async def _send_data(self, msg: ApsMessage, tsn: int, tunnel_id: int, data: bytes) -> bool:
        return await self._send(
            msg,
            zcl.build_command(
                TUNNELING, "transfer_data_server_to_client", tsn=tsn, tunnel_id=tunnel_id, data=data
            ),
        )

    async def _send(self, msg: ApsMessage, frame: zcl.ZclFrame) -> bool:
        """Send ``frame`` back to ``msg``'s sender; False if it was never acknowledged (the hub
        retries at the GBCS level)."""
        try:
            await self.han.send(
                msg.source, cluster=TUNNELING, payload=frame.encode(), dst_endpoint=msg.src_endpoint
            )
        except DeliveryError:
            return False
        return True


class TunnelClient:
    """The requesting end: a tunnel per device, GBCS messages PUT through it and received back.

    The CHF is the client of the ESME's, HCALCS's and PPMID's tunnels; the sleepy GSME is the
    client of its tunnel to the hub, and also GETs what the hub holds for it."""

    def __init__(
        self,
        han: HanPort,
        clock: Clock,
        on_receive: Callable[[Eui64, bytes], None] | None = None,
    ) -> None:
        self.han = han
        self.clock = clock
        self.on_receive = on_receive
        """Where GBCS from devices goes; by default each device's ``received`` queue."""
        self._tsn = itertools.count(1)
        self._tunnels: dict[Eui64, int] = {}
        self._opening: dict[tuple[Eui64, int], asyncio.Future[tuple[int, int]]] = {}
        self._getting: dict[Eui64, asyncio.Future[tuple[bytes | None, int]]] = {}
        self._late: dict[Eui64, list[tuple[bytes | None, int]]] = {}
        """GET-RESPONSEs that came after their GET gave up: the hub counts them delivered, so
        the next ``get`` returns them before asking again."""
        self.received: dict[Eui64, asyncio.Queue[bytes]] = {}

    def _next_tsn(self) -> int:
        return next(self._tsn) & 0xFF

    async def open(self, device: Eui64) -> int:
        """Request a GB-HGRP tunnel to ``device``; its id. Raises DeliveryError if refused."""
        tsn = self._next_tsn()
        waiter: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._opening[(device, tsn)] = waiter
        try:
            await self.han.send(
                device,
                cluster=TUNNELING,
                payload=zcl.build_command(
                    TUNNELING,
                    "request_tunnel",
                    tsn=tsn,
                    protocol_id=ProtocolId.GB_HGRP,
                    manufacturer_code=GB_HGRP_MANUFACTURER_CODE,
                    flow_control_support=False,
                    maximum_incoming_transfer_size=GB_HGRP_MAXIMUM_INCOMING_TRANSFER_SIZE,
                ).encode(),
            )
            async with self.clock.timeout(OPEN_TIMEOUT):
                tunnel_id, status = await waiter
        finally:
            self._opening.pop((device, tsn), None)
        if status != TunnelStatus.SUCCESS:
            raise DeliveryError(f"{device} refused the tunnel: status {status}")
        self._tunnels[device] = tunnel_id
        self.received.setdefault(device, asyncio.Queue())
        return tunnel_id

    async def put(self, device: Eui64, gbcs: bytes) -> None:
        """Send one GBCS message to ``device`` through its tunnel (opened first if need be)."""
        await self._transfer(device, bytes((GbHgrpCommand.PUT,)) + gbcs)

    async def get(self, device: Eui64, timeout: float = GET_TIMEOUT) -> tuple[bytes | None, int]:
        """GET from ``device`` (the hub): the one message it hands out, if any, and how many
        still wait there. A tunnel the hub no longer knows (it restarted) is opened again once.
        Raises DeliveryError or TimeoutError when no GET-RESPONSE comes."""
        if self._late.get(device):
            return self._late[device].pop(0)
        for attempt in range(2):
            waiter: asyncio.Future[tuple[bytes | None, int]]
            waiter = asyncio.get_running_loop().create_future()
            self._getting[device] = waiter
            try:
                await self._transfer(device, bytes((GbHgrpCommand.GET,)))
                async with self.clock.timeout(timeout):
                    return await waiter
            except DeliveryError:
                if attempt == 1 or device in self._tunnels:
                    raise
            finally:
                if self._getting.get(device) is waiter:
                    del self._getting[device]
        raise AssertionError("unreachable")

    async def _transfer(self, device: Eui64, data: bytes) -> None:
        tunnel_id = self._tunnels.get(device)
        if tunnel_id is None:
            tunnel_id = await self.open(device)
        await self.han.send(
            device,
            cluster=TUNNELING,
            payload=zcl.build_command(
                TUNNELING, "transfer_data", tsn=self._next_tsn(), tunnel_id=tunnel_id, data=data
            ).encode(),
        )

    def handle(self, msg: ApsMessage) -> None:
        """Tunneling frames from devices: tunnel grants and the GBCS they send back."""
        parsed = _tunneling_command(msg, zcl.Direction.SERVER_TO_CLIENT)
        if parsed is None:
            return
        frame, command = parsed
        if frame.command_id == 0x00:  # Request Tunnel Response
            waiter = self._opening.get((msg.source, frame.tsn))
            if waiter is not None and not waiter.done():
                waiter.set_result(
                    (int(_field(command, "tunnel_id")), int(_field(command, "tunnel_status")))
                )
        elif frame.command_id == 0x02:  # Transfer Data Error: the server knows no such tunnel
            if self._tunnels.get(msg.source) == int(_field(command, "tunnel_id")):
                del self._tunnels[msg.source]
                getting = self._getting.get(msg.source)
                if getting is not None and not getting.done():
                    getting.set_exception(DeliveryError(f"{msg.source} lost our tunnel"))
        elif frame.command_id == 0x01:  # Transfer Data, server to client
            data = bytes(_field(command, "data"))
            ours = self._tunnels.get(msg.source) == int(_field(command, "tunnel_id"))
            getting = self._getting.get(msg.source)
            if ours and data[:1] == bytes((GbHgrpCommand.GET_RESPONSE,)) and len(data) >= 2:
                if getting is not None and not getting.done():
                    getting.set_result((data[2:] or None, data[1]))
                elif len(data) > 2:
                    self._late.setdefault(msg.source, []).append((data[2:], data[1]))
            elif ours and data and data[0] == GbHgrpCommand.PUT:
                if self.on_receive is not None:
                    self.on_receive(msg.source, data[1:])
                else:
                    self.received.setdefault(msg.source, asyncio.Queue()).put_nowait(data[1:])


def _tunneling_command(
    msg: ApsMessage, direction: zcl.Direction
) -> tuple[zcl.ZclFrame, Any] | None:
    """A Tunneling cluster command travelling ``direction``, parsed; None for anything else."""
    if msg.cluster != TUNNELING:
        return None
    try:
        frame = zcl.decode_zcl(msg.payload)
        command = zcl.parse_command(TUNNELING, frame)
    except DecodeError:
        return None
    if frame.is_global or frame.direction != direction:
        return None
    return frame, command


def _field(command: object, name: str) -> Any:
    """A field of a parsed zigpy command schema (dynamic attributes, checked by the parser)."""
    return getattr(command, name)
