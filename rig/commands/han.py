"""`hil-rig han ...`: the virtual HAN on its own."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console


@click.group()
def han() -> None:
    """Run virtual HANs."""


@han.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for han-2g4.pcap, summary.json (and keys.json).",
)
@click.option(
    "--nodes",
    default=3,
    show_default=True,
    type=click.IntRange(0, 2000),
    help="Routers joining besides the sleepy end device and the refused node.",
)
@click.option(
    "--seed", default=1, show_default=True, help="Seeds install codes, keys and the radio."
)
@click.option(
    "--loss",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0.0, 0.9),
    help="Probability that any one frame is lost on any one link.",
)
@click.option(
    "--zep-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Also stream every frame live as ZEP v2 to 127.0.0.1:PORT (Wireshark listens on 17754).",
)
@click.option(
    "--reveal-keys",
    is_flag=True,
    help="Also write keys.json and a Wireshark zigbee_pc_keys file (test keys only).",
)
def demo(
    out: Path, nodes: int, seed: int, loss: float, zep_port: int | None, reveal_keys: bool
) -> None:
    """A hub admits routers and a sleepy device by install code and refuses a wrong code."""
    from rig.han_demo import write_demo

    result = write_demo(out, nodes, seed, loss, reveal_keys, zep_port)
    s = result.summary
    console = Console()
    console.print(
        f"joined {len(s['joined'])}, refused {len(s['refused'])}, "
        f"{s['frames']} frames, {s['modelled_seconds']:.3f} s modelled in "
        f"{s['wall_seconds']:.3f} s wall"
    )
    console.print(f"[bold]capture[/]  {result.pcap}")
    console.print(f"[bold]summary[/]  {out / 'summary.json'}")
    console.print(f"[bold]keys[/]     {result.keys or 'not written (pass --reveal-keys)'}")
