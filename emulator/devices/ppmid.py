"""The PPMID (prepayment meter interface device) as a HAN device: a Prepayment and Metering client.

What is here so far: reading the credit and debt registers from an ESME over ``HanPort`` with ZCL
Read Attributes, APS-secured with the link key the two share. Top-ups, emergency credit, the GPF
and the dual-mode (SMETS1) personality come with issues 6 and 8.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.zcl import frame as zcl
from ..han.clock import Clock
from ..han.port import ApsMessage, HanPort
from .esme import PREPAYMENT

READ_TIMEOUT = 30.0  # modelled seconds for the meter's answer


@dataclass(frozen=True)
class Credit:
    credit_remaining: int
    emergency_credit_remaining: int
    credit_status: int
    accumulated_debt: int


class Ppmid:
    def __init__(self, han: HanPort, clock: Clock) -> None:
        self.han = han
        self.clock = clock
        self._tsn = itertools.count(1)
        self._answers: dict[tuple[Eui64, int], asyncio.Future[zcl.ZclFrame]] = {}

    def handle(self, msg: ApsMessage) -> None:
        """A ZCL frame from a meter: the answer to one of our reads."""
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        waiter = self._answers.get((msg.source, frame.tsn))
        if waiter is not None and not waiter.done():
            waiter.set_result(frame)

    async def read_credit(self, esme: Eui64) -> Credit:
        """Credit and debt from ``esme``'s Prepayment server; raises TimeoutError if it never
        answers and ValueError if it answers without the values."""
        tsn = next(self._tsn) & 0xFF
        waiter: asyncio.Future[zcl.ZclFrame] = asyncio.get_running_loop().create_future()
        self._answers[(esme, tsn)] = waiter
        try:
            request = zcl.read_attributes([0x0001, 0x0002, 0x0003, 0x0005], tsn=tsn)
            await self.han.send(esme, cluster=PREPAYMENT, payload=request.encode())
            async with self.clock.timeout(READ_TIMEOUT):
                answer = await waiter
        finally:
            self._answers.pop((esme, tsn), None)
        values = zcl.read_attributes_result(answer)
        try:
            return Credit(*(int(values[a]) for a in (0x0001, 0x0002, 0x0003, 0x0005)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the ESME did not return the credit registers: {values}") from exc
