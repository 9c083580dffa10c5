"""CBKE on a HAN: the Key Establishment cluster (0x0800) carried over ``HanPort``.

The sans-IO ``KeyEstablishment`` exchange (``emulator.codec.security.cbke``) decides every byte and
status; this driver frames its messages as ZCL cluster commands (requests client to server from
the initiator, responses server to client), sends them with NWK security only, as ZSE 1.4 C.3.1
has key establishment travel before the link key it makes exists, enforces the partner's
advertised generate times, and installs the resulting key as the APS link key with the partner
(``HanPort.set_link_key``, which announces ``KeyEstablished``). A failure ends with a Terminate
sent to the partner and no key installed on either side.

The device's message dispatch hands Key Establishment frames to :meth:`handle`; initiators call
:meth:`establish`. A responder answers any partner unless the device gives an ``authorise``
policy (GB devices accept CBKE only from the partners in their Device Log and from their Trust
Centre): a refused Initiate Key Establishment gets a Terminate with ``REFUSED_PARTNER_STATUS``.

While an exchange with a partner is under way (from an initiator's first frame, or a responder's
Initiate, to the end of a responder's linger) the APS link key with that partner is about to
change, on the two sides at different moments (the responder installs once its Confirm Key
Response lands, a poll later for a sleepy initiator): application frames secured in that window
fail their MIC at the other end. ``under_way`` and ``settled`` let a device hold its own traffic
to the partner until the exchange is over (the GSME's wake-ups, ``gsme.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.security.cbke.exchange import (
    Credentials,
    KeMessage,
    KeyEstablishment,
    KeyEstablishmentState,
    Role,
    choose_suite,
    suite_bitmap,
    terminate_message,
)
from ..codec.security.cbke.suites import KeyEstablishmentStatus, KeyEstablishmentSuite
from ..codec.zcl.frame import (
    Direction,
    FrameType,
    ZclFrame,
    decode_zcl,
    read_attributes,
    read_attributes_response,
    read_attributes_result,
)
from .clock import Clock
from .port import ApsMessage, DeliveryError, HanPort

KEY_ESTABLISHMENT_CLUSTER = 0x0800
KEY_ESTABLISHMENT_SUITE = 0x0000  # the server attribute: a bitmap of the suites offered
READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x00, 0x01
NETWORK_MARGIN = 2.0
"""Seconds allowed on top of the partner's advertised generate time for the frames to travel
(a sleepy partner's poll period adds to it; [I] the spec leaves transport time to the stack)."""
TIMEOUT_STATUS = KeyEstablishmentStatus.BAD_MESSAGE
"""[U] ZSE names no Terminate status for a partner that goes silent; the exchange is out of step,
so BAD_MESSAGE."""
REFUSED_PARTNER_STATUS = KeyEstablishmentStatus.NO_RESOURCES
"""[U] ZSE names no status for "not a partner of mine"; NO_RESOURCES (with its wait time) tells the
initiator to try again later, which fits a partner the Device Log does not list yet."""


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
        authorise: Callable[[Eui64], bool] | None = None,
    ) -> None:
        self.port = port
        self.authorise = authorise
        """Which partners may start CBKE with us as responder; None accepts any."""
        self.clock = clock
        self.credentials = list(credentials)
        self.extra_wait = extra_wait  # e.g. a sleepy partner's poll period
        self._rng = random.Random(f"cbke/{port.eui64.hex}/{seed}")
        self._runs: dict[Eui64, _Run] = {}
        self._tsn = self._rng.randrange(256)
        self.results: dict[Eui64, KeyEstablishmentStatus | None] = {}
        self._suite_reads: dict[Eui64, asyncio.Future[int | None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._under_way: Counter[Eui64] = Counter()
        self._settled: dict[Eui64, asyncio.Event] = {}
        """Set when the last exchange under way with the partner ends."""

    async def aclose(self) -> None:
        """Stop the responders and sends under way (a power-off); an initiator's exchange ends
        with its caller's task."""
        tasks: list[asyncio.Task[Any]] = [r.task for r in self._runs.values() if r.task]
        tasks += self._background
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def under_way(self, partner: Eui64) -> bool:
        """A key establishment with ``partner`` is under way (module docstring)."""
        return Eui64(partner) in self._settled

    async def settled(self, partner: Eui64) -> None:
        """Until no key establishment with ``partner`` is under way."""
        while (event := self._settled.get(Eui64(partner))) is not None:
            await event.wait()

    def _begin(self, partner: Eui64) -> None:
        self._under_way[partner] += 1
        self._settled.setdefault(partner, asyncio.Event())

    def _end(self, partner: Eui64) -> None:
        self._under_way[partner] -= 1
        if self._under_way[partner] <= 0:
            del self._under_way[partner]
            event = self._settled.pop(partner, None)
            if event is not None:
                event.set()

    def _random(self, n: int) -> bytes:
        return self._rng.randbytes(n)

    async def establish(self, partner: Eui64, endpoint: int = 1) -> bytes:
        """Run CBKE with ``partner`` as initiator; the key is installed when this returns.

        The suite is the highest both support, from the partner's KeyEstablishmentSuite attribute
        (C.3.1.1); a partner that does not answer the read gets our highest, and says
        UNSUPPORTED_SUITE if it must.
        """
        self._begin(partner)
        try:
            return await self._establish(partner, endpoint)
        finally:
            self._end(partner)

    async def _establish(self, partner: Eui64, endpoint: int) -> bytes:
        peer_suites = await self._read_peer_suites(partner, endpoint)
        own = [int(c.suite) for c in self.credentials]
        suite = max(own) if peer_suites is None else choose_suite(own, peer_suites)
        if suite is None:
            self.results[partner] = KeyEstablishmentStatus.UNSUPPORTED_SUITE
            raise KeyEstablishmentFailed(
                partner,
                KeyEstablishmentStatus.UNSUPPORTED_SUITE,
                f"partner offers {peer_suites:#06x}",
            )
        exchange = KeyEstablishment.initiator(
            self.credentials, partner, suite=KeyEstablishmentSuite(suite), rng=self._random
        )
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
        if frame.frame_type == FrameType.GLOBAL:
            self._on_global(msg, frame)
            return
        run = self._runs.get(msg.source)
        if run is None:
            if frame.direction != Direction.CLIENT_TO_SERVER or frame.command_id != 0:
                return  # not the start of an exchange, and none under way
            if self.authorise is not None and not self.authorise(msg.source):
                self._refuse(msg, frame)
                return
            exchange = KeyEstablishment.responder(self.credentials, msg.source, rng=self._random)
            run = _Run(exchange, msg.src_endpoint, asyncio.Queue())
            self._runs[msg.source] = run
            self._begin(msg.source)
            run.task = asyncio.get_running_loop().create_task(self._respond(msg.source, run))
        run.inbox.put_nowait((frame.command_id, frame.payload))

    def _refuse(self, msg: ApsMessage, frame: ZclFrame) -> None:
        """Terminate an Initiate Key Establishment from a partner our policy does not accept."""
        self.results[msg.source] = REFUSED_PARTNER_STATUS
        suite = int.from_bytes(frame.payload[:2], "little") if len(frame.payload) >= 2 else 0
        message = terminate_message(REFUSED_PARTNER_STATUS, suite)
        self._tsn = (self._tsn + 1) & 0xFF
        reply = ZclFrame(
            FrameType.CLUSTER_SPECIFIC,
            Direction.SERVER_TO_CLIENT,
            self._tsn,
            int(message.command),
            message.payload,
            disable_default_response=True,
        )
        self._spawn(self._send_frame(msg.source, msg.src_endpoint, reply))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """A send the frame dispatch must not wait for; a lost one is the partner's to retry."""

        async def quietly() -> None:
            with contextlib.suppress(DeliveryError):
                await coro

        task = asyncio.get_running_loop().create_task(quietly())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _on_global(self, msg: ApsMessage, frame: ZclFrame) -> None:
        """Our KeyEstablishmentSuite attribute for a partner about to initiate, and its answer to
        our own read."""
        if frame.command_id == READ_ATTRIBUTES and frame.direction == Direction.CLIENT_TO_SERVER:
            bitmap = suite_bitmap(self.credentials)
            reply = read_attributes_response(
                KEY_ESTABLISHMENT_CLUSTER, {KEY_ESTABLISHMENT_SUITE: bitmap}, tsn=frame.tsn
            )
            self._spawn(self._send_frame(msg.source, msg.src_endpoint, reply))
        elif frame.command_id == READ_ATTRIBUTES_RESPONSE:
            waiter = self._suite_reads.pop(msg.source, None)
            if waiter is not None and not waiter.done():
                with contextlib.suppress(DecodeError):
                    value = read_attributes_result(frame).get(KEY_ESTABLISHMENT_SUITE)
                    waiter.set_result(value if isinstance(value, int) else None)

    async def _read_peer_suites(self, partner: Eui64, endpoint: int) -> int | None:
        waiter: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._suite_reads[partner] = waiter
        self._tsn = (self._tsn + 1) & 0xFF
        await self._send_frame(
            partner, endpoint, read_attributes([KEY_ESTABLISHMENT_SUITE], tsn=self._tsn)
        )
        try:
            async with self.clock.timeout(2 * NETWORK_MARGIN + self.extra_wait):
                return await waiter
        except TimeoutError:
            return None
        finally:
            self._suite_reads.pop(partner, None)

    async def _respond(self, partner: Eui64, run: _Run) -> bytes:
        try:
            return await self._drive(partner, run)
        except KeyEstablishmentFailed:
            return b""
        finally:
            self._runs.pop(partner, None)
            self._end(partner)

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
        await self._send_frame(run.exchange.partner, run.endpoint, frame)

    async def _send_frame(self, partner: Eui64, endpoint: int, frame: ZclFrame) -> None:
        await self.port.send(
            partner,
            cluster=KEY_ESTABLISHMENT_CLUSTER,
            payload=frame.encode(),
            dst_endpoint=endpoint,
            aps_security=False,
        )
