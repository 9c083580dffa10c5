"""The stack's receive path: every received frame checked, decoded, unsecured and dispatched.

One synchronous pass per reception (the radio's receive interrupt): FCS, MAC duplicate, NWK and
APS security with frame counters, fragment reassembly, then MAC commands, NWK commands, APS
commands (key transport for the joiner, key requests for the Trust Centre), ZDO and data. A frame
that fails any check is dropped with a counted reason; nothing raises out of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...codec import ieee802154 as mac
from ...codec.errors import DecodeError, SecurityError
from ...codec.eui64 import Eui64
from ...codec.security import ccm
from ...codec.zigbee import aps, nwk, zdo
from ...codec.zigbee.auxiliary import AuxiliaryHeader
from ..medium import Reception
from ..port import (
    ApsMessage,
    DropReason,
    KeyEstablished,
    Left,
)
from .base import StackBase
from .config import (
    APS_DUPLICATE_WINDOW,
    COORDINATOR_SHORT,
    Role,
)
from .mac import MacService


@dataclass
class _Assembly:
    """The blocks of one fragmented ASDU received so far; the first block says how many."""

    count: int | None = None
    blocks: dict[int, bytes] = field(default_factory=dict)


class ReceivePath(StackBase):
    def _receiver(self, mac_service: MacService) -> Callable[[Reception], None]:
        def on_receive(reception: Reception) -> None:
            self._rx_mac = mac_service
            self._on_reception(reception)

        return on_receive

    def _on_reception(self, reception: Reception) -> None:
        """The radio's receive interrupt: every check, synchronously; nothing escapes."""
        self._lqi = reception.lqi
        try:
            self._on_psdu(reception.psdu, reception.time)
        except (DecodeError, ValueError) as exc:
            self._drop(DropReason.MALFORMED, detail=str(exc))

    def _on_psdu(self, psdu: bytes, time: float) -> None:
        try:
            mpdu = mac.check_fcs(psdu)
        except DecodeError:
            self._drop(DropReason.BAD_FCS)
            return
        frame = mac.decode_mpdu(mpdu)
        if frame.ack_request and frame.src is not None:
            # A retransmission whose ACK was lost: the MAC discards it (802.15.4-2011 §5.1.6.2).
            if self._last_seq.get(frame.src) == frame.seq:
                return
            self._last_seq[frame.src] = frame.seq
        if frame.frame_type == mac.FrameType.BEACON:
            if (
                frame.beacon is not None
                and frame.src_pan is not None
                and isinstance(frame.src, int)
            ):
                self._beacons.append((frame.src_pan, frame.src, frame.beacon))
        elif frame.frame_type == mac.FrameType.MAC_COMMAND:
            self._on_mac_command(frame)
        elif frame.frame_type == mac.FrameType.DATA:
            self._on_nwk(frame.payload, time)
        else:
            self._drop(DropReason.UNKNOWN_FRAME_TYPE)

    def _on_mac_command(self, frame: mac.MacFrame) -> None:
        command = frame.command
        if isinstance(command, mac.BeaconRequest):
            # Only the coordinator is a parent in this one-hop model, so only it answers: router
            # beacons (association permit off) would add one frame per router to every scan.
            if self.config.role == Role.COORDINATOR:
                self._spawn(self._send_beacon(self._rx_mac))
        elif isinstance(command, mac.AssociationRequest) and isinstance(frame.src, Eui64):
            if self.config.role == Role.COORDINATOR:
                self._on_association_request(frame.src, command)
        elif isinstance(command, mac.DataRequest) and frame.src is not None:
            self._spawn(self._rx_mac.on_data_request(frame.src))
        elif (
            isinstance(command, mac.AssociationResponse)
            and self._association is not None
            and not self._association.done()
        ):
            self._association.set_result(command)

    def _on_nwk(self, data: bytes, time: float) -> None:
        frame = nwk.decode_nwk(data)
        coordinator = self.config.role == Role.COORDINATOR
        if frame.dst not in (
            self.radio.short,
            nwk.BROADCAST_ALL,
            nwk.BROADCAST_RX_ON_WHEN_IDLE,
            nwk.BROADCAST_ROUTERS,
        ):
            if coordinator and any(c.short == frame.dst for c in self._children.values()):
                self._relay(frame.dst, data)  # the parent routes for its children
            else:
                self._drop(DropReason.NOT_FOR_US, frame.src)
            return
        if coordinator and frame.dst >= 0xFFF8 and len(self.interfaces) > 1:
            heard_on = self._rx_mac
            for mac_service in self.interfaces.values():
                if mac_service is not heard_on:  # a broadcast reaches the other band too
                    relayed = mac_service.data_frame(mac.BROADCAST_SHORT, data)
                    self._spawn(self._send_quietly(mac_service, relayed))
        if frame.aux is None:
            # Before it has the network key a joiner accepts one thing unsecured at NWK level:
            # an APS-secured Transport Key from its parent (R22 §4.6.3.2).
            if self.network_key is None and frame.frame_type == nwk.FrameType.DATA:
                self._on_aps(frame, frame.payload, time, nwk_secured=False)
            else:
                self._drop(DropReason.UNSECURED, frame.src)
            return
        sender = frame.aux.source
        if self.network_key is None or sender is None:
            self._drop(DropReason.WRONG_KEY, frame.src, "no network key")
            return
        try:
            plain = ccm.unsecure_nwk(frame, self.network_key, data)
        except SecurityError:
            self._drop(DropReason.WRONG_KEY, sender)
            return
        if not self._nwk_in.accept(sender, frame.aux.frame_counter):
            self._drop(DropReason.REPLAY, sender, f"NWK counter {frame.aux.frame_counter}")
            return
        self._learn_address(frame.src, sender)
        child = self._children.get(sender)
        if child is not None:
            self._mark_joined(child)
        if frame.frame_type == nwk.FrameType.COMMAND:
            self._on_nwk_command(frame, sender, nwk.decode_command(plain))
        else:
            self._on_aps(frame, plain, time, nwk_secured=True)

    def _relay(self, dst: int, data: bytes) -> None:
        """A NWK frame for a child of ours from another device: to a sleepy child at its next
        poll, to any other directly, each on the child's band."""
        mac_service = self._mac_for(dst)
        if dst in self._sleepy:
            mac_service.queue_indirect(dst, mac_service.data_frame(dst, data))
        else:
            self._spawn(self._send_quietly(mac_service, mac_service.data_frame(dst, data)))

    async def _send_quietly(self, mac_service: MacService, frame: mac.MacFrame) -> None:
        await mac_service.send(frame)  # relayed: the originator's APS retries cover a loss

    def _on_nwk_command(self, frame: nwk.NwkFrame, sender: Eui64, command: nwk.NwkCommand) -> None:
        if isinstance(command, nwk.Leave) and not command.request:
            child = self._children.pop(sender, None)
            if child is not None:
                self._sleepy.discard(child.short)
                self._save()
            if child is not None or self.config.role != Role.COORDINATOR:
                self._emit(Left(sender, command.rejoin))
        elif isinstance(command, nwk.Leave) and command.request and frame.src == COORDINATOR_SHORT:
            self._spawn(self.leave(rejoin=command.rejoin))
        elif isinstance(command, nwk.RejoinRequest) and self.config.role == Role.COORDINATOR:
            child = self._children.get(sender)
            status = 0 if child is not None else mac.AssociationStatus.PAN_ACCESS_DENIED
            short = child.short if child is not None else 0xFFFF
            self._spawn(self._send_nwk_command(frame.src, nwk.RejoinResponse(short, status)))
        elif isinstance(command, nwk.RejoinResponse):
            self._resolve("rejoin", command)

    def _on_aps(self, nwk_frame: nwk.NwkFrame, data: bytes, time: float, nwk_secured: bool) -> None:
        frame = aps.decode_aps(data)
        source = self.addresses.get(nwk_frame.src) or (frame.aux.source if frame.aux else None)
        payload = frame.payload
        if frame.aux is not None:
            sender = frame.aux.source or source
            key = self._link_key_for(sender)
            if sender is None or key is None:
                self._drop(DropReason.UNKNOWN_SENDER, nwk_frame.src)
                return
            try:
                payload = ccm.unsecure_aps(frame, key, sender, data)
            except SecurityError:
                self._drop(DropReason.WRONG_KEY, sender, "APS")
                if frame.frame_type == aps.FrameType.COMMAND and self.network_key is None:
                    self._fail_key_wait("network key could not be decrypted: wrong install code?")
                return
            if not self._aps_in.accept(sender, frame.aux.frame_counter):
                self._drop(DropReason.REPLAY, sender, f"APS counter {frame.aux.frame_counter}")
                return
            source = sender
        elif not nwk_secured:
            self._drop(DropReason.UNSECURED, nwk_frame.src)
            return
        if frame.frame_type == aps.FrameType.ACK:
            waiter = self._aps_acks.get((nwk_frame.src, frame.counter, frame.block_index))
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        elif frame.frame_type == aps.FrameType.COMMAND:
            self._on_aps_command(nwk_frame, source, aps.decode_command(payload), frame.aux)
        elif frame.frame_type == aps.FrameType.DATA and source is not None:
            if frame.ack_request:
                self._spawn(self._send_aps_ack(nwk_frame.src, source, frame))
            if (nwk_frame.src, frame.counter) in self._recent:
                return  # a retry of a frame already delivered; the ACK above answers it
            if frame.block_index is not None:
                whole = self._reassemble(nwk_frame.src, frame, payload)
                if whole is None:
                    return  # more blocks to come
                payload = whole
            self._recent = [*self._recent[-APS_DUPLICATE_WINDOW:], (nwk_frame.src, frame.counter)]
            self._tally(source).heard_at(time, self._lqi)
            if frame.profile == aps.PROFILE_ZDP:  # the ZigBee Device Object is the stack's own
                self._on_zdo(frame.cluster or 0, payload, nwk_frame.src)
                return
            self._messages.put_nowait(
                ApsMessage(
                    source,
                    nwk_frame.src,
                    frame.src_endpoint or 0,
                    frame.dst_endpoint or 0,
                    frame.cluster or 0,
                    frame.profile or 0,
                    payload,
                    frame.aux is not None,
                    nwk_frame.dst >= 0xFFF8,
                    time=time,
                )
            )

    def _reassemble(self, sender: int, frame: aps.ApsFrame, block: bytes) -> bytes | None:
        """Collect the blocks of a fragmented ASDU; the whole payload once the last arrives."""
        assert frame.extended is not None and frame.block_index is not None
        assembly = self._fragments.setdefault((sender, frame.counter), _Assembly())
        assembly.blocks[frame.block_index] = block
        if frame.extended.fragmentation == aps.Fragmentation.FIRST:
            assembly.count = frame.extended.block_number
        if assembly.count is None or len(assembly.blocks) < assembly.count:
            return None
        del self._fragments[(sender, frame.counter)]
        return b"".join(assembly.blocks[i] for i in range(assembly.count))

    def _on_zdo(self, cluster: int, payload: bytes, sender: int) -> None:
        """The ZDO services this stack offers: device announce, network address discovery."""
        message = zdo.decode_zdo(cluster, payload)
        if isinstance(message, zdo.DeviceAnnce):
            self._on_device_announce(message)
        elif isinstance(message, zdo.NwkAddrReq) and message.ieee_addr == self.eui64:
            assert self.radio.short is not None
            answer = zdo.NwkAddrRsp(
                message.tsn, zdo.ZdoStatus.SUCCESS, self.eui64, self.radio.short
            )
            self._spawn(self._send_zdo(sender, answer))
        elif isinstance(message, zdo.NwkAddrRsp) and message.status == zdo.ZdoStatus.SUCCESS:
            self._learn_address(message.nwk_addr_remote_dev, message.ieee_addr_remote_dev)
            self._resolve(f"nwk-addr-{message.ieee_addr_remote_dev.hex}", message)

    def _on_aps_command(
        self,
        nwk_frame: nwk.NwkFrame,
        source: Eui64 | None,
        command: aps.ApsCommand,
        aux: AuxiliaryHeader | None,
    ) -> None:
        if (
            isinstance(command, aps.TransportKey)
            and command.key_type == aps.KeyType.APPLICATION_LINK_KEY
            and command.partner is not None
        ):
            if source is None or source != self.trust_center or aux is None:
                self._drop(DropReason.UNSECURED, source, "application link key not from our TC")
                return
            self.link_keys[command.partner] = command.key
            self._aps_in.forget(command.partner)
            self._save()
            self._emit(KeyEstablished(command.partner, "application-link-key"))
            self._resolve(f"partner-{command.partner.hex}", command)
        elif isinstance(command, aps.TransportKey):
            self._resolve(f"transport-{int(command.key_type)}", command)
        elif isinstance(command, aps.ConfirmKey):
            self._resolve("confirm", command)
        elif self.config.role == Role.COORDINATOR and source is not None:
            child = self._children.get(source)
            if child is None:
                self._drop(DropReason.UNKNOWN_SENDER, source, "APS command from a non-child")
            elif isinstance(command, aps.RequestKey) and aux is not None:
                if command.key_type == aps.RequestKeyType.TRUST_CENTER_LINK_KEY:
                    self._spawn(self._issue_tc_link_key(child))
                elif command.partner is not None and command.partner in self._children:
                    self._spawn(self._issue_partner_key(child, self._children[command.partner]))
            elif isinstance(command, aps.VerifyKey):
                self._spawn(self._confirm_tc_link_key(child, command))
