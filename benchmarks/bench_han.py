"""Joins on one virtual HAN: 5, 50 and 500 nodes, each admitted and joined by install code.

Prints one JSON line per size: nodes, modelled seconds, wall seconds, and modelled/wall (how
many times faster than real time the HAN runs), the median of a few runs for small sizes.
Goals: the 5-node HAN runs >= 200x faster than modelled time, and wall time grows no worse than
linearly in nodes (compare wall_per_node_ms). Every joined node hears each joiner's beacon
request, the coordinator's beacon and the joiner's device announce, and authenticates the
announce, as on a real HAN: that broadcast fan-out is the part of a join that grows with N.
"""

from __future__ import annotations

import json
import statistics
import sys

from emulator.codec.eui64 import Eui64
from emulator.han.clock import VirtualClock
from emulator.han.stack.node import Role
from emulator.han.virtual import VirtualHan


def run(nodes: int) -> tuple[float, float]:
    clock = VirtualClock()

    async def main() -> None:
        han = VirtualHan(clock, seed=nodes)
        han.coordinator(Eui64("00-DB-12-34-56-78-90-A2"))
        members = [
            han.node(Eui64(0x00DB000000000000 + i), Role.ROUTER) for i in range(1, nodes + 1)
        ]
        await han.start()
        for i, node in enumerate(members):
            await han.admit_and_join(node, i.to_bytes(16, "big"))
        await han.stop()

    clock.run(main())
    return clock.modelled_seconds, clock.wall_seconds


def bench(nodes: int) -> dict[str, float]:
    runs = [run(nodes) for _ in range(max(1, 15 // nodes))]
    modelled = runs[0][0]  # identical in every run: same seed, same modelled history
    wall = statistics.median(w for _, w in runs)
    return {
        "nodes": nodes,
        "modelled_seconds": round(modelled, 3),
        "wall_seconds": round(wall, 3),
        "ratio": round(modelled / wall, 1),
        "wall_per_node_ms": round(1000 * wall / nodes, 2),
    }


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [5, 50, 500]
    for n in sizes:
        print(json.dumps(bench(n)), flush=True)
