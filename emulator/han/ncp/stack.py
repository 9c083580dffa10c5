"""``NcpStack``: the hub's ``HanPort`` on a real (or emulated) EZSP dongle, through bellows.

The dongle forms the network (or resumes the one in its flash) and is its Trust Centre; bellows'
``ControllerApplication`` (``SeControllerApplication``: Smart Energy policies, our endpoints,
every packet seen) carries the EZSP. Devices see the same ``HanPort`` as on the emulated stack.

A lost dongle (unplugged, reset, a serial error) is not zigpy's to recover: the stack
disconnects and starts the application again without forming (the network resumes from the
dongle's flash), every ``RECONNECT_DELAY`` seconds until it answers, then opens again the join
windows that were open (transient keys and the permit window lived in the dongle's RAM). Sends
in between fail with ``DeliveryError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

import bellows.types as bt
import zigpy.exceptions
import zigpy.types as zt

from ...codec.eui64 import Eui64
from ...codec.zigbee.aps import PROFILE_SMART_ENERGY, PROFILE_ZDP
from ..clock import Clock, RealClock
from ..port import (
    ApsMessage,
    DeliveryError,
    DropReason,
    FrameDropped,
    Joined,
    JoinRefused,
    KeyEstablished,
    Left,
    LinkStatus,
    LinkTally,
    PortFanOut,
)
from .application import SeControllerApplication
from .errors import DongleUnavailable, NcpStackError, NoSmartEnergyCertificates
from .key_table import erase_link_key, install_link_key, our_eui, zigpy_eui
from .settings import RadioSettings

LOG = logging.getLogger(__name__)

MAX_PERMIT_S = 254  # EZSP permitJoining: 255 means "until closed", which an SE hub never wants
PERMIT_RENEW_S = 200.0
"""How often a join window longer than one permitJoining (or than the dongle's transient key
lifetime, 300 s by default) is renewed: well inside both."""
RECONNECT_DELAY = 1.0  # seconds between attempts to restart a lost dongle
COORDINATOR = 0x0000
MAX_CHILD_ENTRIES = 64  # getChildData indices tried before giving up on finding a child


def _address(mode: zt.AddrMode, address: int) -> zt.AddrModeAddress:
    fields: dict[str, Any] = {"addr_mode": mode, "address": address}
    return zt.AddrModeAddress(**fields)


class NcpStack(PortFanOut):
    """A coordinator and Trust Centre on an EZSP dongle (``HanPort``)."""

    def __init__(
        self,
        settings: RadioSettings,
        clock: Clock,
        *,
        application: type[SeControllerApplication] = SeControllerApplication,
    ) -> None:
        if not isinstance(clock, RealClock):
            raise NcpStackError("a HAN with a dongle on it runs on RealClock (DESIGN.md rule 3)")
        self.settings = settings
        self.clock = clock
        self._application_class = application
        self.app: SeControllerApplication | None = None
        self._eui64: Eui64 | None = None
        self._up = asyncio.Event()
        PortFanOut.__init__(self)
        self._addresses: dict[int, Eui64] = {}
        self._shorts: dict[Eui64, int] = {}
        self._keys: dict[Eui64, bytes] = {}
        self._links: dict[Eui64, LinkTally] = {}
        self._windows: dict[Eui64, tuple[bytes, float]] = {}  # install key, window end
        self._window_tasks: dict[Eui64, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._reconnecting = False
        self.reconnects = 0
        self.drops: dict[DropReason, int] = dict.fromkeys(DropReason, 0)

    # -- life cycle -----------------------------------------------------------------------------
    async def start(self, *, form: bool = True) -> None:
        """Connect, then resume the dongle's network or (with ``form``) form one if it has none.
        ``DongleUnavailable`` when the port is missing, busy or does not answer EZSP."""
        app = self._application_class(self.settings.bellows_config())
        app.listener = self
        try:
            await app._load_db()  # no database configured: an empty device table
            await app.startup(auto_form=form)
        except Exception as exc:
            with contextlib.suppress(Exception):
                await app.shutdown()
            raise DongleUnavailable.explain(self.settings.port, exc) from exc
        self.app = app
        self._eui64 = our_eui(app.state.node_info.ieee)
        self._up.set()

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._window_tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._up.clear()
        if self.app is not None:
            app, self.app = self.app, None
            app.listener = None
            with contextlib.suppress(Exception):
                await app.shutdown()

    async def __aenter__(self) -> NcpStack:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _application(self) -> SeControllerApplication:
        if self.app is None or not self._up.is_set():
            raise DeliveryError(f"the dongle on {self.settings.port} is not connected")
        return self.app

    @property
    def ezsp_version(self) -> int:
        return int(self._application()._ezsp.ezsp_version)

    # -- HanPort: identity, events, messages -------------------------------------------------------
    @property
    def eui64(self) -> Eui64:
        if self._eui64 is None:
            raise NcpStackError("the dongle's EUI-64 is known once the stack has started")
        return self._eui64

    # -- what the application hears (ApplicationListener) ----------------------------------------
    def on_packet(self, packet: zt.ZigbeePacket) -> None:
        if packet.profile_id == PROFILE_ZDP or packet.src is None or packet.dst is None:
            return  # zigpy's ZDO; the dongle answers requests to itself
        sender = int(packet.src.address)  # type: ignore[arg-type]
        source = self._eui_of(sender)
        if source is None:
            self.drops[DropReason.UNKNOWN_SENDER] += 1
            self._emit(FrameDropped(DropReason.UNKNOWN_SENDER, sender))
            return
        now = self.clock.now()
        lqi = int(packet.lqi) if packet.lqi is not None else 255
        self._links.setdefault(source, LinkTally()).heard_at(now, lqi)
        self._messages.put_nowait(
            ApsMessage(
                source=source,
                source_short=sender,
                src_endpoint=int(packet.src_ep or 0),
                dst_endpoint=int(packet.dst_ep or 0),
                cluster=int(packet.cluster_id),
                profile=int(packet.profile_id),
                payload=bytes(packet.data.serialize()),
                aps_secured=zt.TransmitOptions.APS_Encryption in packet.tx_options,
                broadcast=packet.dst.addr_mode == zt.AddrMode.Broadcast,
                lqi=lqi,
                time=now,
            )
        )

    def _eui_of(self, short: int) -> Eui64 | None:
        known = self._addresses.get(short)
        if known is not None or self.app is None:
            return known
        with contextlib.suppress(KeyError):
            eui = our_eui(self.app.get_device(nwk=short).ieee)
            self._learn(short, eui)
            return eui
        return None

    def _learn(self, short: int, eui64: Eui64) -> None:
        old = self._shorts.get(eui64)
        if old is not None and old != short:
            self._addresses.pop(old, None)
        self._addresses[short] = eui64
        self._shorts[eui64] = short

    def on_join(self, nwk: int, ieee: zt.EUI64, parent: int) -> None:
        eui = our_eui(ieee)
        if self._shorts.get(eui) == nwk:
            return  # a device announce or a rejoin in place: nothing new
        self._learn(nwk, eui)
        window = self._window_tasks.pop(eui, None)
        self._windows.pop(eui, None)
        if window is not None:
            window.cancel()  # admitted: its join window is used up
        parent_eui = self._eui64 if parent == COORDINATOR else self._addresses.get(parent)
        self._emit(Joined(eui, nwk, parent_eui))

    def on_leave(self, nwk: int, ieee: zt.EUI64) -> None:
        eui = our_eui(ieee)
        short = self._shorts.pop(eui, None)
        if short is None:
            return
        self._addresses.pop(short, None)
        self._emit(Left(eui))

    def on_refused(self, ieee: zt.EUI64) -> None:
        self._emit(JoinRefused(our_eui(ieee), "no transient key for it, or joining not permitted"))

    def on_connection_lost(self, exc: Exception | None) -> None:
        if self._reconnecting or self.app is None:
            return
        LOG.warning("NCP: lost the dongle on %s (%s); reconnecting", self.settings.port, exc)
        self._up.clear()
        self._reconnecting = True
        self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        app = self.app
        assert app is not None
        try:
            while True:
                with contextlib.suppress(Exception):
                    await app.disconnect()
                try:
                    await app.startup(auto_form=False)
                    break
                except Exception as exc:
                    LOG.info("NCP: %s does not answer yet (%s)", self.settings.port, exc)
                    await self.clock.sleep(RECONNECT_DELAY)
            self.reconnects += 1
            self._up.set()
            for eui64 in list(self._window_tasks):
                self._open_window(eui64)  # the dongle forgot the transient keys
        finally:
            self._reconnecting = False

    async def wait_connected(self, seconds: float) -> None:
        """Until the dongle answers again after a loss (``TimeoutError`` after ``seconds``)."""
        async with asyncio.timeout(seconds):
            await self._up.wait()

    # -- sending ----------------------------------------------------------------------------------
    async def _short_for(self, destination: Eui64) -> int:
        short = self._shorts.get(destination)
        if short is not None:
            return short
        app = self._application()
        with contextlib.suppress(KeyError):
            short = int(app.get_device(ieee=zigpy_eui(destination)).nwk)
        if short is None:
            with contextlib.suppress(Exception):
                (found,) = await app._ezsp.lookupNodeIdByEui64(eui64=zigpy_eui(destination))
                short = None if int(found) >= 0xFFFE else int(found)
        if short is None:
            raise DeliveryError(f"no short address known for {destination}")
        self._learn(short, destination)
        return short

    async def send(
        self,
        destination: Eui64 | int,
        *,
        cluster: int,
        payload: bytes,
        profile: int = PROFILE_SMART_ENERGY,
        src_endpoint: int = 1,
        dst_endpoint: int = 1,
        aps_security: bool = True,
        ack: bool = True,
    ) -> None:
        app = self._application()
        if isinstance(destination, Eui64):
            short, partner = await self._short_for(destination), destination
        else:
            short, partner = destination, self._addresses.get(destination)  # type: ignore[assignment]
        broadcast = short >= 0xFFF8
        options = zt.TransmitOptions.NONE
        if aps_security and not broadcast:
            options |= zt.TransmitOptions.APS_Encryption
        if ack and not broadcast:
            options |= zt.TransmitOptions.ACK
        mode = zt.AddrMode.Broadcast if broadcast else zt.AddrMode.NWK
        fields: dict[str, Any] = {
            "src": _address(zt.AddrMode.NWK, COORDINATOR),
            "src_ep": src_endpoint,
            "dst": _address(mode, short),
            "dst_ep": dst_endpoint,
            "tsn": payload[1] if len(payload) > 1 else 0,
            "profile_id": profile,
            "cluster_id": cluster,
            "data": zt.SerializableBytes(payload),
            "tx_options": options,
            "radius": 0,
            # bellows waits 3 s for a send's end, 8 s with this: a sleepy child (the GSME)
            # hears the hub only when it polls. [U] applied to every unicast: the hub does not
            # track which children sleep, and a failure is only reported later.
            "extended_timeout": not broadcast,
        }
        packet = zt.ZigbeePacket(**fields)
        try:
            await app.send_packet(packet)
        except TimeoutError:
            # bellows waits 8 s for messageSentHandler even with APS ACKs on (then it turns
            # the dongle's extended timeout off); a sleepy child answers only after its next
            # poll (the GSME's: 7.5 s), so the wait can end first while the dongle still holds
            # the frame for it. Not a failure for a sleepy child: the dongle reports a real one.
            # A real dongle has the same race; the NCP emulator on a loaded host loses it more.
            if partner is not None and ack and await self._sleepy_child(short):
                self._links.setdefault(partner, LinkTally()).unconfirmed += 1
                LOG.info("NCP: send to sleepy 0x%04X unconfirmed after bellows' wait", short)
                return
            if partner is not None and ack:
                self._links.setdefault(partner, LinkTally()).failed += 1
            raise DeliveryError(f"to {destination}: no messageSentHandler in time") from None
        except (zigpy.exceptions.ZigbeeException, ValueError) as exc:
            if partner is not None and ack:
                self._links.setdefault(partner, LinkTally()).failed += 1
            raise DeliveryError(f"to {destination}: {exc}") from None
        if partner is not None and ack:
            self._links.setdefault(partner, LinkTally()).delivered += 1

    async def _sleepy_child(self, short: int) -> bool:
        """Whether ``short`` is a sleepy end device in the dongle's child table (EZSP
        ``getChildData``); False when the table cannot be read."""
        ezsp = self._application()._ezsp
        for index in range(MAX_CHILD_ENTRIES):
            try:
                status, data = await ezsp.getChildData(index=index)
            except Exception:
                return False
            if bt.sl_Status.from_ember_status(status) != bt.sl_Status.OK:
                return False
            if int(data.id) == short:
                return bool(data.type == bt.EmberNodeType.SLEEPY_END_DEVICE)
        return False

    # -- Trust Centre ----------------------------------------------------------------------------
    async def permit_joining(self, eui64: Eui64, link_key: bytes, seconds: float) -> None:
        """Admit ``eui64`` with its install-code key for ``seconds``: a transient key and the
        permit window, renewed on the dongle until the window ends or the device joins."""
        self._application()
        self._windows[eui64] = (link_key, self.clock.now() + seconds)
        await self._admit_once(eui64)
        self._open_window(eui64)

    def _open_window(self, eui64: Eui64) -> None:
        old = self._window_tasks.pop(eui64, None)
        if old is not None:
            old.cancel()
        task = asyncio.get_running_loop().create_task(self._keep_window(eui64))
        self._window_tasks[eui64] = task

    async def _admit_once(self, eui64: Eui64) -> float:
        key, end = self._windows[eui64]
        remaining = end - self.clock.now()
        if remaining <= 0:
            return 0.0
        app = self._application()
        seconds = max(1, min(MAX_PERMIT_S, round(remaining)))
        await app.permit_with_link_key(zigpy_eui(eui64), zt.KeyData(key), time_s=seconds)
        return remaining

    async def _keep_window(self, eui64: Eui64) -> None:
        try:
            first = True
            while True:
                remaining = await self._admit_once(eui64) if not first else 1.0
                first = False
                if remaining <= 0:
                    break
                _, end = self._windows[eui64]
                await self.clock.sleep(min(PERMIT_RENEW_S, max(0.0, end - self.clock.now())))
                if self.clock.now() >= end:
                    break
        except DeliveryError:
            return  # the dongle went away; the reconnect opens the window again
        self._windows.pop(eui64, None)
        self._window_tasks.pop(eui64, None)
        if not self._windows and self.app is not None:
            with contextlib.suppress(Exception):
                await self.app.permit(0)

    async def remove_device(self, eui64: Eui64) -> None:
        """Withdraw the admission, ask the device to leave (EZSP ``removeDevice``: a NWK Leave
        from the Trust Centre) and forget its keys."""
        task = self._window_tasks.pop(eui64, None)
        self._windows.pop(eui64, None)
        if task is not None:
            task.cancel()
        app = self._application()
        if task is not None and not self._windows:
            await self._close_joining(app)
        short = self._shorts.get(eui64)
        if short is not None:
            ieee = zigpy_eui(eui64)
            with contextlib.suppress(Exception):
                await app._ezsp.removeDevice(destShort=short, destLong=ieee, targetLong=ieee)
        await erase_link_key(app._ezsp, eui64)
        self._keys.pop(eui64, None)
        self.on_leave(short if short is not None else 0xFFFE, zigpy_eui(eui64))

    async def _close_joining(self, app: SeControllerApplication) -> None:
        """No join window left open: joining closes on the dongle (permit 0) and the transient
        keys go (``clearTransientLinkKeys``), so a withdrawn device cannot still join."""
        with contextlib.suppress(Exception):
            await app.permit(0)
        with contextlib.suppress(Exception):
            await app._ezsp.clearTransientLinkKeys()

    # -- keys ------------------------------------------------------------------------------------
    def link_key(self, partner: Eui64) -> bytes | None:
        """The key this host installed with ``partner`` (CBKE, an application link key). The
        Trust Centre link key a device got when it joined stays inside the dongle."""
        return self._keys.get(partner)

    async def request_link_key(self, partner: Eui64) -> None:
        raise DeliveryError("the hub is the Trust Centre: it issues link keys, it asks for none")

    async def set_link_key(self, partner: Eui64, key: bytes, kind: str) -> None:
        """Install ``key`` for ``partner`` in the dongle's key table (the APS link key it uses
        with that partner from now on) [U: EmberZNet uses a key-table entry, when there is one,
        over the Trust Centre's own derivation]."""
        await install_link_key(self._application()._ezsp, partner, key)
        self._keys[partner] = key
        self._emit(KeyEstablished(partner, kind))

    async def remove_link_key(self, partner: Eui64) -> None:
        await erase_link_key(self._application()._ezsp, partner)
        self._keys.pop(partner, None)

    def link_status(self, partner: Eui64) -> LinkStatus | None:
        tally = self._links.get(partner)
        return tally.status() if tally is not None else None

    async def poll(self) -> None:
        """A coordinator polls no parent."""

    # -- Smart Energy certificates -----------------------------------------------------------------
    async def cbke_certificate(self) -> bytes:
        """The dongle's own ZSE certificate (suite 2, sect283k1, if it has one, else suite 1).
        ``NoSmartEnergyCertificates`` when it holds none (most consumer sticks): CBKE then runs
        in the rig's Key Establishment service above the dongle, see the package docstring."""
        ezsp = self._application()._ezsp
        for command, size in (("getCertificate283k1", 74), ("getCertificate", 48)):
            try:
                status, certificate = await getattr(ezsp, command)()
            except (AttributeError, zigpy.exceptions.ZigbeeException, TimeoutError):
                continue
            data = bytes(certificate.serialize())
            if status == bt.EmberStatus.SUCCESS and any(data[:size]):
                return data[:size]
        raise NoSmartEnergyCertificates(self.settings.port)
