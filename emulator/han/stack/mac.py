"""The stack's MAC service: frame sequence numbers, direct sends and indirect transmission.

A parent does not send to a sleepy child (rx off when idle) directly: it queues the frame, its
radio's ACK to the child's Data Request carries the frame-pending bit, and the frame goes out
right after (IEEE 802.15.4-2006 §7.5.6.3). Frames nobody polls for expire after
macTransactionPersistenceTime.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass

from ...codec import ieee802154 as mac
from ...codec.eui64 import Eui64
from ..clock import Clock
from ..medium import Radio, TxResult, TxStatus

TRANSACTION_PERSISTENCE = 7.68  # macTransactionPersistenceTime: 0x01F4 units of 15.36 ms


@dataclass
class _Pending:
    frame: mac.MacFrame
    expires: float


class MacService:
    def __init__(self, radio: Radio, clock: Clock, seq_start: int = 0) -> None:
        self.radio = radio
        self.clock = clock
        self._seq = seq_start & 0xFF
        self._indirect: dict[int | Eui64, deque[_Pending]] = {}
        radio.pending_for = self.has_pending

    def next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFF
        return self._seq

    @property
    def pan_id(self) -> int:
        assert self.radio.pan_id is not None
        return self.radio.pan_id

    def data_frame(self, dst: int | Eui64, payload: bytes) -> mac.MacFrame:
        """A data frame to ``dst`` on our PAN from our short address (broadcasts unacknowledged)."""
        return mac.MacFrame(
            mac.FrameType.DATA,
            self.next_seq(),
            dst_pan=self.pan_id,
            dst=dst,
            src=self.radio.short if self.radio.short is not None else self.radio.eui64,
            pan_id_compression=True,
            ack_request=dst != mac.BROADCAST_SHORT,
            payload=payload,
        )

    async def send(self, frame: mac.MacFrame) -> TxResult:
        return await self.radio.transmit(frame.psdu())

    # -- indirect transmission ----------------------------------------------------------------
    def queue_indirect(self, child: int | Eui64, frame: mac.MacFrame) -> None:
        entry = _Pending(frame, self.clock.now() + TRANSACTION_PERSISTENCE)
        self._indirect.setdefault(child, deque()).append(entry)

    def has_pending(self, child: int | Eui64) -> bool:
        queue = self._indirect.get(child)
        now = self.clock.now()
        while queue and queue[0].expires < now:
            queue.popleft()
        return bool(queue)

    async def on_data_request(self, child: int | Eui64) -> None:
        """A child polled: send what we hold for it, one frame per poll (pending bit for more)."""
        if not self.has_pending(child):
            return
        entry = self._indirect[child].popleft()
        more = self.has_pending(child)
        frame = entry.frame
        if more != frame.frame_pending:
            frame = dataclasses.replace(frame, frame_pending=more)
        result = await self.send(frame)
        if result.status != TxStatus.SUCCESS:
            self._indirect[child].appendleft(entry)  # kept for the next poll until it expires
