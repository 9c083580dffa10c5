"""One emulated dongle: the pty, the ASH link and the EZSP NCP, wired and started together."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import TracebackType

from bellows.types import NcpResetCode

from ...codec.eui64 import Eui64
from ..medium import Channel
from ..stack.state import MemoryStateStore, StateStore
from ..virtual import VirtualHan
from .ash import AshNcp
from .ezsp import DEFAULT_VERSION
from .ncp import EzspNcp
from .pty import PtyPort


class NcpEmulator:
    """A dongle whose radio is a node of ``han`` (on the HAN's band; the channel is the one the
    host forms on). ``store`` is its flash: give the same one to a new emulator to model a
    dongle unplugged and plugged back in."""

    def __init__(
        self,
        han: VirtualHan,
        eui64: Eui64,
        *,
        link: Path | None = None,
        store: StateStore | None = None,
        version: int = DEFAULT_VERSION,
    ) -> None:
        self.han = han
        self.store = store if store is not None else MemoryStateStore()
        self.port = PtyPort(link)
        self.ash = AshNcp(han.clock, self.port.write, self._on_ezsp, self._on_host_reset)
        band = han.channel.band
        page = han.channel.page
        self.ncp = EzspNcp(
            han.clock,
            han.medium,
            lambda number: Channel(band, page, number),
            eui64,
            self.store,
            self.ash.send,
            version=version,
            seed=han.seed,
        )
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def path(self) -> Path:
        """The serial port a host opens."""
        return self.port.path

    async def __aenter__(self) -> NcpEmulator:
        self.port.start(self.ash.feed)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self.ash.close()
        await self.ncp.reset()
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        self.port.close()

    def _on_ezsp(self, frame: bytes) -> None:
        self.ncp.handle(frame)

    def _on_host_reset(self) -> None:
        # The chip reboots before it answers RSTACK: drop everything in RAM now, stop the node
        # in the background (its tasks end at their next await).
        task = asyncio.get_running_loop().create_task(self.ncp.reset())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def power_cycle(self, code: NcpResetCode = NcpResetCode.RESET_POWER_ON) -> None:
        """The dongle resets on its own (a brown-out, a watchdog): RAM is lost, flash stays,
        and it announces the reset with an unsolicited RSTACK."""
        await self.ncp.reset()
        self.ash.power_cycle(code)
