"""`hil-rig bench check FILE`: validate a bench file and ask each of its dongles who it is.

Exit status: 0 when the file is valid and every dongle answered, 1 when a dongle is missing,
busy or silent, 2 when the file is invalid (its error names the line). An ``ncp-emulator``
radio is started for the check (it exists only while a run uses it) and probed the same way.
Power switches are listed with their driver, never switched; a command switch shows only its
programs (its command lines may carry a PDU's password) and a host only without any user:password@.
Install codes are never printed.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from emulator.codec.eui64 import Eui64
from emulator.han.clock import RealClock
from emulator.han.ncp import DongleUnavailable, RadioSettings
from emulator.han.ncp.probe import DongleInfo, probe_dongle
from emulator.han.ncp_emulator import NcpEmulator
from emulator.han.virtual import VirtualHan
from rig.bench import Bench, BenchError, BenchNode, read_bench

EMULATED_DONGLE = "00-DB-12-34-56-78-90-A2"  # what an ncp-emulator radio is (the hub's CHF)


@click.group("bench")
def bench() -> None:
    """Bench files (hardware/*.yaml)."""


def settings_of(node: BenchNode, port: str | None = None) -> RadioSettings:
    r = node.radio
    return RadioSettings(
        port or r.port,
        baudrate=r.baudrate,
        flow_control=r.flow_control,  # type: ignore[arg-type]
        channel=r.channel,
        tx_power=r.tx_power,
    )


async def _probe(node: BenchNode) -> DongleInfo:
    if node.radio.kind != "ncp-emulator":
        return await probe_dongle(settings_of(node))
    han = VirtualHan(RealClock())
    with tempfile.TemporaryDirectory(prefix="hil-rig-") as tmp:
        try:
            async with NcpEmulator(han, Eui64(EMULATED_DONGLE), link=Path(tmp) / "tty") as ncp:
                return await probe_dongle(settings_of(node, str(ncp.path)))
        finally:
            await han.stop()


def _program(line: str) -> str:
    try:
        return (shlex.split(line) or ["?"])[0]
    except ValueError:
        return "?"


def describe_switch(fields: dict[str, str]) -> str:
    """A switch's driver and what it reaches, without credentials."""
    driver = fields["driver"]
    if driver == "command":
        return f"driver command (on: {_program(fields['on'])}, off: {_program(fields['off'])})"
    if driver == "NetworkPowerPort":
        host = re.sub(r"//[^/@\s]*@", "//", fields["host"])
        return f"driver NetworkPowerPort (labgrid {fields['model']} at {host})"
    if driver == "emulated":
        return "driver emulated (a stand-in's power input)"
    return f"driver {driver}"


@bench.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate FILE and probe its dongles (EZSP version, EUI-64, stack state)."""
    out = Console(highlight=False, soft_wrap=True)
    try:
        spec: Bench = read_bench(file)
    except BenchError as exc:
        raise click.UsageError(str(exc)) from None
    features = ", ".join(sorted(spec.features)) or "none"
    out.print(f"[bold]{escape(spec.name)}[/]: backend {spec.backend}, clock {spec.clock}")
    out.print(f"  features: {escape(features)}")
    failures = 0
    for node in spec.nodes.values():
        label = f"  {node.name} ({node.role})"
        if node.under_test:
            bands = ", ".join(node.bands)
            cpl = f", CPL {node.cpl.manufacturer}/{node.cpl.model}" if node.cpl else ""
            power = f", power {node.power}" if node.power else ""
            what = "stand-in (emulated device under test)" if node.stand_in else "device under test"
            out.print(
                f"{label}: {what} {node.eui64}, {node.smets_version or 'SMETS ?'}, "
                f"bands {bands}{escape(cpl)}{escape(power)}, install code given"
            )
            continue
        if not node.radio.is_dongle:
            out.print(f"{label}: {node.radio}")
            continue
        try:
            info = asyncio.run(_probe(node))
        except DongleUnavailable as exc:
            failures += 1
            out.print(f"{label}: [red]✗[/] {escape(str(exc))}")
            continue
        network = (
            f"{info.network_state} (channel {info.channel}, PAN 0x{info.pan_id:04X}, "
            f"{info.node_type})"
            if info.pan_id is not None
            else info.network_state
        )
        stack = f", EmberZNet {info.stack_version}" if info.stack_version else ""
        out.print(
            f"{label}: [green]✓[/] {escape(str(node.radio))}: EZSP v{info.ezsp_version}"
            f"{stack}, EUI-64 {info.eui64}, {network}"
        )
    for switch, fields in spec.power.items():
        out.print(f"  power {switch}: {escape(describe_switch(fields))}; not switched by the check")
    if spec.keys is not None:
        k = spec.keys
        out.print(
            f"  keys: the lab's SMKI keystore {escape(str(k.smki))} (ACB {k.acb}, Supplier "
            f"{k.supplier}); not read by the check"
        )
    if failures:
        out.print(f"[red]{failures} dongle(s) did not answer[/]")
        raise SystemExit(1)
    out.print("[green]bench OK[/]")
