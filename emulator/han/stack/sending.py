"""The stack's send path: NWK and APS framing with AES-CCM* security, one-hop routing, APS
acknowledgement, retries and fragmentation (R22 §2.2.8.4.5), and network address discovery.

Kept apart from the receive path so each reads as one direction of the data flow; the link
tallies behind ``link_status`` live here because only sends with an APS ACK update them.
"""

from __future__ import annotations

import asyncio
import dataclasses

from ...codec import ieee802154 as mac
from ...codec.eui64 import Eui64
from ...codec.security import ccm
from ...codec.zigbee import aps, nwk, zdo
from ...codec.zigbee.auxiliary import AuxiliaryHeader, KeyId
from ..medium import TxStatus
from ..port import (
    DeliveryError,
    LinkStatus,
    LinkTally,
    NotJoined,
)
from .base import StackBase
from .config import (
    ADDRESS_DISCOVERY_TIMEOUT,
    ADDRESS_DISCOVERY_TRIES,
    APS_BLOCK,
    APS_MAX_RETRIES,
    COORDINATOR_SHORT,
    FAST_POLL,
    MAX_APS_PAYLOAD,
    MAX_UNSECURED_APS_PAYLOAD,
    Role,
)


class Sending(StackBase):
    def _next_nwk_seq(self) -> int:
        self._nwk_seq = (self._nwk_seq + 1) & 0xFF
        return self._nwk_seq

    def _next_aps_counter(self) -> int:
        self._aps_counter = (self._aps_counter + 1) & 0xFF
        return self._aps_counter

    def _nwk_frame(
        self, dst: int, ftype: nwk.FrameType, plain: bytes, secured: bool = True, radius: int = 30
    ) -> bytes:
        aux = None
        if secured:
            aux = AuxiliaryHeader(KeyId.NETWORK_KEY, self._nwk_out.take(), self.eui64, self.key_seq)
        frame = nwk.NwkFrame(
            ftype,
            dst,
            self.radio.short if self.radio.short is not None else 0xFFFF,
            self._next_nwk_seq(),
            radius=radius,
            src_ieee=self.eui64 if ftype == nwk.FrameType.COMMAND else None,
            aux=aux,
        )
        if not secured:
            return frame.encode() + plain
        assert self.network_key is not None
        return ccm.secure_nwk(frame, plain, self.network_key)

    async def _transmit_nwk(self, dst: int, nwk_bytes: bytes) -> bool:
        """One hop: broadcasts to all, to a sleepy child of ours indirectly, to other sleepy
        devices through the coordinator (their parent), to everyone else directly."""
        if dst >= 0xFFF8:
            for mac_service in self.interfaces.values():  # every band of ours
                await mac_service.send(mac_service.data_frame(mac.BROADCAST_SHORT, nwk_bytes))
            return True
        if self.config.role == Role.COORDINATOR:
            on = self._mac_for(dst)
            if dst in self._sleepy:
                on.queue_indirect(dst, on.data_frame(dst, nwk_bytes))
                return True
            result = await on.send(on.data_frame(dst, nwk_bytes))
            return result.status == TxStatus.SUCCESS
        via_parent = dst in self._sleepy or dst in self._via_parent
        next_hop = COORDINATOR_SHORT if via_parent else dst
        result = await self.mac.send(self.mac.data_frame(next_hop, nwk_bytes))
        if result.status == TxStatus.NO_ACK and not via_parent and dst != COORDINATOR_SHORT:
            # No direct link (the other band, or out of reach): through the parent from now on
            self._via_parent.add(dst)
            result = await self.mac.send(self.mac.data_frame(COORDINATOR_SHORT, nwk_bytes))
        return result.status == TxStatus.SUCCESS

    async def _send_nwk_command(self, dst: int, command: nwk.NwkCommand) -> None:
        await self._transmit_nwk(
            dst, self._nwk_frame(dst, nwk.FrameType.COMMAND, command.encode(), radius=1)
        )

    async def _send_aps_command(
        self,
        dst: int,
        command: aps.ApsCommand,
        key_id: KeyId | None,
        key: bytes | None,
        nwk_secured: bool = True,
    ) -> None:
        aux = None if key_id is None else AuxiliaryHeader(key_id, self._aps_out.take(), self.eui64)
        frame = aps.ApsFrame(aps.FrameType.COMMAND, self._next_aps_counter(), aux=aux)
        if aux is None:
            aps_bytes = frame.header() + command.encode()
        else:
            assert key is not None
            aps_bytes = ccm.secure_aps(frame, command.encode(), key, self.eui64)
        await self._transmit_nwk(
            dst, self._nwk_frame(dst, nwk.FrameType.DATA, aps_bytes, nwk_secured)
        )

    async def _send_aps_ack(self, dst: int, partner: Eui64, data: aps.ApsFrame) -> None:
        aux = None
        if data.aux is not None:
            aux = AuxiliaryHeader(KeyId.DATA_KEY, self._aps_out.take())
        ack = data.acknowledgement(aux)
        if aux is None:
            aps_bytes = ack.encode()
        else:
            key = self._link_key_for(partner)
            assert key is not None
            aps_bytes = ccm.secure_aps(ack, b"", key, self.eui64)
        await self._transmit_nwk(dst, self._nwk_frame(dst, nwk.FrameType.DATA, aps_bytes))

    async def send(
        self,
        destination: Eui64 | int,
        *,
        cluster: int,
        payload: bytes,
        profile: int = aps.PROFILE_SMART_ENERGY,
        src_endpoint: int = 1,
        dst_endpoint: int = 1,
        aps_security: bool = True,
        ack: bool = True,
    ) -> None:
        if not self.joined:
            raise NotJoined("not joined to a network")
        if isinstance(destination, Eui64):
            dst = self._short_of.get(destination)
            if dst is None:
                dst = await self._discover(destination)
            if dst is None:
                raise DeliveryError(f"no short address known for {destination}")
            partner: Eui64 | None = destination
        else:
            dst, partner = destination, self.addresses.get(destination)
        broadcast = dst >= 0xFFF8
        ack = ack and not broadcast
        key = None
        if aps_security and not broadcast:
            key = self._link_key_for(partner)
            if key is None:
                raise DeliveryError(f"no link key with {destination}")
        counter = self._next_aps_counter()
        blocks = [payload[i : i + APS_BLOCK] for i in range(0, len(payload), APS_BLOCK)]
        # Only unacknowledged unsecured unicasts (OTA Upgrade blocks) use the larger limit: the
        # acknowledged exchanges (CBKE) keep the split and the timing they were tuned with.
        unsecured_unicast = not aps_security and not ack and not broadcast
        if len(payload) <= (MAX_UNSECURED_APS_PAYLOAD if unsecured_unicast else MAX_APS_PAYLOAD):
            blocks = [payload]
        elif broadcast:
            raise DeliveryError(f"a {len(payload)}-byte broadcast does not fit one frame")
        mode = aps.DeliveryMode.BROADCAST if broadcast else aps.DeliveryMode.UNICAST
        for index, block in enumerate(blocks):
            extended = None
            if len(blocks) > 1:  # R22 §2.2.8.4.5: the first block carries the block count
                extended = (
                    aps.ExtendedHeader(aps.Fragmentation.FIRST, len(blocks))
                    if index == 0
                    else aps.ExtendedHeader(aps.Fragmentation.SUBSEQUENT, index)
                )
            template = aps.ApsFrame(
                aps.FrameType.DATA,
                counter,
                delivery_mode=mode,
                dst_endpoint=dst_endpoint,
                cluster=cluster,
                profile=profile,
                src_endpoint=src_endpoint,
                ack_request=ack or extended is not None,
                extended=extended,
            )
            try:
                await self._send_block(dst, template, block, key, str(destination))
            except DeliveryError:
                if partner is not None and ack:
                    self._tally(partner).failed += 1
                raise
        if partner is not None and ack:
            self._tally(partner).delivered += 1

    def _tally(self, partner: Eui64) -> LinkTally:
        tally = self._links.get(partner)
        if tally is None:
            tally = self._links[partner] = LinkTally()
        return tally

    def link_status(self, partner: Eui64) -> LinkStatus | None:
        tally = self._links.get(partner)
        return None if tally is None else tally.status()

    async def _send_block(
        self, dst: int, template: aps.ApsFrame, block: bytes, key: bytes | None, who: str
    ) -> None:
        """One APS data frame (or fragment), retried until its APS ACK arrives."""
        waiter_key = (dst, template.counter, template.block_index)
        for _attempt in range(APS_MAX_RETRIES + 1):
            aux = None if key is None else AuxiliaryHeader(KeyId.DATA_KEY, self._aps_out.take())
            frame = dataclasses.replace(template, aux=aux)
            aps_bytes = (
                frame.header() + block
                if key is None
                else ccm.secure_aps(frame, block, key, self.eui64)
            )
            waiter: asyncio.Future[None] | None = None
            if frame.ack_request:
                waiter = asyncio.get_running_loop().create_future()
                self._aps_acks[waiter_key] = waiter
            await self._transmit_nwk(dst, self._nwk_frame(dst, nwk.FrameType.DATA, aps_bytes))
            if waiter is None:
                return
            try:
                wait = self.config.aps_ack_wait + (
                    self.config.poll_period if dst in self._sleepy else 0
                )
                async with self.clock.timeout(wait):
                    while self.config.role == Role.END_DEVICE and not waiter.done():
                        # A sleepy device fetches its answer from the parent: it polls fast
                        # while it expects one instead of waiting for its next regular poll.
                        await self._poll(COORDINATOR_SHORT)
                        await self._wait(waiter, FAST_POLL)
                    await waiter
                return
            except TimeoutError:
                continue
            finally:
                self._aps_acks.pop(waiter_key, None)
        raise DeliveryError(f"no APS ACK from {who} after {APS_MAX_RETRIES + 1} attempts")

    async def _send_zdo(self, dst: int, message: zdo.ZdoMessage) -> None:
        await self.send(
            dst,
            cluster=message.cluster_id,
            payload=message.encode(),
            profile=aps.PROFILE_ZDP,
            src_endpoint=0,
            dst_endpoint=0,
            aps_security=False,
            ack=False,
        )

    async def _discover(self, eui64: Eui64) -> int | None:
        """Network address discovery (R22 §2.4.3.1.1): ask everyone who ``eui64`` is."""
        waiter = self._expect(f"nwk-addr-{eui64.hex}")
        # A broadcast has no MAC retries and, one hop here, no relays to repeat it: ask again.
        for _ in range(ADDRESS_DISCOVERY_TRIES):
            request = zdo.NwkAddrReq(self.rng.randrange(256), eui64)
            await self._send_zdo(nwk.BROADCAST_RX_ON_WHEN_IDLE, request)
            await self._poll_for(waiter, COORDINATOR_SHORT, ADDRESS_DISCOVERY_TIMEOUT)
            if waiter.done():
                break
        self._waiters.pop(f"nwk-addr-{eui64.hex}", None)
        return self._short_of.get(eui64)
