"""A stand-in for a physical PPMID: the dual-mode PPMID emulator, behaving on its own.

``hil-rig conformance ppmid`` runs the MP202 matrix against a physical PPMID that the rig cannot
drive: the rig whitelists it (SRV 8.11), switches its power, and watches what it does on the
HAN. CI proves that path with this stand-in. The rig never calls into it; what it does comes
from its power input (``power``), as on a bench's power switch:

- **network**: on power-on, a secured rejoin if its stack kept a network (ZigBee R22
  §3.6.1.4.2), else a join with its install code, tried again every ``JOIN_RETRY`` until a
  Trust Centre admits it (a PPMID keeps looking for its network); after an install-code join,
  CBKE with its Trust Centre (``CBKE_TRIES``). Asked to leave (NWK Leave, ``Left`` of itself),
  it looks for a network again the same way.
- **personality**: ``DualModePpmid.run`` chooses it after CBKE with the Trust Centre (its Get
  Supported Tunnel Protocols probe, ``dual_mode.py``); it is kept in the device's store, so a
  power cycle keeps it.
- **display**: once the personality has a prepayment source (SMETS2+: an ESME on its Device Log,
  after the CHF's CS03A2; SMETS1: its Trust Centre's ESI), it reads the credit at once and then
  every ``display_period`` (``shown``). A failed read leaves the display as it was.
- **power off**: every task ends, the stack stops (its receivers off: it neither sends nor
  hears); what matters is in the stores (the stack's own, the device's ``store``). The display
  is blank until the first read after the next power-on [I].

It composes ``DualModePpmid`` (GBCS, Basic, personality) and adds only the autonomy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from ..codec.eui64 import Eui64
from ..codec.gbcs import KeyStore
from ..codec.security.keys import install_code_key
from ..han.clock import Clock
from ..han.key_establishment import (
    KEY_ESTABLISHMENT_CLUSTER,
    KeyEstablishmentFailed,
    KeyEstablishmentService,
)
from ..han.port import DeliveryError, Left
from ..han.stack.node import EmulatedStack, JoinError
from ..han.stack.state import StateStore
from .dual_mode import DualModePpmid, DualModeProfile
from .ppmid import Credit, MeterRefused

log = logging.getLogger(__name__)

JOIN_RETRY = 10.0
"""Modelled seconds between the end of a failed join and the next attempt [I]: physical PPMIDs
keep scanning for their network at some such period; manufacturers do not publish it."""
CBKE_TRIES = 3
"""CBKE attempts with the Trust Centre after an install-code join before it waits for the
next join [I] (the hub may still be settling the TC link key)."""
CBKE_RETRY = 5.0
"""Modelled seconds between CBKE attempts [I]."""
DISPLAY_PERIOD = 30.0
"""Modelled seconds between credit reads for the display [I]: a consumer display refreshes
within a minute; ZSE and GBCS leave the period to the device."""
SOURCE_CHECK = 1.0
"""Modelled seconds between looks for a prepayment source while there is none [I]."""
READ_FAILURES = (MeterRefused, DeliveryError, TimeoutError, LookupError, ValueError)
"""What a credit read may end with that leaves the display as it was (ValueError covers a
malformed answer, DecodeError included)."""


class StandInPpmid:
    """A dual-mode PPMID emulator that behaves as a physical PPMID does: joins, runs CBKE,
    chooses its personality and reads credit for its display on its own (module docstring)."""

    def __init__(
        self,
        stack: EmulatedStack,
        cbke: KeyEstablishmentService,
        clock: Clock,
        profile: DualModeProfile,
        install_code: bytes,
        *,
        trust_centre: Eui64,
        keystore: KeyStore | None,
        acb: Eui64 | None,
        store: StateStore,
        display_period: float = DISPLAY_PERIOD,
    ) -> None:
        self.stack, self.cbke, self.clock, self.profile = stack, cbke, clock, profile
        self._install_key = install_code_key(install_code)  # checks the length; never logged
        self.trust_centre = Eui64(trust_centre)
        self.keystore, self.acb, self.store = keystore, acb, store
        if display_period <= 0:
            raise ValueError(f"display period must be positive, got {display_period}")
        self.display_period = display_period
        self.powered = False
        self._ppmid: DualModePpmid | None = None
        self.shown: Credit | None = None
        """The credit on its display, as last read (None: nothing shown yet)."""
        self._left = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def eui64(self) -> Eui64:
        return self.stack.eui64

    @property
    def ppmid(self) -> DualModePpmid:
        """The actor of the current (or last) power-on: a new one over the same store at each,
        as a physical device boots from its memory. Before the first power-on there is none
        (RuntimeError): a device never switched on arms nothing, e.g. a stored future-dated
        firmware activation."""
        if self._ppmid is None:
            raise RuntimeError(f"{self.eui64} was never powered on")
        return self._ppmid

    def _actor(self) -> DualModePpmid:
        return DualModePpmid(
            self.stack, self.clock, self.profile, self.store, self.keystore, self.acb,
            cbke=self.cbke, trust_centre=self.trust_centre,
        )  # fmt: skip

    # ---- the power input ----------------------------------------------------------------------

    async def power(self, on: bool) -> None:
        """Switch the device on or off (nothing happens if it already is)."""
        if on and not self.powered:
            await self._power_on()
        elif not on and self.powered:
            await self._power_off()

    async def _power_on(self) -> None:
        self._ppmid = self._actor()
        self.shown = None
        await self.stack.start()
        self.powered = True
        # In this order: the watchers subscribe to the stack's events before the network work
        # can make any.
        for work in (self._serve(), self.ppmid.run(), self._watch_leave(), self._network()):
            self._spawn(work)
        self._spawn(self._display())

    async def _power_off(self) -> None:
        self.powered = False
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.cbke.aclose()
        await self.stack.stop()
        await self.ppmid.aclose()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        task.add_done_callback(self._report_crash)
        self._tasks.append(task)

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        """A task of a powered device ends only by a power-off; anything else is a bug to see."""
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: %s stopped", self.eui64, task.get_name(), exc_info=task.exception())

    # ---- the HAN --------------------------------------------------------------------------------

    async def _serve(self) -> None:
        async for msg in self.stack.messages():
            if msg.cluster == KEY_ESTABLISHMENT_CLUSTER:
                self.cbke.handle(msg)
            else:
                await self.ppmid.handle(msg)

    async def _watch_leave(self) -> None:
        async for event in self.stack.events():
            if isinstance(event, Left) and event.eui64 == self.eui64:
                self._left.set()

    async def _network(self) -> None:
        """Stay on a network: rejoin the one it has, else join with the install code; again
        after each leave."""
        while True:
            self._left.clear()
            if not (self.stack.joined and await self._rejoined()):
                await self._join_with_install_code()
                await self._establish_key()
            await self._left.wait()
            log.info("%s left its network; looking for one again", self.eui64)

    async def _rejoined(self) -> bool:
        try:
            await self.stack.rejoin()
        except (JoinError, DeliveryError) as exc:
            log.info("%s: rejoin failed (%s); joining with its install code", self.eui64, exc)
            return False
        return True

    async def _join_with_install_code(self) -> None:
        while True:
            try:
                await self.stack.join(self._install_key)
                return
            except JoinError as exc:
                log.info("%s: join failed (%s); again in %.0f s", self.eui64, exc, JOIN_RETRY)
            await self.clock.sleep(JOIN_RETRY)

    async def _establish_key(self) -> None:
        for attempt in range(1, CBKE_TRIES + 1):
            try:
                await self.cbke.establish(self.trust_centre)
                return
            except (KeyEstablishmentFailed, DeliveryError) as exc:
                log.info("%s: CBKE attempt %d failed: %s", self.eui64, attempt, exc)
            if attempt < CBKE_TRIES:
                await self.clock.sleep(CBKE_RETRY)

    # ---- the display ----------------------------------------------------------------------------

    async def _display(self) -> None:
        while True:
            if self.ppmid.prepayment_meter() is None:
                await self.clock.sleep(SOURCE_CHECK)
                continue
            with contextlib.suppress(*READ_FAILURES):
                self.shown = await self.ppmid.read_credit()
            await self.clock.sleep(self.display_period)
