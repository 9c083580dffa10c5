"""CBKE on a HAN: the Key Establishment cluster (0x0800) carried over ``HanPort``.

The sans-IO ``KeyEstablishment`` exchange (``emulator.codec.security.cbke``) decides every byte and
status; this driver frames its messages as ZCL cluster commands (requests client to server from
the initiator, responses server to client), sends them with NWK security only, as ZSE 1.4 C.3.1
has key establishment travel before the link key it makes exists, enforces the partner's
advertised generate times, and installs the resulting key as the APS link key with the partner
(``HanPort.set_link_key``, which announces ``KeyEstablished``). A failure ends with a Terminate
sent to the partner and no key installed on either side.

The device's message dispatch hands Key Establishment frames to :meth:`handle`; responders
answer any partner, initiators call :meth:`establish`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.security.cbke.exchange import (
    Credentials,
    KeMessage,
    KeyEstablishment,
    KeyEstablishmentState,
    Role,
    terminate_message,
)
from ..codec.security.cbke.suites import KeyEstablishmentStatus
from ..codec.zcl.frame import Direction, FrameType, ZclFrame, decode_zcl
from .clock import Clock
from .port import ApsMessage, HanPort

KEY_ESTABLISHMENT_CLUSTER = 0x0800
NETWORK_MARGIN = 2.0
"""Seconds allowed on top of the partner's advertised generate time for the frames to travel
(a sleepy partner's poll period adds to it; [I] the spec leaves transport time to the stack)."""
TIMEOUT_STATUS = KeyEstablishmentStatus.BAD_MESSAGE
"""[U] ZSE names no Terminate status for a partner that goes silent; the exchange is out of step,
so BAD_MESSAGE."""


class KeyEstablishmentFailed(Exception):
    def __init__(self, partner: Eui64, status: KeyEstablishmentStatus | None, reason: str) -> None:
        self.partner, self.status, self.reason = partner, status, reason
        super().__init__(f"CBKE with {partner} failed: {status.name if status else ''} {reason}")


@dataclass
class _Run:
    exchange: KeyEstablishment
    endpoint: int
    inbox: asyncio.Queue[tuple[int, bytes]]
    task: asyncio.Task[bytes] | None = None


class KeyEstablishmentService:
    def __init__(
        self,
        port: HanPort,
        clock: Clock,
        credentials: Sequence[Credentials],
        seed: int = 0,
        extra_wait: float = 0.0,
    ) -> None:
        self.port = port
        self.clock = clock
        self.credentials = list(credentials)
        self.extra_wait = extra_wait  # e.g. a sleepy partner's poll period
        self._rng = random.Random(f"cbke/{port.eui64.hex}/{seed}")
        self._runs: dict[Eui64, _Run] = {}
        self._tsn = self._rng.randrange(256)
        self.results: dict[Eui64, KeyEstablishmentStatus | None] = {}

    def _random(self, n: int) -> bytes:
        return self._rng.randbytes(n)

    async def establish(self, partner: Eui64, endpoint: int = 1) -> bytes:
        """Run CBKE with ``partner`` as initiator; the key is installed when this returns."""
        exchange = KeyEstablishment.initiator(self.credentials, partner, rng=self._random)
        run = _Run(exchange, endpoint, asyncio.Queue())
        self._runs[partner] = run
        try:
            await self._send(run, exchange.start())
            return await self._drive(partner, run)
        finally:
            self._runs.pop(partner, None)

    def handle(self, msg: ApsMessage) -> None:
        """A Key Establishment cluster frame from ``msg.source``; starts a responder if need be."""
        try:
            frame = decode_zcl(msg.payload)
        except DecodeError:
            return
        if frame.frame_type != FrameType.CLUSTER_SPECIFIC:
            return
        run = self._runs.get(msg.source)
        if run is None:
            if frame.direction != Direction.CLIENT_TO_SERVER or frame.command_id != 0:
                return  # not the start of an exchange, and none under way
            exchange = KeyEstablishment.responder(self.credentials, msg.source, rng=self._random)
            run = _Run(exchange, msg.src_endpoint, asyncio.Queue())
            self._runs[msg.source] = run
            run.task = asyncio.get_running_loop().create_task(self._respond(msg.source, run))
        run.inbox.put_nowait((frame.command_id, frame.payload))

    async def _respond(self, partner: Eui64, run: _Run) -> bytes:
        try:
            return await self._drive(partner, run)
        except KeyEstablishmentFailed:
            return b""
        finally:
            self._runs.pop(partner, None)

    async def _drive(self, partner: Eui64, run: _Run) -> bytes:
        exchange = run.exchange
        previous: bytes | None = None
        while True:
            try:
                async with self.clock.timeout(self._wait(exchange)):
                    command, payload = await run.inbox.get()
            except TimeoutError:
                if exchange.link_key is not None:  # a responder's linger ended: no objection
                    return exchange.link_key
                await self._send(run, terminate_message(TIMEOUT_STATUS, int(exchange.suite or 0)))
                self.results[partner] = TIMEOUT_STATUS
                raise KeyEstablishmentFailed(
                    partner, TIMEOUT_STATUS, "partner went silent"
                ) from None
            step = exchange.receive(command, payload)
            if step.send is not None:
                await self._send(run, step.send)
            if exchange.state is KeyEstablishmentState.ESTABLISHED and step.link_key is not None:
                previous = self.port.link_key(partner)
                await self.port.set_link_key(partner, step.link_key, "cbke")
                self.results[partner] = None
                if exchange.role is Role.INITIATOR:
                    return step.link_key
                continue  # a responder still listens: a late Terminate withdraws the key
            if exchange.state is KeyEstablishmentState.TERMINATED:
                self.results[partner] = exchange.status
                raise KeyEstablishmentFailed(partner, exchange.status, exchange.reason)
            if step.status is not None and exchange.role is Role.RESPONDER:
                # The initiator rejected our MACV after we installed the key: put the old back.
                if previous is not None:
                    await self.port.set_link_key(partner, previous, "cbke-withdrawn")
                self.results[partner] = step.status
                raise KeyEstablishmentFailed(partner, step.status, "key withdrawn")

    def _wait(self, exchange: KeyEstablishment) -> float:
        """How long to wait for the partner's next message: its advertised generate time."""
        if exchange.state is KeyEstablishmentState.ESTABLISHED:
            return 2 * NETWORK_MARGIN + self.extra_wait  # a responder lingers for a late Terminate
        if exchange.state in (
            KeyEstablishmentState.AWAIT_CONFIRM_KEY_RESPONSE,
            KeyEstablishmentState.AWAIT_CONFIRM_KEY_REQUEST,
        ):
            advertised = exchange.peer_confirm_key_generate_time
        else:
            advertised = exchange.peer_ephemeral_data_generate_time
        return (advertised or 10) + NETWORK_MARGIN + self.extra_wait

    async def _send(self, run: _Run, message: KeMessage) -> None:
        initiator = run.exchange.role is Role.INITIATOR
        self._tsn = (self._tsn + 1) & 0xFF
        frame = ZclFrame(
            FrameType.CLUSTER_SPECIFIC,
            Direction.CLIENT_TO_SERVER if initiator else Direction.SERVER_TO_CLIENT,
            self._tsn,
            int(message.command),
            message.payload,
            disable_default_response=True,
        )
        await self.port.send(
            run.exchange.partner,
            cluster=KEY_ESTABLISHMENT_CLUSTER,
            payload=frame.encode(),
            dst_endpoint=run.endpoint,
            aps_security=False,
        )
