"""Independent premises in one process: 1, 10 and 100 runs of the flagship scenario at once.

The scenario is what ``make run`` runs, ``commission-premises`` (a hub, ESME, sleepy GSME and
PPMID whitelisted, joined, joined to each other, commissioned; a top-up). All premises share one
virtual-time loop and run concurrently, each with its own HAN, DCC and run directory (under a
temporary directory), as a CI job testing many premises would. Every premises must pass.

Prints one JSON line per size: premises, modelled seconds, wall seconds, modelled/wall and peak
memory (each size in a fresh interpreter, so the peak is that size's own). Goals: one premises
>= 200x faster than modelled time; 100 premises in <= 20 s wall.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from emulator.han.clock import VirtualClock
from rig.scenarios import registry
from rig.scenarios.context import EVENTS_FILE, EventLog, RunContext
from rig.scenarios.runner import execute

SCENARIO = "commission-premises"


def run(premises: int) -> dict[str, float]:
    sc = registry().get(SCENARIO)
    clock = VirtualClock()
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for i in range(premises):
            out = Path(tmp) / f"premises-{i}"
            out.mkdir()
            runs.append(RunContext(out, i + 1, clock, EventLog(out / EVENTS_FILE, clock)))

        async def main() -> list[str | None]:
            return await asyncio.gather(*(execute(sc, r) for r in runs))

        errors = clock.run(main())
        for r in runs:
            r.events.close()
        failed = [
            f"premises {i}: {error or [s.name for s in r.steps if s.outcome.value != 'pass']}"
            for i, (r, error) in enumerate(zip(runs, errors, strict=True))
            if error or any(s.outcome.value != "pass" for s in r.steps)
        ]
        if failed:
            raise SystemExit("; ".join(failed))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "premises": premises,
        "modelled_seconds": round(clock.modelled_seconds, 3),
        "wall_seconds": round(clock.wall_seconds, 3),
        "ratio": round(clock.modelled_seconds / clock.wall_seconds, 1),
        "peak_memory_mib": round(peak_kib / 1024, 1),
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # each run's expected TSAT warnings are noise here
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run(int(sys.argv[2]))), flush=True)
    else:
        for n in [int(a) for a in sys.argv[1:]] or [1, 10, 100]:
            subprocess.run([sys.executable, __file__, "--one", str(n)], check=True)
