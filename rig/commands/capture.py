"""`hil-rig capture ...`: captures of secured HAN exchanges."""

from __future__ import annotations

import click


@click.group()
def capture() -> None:
    """Build and write pcap captures."""
