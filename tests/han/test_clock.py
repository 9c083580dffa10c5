"""VirtualClock: modelled time that jumps over idle periods, deterministically; RealClock."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from emulator.han.clock import DEFAULT_EPOCH, RealClock, VirtualClock, VirtualTimeLoop

NINETY_DAYS = 90 * 86400.0


async def test_tests_run_on_virtual_time() -> None:
    assert isinstance(asyncio.get_running_loop(), VirtualTimeLoop)


async def test_ninety_days_pass_in_well_under_a_second() -> None:
    clock = VirtualClock()
    start = time.perf_counter()
    await clock.sleep(NINETY_DAYS)
    assert clock.now() == pytest.approx(NINETY_DAYS)
    assert time.perf_counter() - start < 0.5
    assert clock.datetime() == DEFAULT_EPOCH + (clock.datetime() - DEFAULT_EPOCH)
    assert (clock.datetime() - DEFAULT_EPOCH).days == 90


async def test_timers_fire_in_deadline_order_at_their_modelled_times() -> None:
    clock = VirtualClock()
    fired: list[tuple[str, float]] = []

    async def wait(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        fired.append((name, clock.now()))

    async with asyncio.TaskGroup() as tg:
        for name, seconds in [("c", 3.0), ("a", 0.001), ("b", 2.5), ("d", 3600.0)]:
            tg.create_task(wait(name, seconds))
    assert fired == [("a", 0.001), ("b", 2.5), ("c", 3.0), ("d", 3600.0)]


async def test_timeouts_are_modelled_too() -> None:
    clock = VirtualClock()
    with pytest.raises(TimeoutError):
        async with clock.timeout(30):
            await asyncio.Event().wait()
    assert clock.now() == pytest.approx(30)


def test_run_reports_wall_time_and_is_deterministic() -> None:
    def trace() -> list[tuple[int, float]]:
        clock = VirtualClock()
        out: list[tuple[int, float]] = []

        async def worker(i: int) -> None:
            for k in range(5):
                await clock.sleep(0.25 * ((i * 7 + k * 3) % 5))
                out.append((i, clock.now()))

        async def main() -> None:
            async with asyncio.TaskGroup() as tg:
                for i in range(6):
                    tg.create_task(worker(i))

        clock.run(main())
        assert clock.wall_seconds < 1.0
        return out

    assert trace() == trace()


async def test_real_descriptors_are_still_served() -> None:
    """Ready I/O is delivered before time jumps, so a pending long timer does not starve it."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    loop = asyncio.get_running_loop()
    clock = VirtualClock()
    try:
        b.send(b"ping")
        got = await asyncio.wait_for(loop.sock_recv(a, 4), timeout=60)
        assert got == b"ping"
        assert clock.now() < 1.0
    finally:
        a.close()
        b.close()


def test_real_clock_measures_wall_time() -> None:
    async def main() -> float:
        clock = RealClock()
        await clock.sleep(0.02)
        return clock.now()

    assert 0.015 < asyncio.run(main()) < 1.0


def test_a_timer_due_exactly_now_runs_after_194_modelled_days() -> None:
    """Past 2**24 s, now + 1 ns rounds back to now: the loop's resolution follows the float
    step, so a sleep landing exactly on a later timer's time still ends (no spin)."""
    clock = VirtualClock()

    async def main() -> float:
        await clock.sleep(2**25 + 0.5)  # about 388 days
        await asyncio.gather(clock.sleep(1.0), clock.sleep(1.0))
        return clock.now()

    assert clock.run(main()) == 2**25 + 1.5
