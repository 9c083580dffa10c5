"""A load generator: a HAN device application that sends near-full APS frames, back to back.

What drives a sub-GHz device's duty cycle up in a test (issue 10's ``dual-band-duty-cycle``):
a device that keeps talking. It sits beside the device's own application on the same node
(``HanPort``) and sends unacknowledged APS data without APS security, the largest payload one
secured NWK frame holds (``MAX_UNSECURED_APS_PAYLOAD``: a 127-byte PSDU, 11.12 ms on GB868), as
fast as the medium lets it (listen-before-talk and the 100 ms rule on GB868: about 9 % of an
hour at most). It is a fault knob, not a GB use case: it ignores Suspend ZCL Messages, as a
misbehaving device would; whoever runs it decides when it stops (``stop``, or ``frames``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..codec.eui64 import Eui64
from ..han.port import DeliveryError, HanPort, NotJoined
from ..han.stack.node import MAX_UNSECURED_APS_PAYLOAD

LOAD_CLUSTER = 0xFC00
"""[U] The cluster the load travels on: manufacturer-specific (0xFC00-0xFFFF), so no GB or SE
application reads it; the receiver drops it or counts it."""


@dataclass(frozen=True, slots=True)
class LoadProfile:
    payload_size: int = MAX_UNSECURED_APS_PAYLOAD
    cluster: int = LOAD_CLUSTER
    endpoint: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.payload_size <= MAX_UNSECURED_APS_PAYLOAD:
            raise ValueError(
                f"a load frame carries 1..{MAX_UNSECURED_APS_PAYLOAD} bytes (one frame, no APS "
                "security)"
            )


class LoadGenerator:
    """Sends ``profile``-sized frames to ``destination`` until stopped or ``frames`` are out."""

    def __init__(
        self, port: HanPort, destination: Eui64, profile: LoadProfile | None = None
    ) -> None:
        self.port = port
        self.destination = destination
        self.profile = profile or LoadProfile()
        self.sent = 0
        self.failed = 0
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """End ``run`` after the frame under way."""
        self._stop.set()

    async def run(self, frames: int | None = None) -> int:
        """Send until ``stop`` (or ``frames`` sent); returns how many went out. A frame the
        medium could not deliver (no MAC ACK, channel busy) counts in ``failed`` and the load
        goes on; off the network it ends."""
        self._stop.clear()
        payload = bytes(self.profile.payload_size)
        while not self._stop.is_set() and (frames is None or self.sent < frames):
            try:
                await self.port.send(
                    self.destination,
                    cluster=self.profile.cluster,
                    payload=payload,
                    src_endpoint=self.profile.endpoint,
                    dst_endpoint=self.profile.endpoint,
                    aps_security=False,
                    ack=False,
                )
                self.sent += 1
            except NotJoined:
                break
            except DeliveryError:
                self.failed += 1
        return self.sent
