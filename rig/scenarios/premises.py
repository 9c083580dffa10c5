"""One emulated premises and its DCC: what ``whitelist-and-join``, ``commission-premises`` and the
HIL plugin's virtual bench all run on.

The Communications Hub (CHF, with the GPF on its node), an ESME, a sleepy GSME and a PPMID on a
virtual 2.4 GHz HAN, each device emulator behind its stack; the DCC (SMI, CPL, journal in
``run.out/dcc.sqlite``) with the hub's SM WAN as a relay that records every GBCS message; test
SMKI keys for the ACB, the Supplier and every device; and the Supplier's premises steps (12.2,
8.14.1, 8.11). Which HAN devices take part is the caller's choice (``members``).

The hub's profile (``emulator.devices.ch_profile``) is the caller's choice too: without one the
hub runs its 2.4 GHz HAN only (the flagship's premises). A dual-band hub (CHTS v1.1) also forms
a GB868 HAN (``GB868_CHANNEL``), manages it (``SubGhzFunction``: DBCH01-11, duty cycle from the
medium's meters, the GSME's channel changes) and each device joins the band its radio
(``radios``) and the hub share; a single-band hub (CHTS v1.0) keeps everyone on 2.4 GHz.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from cryptography import x509

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import KeyStore, KeyUsage, MemoryKeyStore, decode_message
from emulator.codec.gbcs.message import apdu_of
from emulator.codec.zcl.metering import METERING
from emulator.codec.zcl.ota import OTA_UPGRADE
from emulator.codec.zcl.time import TIME
from emulator.devices.ch_profile import RADIO_2G4, CommsHubProfile, DeviceRadio
from emulator.devices.comms_hub import CommsHub
from emulator.devices.esme import Esme
from emulator.devices.gpf import Gpf
from emulator.devices.gsme import Gsme, GsmeProfile
from emulator.devices.ota_client import OtaClientProfile
from emulator.devices.ota_server import ImageDelivery, ServingProfile
from emulator.devices.ppmid import Ppmid
from emulator.devices.registers import PREPAYMENT
from emulator.devices.sub_ghz import SUB_GHZ, SubGhzFunction
from emulator.devices.tunnel import TUNNELING, TunnelServer
from emulator.han.clock import Clock
from emulator.han.key_establishment import KeyEstablishmentFailed
from emulator.han.port import ApsMessage
from emulator.han.radio import Band, RadioModel
from emulator.han.stack.node import JoinError, Role
from emulator.han.stack.state import MemoryStateStore
from emulator.han.virtual import GB868_CHANNEL, VirtualHan
from emulator.pki.smki import Credential, RemotePartyRole, TestSmki, memory_store
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessNoSMWAN,
    CHFInstallSuccessSMWAN,
    CplEntry,
    Dcc,
    DccAlert,
    DeviceType,
    Inventory,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceResponse,
    UpdateHANDeviceLog,
    WanLink,
)
from rig.dcc import Supplier as SupplierRole
from rig.dcc.dual_band import DualBandCHAlert
from rig.dcc.requests import RequestBody

from .context import RunContext, SmiRow
from .han_join import ESME, GSME, HUB, POLL_PERIOD, Member, Node, make_nodes, watch

ACB = Eui64("90-B3-D5-1F-30-00-00-02")
SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-00")
TRANS_COS = Eui64("90-B3-D5-1F-30-00-00-05")
"""[I] The DCC's Transitional Change of Supplier party (test EUI next to the ACB's): signs
CS02b supplierByTransCoS (SRV 6.23); every device holds its certificates as a trust anchor."""
PPMID = Member("PPMID", Eui64("00-DB-12-34-56-78-90-A4"), Role.ROUTER)
"""[I] A mains-powered PPMID, routing like the ESME (some are end devices)."""
GPF = Eui64("00-DB-12-34-56-78-90-A3")
"""The hub's GPF: its own EUI-64 and GBCS keys, on the hub's node (the RTDS pair ...A2/...A3)."""
METERS = (ESME, GSME)
MEMBERS = (HUB, ESME, GSME, PPMID)
JOIN_TIME_PERIOD = 3600  # seconds: the longest DUIS allows
WAN_ONE_WAY_DELAY = 2.0
"""[I] Modelled SM WAN transit, DCC to hub or back, in seconds: cellular or long-range radio
round trips of a few seconds; a named setting until a WAN model exists."""
CPL = {
    HUB.eui64: CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.CHF, "CHTS V1.1"),
    GPF: CplEntry("CH01", "HUB1", "1", "00010000", DeviceType.GPF, "CHTS V1.1"),
    ESME.eui64: CplEntry("AB01", "010A030B", "1", "0002012F", DeviceType.ESME, "SMETS2 V4.1"),
    GSME.eui64: CplEntry("AB02", "020A030B", "1", "0003012F", DeviceType.GSME, "SMETS2 V4.1"),
    PPMID.eui64: CplEntry("AB03", "PPMID1", "1", "0004012F", DeviceType.PPMID, "SMETS2 V4.1"),
}
SMI_DEVICES = (HUB.eui64, GPF, ESME.eui64, GSME.eui64, PPMID.eui64)
OTA_PROFILES = {
    ESME.eui64: OtaClientProfile(manufacturer=0xA0E1, image_type=0x0081),
    GSME.eui64: OtaClientProfile(
        manufacturer=0xA0E2, image_type=0x0082, sleepy=True, block_timeout=2.0
    ),
    PPMID.eui64: OtaClientProfile(manufacturer=0xA0E4, image_type=0x0084, hardware_version=1),
    HUB.eui64: OtaClientProfile(manufacturer=0xA0E3, image_type=0x0083, hardware_version=0x0200),
}
"""What each emulated device is to the OTA checks: the models of ``firmware_images/``."""
OTA_SERVING = {GSME.eui64: ServingProfile(sleepy=True)}
"""How the hub serves each device (the sleepy GSME gets no Image Notify: it asks on waking)."""


def cpl_for(profile: CommsHubProfile | None) -> dict[Eui64, CplEntry]:
    """The premises' CPL, the hub's rows (CHF and GPF) with ``profile``'s CHTS version."""
    if profile is None:
        return dict(CPL)
    return {
        eui: replace(e, smets_chts_version=profile.chts_version) if eui in (HUB.eui64, GPF) else e
        for eui, e in CPL.items()
    }


# ---- keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PremisesKeys:
    """Test SMKI keys, each party holding its own pairs and the certificates it checks: the DCC
    (ACB, TransCoS party) and each supplier hold every device's and the DCC's, the DCC every
    supplier's; each device (``devices``, by EUI-64) the ACB's, the TransCoS party's and the
    first (installing) supplier's. ``supplier`` is the first supplier's store, ``suppliers``
    every supplier's by EUI-64. ``credentials`` are all of them, for a run's ``keystore/`` when
    revealed."""

    dcc: MemoryKeyStore
    supplier: MemoryKeyStore
    devices: dict[Eui64, MemoryKeyStore]
    credentials: tuple[Credential, ...]
    suppliers: dict[Eui64, MemoryKeyStore] = field(default_factory=dict)
    acb_eui: Eui64 = ACB
    """Whose keys play the ACB (the lab's, against a physical device under test)."""
    supplier_eui: Eui64 = SUPPLIER
    """The first (installing) supplier's EUI-64."""

    @property
    def hub(self) -> MemoryKeyStore:
        return self.devices[HUB.eui64]

    @property
    def esme(self) -> MemoryKeyStore:
        return self.devices[ESME.eui64]


def premises_keys(
    seed: str, devices: Sequence[Eui64] = SMI_DEVICES, suppliers: Sequence[Eui64] = (SUPPLIER,)
) -> PremisesKeys:
    """Keys for the ACB, the TransCoS party, ``suppliers`` (the first installs the devices) and
    ``devices`` (each device's KA and DS pairs), issued by one test SMKI."""
    smki = TestSmki(seed=seed)
    return compose_keys(
        smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER),
        smki.issue_organisation_pair(TRANS_COS, RemotePartyRole.TRANSITIONAL_COS),
        {s: smki.issue_organisation_pair(s, RemotePartyRole.SUPPLIER) for s in suppliers},
        {eui: smki.issue_device_pair(eui) for eui in devices},
    )


def compose_keys(
    acb: Sequence[Credential],
    trans_cos: Sequence[Credential],
    suppliers: Mapping[Eui64, Sequence[Credential]],
    devices: Mapping[Eui64, Sequence[Credential]],
    certificates: Sequence[tuple[Eui64, KeyUsage, x509.Certificate]] = (),
) -> PremisesKeys:
    """Each party's store from the pairs (the first supplier installs the devices);
    ``certificates`` are of devices whose private keys the rig does not hold (a physical device
    under test): every store holds them."""
    every_supplier = [c for pair in suppliers.values() for c in pair]
    installer = next(iter(suppliers))
    every_device = [c for pair in devices.values() for c in pair]

    def holding(own: Sequence[Credential], others: Sequence[Credential]) -> MemoryKeyStore:
        store = memory_store(own)
        for c in others:
            store.put_certificate(c.eui, c.usage, c.certificate)
        for eui, usage, certificate in certificates:
            store.put_certificate(eui, usage, certificate)
        return store

    stores = {s: holding(pair, (*every_device, *acb, *trans_cos)) for s, pair in suppliers.items()}
    trusted = (*acb, *trans_cos, *suppliers[installer])
    return PremisesKeys(
        dcc=holding((*acb, *trans_cos), (*every_device, *every_supplier)),
        supplier=stores[installer],
        devices={eui: holding(pair, trusted) for eui, pair in devices.items()},
        credentials=(*acb, *trans_cos, *every_supplier, *every_device),
        suppliers=stores,
        acb_eui=acb[0].eui,
        supplier_eui=installer,
    )


# ---- the SM WAN ---------------------------------------------------------------------------------


async def relay(run: RunContext, link: WanLink, hub: CommsHub) -> None:
    """The SM WAN between the DCC and the hub's WAN endpoint, each way: every GBCS message is
    recorded and charted as it leaves and delivered ``WAN_ONE_WAY_DELAY`` later."""
    to_endpoint: asyncio.Queue[bytes] = asyncio.Queue()
    images: asyncio.Queue[ImageDelivery] = asyncio.Queue()

    async def deliver_images(
        source: asyncio.Queue[ImageDelivery], sink: asyncio.Queue[ImageDelivery]
    ) -> None:
        while True:
            delivery = await source.get()
            run.log("wan", event="image", target=str(delivery.target), size=len(delivery.image))
            await run.clock.sleep(WAN_ONE_WAY_DELAY)
            sink.put_nowait(delivery)

    from_endpoint: asyncio.Queue[bytes] = asyncio.Queue()

    async def carry(
        source: asyncio.Queue[bytes], sink: asyncio.Queue[bytes], sender: str, receiver: str
    ) -> None:
        while True:
            data = await source.get()
            _record(run, data, sender, receiver)
            await run.clock.sleep(WAN_ONE_WAY_DELAY)
            sink.put_nowait(data)

    async with asyncio.TaskGroup() as tg:
        tg.create_task(hub.serve(to_endpoint, from_endpoint))
        tg.create_task(hub.serve_images(images, from_endpoint))
        tg.create_task(deliver_images(link.images, images))
        tg.create_task(carry(link.to_hub, to_endpoint, "DCC", "hub"))
        tg.create_task(carry(from_endpoint, link.from_hub, "hub", "DCC"))


def _record(run: RunContext, data: bytes, source: str, destination: str) -> None:
    apdu = apdu_of(decode_message(data))  # MAC'd, or signed only (critical responses)
    if apdu is not None:
        run.record_gbcs(data, apdu.message_code, apdu.cra, source, destination)


# ---- the devices --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wired:
    """The emulated premises and its DCC, wired and running (the DCC's task group aside).
    Device emulators of members left out are ``None``."""

    dcc: Dcc
    hub: CommsHub
    han: VirtualHan
    nodes: dict[Eui64, Node]
    link: WanLink
    esme: Esme | None
    gsme: Gsme | None
    ppmid: Ppmid | None
    hub_profile: CommsHubProfile | None = None

    @property
    def sub_ghz(self) -> SubGhzFunction | None:
        """The hub's sub-GHz management (a dual-band hub only)."""
        return self.hub.sub_ghz

    def band_of(self, device: Eui64) -> Band:
        """The band ``device`` is on (its node's radio)."""
        return self.nodes[device].stack.radio.band

    @property
    def gpf(self) -> Gpf:
        assert self.hub.gpf is not None
        return self.hub.gpf


def _serving(node: Node, handler: Callable[[ApsMessage], Awaitable[None]], *clusters: int) -> None:
    for cluster in clusters:
        node.applications[cluster] = handler


@contextlib.asynccontextmanager
async def wire_premises(
    run: RunContext,
    keys: PremisesKeys,
    members: Sequence[Member] = MEMBERS,
    gsme_profile: GsmeProfile | None = None,
    model: RadioModel | None = None,
    hub_store: MemoryStateStore | None = None,
    hub_profile: CommsHubProfile | None = None,
    radios: Mapping[Eui64, DeviceRadio] | None = None,
) -> AsyncIterator[Wired]:
    """A DCC (SQLite in ``run.out``; the runner clears an earlier run's) with the CPL, the hub
    and ``members`` on a virtual HAN captured into ``run.out``, the device emulators behind their
    stacks, every node served and watched, and the WAN relay; all stopped on exit.

    ``hub_profile`` and ``radios`` (each member's radio, 2.4 GHz when not named) decide the
    bands (module docstring)."""
    clock = run.clock
    dual = hub_profile is not None and hub_profile.dual_band
    bands: dict[Eui64, Band] = {}
    hub_bands: tuple[Band, ...] = (Band.GHZ_2_4,)
    if hub_profile is not None:
        hub_bands = tuple(b for b in Band if b in hub_profile.bands)
        for m in members:
            radio = (radios or {}).get(m.eui64, RADIO_2G4)
            bands[m.eui64] = radio.band_on(hub_profile) or Band.GHZ_2_4
    async with contextlib.AsyncExitStack() as stack:
        inventory = Inventory(run.out / "dcc.sqlite")
        stack.callback(inventory.close)
        for cpl_entry in cpl_for(hub_profile).values():
            inventory.add_cpl_entry(cpl_entry)
        dcc = Dcc(inventory, keys.dcc, acb=ACB, clock=clock, trans_cos=TRANS_COS)
        han = VirtualHan(
            clock,
            seed=run.seed,
            model=model,
            capture_dir=run.out,
            sub_ghz=GB868_CHANNEL if dual else None,
        )
        stack.push_async_callback(han.stop)
        nodes = make_nodes(han, clock, run.seed, members, bands, hub_bands)
        tasks: list[asyncio.Task[None]] = []

        async def stop_tasks() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for actor in (hub, esme, gsme, ppmid):  # the work they spawned themselves
                if actor is not None:
                    await actor.aclose()

        stack.push_async_callback(stop_tasks)
        hub_node = nodes[HUB.eui64]
        esme: Esme | None = None
        gsme: Gsme | None = None
        ppmid: Ppmid | None = None
        gpf = Gpf(hub_node.stack, GPF, keys.devices[GPF], ACB, MemoryStateStore(), clock)
        if hub_store is None:
            hub_store = MemoryStateStore()
        sub_ghz = None
        if dual:
            assert hub_profile is not None
            hub_stack = hub_node.stack
            sub_ghz = SubGhzFunction(
                hub_store, clock, han.sub_ghz_band(), hub_stack,
                set_gsme_flag=gpf.mirror.set_flag,
                joining_permitted=lambda: hub_stack.policy.window_open(clock.now()),
                capacity=hub_profile.sub_ghz_capacity,
            )  # fmt: skip
        hub = CommsHub(
            hub_node.stack, keys.hub, ACB, hub_store, clock, gpf, sub_ghz,
            supplier=SUPPLIER, ota_serving=OTA_SERVING,
        )  # fmt: skip
        if hub.firmware is not None:
            hub.firmware.profile = OTA_PROFILES[HUB.eui64]
        _serving(hub_node, hub.handle, TUNNELING, TIME, PREPAYMENT, METERING, OTA_UPGRADE, SUB_GHZ)
        if ESME in members:
            node = nodes[ESME.eui64]
            esme = Esme(
                node.stack, MemoryStateStore(), keys.esme, ACB, clock,
                cbke=node.cbke, trust_centre=HUB.eui64,
                ota=OTA_PROFILES[ESME.eui64], supplier=SUPPLIER,
            )  # fmt: skip
            tunnel = TunnelServer(node.stack, esme.on_gbcs)
            esme.send_gbcs = tunnel.push
            _serving(node, tunnel.handle, TUNNELING)
            _serving(node, esme.handle, PREPAYMENT, METERING, OTA_UPGRADE)
        if PPMID in members:
            node = nodes[PPMID.eui64]
            ppmid = Ppmid(
                node.stack, clock, MemoryStateStore(), keys.devices[PPMID.eui64], ACB,
                cbke=node.cbke, trust_centre=HUB.eui64,
                ota=OTA_PROFILES[PPMID.eui64], supplier=SUPPLIER,
            )  # fmt: skip
            ppmid_tunnel = TunnelServer(node.stack, ppmid.on_gbcs)
            ppmid.send_gbcs = ppmid_tunnel.push
            _serving(node, ppmid_tunnel.handle, TUNNELING)
            _serving(node, ppmid.handle, PREPAYMENT, METERING, OTA_UPGRADE)
        if GSME in members:
            node = nodes[GSME.eui64]
            tuner = node.stack if bands.get(GSME.eui64) is Band.SUB_GHZ else None
            gsme = Gsme(
                node.stack, MemoryStateStore(), keys.devices[GSME.eui64], ACB, clock,
                HUB.eui64, gsme_profile, tuner=tuner, cbke=node.cbke,
                ota=OTA_PROFILES[GSME.eui64], supplier=SUPPLIER,
            )  # fmt: skip
            _serving(node, gsme.handle, TUNNELING, TIME, PREPAYMENT, METERING, OTA_UPGRADE, SUB_GHZ)
        await han.start()
        loop = asyncio.get_running_loop()
        for node in nodes.values():
            tasks += [loop.create_task(node.serve()), loop.create_task(watch(run, node, members))]
        if gsme is not None:
            tasks.append(loop.create_task(gsme.run()))
        relays: list[asyncio.Task[None]] = []

        def start_relay(new: WanLink) -> None:
            """A relay per SM WAN link: the one before it is gone (8.14.2 took it away). Only
            the premises' hub has an emulator behind its link (another CH the DCC knows has a
            WAN link nobody answers on)."""
            if new.ch_id != HUB.eui64:
                return
            for old in relays:
                old.cancel()
            relays[:] = [loop.create_task(relay(run, new, hub))]
            tasks.extend(relays)

        dcc.link_listeners.append(start_relay)
        if sub_ghz is not None:
            tasks.append(loop.create_task(sub_ghz.run()))
        link = dcc.attach_link(HUB.eui64)
        await clock.sleep(0)  # the watchers subscribe before anything happens
        yield Wired(dcc, hub, han, nodes, link, esme, gsme, ppmid, hub_profile)


def record_smi(run: RunContext, inventory: Inventory, devices: Sequence[Eui64]) -> None:
    """Each of ``devices`` the SMI holds, as the run's record shows it (the last one wins)."""
    for device_id in devices:
        rec = inventory.smi(device_id)
        if rec is not None:
            version = rec.smets_version.value if rec.smets_version is not None else ""
            run.record_smi(SmiRow(str(device_id), rec.device_type.value, rec.status.value, version))


# ---- the Supplier's premises steps --------------------------------------------------------------


class Supplier(SupplierRole):
    """The premises' Import Supplier: ``rig.dcc.Supplier`` (DUIS SRVs with rising request
    counters, Pre-Command signing, the DCC's messages kept) plus the steps of an installation."""

    def __init__(
        self,
        dcc: Dcc,
        keystore: KeyStore,
        clock: Clock,
        eui64: Eui64 = SUPPLIER,
        counter: int = 1000,
    ) -> None:
        super().__init__(dcc, keystore, eui64, clock=clock, counter=counter)

    async def prenotify(self, device_id: Eui64) -> ResponseCode:
        """SRV 12.2 for ``device_id``, with its CPL identity."""
        body = CPL[device_id].prenotification(device_id)
        srv = ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION
        return (await self.submit(ACB, srv, body)).response_code

    async def hub_installed(self) -> ResponseCode:
        """SRV 8.14.1: the hub is installed with SM WAN."""
        srv = ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS
        return (await self.submit(ACB, srv, CHFInstallSuccessSMWAN(HUB.eui64))).response_code

    async def hub_installed_no_wan(self) -> ResponseCode:
        """SRV 8.14.2: the hub is installed, with no SM WAN (install and leave)."""
        srv = ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN
        return (await self.submit(ACB, srv, CHFInstallSuccessNoSMWAN(HUB.eui64))).response_code

    async def set_up(self, devices: Sequence[Eui64] = SMI_DEVICES) -> None:
        """12.2 for each of ``devices``, then 8.14.1: every answer I0."""
        for device_id in devices:
            code = await self.prenotify(device_id)
            assert code is ResponseCode.I0, f"12.2 {device_id}: {code.value}"
        code = await self.hub_installed()
        assert code is ResponseCode.I0, f"8.14.1: {code.value}"

    async def request(
        self, target: Eui64, srv: ServiceReferenceVariant, body: RequestBody, timeout: float
    ) -> ServiceResponse | DccAlert:
        """An SRV sent to a device (asserted acknowledged, I99) and the DCC's later answer."""
        sent = await self.submit(target, srv, body)
        assert sent.response_code is ResponseCode.I99, (
            f"SRV {srv.value} not sent: {sent.response_code.value}"
        )
        return await self.response_to(sent.request_id, timeout)

    async def dual_band_alert(self, code: int, timeout: float) -> DualBandCHAlert:
        """The first DUIS DualBandCHAlert with device alert ``code`` (0x8F20-0x8F2D), kept or
        yet to come."""
        message = await self._take(
            lambda m: isinstance(m, DualBandCHAlert) and m.device_alert_code == code, timeout
        )
        assert isinstance(message, DualBandCHAlert)
        return message

    async def update_device_log(
        self, device_id: Eui64, install_code: bytes | None, period: int = JOIN_TIME_PERIOD
    ) -> tuple[ServiceResponse, ServiceResponse | DccAlert | None]:
        """SRV 8.11 Add (with ``install_code``) or Remove (``None``) for ``device_id`` on the
        hub: the immediate response and, when the command went out (I99), the DCC's answer."""
        add = None if install_code is None else AddDeviceToCHFWhitelist(period, install_code)
        kind = RequestType.REMOVE if add is None else RequestType.ADD
        body = UpdateHANDeviceLog(device_id, kind, add)
        sent = await self.submit(HUB.eui64, ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG, body)
        if sent.response_code is not ResponseCode.I99:
            return sent, None
        return sent, await self.response_to(sent.request_id)

    async def whitelist(self, device_id: Eui64, install_code: bytes) -> ResponseCode:
        """SRV 8.11 Add; the device's response code (I0 when the hub logged it)."""
        return await self._device_log_answer(device_id, install_code)

    async def remove(self, device_id: Eui64) -> ResponseCode:
        """SRV 8.11 Remove; the device's response code."""
        return await self._device_log_answer(device_id, None)

    async def _device_log_answer(self, device_id: Eui64, code: bytes | None) -> ResponseCode:
        sent, answer = await self.update_device_log(device_id, code)
        assert sent.response_code is ResponseCode.I99, f"8.11 not sent: {sent.response_code}"
        assert isinstance(answer, ServiceResponse), f"unexpected {answer!r}"
        return answer.response_code


# ---- shared installation steps -------------------------------------------------------------


async def join_with_cbke(wired: Wired, member: Member) -> tuple[float, float]:
    """``member`` joins with the install-code key the hub's Device Log holds for it, then runs
    CBKE with the hub (asserted); returns (join seconds, CBKE seconds) of modelled time."""
    clock = wired.han.clock
    logged = wired.hub.device_log.get(member.eui64)
    assert logged is not None, f"{member.label} is not in the hub's Device Log"
    node = wired.nodes[member.eui64]
    started = clock.now()
    try:
        await node.stack.join(logged.preconfigured_key)
    except JoinError as exc:
        raise AssertionError(f"{member.label} did not join: {exc}") from exc
    joined = clock.now() - started
    started = clock.now()
    try:
        key = await node.cbke.establish(HUB.eui64)
    except KeyEstablishmentFailed as exc:
        raise AssertionError(str(exc)) from exc
    cbke = clock.now() - started
    await clock.sleep(POLL_PERIOD)  # the hub installs once the last frame lands
    assert wired.nodes[HUB.eui64].stack.link_key(member.eui64) == key
    return joined, cbke
