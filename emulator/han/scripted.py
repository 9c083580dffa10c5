"""A scripted exchange: the frames a set of stacks would send, built and secured for real.

Each node keeps its own MAC sequence number, NWK sequence number and NWK/APS frame counters, as
a stack does, and every frame is stamped with modelled time from the radio model's 2.4 GHz
airtime, with each ACK one aTurnaroundTime after its frame. It serves captures,
demos and test catalogues; the emulated stack (``emulator.han.stack``) produces the same bytes
from live protocol state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..codec import ieee802154 as mac
from ..codec.eui64 import Eui64
from ..codec.ieee802154 import MacFrame
from ..codec.security import ccm
from ..codec.zigbee import aps, nwk
from ..codec.zigbee.aps import ApsCommand, ApsFrame
from ..codec.zigbee.auxiliary import AuxiliaryHeader, KeyId
from ..codec.zigbee.nwk import NwkCommand, NwkFrame
from .radio import PHY_2G4

PROCESSING = 2e-3  # a stack's time to act on a received frame (modelled, not measured)


@dataclass
class Node:
    """One device's addresses and running counters."""

    eui64: Eui64
    short: int
    mac_seq: int = 0
    nwk_seq: int = 0
    nwk_counter: int = 0
    aps_counter: int = 0
    aps_frame_counter: int = 0

    def next_mac_seq(self) -> int:
        self.mac_seq = (self.mac_seq + 1) & 0xFF
        return self.mac_seq

    def next_nwk_seq(self) -> int:
        self.nwk_seq = (self.nwk_seq + 1) & 0xFF
        return self.nwk_seq

    def next_aps_counter(self) -> int:
        self.aps_counter = (self.aps_counter + 1) & 0xFF
        return self.aps_counter


@dataclass
class Sent:
    """One frame on the air, with what it was built from (plain payloads included)."""

    name: str
    time: float
    psdu: bytes
    mac: MacFrame
    nwk: NwkFrame | None = None
    nwk_command: NwkCommand | None = None
    aps: ApsFrame | None = None
    aps_command: ApsCommand | None = None
    app_payload: bytes | None = None


@dataclass
class ScriptedHan:
    """Builds an exchange on one PAN; ``frames`` is the resulting air traffic in time order."""

    pan_id: int
    network_key: bytes
    key_seq: int = 0
    now: float = 0.0
    frames: list[Sent] = field(default_factory=list)

    def _emit(self, sent: Sent, gap: float = PROCESSING) -> Sent:
        self.now += gap
        sent.time = self.now
        self.now += PHY_2G4.airtime(len(sent.psdu))
        self.frames.append(sent)
        if sent.mac.ack_request:
            ack = mac.ack(sent.mac.seq)
            self._emit(Sent("MAC ack", 0.0, ack.psdu(), ack), gap=PHY_2G4.turnaround)
        return sent

    def mac_frame(self, name: str, frame: mac.MacFrame, gap: float = PROCESSING) -> Sent:
        return self._emit(Sent(name, 0.0, frame.psdu(), frame), gap)

    def associate(
        self,
        joiner: Node,
        parent: Node,
        capability: int,
        extended_pan_id: Eui64,
        short_address: int,
    ) -> None:
        """Discovery and association (802.15.4-2006 §7.5.2-7.5.3): beacon request, beacon,
        association request, and the response the joiner collects by polling after
        aResponseWaitTime. Gives ``joiner`` its short address."""
        han_pan = self.pan_id
        self.mac_frame(
            "beacon request",
            mac.MacFrame(
                mac.FrameType.MAC_COMMAND,
                joiner.next_mac_seq(),
                dst_pan=0xFFFF,
                dst=0xFFFF,
                command=mac.BeaconRequest(),
            ),
        )
        self.mac_frame(
            "beacon",
            mac.MacFrame(
                mac.FrameType.BEACON,
                parent.next_mac_seq(),
                src_pan=han_pan,
                src=parent.short,
                beacon=mac.Beacon(True, zigbee=mac.ZigbeeBeacon(extended_pan_id)),
            ),
        )
        self.mac_frame(
            "association request",
            mac.MacFrame(
                mac.FrameType.MAC_COMMAND,
                joiner.next_mac_seq(),
                dst_pan=han_pan,
                dst=parent.short,
                src_pan=0xFFFF,
                src=joiner.eui64,
                ack_request=True,
                command=mac.AssociationRequest(capability),
            ),
        )
        self.mac_frame(
            "data request",
            mac.MacFrame(
                mac.FrameType.MAC_COMMAND,
                joiner.next_mac_seq(),
                dst_pan=han_pan,
                dst=parent.short,
                src=joiner.eui64,
                pan_id_compression=True,
                ack_request=True,
                command=mac.DataRequest(),
            ),
            gap=PHY_2G4.response_wait_time,
        )
        self.mac_frame(
            "association response",
            mac.MacFrame(
                mac.FrameType.MAC_COMMAND,
                parent.next_mac_seq(),
                dst_pan=han_pan,
                dst=joiner.eui64,
                src=parent.eui64,
                pan_id_compression=True,
                ack_request=True,
                command=mac.AssociationResponse(short_address),
            ),
        )
        joiner.short = short_address

    def _mac_data(self, sender: Node, dst: int, payload: bytes) -> mac.MacFrame:
        broadcast = dst >= 0xFFF8
        return mac.MacFrame(
            mac.FrameType.DATA,
            sender.next_mac_seq(),
            dst_pan=self.pan_id,
            dst=0xFFFF if broadcast else dst,
            src=sender.short,
            pan_id_compression=True,
            ack_request=not broadcast,
            payload=payload,
        )

    def _nwk(
        self,
        sender: Node,
        dst: int,
        ftype: nwk.FrameType,
        plain: bytes,
        secured: bool,
        **kw: object,
    ) -> tuple[nwk.NwkFrame, bytes]:
        aux = None
        if secured:
            sender.nwk_counter += 1
            aux = AuxiliaryHeader(KeyId.NETWORK_KEY, sender.nwk_counter, sender.eui64, self.key_seq)
        frame = nwk.NwkFrame(ftype, dst, sender.short, sender.next_nwk_seq(), aux=aux, **kw)  # type: ignore[arg-type]
        wire = ccm.secure_nwk(frame, plain, self.network_key) if secured else frame.encode() + plain
        return nwk.decode_nwk(wire), wire

    def nwk_command(
        self, name: str, sender: Node, dst: int, cmd: nwk.NwkCommand, secured: bool = True
    ) -> Sent:
        frame, wire = self._nwk(
            sender,
            dst,
            nwk.FrameType.COMMAND,
            cmd.encode(),
            secured,
            radius=1,
            src_ieee=sender.eui64,
        )
        m = self._mac_data(sender, dst, wire)
        return self._emit(Sent(name, 0.0, m.psdu(), m, frame, nwk_command=cmd))

    def send_aps(
        self,
        name: str,
        sender: Node,
        dst: int,
        frame: aps.ApsFrame,
        plain: bytes,
        *,
        link_key: bytes | None = None,
        nwk_secured: bool = True,
        command: aps.ApsCommand | None = None,
    ) -> Sent:
        """Send an APS frame; ``frame.aux`` (if any) must carry the sender's APS frame counter."""
        if frame.aux is not None:
            assert link_key is not None, "an APS-secured frame needs its link key"
            aps_wire = ccm.secure_aps(frame, plain, link_key, sender.eui64)
        else:
            aps_wire = frame.header() + plain
        nf, wire = self._nwk(sender, dst, nwk.FrameType.DATA, aps_wire, nwk_secured)
        m = self._mac_data(sender, dst, wire)
        sent = Sent(name, 0.0, m.psdu(), m, nf, aps=aps.decode_aps(aps_wire), aps_command=command)
        if command is None:
            sent.app_payload = plain
        return self._emit(sent)

    def aps_aux(self, sender: Node, key_id: KeyId, extended_nonce: bool) -> AuxiliaryHeader:
        sender.aps_frame_counter += 1
        return AuxiliaryHeader(
            key_id, sender.aps_frame_counter, sender.eui64 if extended_nonce else None
        )

    def aps_command(
        self,
        name: str,
        sender: Node,
        dst: int,
        cmd: aps.ApsCommand,
        key_id: KeyId | None,
        link_key: bytes | None = None,
        *,
        nwk_secured: bool = True,
    ) -> Sent:
        """An APS command; key-management commands carry the extended nonce when APS-secured
        (self-contained sender identity; tshark 4.0 also needs it for a TC-link-key Request Key)."""
        aux = None if key_id is None else self.aps_aux(sender, key_id, extended_nonce=True)
        frame = aps.ApsFrame(aps.FrameType.COMMAND, sender.next_aps_counter(), aux=aux)
        return self.send_aps(
            name,
            sender,
            dst,
            frame,
            cmd.encode(),
            link_key=link_key,
            nwk_secured=nwk_secured,
            command=cmd,
        )

    def aps_data(
        self,
        name: str,
        sender: Node,
        dst: int,
        *,
        cluster: int,
        payload: bytes,
        link_key: bytes | None = None,
        profile: int = aps.PROFILE_SMART_ENERGY,
        endpoint: int = 1,
        dst_endpoint: int = 1,
        ack: bool = True,
    ) -> Sent:
        """APS data, secured with ``link_key`` when given; an APS ACK follows when requested."""
        aux = None if link_key is None else self.aps_aux(sender, KeyId.DATA_KEY, False)
        broadcast = dst >= 0xFFF8
        frame = aps.ApsFrame(
            aps.FrameType.DATA,
            sender.next_aps_counter(),
            delivery_mode=aps.DeliveryMode.BROADCAST if broadcast else aps.DeliveryMode.UNICAST,
            dst_endpoint=dst_endpoint,
            cluster=cluster,
            profile=profile,
            src_endpoint=endpoint,
            ack_request=ack and not broadcast,
            aux=aux,
        )
        return self.send_aps(name, sender, dst, frame, payload, link_key=link_key)

    def aps_ack(self, sender: Node, to: Node, acked: Sent, link_key: bytes | None) -> Sent:
        """The APS ACK of ``acked``, secured with ``link_key`` when given."""
        data = acked.aps
        assert data is not None
        aux = None if link_key is None else self.aps_aux(sender, KeyId.DATA_KEY, False)
        frame = data.acknowledgement(aux)
        return self.send_aps("APS ack", sender, to.short, frame, b"", link_key=link_key)
