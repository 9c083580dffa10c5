"""`hil-rig ncp-emulator --pty PATH`: an emulated EZSP dongle on a virtual HAN, for any host."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click
from rich.console import Console

from emulator.codec.eui64 import Eui64
from emulator.han.clock import RealClock
from emulator.han.ncp_emulator import NcpEmulator
from emulator.han.ncp_emulator.ezsp import DEFAULT_VERSION, SUPPORTED_VERSIONS
from emulator.han.stack.state import MemoryStateStore, SqliteStateStore, StateStore
from emulator.han.virtual import VirtualHan

DEFAULT_EUI64 = "00-DB-12-34-56-78-90-A2"  # the RTDS Comms Hub's CHF


@click.command("ncp-emulator")
@click.option(
    "--pty",
    "pty_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Symlink to create for the emulated serial port (what the host opens).",
)
@click.option("--eui64", default=DEFAULT_EUI64, show_default=True, help="The dongle's EUI-64.")
@click.option(
    "--ezsp-version",
    type=click.Choice([str(v) for v in SUPPORTED_VERSIONS]),
    default=str(DEFAULT_VERSION),
    show_default=True,
    help="EZSP protocol version the dongle speaks.",
)
@click.option(
    "--flash",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file for the dongle's tokens (its network survives restarts); default: RAM.",
)
@click.option(
    "--capture-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the virtual HAN's frames to han-2g4.pcap here.",
)
@click.option("--seed", default=1, show_default=True, help="Seeds the radio model.")
def ncp_emulator(
    pty_path: Path,
    eui64: str,
    ezsp_version: str,
    flash: Path | None,
    capture_dir: Path | None,
    seed: int,
) -> None:
    """Emulate an EZSP (Silicon Labs) USB dongle on a pty, backed by a virtual HAN.

    bellows, zigpy-cli or Home Assistant's ZHA open PATH as they would /dev/ttyUSB0. Runs on the
    wall clock until interrupted.
    """
    console = Console(stderr=True)
    try:
        who = Eui64(eui64)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--eui64") from None
    if capture_dir is not None:
        capture_dir.mkdir(parents=True, exist_ok=True)
    store: StateStore = SqliteStateStore(flash) if flash is not None else MemoryStateStore()

    async def serve() -> None:
        han = VirtualHan(RealClock(), seed=seed, capture_dir=capture_dir)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with NcpEmulator(han, who, link=pty_path, store=store, version=int(ezsp_version)):
            console.print(
                f"EZSP v{ezsp_version} NCP {who} on [bold]{pty_path}[/] "
                f"-> {pty_path.resolve()}; Ctrl-C stops it"
            )
            await stop.wait()
        await han.stop()

    try:
        asyncio.run(serve())
    finally:
        if isinstance(store, SqliteStateStore):
            with contextlib.suppress(Exception):
                store.close()
