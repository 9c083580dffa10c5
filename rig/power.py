"""Power switches a bench describes: how the rig resets a device under test (a physical PPMID
between MP202 cases, or CI's stand-in for one).

A bench's ``power:`` section names switches (``switch-name: {driver: ..., ...}``) and a node's
``power: switch-name/index`` its outlet; ``rig.bench`` checks the driver names and fields
(``POWER_DRIVERS``), this module switches them:

- ``command``: ``on:`` and ``off:`` command lines, ``{index}`` replaced by the outlet; run
  without a shell, so any PDU's CLI works (``uhubctl`` for USB power, ``curl`` to a netio...).
- ``NetworkPowerPort``: labgrid's resource (``model``, ``host``), switched by labgrid's own power
  backend ``labgrid.driver.power.<model>`` (``power_set(host, port, index, value)``, blocking: run
  in a thread). labgrid is the optional ``labgrid`` extra.
- ``emulated``: a stand-in's power input (``Powered``), handed in by whoever built the stand-in.

Command lines may carry a PDU's credentials, so errors name the switch and the program, never the
whole line; install codes never reach this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from emulator.han.clock import Clock
from rig.bench import POWER_DRIVERS, Bench, BenchNode

log = logging.getLogger(__name__)

OFF_SECONDS = 5.0
"""How long a power cycle leaves a device off [U]: long enough for its supply capacitors to drain
so it really restarts rather than browning out and carrying on (no PPMID's hold-up time is
published; labgrid's ``NetworkPowerDriver.cycle`` waits 2 s, this is more for margin)."""

COMMAND_TIMEOUT = 10.0
"""Seconds a ``command`` switch's program (or a labgrid backend's call) may take before the rig
gives up on it [U]: a networked PDU or a USB hub answers well within it. Timed on the running
loop, which is real time on any bench with a device under test."""

STDERR_TAIL = 300
"""Characters of a failed command's stderr kept in its ``PowerError``."""


class PowerError(Exception):
    """A switch that could not be set; the message names the switch and why."""


class Powered(Protocol):
    """An emulated device's power input."""

    async def power(self, on: bool) -> None: ...


class PowerSwitch(Protocol):
    """One outlet of one switch: ``name`` is ``switch/index`` (``switch-1/3``)."""

    @property
    def name(self) -> str: ...

    async def set(self, on: bool) -> None: ...


async def power_cycle(switch: PowerSwitch, clock: Clock, off_seconds: float = OFF_SECONDS) -> None:
    """Switch off, wait ``off_seconds`` on ``clock``, switch on. A failure to switch off raises
    before anything else; a cycle cancelled while off leaves the device off (the next cycle
    switches it on)."""
    await switch.set(False)
    await clock.sleep(off_seconds)
    await switch.set(True)


def _state(on: bool) -> str:
    return "on" if on else "off"


@dataclass(frozen=True)
class CommandSwitch:
    """A switch driven by a program: ``on`` and ``off`` are argument lists (``{index}`` already
    replaced)."""

    name: str
    on: tuple[str, ...] = field(repr=False)  # a command line may hold a PDU's password
    off: tuple[str, ...] = field(repr=False)
    timeout: float = COMMAND_TIMEOUT

    async def set(self, on: bool) -> None:
        argv = self.on if on else self.off
        what = f"power switch {self.name} ({_state(on)}: {argv[0]})"
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise PowerError(f"{what}: cannot run it: {exc.strerror or exc}") from None
        try:
            async with asyncio.timeout(self.timeout):
                _, stderr = await proc.communicate()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise PowerError(f"{what}: no answer within {self.timeout:g} s") from None
        if proc.returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip()[-STDERR_TAIL:]
            raise PowerError(
                f"{what}: exit status {proc.returncode}" + (f": {tail}" if tail else "")
            )
        log.info("power switch %s %s", self.name, _state(on))


@dataclass(frozen=True)
class LabgridSwitch:
    """A labgrid ``NetworkPowerPort``, switched by labgrid's power backend for its ``model``
    (``power_set(host, port, index, value)``). As labgrid's ``NetworkPowerDriver`` does without a
    proxy: ``port`` is the backend's ``PORT`` if it names one, else ``None`` (URL hosts)."""

    name: str
    backend: ModuleType = field(repr=False)
    host: str
    index: str
    timeout: float = COMMAND_TIMEOUT

    async def set(self, on: bool) -> None:
        port = getattr(self.backend, "PORT", None)
        call = asyncio.to_thread(self.backend.power_set, self.host, port, self.index, on)
        what = f"power switch {self.name} ({_state(on)})"
        try:
            async with asyncio.timeout(self.timeout):
                await call
        except TimeoutError:
            raise PowerError(f"{what}: no answer within {self.timeout:g} s") from None
        except Exception as exc:  # a backend raises what its HTTP/SNMP/telnet library raises
            reason = str(exc) or type(exc).__name__
            raise PowerError(f"{what}: {reason}") from exc
        log.info("power switch %s %s", self.name, _state(on))


@dataclass(frozen=True)
class EmulatedSwitch:
    """A stand-in's power input."""

    name: str
    device: Powered = field(repr=False)

    async def set(self, on: bool) -> None:
        await self.device.power(on)
        log.info("power switch %s %s", self.name, _state(on))


def _labgrid_backend(switch: str, model: str) -> ModuleType:
    if not model.isidentifier():
        raise PowerError(f"power switch {switch}: {model!r} names no labgrid power backend")
    module = f"labgrid.driver.power.{model}"
    try:
        backend = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name in ("labgrid", "labgrid.driver", "labgrid.driver.power"):
            raise PowerError(
                f"power switch {switch} is a labgrid NetworkPowerPort, and labgrid is not "
                "installed: pip install -e '.[labgrid]'"
            ) from None
        if exc.name == module:
            raise PowerError(
                f"power switch {switch}: labgrid has no power backend for model {model!r}"
            ) from None
        raise PowerError(
            f"power switch {switch}: labgrid's {model} backend needs {exc.name}"
        ) from None
    if not callable(getattr(backend, "power_set", None)):
        raise PowerError(f"power switch {switch}: labgrid's {model} backend has no power_set")
    return backend


def _command(switch: str, fields: Mapping[str, str], key: str, index: str) -> tuple[str, ...]:
    try:
        argv = tuple(shlex.split(fields[key].replace("{index}", index)))
    except ValueError as exc:
        raise PowerError(f"power switch {switch}: its {key} command line: {exc}") from None
    if not argv:
        raise PowerError(f"power switch {switch}: its {key} command line is empty")
    return argv


def power_switch(
    bench: Bench, node: BenchNode, emulated: Mapping[str, Powered] | None = None
) -> PowerSwitch:
    """The switch that powers ``node``, by its switch's ``driver``; ``emulated`` maps stand-in
    node names to their power inputs. ``PowerError`` if it cannot be built (no ``power:``, an
    unknown driver, labgrid missing, an emulated switch without its device)."""
    if node.power is None or node.power_switch is None:
        raise PowerError(f"node {node.name} has no power switch (a 'power: switch/index' line)")
    switch, index = node.power_switch, node.power_index or ""
    name = f"{switch}/{index}"
    fields: Mapping[str, Any] = bench.power.get(switch, {})
    driver = fields.get("driver", "")
    if driver not in POWER_DRIVERS:
        known = ", ".join(POWER_DRIVERS)
        raise PowerError(f"power switch {switch}: unknown driver {driver!r} (known: {known})")
    missing = [f for f in POWER_DRIVERS[driver] if f not in fields]
    if missing:
        raise PowerError(f"power switch {switch} (driver {driver}) lacks {', '.join(missing)}")
    if driver == "command":
        on = _command(switch, fields, "on", index)
        off = _command(switch, fields, "off", index)
        return CommandSwitch(name, on, off)
    if driver == "NetworkPowerPort":
        backend = _labgrid_backend(switch, fields["model"])
        if not index.isdigit():
            raise PowerError(f"power switch {switch}: an outlet is a number, got {index!r}")
        return LabgridSwitch(name, backend, fields["host"], str(int(index)))
    if not node.stand_in:
        raise PowerError(
            f"power switch {switch} is emulated: it powers stand-ins only, and node {node.name} "
            f"has radio {node.radio}"
        )
    device = (emulated or {}).get(node.name)
    if device is None:
        raise PowerError(
            f"power switch {switch} is emulated, and no emulated device was given for "
            f"stand-in {node.name}"
        )
    return EmulatedSwitch(name, device)
