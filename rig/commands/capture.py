"""`hil-rig capture ...`: captures of secured HAN exchanges."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console


@click.group()
def capture() -> None:
    """Build and write pcap captures."""


@capture.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write han-2g4.pcap (and keys.json) into.",
)
@click.option(
    "--reveal-keys",
    is_flag=True,
    help="Also write keys.json and a Wireshark zigbee_pc_keys file (test keys only).",
)
def demo(out: Path, reveal_keys: bool) -> None:
    """An ESME joins a hub with its install code; SE traffic follows (secured, real bytes)."""
    from rig.capture_demo import write_demo

    result = write_demo(out, reveal_keys)
    console = Console()
    console.print(
        f"[bold]capture[/]  {result.pcap}  ({result.frames} frames, "
        f"{result.modelled_seconds:.3f} s modelled)"
    )
    if result.keys is not None:
        console.print(
            f"[bold]keys[/]     {result.keys}  (test-only keys; Wireshark: "
            f"{result.keys.parent / 'zigbee_pc_keys'})"
        )
    else:
        console.print("[bold]keys[/]     not written (pass --reveal-keys)")
