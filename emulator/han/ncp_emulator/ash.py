"""The NCP side of ASH (UG101, "UART-EZSP Gateway Protocol"): what a dongle's UART firmware does.

The host (bellows) writes byte-stuffed frames ending in a Flag byte; this side unstuffs them,
checks their CRC, de-randomises DATA payloads and hands EZSP frames up in sequence, ACKing each
one. Frames going the other way are numbered, randomised, stuffed and kept until the host
acknowledges them; a NAK or the ACK timer makes them go again (with the reTx flag), and after
``MAX_ACK_TIMEOUTS`` silent timeouts the NCP sends an ERROR frame and stays failed until the host
resets it. An RST frame resets the link and is answered with RSTACK. A Cancel byte discards the
frame in progress, a Substitute byte the data up to the next Flag.

The frame classes (control byte, CRC, randomisation) are bellows' own (``bellows.ash``): the
layout is the protocol's, the behaviour here is ours. Time goes through the rig's ``Clock``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from bellows import ash
from bellows.types import NcpResetCode

from ..clock import Clock

LOG = logging.getLogger(__name__)

ASH_VERSION = 2
T_RX_ACK = 1.6
"""Seconds the NCP waits for the host's ACK of a DATA frame before sending it again (UG101's
initial t_rx_ack; we do not adapt it, the host side does)."""
MAX_ACK_TIMEOUTS = 4
"""Consecutive ACK timeouts after which the NCP gives up and sends ERROR (UG101: 4)."""
TX_WINDOW = 1
"""DATA frames in flight towards the host; bellows acknowledges one at a time (its TX_K)."""
MAX_FRAME = 256
"""Bytes of one unstuffed frame the receiver keeps; longer input is garbage until a Flag."""


class Reserved(IntEnum):
    FLAG = 0x7E
    ESCAPE = 0x7D
    XON = 0x11
    XOFF = 0x13
    SUBSTITUTE = 0x18
    CANCEL = 0x1A


_RESERVED = frozenset(int(r) for r in Reserved)


def stuff(frame: bytes) -> bytes:
    """Escape every reserved byte (UG101 §2.3): 0x7D, then the byte with bit 5 flipped."""
    out = bytearray()
    for byte in frame:
        if byte in _RESERVED:
            out += bytes((Reserved.ESCAPE, byte ^ 0x20))
        else:
            out.append(byte)
    return bytes(out)


@dataclass
class AshCounters:
    """What the link saw: for diagnostics and tests, never raised."""

    frames_in: int = 0
    data_in: int = 0
    crc_errors: int = 0
    naks_sent: int = 0
    naks_received: int = 0
    retransmissions: int = 0
    duplicates: int = 0
    resets: int = 0


class AshNcp:
    """One ASH link, NCP side. Feed it the host's bytes; it calls ``write`` with bytes for the
    host, ``deliver`` with each in-sequence EZSP frame and ``on_reset`` when the host resets it."""

    def __init__(
        self,
        clock: Clock,
        write: Callable[[bytes], None],
        deliver: Callable[[bytes], None],
        on_reset: Callable[[], None],
    ) -> None:
        self.clock = clock
        self._write = write
        self._deliver = deliver
        self._on_reset = on_reset
        self.counters = AshCounters()
        self._buffer = bytearray()
        self._escaped = False
        self._discarding = False
        self._connected = False
        self._failed = False
        self._rx_seq = 0  # the next frame number we expect from the host
        self._tx_seq = 0  # the number our next new DATA frame gets
        self._rejecting = False
        self._queue: list[bytes] = []  # EZSP frames waiting for a window slot
        self._in_flight: dict[int, bytes] = {}  # frame number -> EZSP frame, until ACKed
        self._timer: asyncio.TimerHandle | None = None
        self._timeouts = 0

    @property
    def connected(self) -> bool:
        """True from the host's RST until a failure (ERROR) or the next reset."""
        return self._connected and not self._failed

    # -- bytes in ----------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        for byte in data:
            if byte == Reserved.FLAG:
                frame, discarded = bytes(self._buffer), self._discarding or self._escaped
                self._buffer.clear()
                self._escaped = self._discarding = False
                if frame and not discarded:
                    self._frame(frame)
            elif byte == Reserved.CANCEL:
                self._buffer.clear()
                self._escaped = self._discarding = False
            elif byte == Reserved.SUBSTITUTE:
                self._buffer.clear()
                self._discarding = True
            elif byte in (Reserved.XON, Reserved.XOFF):
                continue  # software flow control: we never outrun a host
            elif self._discarding:
                continue
            elif byte == Reserved.ESCAPE:
                self._escaped = True
            else:
                self._buffer.append(byte ^ 0x20 if self._escaped else byte)
                self._escaped = False
                if len(self._buffer) > MAX_FRAME:
                    self._buffer.clear()
                    self._discarding = True

    def _frame(self, raw: bytes) -> None:
        self.counters.frames_in += 1
        try:
            frame = ash.parse_frame(raw)
        except (ash.ParsingError, ValueError, IndexError):
            self.counters.crc_errors += 1
            if raw[0] & ash.DataFrame.MASK == ash.DataFrame.MASK_VALUE:
                self._reject()
            return
        if isinstance(frame, ash.RstFrame):
            self._reset(NcpResetCode.RESET_SOFTWARE, notify=True)
            return
        if not self._connected or self._failed:
            return  # before RST (or after ERROR) the NCP ignores everything but RST
        if isinstance(frame, ash.DataFrame):
            self._acknowledged(frame.ack_num)
            self._data(frame)
        elif isinstance(frame, ash.AckFrame):
            self._acknowledged(frame.ack_num)
        elif isinstance(frame, ash.NakFrame):
            self.counters.naks_received += 1
            self._acknowledged(frame.ack_num)
            self._retransmit()

    def _data(self, frame: ash.DataFrame) -> None:
        if frame.frm_num == self._rx_seq:
            self.counters.data_in += 1
            self._rx_seq = (self._rx_seq + 1) % 8
            self._rejecting = False
            self._send_frame(ash.AckFrame(res=0, ncp_ready=0, ack_num=self._rx_seq))
            self._deliver(frame.ezsp_frame)
        elif frame.re_tx:
            # A retransmission of a frame we already have: our ACK was lost; ACK again.
            self.counters.duplicates += 1
            self._send_frame(ash.AckFrame(res=0, ncp_ready=0, ack_num=self._rx_seq))
        else:
            self._reject()

    def _reject(self) -> None:
        """Out of sequence or corrupt: one NAK, then silence until a good frame (the reject
        condition of UG101 §3.4)."""
        if self._connected and not self._failed and not self._rejecting:
            self._rejecting = True
            self.counters.naks_sent += 1
            self._send_frame(ash.NakFrame(res=0, ncp_ready=0, ack_num=self._rx_seq))

    # -- bytes out ---------------------------------------------------------------------------------
    def send(self, ezsp_frame: bytes) -> None:
        """Queue an EZSP frame (response or callback) for the host."""
        if not self.connected:
            return  # a dongle with no link up has no one to talk to
        self._queue.append(ezsp_frame)
        self._pump()

    def _pump(self) -> None:
        while self._queue and len(self._in_flight) < TX_WINDOW:
            number = self._tx_seq
            self._tx_seq = (self._tx_seq + 1) % 8
            self._in_flight[number] = self._queue.pop(0)
            self._send_data(number, re_tx=False)
        self._arm()

    def _send_data(self, number: int, re_tx: bool) -> None:
        frame = ash.DataFrame(
            frm_num=number, re_tx=re_tx, ack_num=self._rx_seq, ezsp_frame=self._in_flight[number]
        )
        self._send_frame(frame)

    def _send_frame(self, frame: ash.AshFrame) -> None:
        self._write(stuff(frame.to_bytes()) + bytes((Reserved.FLAG,)))

    def _acknowledged(self, ack_num: int) -> None:
        """The host has every frame before ``ack_num``: drop them from the in-flight set."""
        progressed = False
        for number in list(self._in_flight):
            if (ack_num - number - 1) % 8 < TX_WINDOW:
                del self._in_flight[number]
                progressed = True
        if progressed:
            self._timeouts = 0
            self._disarm()
            self._pump()

    def _retransmit(self) -> None:
        for number in sorted(self._in_flight, key=lambda n: (n - self._tx_seq) % 8):
            self.counters.retransmissions += 1
            self._send_data(number, re_tx=True)
        self._arm()

    def _arm(self) -> None:
        if self._in_flight and self._timer is None:
            self._timer = self.clock.call_later(T_RX_ACK, self._ack_timeout)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _ack_timeout(self) -> None:
        self._timer = None
        if not self._in_flight or self._failed:
            return
        self._timeouts += 1
        if self._timeouts >= MAX_ACK_TIMEOUTS:
            LOG.warning("ASH: no ACK from the host after %d tries: entering ERROR", self._timeouts)
            self._failed = True
            self._send_frame(
                ash.ErrorFrame(
                    version=ASH_VERSION,
                    reset_code=NcpResetCode.ERROR_EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT,
                )
            )
            self._in_flight.clear()
            self._queue.clear()
            return
        self._retransmit()

    # -- reset -------------------------------------------------------------------------------------
    def _reset(self, code: NcpResetCode, notify: bool) -> None:
        self.counters.resets += 1
        self._disarm()
        self._queue.clear()
        self._in_flight.clear()
        self._rx_seq = self._tx_seq = 0
        self._timeouts = 0
        self._rejecting = self._failed = False
        self._connected = True
        if notify:
            self._on_reset()
        self._send_frame(ash.RStackFrame(version=ASH_VERSION, reset_code=code))

    def power_cycle(self, code: NcpResetCode = NcpResetCode.RESET_POWER_ON) -> None:
        """The dongle restarts on its own (brown-out, watchdog): it announces itself with RSTACK
        and the host has to resynchronise."""
        self._reset(code, notify=False)

    def close(self) -> None:
        self._disarm()
        self._connected = False
