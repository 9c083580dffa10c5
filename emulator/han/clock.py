"""One time source for the whole rig (DESIGN.md rule 3): virtual or real.

``VirtualClock`` runs ordinary asyncio code in modelled time. Its event loop reports modelled time
from ``time()``, and when every task is waiting it does not sleep: it jumps to the next timer. So
"90 days of install-and-leave" takes as long as the work done in it, and a run is deterministic
for a given seed (asyncio orders ready callbacks FIFO and timers by deadline, then insertion).
Real file descriptors still work: the loop polls them before each jump and delivers what is ready,
but a virtual-time run must not *wait* on the outside world (a broker, a dongle): a HAN with real
hardware or real services runs on ``RealClock`` (DESIGN.md rule 3).

Device and rig code take a ``Clock`` and use ``now()``, ``sleep()``, ``call_later()`` and
``timeout()``; under ``VirtualClock`` plain asyncio waits are virtual too, but going through the
clock keeps the code honest about which time it means.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Modelled time zero, unless a run says otherwise (captures stamp frames from it)."""


class Clock(Protocol):
    """What device, HAN and rig code may ask of time."""

    epoch: datetime

    @property
    def is_virtual(self) -> bool: ...

    def now(self) -> float:
        """Modelled seconds since the run's start."""
        ...

    def sleep(self, seconds: float) -> Awaitable[None]: ...

    def call_later(self, delay: float, callback: Callable[[], object]) -> asyncio.TimerHandle: ...

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[Any]: ...

    def datetime(self) -> datetime:
        """The modelled calendar time: ``epoch + now()``."""
        ...


class _LoopClock:
    """The clock API over the running loop's notion of time."""

    epoch: datetime
    _origin: float

    def _loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def now(self) -> float:
        return self._loop().time() - self._origin

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def call_later(self, delay: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
        return self._loop().call_later(max(0.0, delay), callback)

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[Any]:
        return asyncio.timeout(seconds)

    def datetime(self) -> datetime:
        return self.epoch + timedelta(seconds=self.now())


class _JumpingSelector(selectors.BaseSelector):
    """Wraps the loop's real selector: polls real descriptors, then jumps virtual time."""

    def __init__(self, real: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._real = real
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # Nothing scheduled: only the outside world (or another thread) can wake us.
            return self._real.select(None)
        self._loop.advance(timeout)
        return []

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Any:
        return self._real.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock is modelled time, advanced only by jumps to the next timer."""

    def __init__(self) -> None:
        self._virtual_now = 0.0
        super().__init__(selectors.DefaultSelector())
        self._selector: selectors.BaseSelector = _JumpingSelector(self._selector, self)

    @property
    def _clock_resolution(self) -> float:
        """How close to now a timer must be to run: 1 ns, or one float step of now if larger.
        asyncio runs a timer due before ``time() + resolution``; past 2**24 modelled seconds
        (194 days) ``now + 1e-9`` rounds back to ``now``, and a timer due exactly now would
        never run while the loop spun on a zero timeout."""
        return max(1e-9, math.ulp(self._virtual_now))

    @_clock_resolution.setter
    def _clock_resolution(self, _value: float) -> None:
        pass  # asyncio's constructor sets the wall clock's; modelled time has its own

    def time(self) -> float:
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        self._virtual_now += seconds


class VirtualClock(_LoopClock):
    """Modelled time on a ``VirtualTimeLoop``; ``run()`` drives a coroutine to completion.

    Used inside an already running ``VirtualTimeLoop`` (the test suite's), it measures from its
    creation; ``run()`` makes a fresh loop.
    """

    is_virtual = True

    def __init__(self, epoch: datetime = DEFAULT_EPOCH) -> None:
        self.epoch = epoch
        self._origin = 0.0
        self.wall_seconds = 0.0
        self.modelled_seconds = 0.0
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if not isinstance(loop, VirtualTimeLoop):
            raise RuntimeError("VirtualClock needs a VirtualTimeLoop: use VirtualClock.run()")
        self._origin = loop.time()

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` on a fresh virtual-time loop; afterwards ``modelled_seconds`` says how much
        modelled time it covered and ``wall_seconds`` what it really took."""
        loop = VirtualTimeLoop()
        self._origin = loop.time()
        start = time.perf_counter()
        try:
            return loop.run_until_complete(main)
        finally:
            self.wall_seconds = time.perf_counter() - start
            self.modelled_seconds = loop.time() - self._origin
            _cancel_remaining(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    """As ``asyncio.run`` does: cancel what ``main`` left running and let it unwind."""
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class RealClock(_LoopClock):
    """Wall time: for any HAN with real hardware or real outside services in it."""

    is_virtual = False

    def __init__(self, epoch: datetime | None = None) -> None:
        self.epoch = epoch or datetime.now(UTC)
        try:
            self._origin = asyncio.get_running_loop().time()
        except RuntimeError:
            self._origin = time.monotonic()  # asyncio's default loop clock
