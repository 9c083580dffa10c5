"""The DCC simulator: DUIS service requests in, GBCS over a WAN link out, DUIS responses back.

``Dcc.submit(request)`` validates a ``ServiceRequest`` as DUIS 5.4 would and answers at once
(``I0`` for DCC-only SRVs, ``I99`` once a device command is on its way, an E-code otherwise).
Device responses and alerts arrive later over the CH's ``WanLink`` (or through ``receive``) and come
out of ``next_message()`` as DUIS-shaped ``ServiceResponse`` / ``DeviceAlert`` / ``DccAlert``.

SRVs: 12.2, 8.14.1, 8.14.2, 8.2, 8.3, 8.4 (DCC only), 8.11 Add / Remove (CCS01 / CCS02, built
by the ACB role, ``acb.py``) and 11.2 Read Firmware Version of an ESME (ECS52: the Supplier
originates it with its own request counter, the ACB MACs it; the ESME answers the Supplier, so
the DCC passes the response through without checking its MAC, which is keyed Supplier <-> ESME);
8.1.1, 8.7.1, 8.7.2, 8.8.1, 8.8.2, 8.9 and 8.12.1 (CCS03: devices an 8.11 Remove took off a
CHF's log come back from its historic log, Whitelisted again) as ``services.py`` validates and
builds them. SMI transitions: see ``inventory.py``.

Critical SRVs (8.1.1, 8.7.1, 8.8.1) go through the Pre-Command transform: the request comes with
CV 4; the DCC validates it and answers with a ``PreCommand`` (the Service User's GBCS command
without signature element). The Service User signs it and sends it back as a ``SignedPreCommand``
(CV 5, same RequestID); the DCC checks it is the Pre-Command it issued for that RequestID, byte
for byte up to the signature, and that the signature verifies with the Service User's Digital
Signing certificate (the DCC's keystore), then the ACB adds the MAC and it goes out (I99).
Refused: ``PRE_COMMAND_NOT_AUTHENTIC`` (E1 [U]); a CV 5 with no outstanding Pre-Command:
``NO_PRE_COMMAND_ISSUED`` (E12 [U]). The SMI is not checked again at CV 5 [U]; an issued
Pre-Command never expires [U]; both are held in memory, like outstanding commands.

Devices answer critical commands signed with their DS key and not MAC'd (``DF 09 ...``) to the
Service User: the DCC passes the response through; it verifies the signature when its keystore
holds the device's DS certificate and reports the verdict (``ServiceResponse.device_signature``,
journal note). A response whose signature is invalid still reaches the Service User (theirs to
judge) but changes nothing in the SMI [U]. A signed-only alert (critical alert) is accepted
unless its signature is absent or invalid [U].

A device command unanswered after ``response_timeout`` (modelled seconds, through the ``Clock``)
is answered E21.

Validation order (each failure is the first applicable DUIS code): command variant (E12), target
and body devices in the SMI (E19), device types for the SRV (E11), the body device's registered
supplier is the requester (E4), SMI statuses (E5); for 12.2 the device must be new
(``DEVICE_ALREADY_IN_SMI`` [U]) and its model on the CPL (``DEVICE_MODEL_NOT_ON_CPL`` [U]).
Users, roles and request-counter freshness (E1-E3, anti-replay) are not modelled yet.

TSAT (``tsat.py``, the Release 2 letter's tables): the device's CPL ``SMETSCHTSVersion`` must be
inside its installation validity period on the request's modelled date (``clock.datetime()``, or
today's UTC date without a clock) at 12.2, at 8.14.x for a Pending CHF, and at 8.11 Add for a
Pending device, and at 8.1.1 Commission Device (the maintenance period for a device already
InstalledNotCommissioned); 8.14.1 for an InstalledNotCommissioned CHF checks the maintenance
period instead. Refused: 12.2
answers ``DEVICE_MODEL_NOT_ON_CPL`` (E120203), the others ``E5`` [U] (no TSAT-specific code is
public); nothing in the SMI changes. Warned: the request succeeds, the warning goes to the log
(WARNING) and to the response's journal note ("TSAT warning: ..."); no DCC alert, as no DUIS
alert code for it is known [U]. A model with several CPL rows (dual mode) takes the best verdict.

MP202 (``mp202.py``): a request whose target is a PPMID installed against the wrong system is
refused (``PPMID_ON_WRONG_SYSTEM``, E5 [U]); one for a SMETS1 device (its SMI SMETS version) goes
to the S1SP adapter (``s1sp.py``), which carries it out on the SMETS1 hub's HAN and answers with
an ``S1spResponse``. DCC-only SRVs are neither refused nor routed.

Install and leave (``wan_coverage.py``, MP121): a successful 8.14.2 takes the CH's SM WAN away
and opens a coverage case (reactive or proactive, from the coverage database); when the case is
due the DCC restores the WAN (``restore_wan``: ``attach_link``, listeners in ``link_listeners``
told, ``wan_restored(ch)`` set). Meanwhile DCC-only SRVs work as ever. The cases are rows of the
DCC's SQLite (through the ``Inventory``): a DCC restarted mid-wait takes its open cases up again
on entering (``async with dcc``), each CH without its WAN until its case is due.

Change of supply (``change_of_supply``): DUIS takes the Registered Supplier from the
registration data the Registration Data Provider sends the DCC, not from a Service Request; the
rig's stand-in for that feed is this method. It moves the SMI's registered supplier of the named
devices (E4 follows it at once: the losing supplier is refused, the gaining one served) and opens
the gaining supplier's supply period in the install-code custody ledger (``custody.py``) for
devices the ledger knows (none if the ledger already has it as their supplier).

6.23 Update Security Credentials (CoS): the registered supplier asks the DCC's Transitional CoS
party (``trans_cos``, whose keys the DCC's keystore holds) to put the requester's certificates
on the device as its Supplier trust anchor: CS02b supplierByTransCoS (0x0107), originated and
signed by the TransCoS party with its own counter, the requester as supplementary remote party,
MAC'd by the ACB; no Pre-Command (the DCC signs it, not the Service User) [U]. The device's
signed response goes to the TransCoS party and on to the requester. Target ESME, GSME, GPF, PPMID
or HCALCS (E11 otherwise [U]), on the HAN (Whitelisted, InstalledNotCommissioned, Commissioned; a
GPF also Pending: E5),
requester registered supplier (E4), its certificates in the DCC's keystore (E5 [U]).

"No SM WAN" (DESIGN.md: the link is absent) follows ``NoWanPolicy``: ``FAIL`` (default) answers
E20 "unable to communicate with device" at once; ``HOLD`` acknowledges (I99) and sends the command
when a link to that CH is attached. [U] which of the two DUIS wants for a CH without WAN; both
are kept as a named setting. The install-and-leave scenario uses ``FAIL``: the DCC stores no
command for months; the Supplier resubmits once the WAN is back, and nothing it sent is lost from
the journal (E20 is journalled with the request, the SMI unchanged).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from types import TracebackType

from cryptography.hazmat.primitives.serialization import Encoding

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    CRITICAL_COMMANDS,
    DS,
    KA,
    Asn1Payload,
    GbcsDecodeError,
    GeneralCiphering,
    GeneralSigning,
    KeyStore,
    MessageCode,
    Verdict,
    decode_message,
    decode_payload,
    signature_verdict,
)
from emulator.codec.gbcs.asn1 import decode_asn1, encode_asn1
from emulator.codec.gbcs.crypto import sign_message
from emulator.codec.gbcs.dlms import AccessResponse, DataAccessResult, DataNotification, decode_dlms
from emulator.codec.gbcs.gbz import GbzPayload
from emulator.devices.ota_server import ImageDelivery
from emulator.han.clock import Clock

from . import dual_band, firmware, mp202, services, tsat
from . import requests as r
from .acb import HAN_DEVICE_TYPE, RTDS_ACB, AccessControlBroker
from .custody import Custody
from .inventory import CplEntry, Inventory, SmetsVersion, SmiRecord, SmiStatus, TransitionError
from .s1sp import S1sp
from .services import Plan
from .wan_coverage import CoverageCase, WanCoverage

log = logging.getLogger(__name__)

REDACTED = "<redacted>"
DEFAULT_RESPONSE_TIMEOUT = 3600.0
"""[U] Seconds the DCC waits for a device's response before answering E21. DUIS sets target
response times per SRV class; one named setting until they are modelled."""


class NoWanPolicy(enum.Enum):
    """What an SRV for a CH without a WAN link does (see the module docstring)."""

    FAIL = "fail"
    HOLD = "hold"


@dataclass(eq=False)
class WanLink:
    """The in-process SM WAN to one Communications Hub: one queue each way (GBCS bytes), and the
    firmware images the DCC hands the CH (11.1 / 11.4).

    Images travel on their own queue of typed ``ImageDelivery`` values: they are not GBCS
    messages (no use case carries them; the CSP moves them to the CH, DOMAIN.md section 3), they
    are far larger than any GBCS message, and keeping them apart leaves the GBCS stream exactly
    the bytes a real SM WAN carries, with nothing for the hub's GBCS gate to tell apart."""

    ch_id: Eui64
    to_hub: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    from_hub: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    images: asyncio.Queue[ImageDelivery] = field(default_factory=asyncio.Queue)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A device command awaiting its response, keyed by (CHF, GBCS originator counter)."""

    request: r.ServiceRequest
    message_code: MessageCode
    device_id: Eui64
    command: bytes = field(repr=False)


_Rejected = services.Rejected


@dataclass(frozen=True, slots=True)
class _Issued:
    """A Pre-Command handed to the Service User, awaiting its signed copy (CV 5)."""

    request: r.ServiceRequest
    plan: Plan


_ALLOWED_CV: dict[r.ServiceReferenceVariant, tuple[r.CommandVariant, ...]] = {
    r.ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN: (r.CommandVariant.DCC_ONLY,),
    # [U] 8.11 is non-critical; local delivery (CV 2/3) is not modelled yet
    r.ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.READ_FIRMWARE_VERSION: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    # critical SRVs: CV 4 here; CV 5 arrives as a SignedPreCommand; [U] local delivery (CV 6/7)
    # is not modelled
    r.ServiceReferenceVariant.COMMISSION_DEVICE: (r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,),
    r.ServiceReferenceVariant.JOIN_SERVICE_CRITICAL: (
        r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,
    ),
    r.ServiceReferenceVariant.UNJOIN_SERVICE_CRITICAL: (
        r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,
    ),
    r.ServiceReferenceVariant.JOIN_SERVICE_NON_CRITICAL: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.UNJOIN_SERVICE_NON_CRITICAL: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_DEVICE_LOG: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.RESTORE_HAN_DEVICE_LOG: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    # [U] the DCC's TransCoS party signs the command: no Pre-Command round
    r.ServiceReferenceVariant.UPDATE_SECURITY_CREDENTIALS_COS: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.UPDATE_FIRMWARE: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.UPDATE_PPMID_FIRMWARE: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.ACTIVATE_FIRMWARE: (r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,),
    r.ServiceReferenceVariant.READ_INVENTORY: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.DECOMMISSION_DEVICE: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.UPDATE_INVENTORY: (r.CommandVariant.DCC_ONLY,),
    # dual-band CH (``dual_band.py``): non-critical, to the CHF; [U] local delivery not modelled
    r.ServiceReferenceVariant.SET_CHF_SUB_GHZ_CONFIGURATION: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_CHF_SUB_GHZ_CONFIGURATION: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_CHF_SUB_GHZ_CHANNEL: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_CHF_SUB_GHZ_CHANNEL_LOG: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
}
_CH_STATUSES_FOR_8_11 = (SmiStatus.COMMISSIONED, SmiStatus.INSTALLED_NOT_COMMISSIONED)
_DEVICE_STATUSES_FOR_ADD = (SmiStatus.PENDING, SmiStatus.WHITELISTED)
_DEVICE_STATUSES_FOR_REMOVE = (SmiStatus.WHITELISTED,)
# [U] on the HAN: the DCC has no 8.1.1 yet, so a joined meter stays Whitelisted in the SMI
_DEVICE_STATUSES_FOR_READ = (
    SmiStatus.WHITELISTED,
    SmiStatus.INSTALLED_NOT_COMMISSIONED,
    SmiStatus.COMMISSIONED,
)
_COS_TARGETS = (
    r.DeviceType.ESME,
    r.DeviceType.GSME,
    r.DeviceType.GPF,
    r.DeviceType.PPMID,
    r.DeviceType.HCALCS,
)
"""[U] The devices with a Supplier trust anchor (the CHF's anchors are the DCC's roles')."""
_ON_THE_HAN = (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED)
TRANS_COS_COUNTER = "transcos"
_DEVICE_LOG_CODES = (
    MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG,
    MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG,
    MessageCode.CCS03_RESTORE_CHF_DEVICE_LOG,
)


def _redact(value: object) -> object:
    """A JSON-able view of a request body with every install code replaced."""
    if isinstance(value, r.AddDeviceToCHFWhitelist):
        return {"join_time_period": value.join_time_period, "install_code": REDACTED}
    if isinstance(value, Eui64):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _redact(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bytes):
        return REDACTED
    if isinstance(value, set | frozenset):  # a sub-GHz channel mask's channels (6.28)
        return sorted(_redact(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


class Dcc:
    """The DCC: SMI/CPL/journal in an ``Inventory``, the ACB role, one ``WanLink`` per CH.

    ``acb_counter_floor``: the lowest GBCS originator counter the ACB may use next (GBCS only
    asks that counters rise; a test can start at the RTDS value).
    """

    def __init__(
        self,
        inventory: Inventory,
        keystore: KeyStore,
        *,
        acb: Eui64 = RTDS_ACB,
        clock: Clock | None = None,
        no_wan_policy: NoWanPolicy = NoWanPolicy.FAIL,
        acb_counter_floor: int = 0,
        response_timeout: float | None = DEFAULT_RESPONSE_TIMEOUT,
        tsat_unlisted: tsat.Unlisted = tsat.Unlisted.WARN,
        coverage: WanCoverage | None = None,
        trans_cos: Eui64 | None = None,
        custody: Custody | None = None,
    ) -> None:
        self.inventory = inventory
        self.acb = AccessControlBroker(keystore, acb)
        self.clock = clock
        self.no_wan_policy = no_wan_policy
        self.acb_counter_floor = acb_counter_floor
        self.response_timeout = response_timeout
        self.tsat_unlisted = tsat_unlisted
        self.coverage = coverage or WanCoverage(inventory=inventory)
        self.trans_cos = None if trans_cos is None else Eui64(trans_cos)
        self.custody = custody
        self.link_listeners: list[Callable[[WanLink], object]] = []
        """Called with each new ``WanLink`` (the premises start its relay)."""
        self._restored: dict[int, asyncio.Event] = {}
        self._restore_timers: dict[int, asyncio.TimerHandle] = {}
        self._timers: dict[tuple[int, int], asyncio.TimerHandle] = {}
        self._links: dict[int, WanLink] = {}
        self._held: dict[int, list[tuple[int, int]]] = {}
        self._pending: dict[tuple[int, int], _Pending] = {}
        self._issued: dict[r.RequestId, _Issued] = {}
        self._outbox: asyncio.Queue[r.DccMessage] = asyncio.Queue()
        self._pumps: dict[int, asyncio.Task[None]] = {}
        self._tg: asyncio.TaskGroup | None = None
        self.s1sp = S1sp(inventory, clock, self._response, self._dcc_alert, self._outbox.put_nowait)
        """SRVs for SMETS1 devices go here, not to the ACB (MP202; ``s1sp.py``)."""

    # ---- lifecycle and links ------------------------------------------------------------------

    async def __aenter__(self) -> Dcc:
        self._tg = asyncio.TaskGroup()
        await self._tg.__aenter__()
        self._resume_coverage()
        for link in self._links.values():
            self._start_pump(link)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._pumps.values():
            task.cancel()
        self._pumps.clear()
        await self.s1sp.aclose()
        for timer in self._restore_timers.values():
            timer.cancel()
        self._restore_timers.clear()
        tg, self._tg = self._tg, None
        if tg is None:
            return
        try:
            await tg.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            if exc is None or list(group.exceptions) != [exc]:
                raise
            # Only the body's own exception (Python 3.11's TaskGroup wraps it): let it pass as
            # it is, so a caller sees the failure it raised, not a group around it.

    def _start_pump(self, link: WanLink) -> None:
        if self._tg is not None and int(link.ch_id) not in self._pumps:
            self._pumps[int(link.ch_id)] = self._tg.create_task(self._pump(link))

    async def _pump(self, link: WanLink) -> None:
        while True:
            data = await link.from_hub.get()
            await self.receive(link.ch_id, data)

    def attach_link(self, ch_id: Eui64) -> WanLink:
        """Give the CH an SM WAN; commands held for it (``NoWanPolicy.HOLD``) go out now."""
        key = int(ch_id)
        link = self._links.get(key)
        if link is None:
            link = self._links[key] = WanLink(Eui64(ch_id))
            self._start_pump(link)
            for listener in self.link_listeners:
                listener(link)
        for pending_key in self._held.pop(key, []):
            self._send(link, pending_key)
        return link

    def detach_link(self, ch_id: Eui64) -> None:
        """Take the CH's SM WAN away ("no SM WAN")."""
        self._links.pop(int(ch_id), None)
        task = self._pumps.pop(int(ch_id), None)
        if task is not None:
            task.cancel()

    def link(self, ch_id: Eui64) -> WanLink | None:
        return self._links.get(int(ch_id))

    # ---- install and leave, change of supply --------------------------------------------------

    def _restored_event(self, ch_id: Eui64) -> asyncio.Event:
        return self._restored.setdefault(int(ch_id), asyncio.Event())

    async def wan_restored(self, ch_id: Eui64) -> CoverageCase | None:
        """Until the DCC restores ``ch_id``'s SM WAN; its closed case (``None``: it had none)."""
        await self._restored_event(ch_id).wait()
        return self.coverage.case(ch_id)

    def restore_wan(self, ch_id: Eui64) -> WanLink:
        """The DCC has fixed the coverage: the CH's SM WAN is back and its case closes."""
        case = self.coverage.close(ch_id, self._now())
        link = self.attach_link(ch_id)
        if case is not None:
            log.info("SM WAN to %s restored (%s case)", Eui64(ch_id), case.kind.value)
        self._restored_event(ch_id).set()
        return link

    def _schedule_restore(self, case: CoverageCase) -> None:
        if self._tg is None:
            return  # not running: entering takes the open cases up (``_resume_coverage``)
        delay = max(0.0, (case.due_at - self._now()).total_seconds())
        loop = asyncio.get_running_loop()
        # a clock without timers (a date-only test clock) leaves restoring to the caller
        later = loop.call_later if self.clock is None else getattr(self.clock, "call_later", None)
        if later is None:
            return
        key = int(case.ch_id)

        def due() -> None:
            self._restore_timers.pop(key, None)
            self.restore_wan(case.ch_id)

        previous = self._restore_timers.pop(key, None)
        if previous is not None:
            previous.cancel()
        self._restore_timers[key] = later(delay, due)

    def _resume_coverage(self) -> None:
        """A (re)started DCC: every open coverage case from the DCC's database has no SM WAN
        and is restored when due (at once if it fell due while the DCC was down)."""
        for case in self.coverage.open_cases():
            self.detach_link(case.ch_id)
            self._schedule_restore(case)

    def change_of_supply(self, new_supplier: Eui64, devices: Sequence[Eui64]) -> None:
        """The registration data say ``new_supplier`` now supplies ``devices`` (module
        docstring); devices not in the SMI are refused (``TransitionError``), nothing moved."""
        new_supplier = Eui64(new_supplier)
        for device_id in devices:
            if self.inventory.smi(device_id) is None:
                raise TransitionError(f"change of supply: {Eui64(device_id)} is not in the SMI")
        now = self._now()
        for device_id in devices:
            self.inventory.set_registered_supplier(device_id, new_supplier)
            periods = [] if self.custody is None else self.custody.supply_periods(device_id)
            # the same registration data again (the feed repeats itself) open no new period
            if self.custody is not None and periods and periods[-1].supplier != new_supplier:
                self.custody.change_of_supply(device_id, new_supplier, now)
        log.info("change of supply to %s: %s", new_supplier, ", ".join(map(str, devices)))

    # ---- output -------------------------------------------------------------------------------

    async def next_message(self) -> r.DccMessage:
        """The next response or alert that arrived after ``submit`` returned, in order."""
        return await self._outbox.get()

    def pending_messages(self) -> list[r.DccMessage]:
        """Take every message waiting in the stream without blocking."""
        out: list[r.DccMessage] = []
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:
                out.append(self._outbox.get_nowait())
        return out

    def _now(self) -> datetime:
        return self.clock.datetime() if self.clock is not None else datetime.now(UTC)

    def _response(
        self,
        request: r.ServiceRequest | r.SignedPreCommand,
        code: r.ResponseCode,
        *,
        response_id: r.ResponseId | None = None,
        gbcs: bytes | None = None,
        note: str = "",
        device_signature: Verdict | None = None,
        inventory: tuple[r.InventoryDevice, ...] = (),
        s1sp: r.S1spResponse | None = None,
    ) -> r.ServiceResponse:
        now = self._now()
        self.inventory.journal_response(
            now,
            str(request.request_id),
            None if response_id is None else str(response_id),
            request.service_reference_variant,
            code.value,
            gbcs,
            accepted=True,
            note=note,
        )
        return r.ServiceResponse(
            request.request_id,
            code,
            request.service_reference_variant,
            now,
            response_id,
            gbcs,
            device_signature,
            inventory,
            s1sp,
        )

    def _dcc_alert(
        self, code: r.DccAlertCode, request: r.ServiceRequest, reason: str
    ) -> r.DccAlert:
        now = self._now()
        self.inventory.journal_alert(
            now, "dcc", code.value, None, str(request.request_id), None, True, reason
        )
        return r.DccAlert(code, request.request_id.originator, request.request_id, now, reason)

    # ---- submit -------------------------------------------------------------------------------

    async def submit(self, request: r.ServiceRequest | r.SignedPreCommand) -> list[r.DccMessage]:
        """Validate and act on ``request``; returns the immediate DUIS response(s): for a critical
        request (CV 4) the ``PreCommand``, for its ``SignedPreCommand`` the I99 (or an E-code)."""
        if isinstance(request, r.SignedPreCommand):
            return [self._signed_pre_command(request)]
        self.inventory.journal_request(
            self._now(),
            str(request.request_id),
            request.service_reference_variant,
            int(request.command_variant or 0),
            {"body": _redact(request.body)},
        )
        try:
            if request.command_variant not in _ALLOWED_CV[request.service_reference_variant]:
                raise _Rejected(r.INVALID_COMMAND_VARIANT, "command variant not for this SRV")
            if not request.service_reference_variant.dcc_only:
                # MP202: a PPMID on the wrong system is no SRV's target; SMETS1 devices' SRVs
                # go to the S1SP (``mp202.py``, ``s1sp.py``)
                mp202.refuse_wrong_system(self.inventory, request.request_id.target)
                if self.s1sp.routes(request):
                    return [self.s1sp.submit(request)]
            body = request.body
            if isinstance(body, r.DevicePrenotification):
                return [self._prenotify(request, body)]
            if isinstance(body, r.CHFInstallSuccessSMWAN | r.CHFInstallSuccessNoSMWAN):
                return [self._ch_status_update(request, body)]
            if isinstance(body, r.UpdateFirmware | r.UpdatePPMIDFirmware):
                return [self._distribute_firmware(request, body)]
            if isinstance(body, r.ReadFirmwareVersion):
                plan = firmware.read_version(
                    self.inventory, request, self.acb.eui, self.acb_counter_floor
                )
                if plan is not None:
                    self._send_plan(request, plan)
                    return [self._response(request, r.ACKNOWLEDGEMENT)]
                return [self._read_firmware_version(request)]
            if isinstance(body, r.UpdateHANDeviceLog):
                return [self._update_han_device_log(request, body)]
            if isinstance(body, r.ReadInventory | r.DecommissionDevice | r.UpdateInventory):
                return [self._inventory_service(request, body)]
            if isinstance(body, dual_band.SubGhzBody):
                return [self._sub_ghz_service(request, body)]
            if isinstance(body, r.UpdateSecurityCredentialsCoS):
                return [self._update_security_credentials_cos(request)]
            return [self._device_service(request, body)]
        except _Rejected as e:
            log.info("%s rejected: %s %s", request.request_id, e.code.value, e)
            return [self._response(request, e.code, note=str(e))]

    def _prenotify(
        self, request: r.ServiceRequest, body: r.DevicePrenotification
    ) -> r.ServiceResponse:
        """12.2: new SMI record (Pending) if the model is on the CPL."""
        if self.inventory.smi(body.device_id) is not None:
            raise _Rejected(r.DEVICE_ALREADY_IN_SMI, "device already in the SMI")
        smets = (
            None if body.smets_chts_version is None else SmetsVersion.of(body.smets_chts_version)
        )
        rows = self.inventory.cpl_entries(
            body.device_manufacturer,
            body.device_model,
            body.device_type,
            body.firmware_version,
            smets,
        )
        if not rows:
            raise _Rejected(r.DEVICE_MODEL_NOT_ON_CPL, "device model not on the CPL")
        note = self._check_tsat(rows, r.DEVICE_MODEL_NOT_ON_CPL)
        if smets is None and len({e.smets_version for e in rows}) == 1:
            smets = rows[0].smets_version
        self.inventory.prenotify(
            body.device_id,
            body.device_type,
            body.device_manufacturer,
            body.device_model,
            body.firmware_version,
            smets,
            request.request_id.originator,
        )
        return self._response(request, r.SUCCESS, note=note)

    def _ch_status_update(
        self,
        request: r.ServiceRequest,
        body: r.CHFInstallSuccessSMWAN | r.CHFInstallSuccessNoSMWAN,
    ) -> r.ServiceResponse:
        """8.14.1 / 8.14.2: the CHF's SMI status."""
        ch = self._device(body.device_id)
        if ch.device_type is not r.DeviceType.CHF:
            raise _Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "8.14 applies to a CHF")
        maintenance = ch.status is SmiStatus.INSTALLED_NOT_COMMISSIONED
        note = self._check_tsat(self._cpl_rows(ch), r.INVALID_DEVICE_STATUS, maintenance)
        try:
            if isinstance(body, r.CHFInstallSuccessSMWAN):
                self.inventory.ch_install_success(body.device_id)
            else:
                self.inventory.ch_install_no_sm_wan(body.device_id)
        except TransitionError as e:
            raise _Rejected(r.INVALID_DEVICE_STATUS, str(e)) from None
        if isinstance(body, r.CHFInstallSuccessNoSMWAN):
            self.detach_link(body.device_id)
            case = self.coverage.open(body.device_id, self._now())
            self._schedule_restore(case)
            note = " ".join(filter(None, (note, f"{case.kind.value} install and leave")))
        return self._response(request, r.SUCCESS, note=note)

    def _update_security_credentials_cos(self, request: r.ServiceRequest) -> r.ServiceResponse:
        """6.23: CS02b supplierByTransCoS from the TransCoS party (module docstring)."""
        rid = request.request_id
        device = self._device(rid.target)
        if device.device_type not in _COS_TARGETS:
            raise _Rejected(
                r.INVALID_DEVICE_TYPE_FOR_SRV, "6.23 is for a device with a Supplier anchor"
            )
        if device.registered_supplier != rid.originator:
            raise _Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
        on_the_han = _ON_THE_HAN + (
            (SmiStatus.PENDING,) if device.device_type is r.DeviceType.GPF else ()
        )
        if device.status not in on_the_han:
            raise _Rejected(r.INVALID_DEVICE_STATUS, f"device is {device.status.value}")
        ch_id = services.ch_of(device)
        keystore = self.acb.keystore
        ds, ka = keystore.certificate(rid.originator, DS), keystore.certificate(rid.originator, KA)
        signer = None if self.trans_cos is None else keystore.private_key(self.trans_cos, DS)
        if ds is None or ka is None or signer is None or self.trans_cos is None:
            raise _Rejected(
                r.INVALID_DEVICE_STATUS, "no certificates for the requester or no TransCoS key"
            )
        link = self._link_or_reject(ch_id)
        code = MessageCode.CS02B_UPDATE_SECURITY_CREDENTIALS_SUPPLIERBYTRANSCOS
        counter = self.inventory.next_counter(TRANS_COS_COUNTER)
        content = encode_asn1(
            "SupplierTrustAnchorReplacement",
            {
                "newSupplierDigitalSigningCertificate": ds.public_bytes(Encoding.DER),
                "newSupplierKeyAgreementCertificate": ka.public_bytes(Encoding.DER),
            },
        )
        apdu = services.dcc_command(code, counter, self.trans_cos, device.device_id, rid, content)
        message = self.acb.protect(sign_message(apdu, signer))
        self._dispatch(request, code, ch_id, device.device_id, device.device_id, message, link)
        return self._response(request, r.ACKNOWLEDGEMENT)

    def _cpl_rows(self, device: SmiRecord) -> list[CplEntry]:
        return self.inventory.cpl_entries(
            device.manufacturer,
            device.model,
            device.device_type,
            device.firmware_version,
            device.smets_version,
        )

    def _check_tsat(
        self, rows: list[CplEntry], code: r.ResponseCode, maintenance: bool = False
    ) -> str:
        """The TSAT verdict on ``rows`` (the device's CPL rows) for the modelled date: raises
        ``_Rejected(code)`` if refused, returns the journal note ("" or the warning)."""
        if not rows:
            return ""  # not on the CPL (any more): not the TSAT's question
        on = self._now().date()
        verdicts = [
            tsat.check_version_text(
                e.smets_chts_version, on, maintenance=maintenance, unlisted=self.tsat_unlisted
            )
            for e in rows
        ]
        # the best verdict wins: Outcome is declared allowed, warned, refused
        best = min(verdicts, key=lambda v: list(tsat.Outcome).index(v.outcome))
        if best.outcome is tsat.Outcome.REFUSED:
            raise _Rejected(code, f"TSAT: {best.reason}")
        if best.outcome is tsat.Outcome.WARNED:
            log.warning("TSAT warning: %s", best.reason)
            return f"TSAT warning: {best.reason}"
        return ""

    def _device(self, device_id: Eui64) -> SmiRecord:
        record = self.inventory.smi(device_id)
        if record is None:
            raise _Rejected(r.DEVICE_DOES_NOT_EXIST, f"{device_id} is not in the SMI")
        return record

    def _update_han_device_log(
        self, request: r.ServiceRequest, body: r.UpdateHANDeviceLog
    ) -> r.ServiceResponse:
        """8.11: CCS01 (Add) or CCS02 (Remove) to the target CHF."""
        rid = request.request_id
        ch = self._device(rid.target)
        device = self._device(body.device_id)
        if ch.device_type is not r.DeviceType.CHF:
            raise _Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "8.11 is sent to a CHF")
        han_type = HAN_DEVICE_TYPE.get(device.device_type)
        if han_type is None:
            raise _Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "device type not on a CHF device log")
        if device.registered_supplier != rid.originator:
            raise _Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
        if ch.status not in _CH_STATUSES_FOR_8_11:
            raise _Rejected(r.INVALID_DEVICE_STATUS, f"CHF is {ch.status.value}")
        allowed = _DEVICE_STATUSES_FOR_ADD if body.add else _DEVICE_STATUSES_FOR_REMOVE
        if device.status not in allowed:
            raise _Rejected(r.INVALID_DEVICE_STATUS, f"device is {device.status.value}")
        if body.request_type is r.RequestType.REMOVE and device.ch_id != ch.device_id:
            raise _Rejected(r.INVALID_DEVICE_STATUS, "device is not on this CHF's log")
        note = ""
        if body.add is not None and device.status is SmiStatus.PENDING:
            note = self._check_tsat(self._cpl_rows(device), r.INVALID_DEVICE_STATUS)
        link = self._link_or_reject(ch.device_id)

        counter = self.inventory.next_counter(floor=self.acb_counter_floor)
        if body.add is not None:
            code = MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG
            message = self.acb.ccs01(
                counter,
                ch.device_id,
                rid.originator,
                rid.counter,
                device.device_id,
                han_type,
                body.add.install_code,
                body.add.join_time_period,
            )
        else:
            code = MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG
            message = self.acb.ccs02(
                counter, ch.device_id, rid.originator, rid.counter, device.device_id
            )
        self._dispatch(request, code, ch.device_id, ch.device_id, device.device_id, message, link)
        return self._response(request, r.ACKNOWLEDGEMENT, note=note)

    def _sub_ghz_service(
        self, request: r.ServiceRequest, body: dual_band.SubGhzBody
    ) -> r.ServiceResponse:
        """6.28-6.32: a DBCH command from the ACB to the target CHF (``dual_band.py``).

        Refused E11 when the CHF's CPL rows are all CHTS v1.0, a single-band hub [U] (no DUIS
        code is public for "not a dual-band CH")."""
        rid = request.request_id
        ch = self._device(rid.target)
        if ch.device_type is not r.DeviceType.CHF:
            raise _Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "sub-GHz SRVs go to a CHF")
        versions = {tsat.parse_version(e.smets_chts_version) for e in self._cpl_rows(ch)}
        if versions and versions <= {(tsat.Spec.CHTS, "1.0")}:
            raise _Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "CHTS v1.0: a single-band CH")
        if ch.registered_supplier != rid.originator:
            raise _Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the CH's supplier")
        if ch.status not in _CH_STATUSES_FOR_8_11:
            raise _Rejected(r.INVALID_DEVICE_STATUS, f"CHF is {ch.status.value}")
        link = self._link_or_reject(ch.device_id)
        counter = self.inventory.next_counter(floor=self.acb_counter_floor)
        code, apdu = dual_band.command(
            body, self.acb.eui, counter, ch.device_id, rid.originator, rid.counter
        )
        message = self.acb.protect(apdu)
        self._dispatch(request, code, ch.device_id, ch.device_id, ch.device_id, message, link)
        return self._response(request, r.ACKNOWLEDGEMENT)

    def _distribute_firmware(
        self, request: r.ServiceRequest, body: r.UpdateFirmware | r.UpdatePPMIDFirmware
    ) -> r.ServiceResponse:
        """11.1 / 11.4: the image to the target's CH over the SM WAN (``firmware.py``)."""
        ch_id, delivery = firmware.distribution(self.inventory, request, body)
        link = self.link(ch_id)
        if link is None:
            raise _Rejected(r.UNABLE_TO_COMMUNICATE, "no SM WAN to the CH")  # [U] never held
        link.images.put_nowait(delivery)
        note = f"image of {len(delivery.image)} bytes to CH {ch_id}"
        return self._response(request, r.ACKNOWLEDGEMENT, note=note)

    def _read_firmware_version(self, request: r.ServiceRequest) -> r.ServiceResponse:
        """11.2: ECS52 to the target ESME, through the CH whose device log holds it."""
        rid = request.request_id
        device = self._device(rid.target)
        if device.device_type is not r.DeviceType.ESME:
            # [U] 11.2 also reads GSME / CHF versions (other use cases), not modelled yet
            raise _Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "11.2 is modelled for an ESME")
        if device.registered_supplier != rid.originator:
            raise _Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
        if device.status not in _DEVICE_STATUSES_FOR_READ or device.ch_id is None:
            raise _Rejected(r.INVALID_DEVICE_STATUS, f"device is {device.status.value}")
        link = self._link_or_reject(device.ch_id)
        message = self.acb.ecs52(rid.originator, rid.counter, device.device_id)
        code = MessageCode.ECS52_READ_ESME_COMMS_HUB_FIRMWARE_VERSION
        self._dispatch(
            request, code, device.ch_id, device.device_id, device.device_id, message, link
        )
        return self._response(request, r.ACKNOWLEDGEMENT)

    def _device_service(self, request: r.ServiceRequest, body: r.RequestBody) -> r.DccMessage:
        """8.1.1, 8.7.x, 8.8.x, 8.9: validate and plan (``services``); a critical command goes
        back to the Service User as a Pre-Command, any other goes out now."""
        note = ""
        if isinstance(body, r.JoinServiceCritical | r.JoinServiceNonCritical):
            plan = services.join(self.inventory, self.acb.keystore, request, body)
        elif isinstance(body, r.UnjoinServiceCritical | r.UnjoinServiceNonCritical):
            plan = services.unjoin(self.inventory, request, body)
        elif isinstance(body, r.CommissionDeviceSynchroniseClock):
            plan = services.commission(self.inventory, request, body)
            # TSAT at commissioning: installation (maintenance once InstalledNotCommissioned)
            target = self._device(request.request_id.target)
            maintenance = target.status is SmiStatus.INSTALLED_NOT_COMMISSIONED
            note = self._check_tsat(self._cpl_rows(target), r.INVALID_DEVICE_STATUS, maintenance)
        elif isinstance(body, r.ActivateFirmware):
            plan = firmware.activation(self.inventory, request, body)
        elif isinstance(body, r.ReadDeviceLog):
            plan = services.read_device_log(
                self.inventory, request, self.acb.eui, self.acb_counter_floor
            )
        elif isinstance(body, r.RestoreHANDeviceLog):
            plan = services.restore_device_log(
                self.inventory, request, body, self.acb.eui, self.acb_counter_floor
            )
        else:
            raise TypeError(f"no handler for {type(body).__name__}")
        if not plan.critical:
            self._send_plan(request, plan)
            return self._response(request, r.ACKNOWLEDGEMENT)
        self._issued[request.request_id] = _Issued(request, plan)
        data = plan.apdu.encode()
        now = self._now()
        self.inventory.journal_response(
            now,
            str(request.request_id),
            None,
            request.service_reference_variant,
            r.SUCCESS.value,
            data,
            accepted=True,
            note="Pre-Command" + (f"; {note}" if note else ""),
        )
        return r.PreCommand(request.request_id, request.service_reference_variant, now, data)

    def _send_plan(self, request: r.ServiceRequest, plan: Plan) -> None:
        link = self._link_or_reject(plan.ch_id)
        message = self.acb.protect(plan.apdu)
        self._dispatch(
            request, plan.code, plan.ch_id, plan.responder, plan.device_id, message, link
        )

    def _signed_pre_command(self, signed: r.SignedPreCommand) -> r.ServiceResponse:
        """CV 5: check the Service User's signed copy of the Pre-Command, MAC it, send it."""
        issued = self._issued.get(signed.request_id)
        self.inventory.journal_request(
            self._now(),
            str(signed.request_id),
            signed.service_reference_variant,
            int(signed.command_variant),
            {"signed_pre_command": hashlib.sha256(signed.gbcs_payload).hexdigest()},
        )
        try:
            if issued is None or issued.request.service_reference_variant is not (
                signed.service_reference_variant
            ):
                raise _Rejected(r.NO_PRE_COMMAND_ISSUED, "no Pre-Command issued for this request")
            request = dataclasses.replace(issued.request, command_variant=signed.command_variant)
            if signed.command_variant is not r.CommandVariant.SIGNED_PRE_COMMAND_TO_DEVICE:
                raise _Rejected(r.INVALID_COMMAND_VARIANT, "local delivery is not modelled")
            apdu = self._authentic(issued.plan.apdu, signed.gbcs_payload)
            self._send_plan(request, dataclasses.replace(issued.plan, apdu=apdu))
        except _Rejected as e:
            log.info("%s signed pre-command refused: %s %s", signed.request_id, e.code.value, e)
            return self._response(signed, e.code, note=str(e))
        del self._issued[signed.request_id]
        return self._response(request, r.ACKNOWLEDGEMENT)

    def _authentic(self, pre_command: GeneralSigning, data: bytes) -> GeneralSigning:
        """The signed Pre-Command if it is ``pre_command`` plus a valid signature by its
        originator (the Service User), else ``_Rejected``."""
        issued = pre_command.encode()
        if data[: len(issued)] != issued:
            raise _Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, "not the Pre-Command issued")
        try:
            message = decode_message(data)
        except GbcsDecodeError as e:
            raise _Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, f"undecodable: {e}") from None
        if not isinstance(message, GeneralSigning) or not message.signature:
            raise _Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, "no signature")
        verdict = signature_verdict(message, self.acb.keystore)
        if verdict is not Verdict.VALID:
            raise _Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, f"signature {verdict.value}")
        return message

    def _inventory_service(
        self,
        request: r.ServiceRequest,
        body: r.ReadInventory | r.DecommissionDevice | r.UpdateInventory,
    ) -> r.ServiceResponse:
        """8.2 / 8.3 / 8.4, from the SMI alone (see ``inventory.py`` for the transitions).

        8.2 answers the device's record and, for a CHF, those of the devices on its log [U]; any
        Service User may read it [U]. 8.3 and 8.4 need the requester to be the device's
        registered supplier (E4)."""
        record = self._device(body.device_id)
        if isinstance(body, r.ReadInventory):
            records = [record]
            if record.device_type is r.DeviceType.CHF:
                records += self.inventory.devices_on(record.device_id)
            devices = tuple(_inventory_device(x) for x in records)
            return self._response(request, r.SUCCESS, inventory=devices)
        if record.registered_supplier != request.request_id.originator:
            raise _Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
        try:
            if isinstance(body, r.DecommissionDevice):
                self.inventory.decommission(body.device_id)
            else:
                self.inventory.delete_device(body.device_id)
        except TransitionError as e:
            raise _Rejected(r.INVALID_DEVICE_STATUS, str(e)) from None
        return self._response(request, r.SUCCESS)

    def _link_or_reject(self, ch_id: Eui64) -> WanLink | None:
        """The CH's SM WAN; without one, E20 under ``NoWanPolicy.FAIL`` (``None``: hold)."""
        link = self.link(ch_id)
        if link is None and self.no_wan_policy is NoWanPolicy.FAIL:
            raise _Rejected(r.UNABLE_TO_COMMUNICATE, "no SM WAN to the CH")
        return link

    def _dispatch(
        self,
        request: r.ServiceRequest,
        code: MessageCode,
        ch_id: Eui64,
        responder: Eui64,
        device_id: Eui64,
        message: GeneralCiphering,
        link: WanLink | None,
    ) -> None:
        """Journal ``message``, await ``responder``'s response to it, send it (or hold it)."""
        apdu = message.apdu
        data = message.encode()
        self.inventory.journal_request(
            self._now(),
            str(request.request_id),
            request.service_reference_variant,
            int(request.command_variant or 0),
            {"gbcs": code.name},
            (int(code), apdu.originator_counter, data),
        )
        key = (int(responder), apdu.originator_counter)
        self._pending[key] = _Pending(request, code, device_id, data)
        if link is None:
            self._held.setdefault(int(ch_id), []).append(key)
        else:
            self._send(link, key)

    def _send(self, link: WanLink, key: tuple[int, int]) -> None:
        """Put a pending command on the link and start its response timer."""
        pending = self._pending.get(key)
        if pending is None:
            return
        link.to_hub.put_nowait(pending.command)
        if self.response_timeout is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not running yet: no timer for this command
        later = self.clock.call_later if self.clock is not None else loop.call_later
        self._timers[key] = later(self.response_timeout, lambda: self._timed_out(key))

    def _close(self, key: tuple[int, int]) -> _Pending | None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        return self._pending.pop(key, None)

    def _timed_out(self, key: tuple[int, int]) -> None:
        """No response in time: E21 "no response received from device" to the requester."""
        self._timers.pop(key, None)
        pending = self._pending.pop(key, None)
        if pending is not None:
            self._outbox.put_nowait(
                self._response(pending.request, r.NO_RESPONSE_FROM_DEVICE, note="timed out")
            )

    # ---- from the WAN -------------------------------------------------------------------------

    async def receive(self, ch_id: Eui64, data: bytes) -> list[r.DccMessage]:
        """Process GBCS bytes from CH ``ch_id``'s WAN link; the DUIS messages they give are
        returned and also queued for ``next_message()``."""
        out = self._receive(Eui64(ch_id), data)
        for m in out:
            self._outbox.put_nowait(m)
        return out

    def _reject(self, data: bytes, reason: str) -> list[r.DccMessage]:
        log.warning("WAN message rejected: %s", reason)
        self.inventory.journal_response(
            self._now(), None, None, None, None, data, accepted=False, note=reason
        )
        return []

    def _receive(self, ch_id: Eui64, data: bytes) -> list[r.DccMessage]:
        try:
            message = decode_message(data)
        except GbcsDecodeError as e:
            return self._reject(data, f"undecodable GBCS: {e}")
        if not isinstance(message, GeneralCiphering | GeneralSigning):
            return self._reject(data, "not a MAC'd or signed GBCS message")
        if isinstance(message, GeneralSigning) and not message.signature:
            return self._reject(data, "neither MAC'd nor signed")
        apdu = message.apdu if isinstance(message, GeneralCiphering) else message
        if apdu.cra is CRA.RESPONSE:
            return self._on_response(message, data)
        if apdu.cra is CRA.ALERT and self._to_supplier(apdu):
            return self._on_alert(ch_id, message, data)
        if apdu.recipient != self.acb.eui:
            return self._reject(data, f"addressed to {apdu.recipient}, not the ACB")
        if apdu.cra is CRA.ALERT:
            return self._on_alert(ch_id, message, data)
        return self._reject(data, "a command from a device")

    def _on_response(
        self, message: GeneralCiphering | GeneralSigning, data: bytes
    ) -> list[r.DccMessage]:
        apdu = message.apdu if isinstance(message, GeneralCiphering) else message
        key = (int(apdu.originator), apdu.originator_counter)
        pending = self._pending.get(key)
        if pending is None or apdu.message_code != pending.message_code:
            return self._reject(data, "response to no outstanding command")
        request = pending.request
        if apdu.recipient not in (self.acb.eui, request.request_id.originator, self.trans_cos):
            return self._reject(data, f"addressed to {apdu.recipient}, not the ACB or requester")
        signed = isinstance(message, GeneralSigning)
        if signed != (pending.message_code in CRITICAL_COMMANDS):
            return self._reject(
                data,
                "signed-only response to a non-critical command, or MAC'd "
                "response to a critical one",
            )
        # a response to the ACB is the DCC's to verify; one to a Service User is theirs, but a
        # signed one the DCC checks when it holds the device's DS certificate
        to_acb = apdu.recipient == self.acb.eui
        verdict = self.acb.mac_verdict(message) if to_acb and not signed else Verdict.VALID
        device_signature = signature_verdict(apdu, self.acb.keystore) if signed else None
        self._close(key)
        if verdict is not Verdict.VALID:
            # [U] The DCC closes the request: no SMI change, N24 to the requester.
            self._reject(data, f"response MAC {verdict.value}")
            return [
                self._dcc_alert(
                    r.UPDATE_HAN_DEVICE_LOG_FAILED, request, f"response MAC {verdict.value}"
                )
            ]
        response_id = r.ResponseId(
            apdu.originator, request.request_id.originator, request.request_id.counter
        )
        note = "" if device_signature is None else f"device signature {device_signature.value}"
        out: list[r.DccMessage] = [
            self._response(
                request,
                r.SUCCESS,
                response_id=response_id,
                gbcs=data,
                note=note,
                device_signature=device_signature,
            )
        ]
        if pending.message_code not in _DEVICE_LOG_CODES:
            if device_signature is not Verdict.INVALID:
                self._settle(pending, apdu)
            return out
        ok = _all_succeeded(apdu.content)
        if ok:
            try:
                code = pending.message_code
                if code is MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG:
                    self.inventory.whitelist(pending.device_id, apdu.originator)
                elif code is MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG:
                    self.inventory.remove_from_whitelist(pending.device_id)
                else:  # CCS03: every device restored is back on that CHF's log
                    assert isinstance(request.body, r.RestoreHANDeviceLog)
                    for device_id in request.body.device_ids:
                        self.inventory.whitelist(device_id, apdu.originator)
            except TransitionError as e:
                ok = False
                log.warning("SMI not updated: %s", e)
        if not ok:
            out.append(
                self._dcc_alert(r.UPDATE_HAN_DEVICE_LOG_FAILED, request, "device log not updated")
            )
        return out

    def _settle(self, pending: _Pending, apdu: GeneralSigning) -> None:
        """The SMI change a successful 8.1.1 / 8.7.1 response makes (``inventory.py``)."""
        code = pending.message_code
        try:
            clock_set = (
                code is MessageCode.ECS70_SET_CLOCK_ON_ESME and _all_succeeded(apdu.content)
            ) or (
                code is MessageCode.GCS28_SET_CLOCK_ON_GSME
                and _asn1_ok("SetTimeResponse", apdu.content)
            )
            if clock_set:
                self.inventory.commission(pending.device_id)
            elif code is MessageCode.CS03A2_METHOD_A_JOIN_NON_METER and _join_succeeded(
                apdu.content
            ):
                self.inventory.commission_joined(pending.device_id)
            elif code is MessageCode.CS06_ACTIVATE_FIRMWARE:
                self._firmware_changed(pending.device_id, code, apdu.content)
        except TransitionError as e:
            log.warning("SMI not updated: %s", e)

    def _to_supplier(self, apdu: GeneralSigning) -> bool:
        """A signed alert a device addresses to its registered Supplier (the firmware receipt
        and future-dated activation alerts of the RTDS): the DCC passes it on."""
        record = self.inventory.smi(apdu.originator)
        return (
            bool(apdu.signature)
            and record is not None
            and record.registered_supplier == apdu.recipient
        )

    def _firmware_changed(self, device_id: Eui64, code: int, content: bytes) -> None:
        """A CS06 response or 0x00CA alert reporting a new running version: SMI and CPL."""
        try:
            value = decode_payload(code, CRA.ALERT if code != 0x0012 else CRA.RESPONSE, content)
        except GbcsDecodeError:
            return
        version = firmware.new_version(code, getattr(value, "value", None))
        if version is not None:
            note = firmware.record_version(self.inventory, device_id, version)
            log.info("%s: %s", device_id, note)

    def _on_alert(
        self, ch_id: Eui64, message: GeneralCiphering | GeneralSigning, data: bytes
    ) -> list[r.DccMessage]:
        apdu = message.apdu if isinstance(message, GeneralCiphering) else message
        secret = (
            apdu.message_code
            == MessageCode.CS14_DEVICE_ADDITION_TO_REMOVAL_FROM_HAN_WHITELIST_ALERTS
        )
        alert_code = _alert_code(apdu.message_code, apdu.content)
        code_text = "????" if alert_code is None else f"{alert_code:04X}"
        if isinstance(message, GeneralCiphering):
            verdict = self.acb.mac_verdict(message)
        else:
            verdict = signature_verdict(message, self.acb.keystore)
            if verdict is Verdict.UNKNOWN_KEY:
                verdict = Verdict.VALID  # [U] the DCC may not hold every device's DS certificate
        ch = self.inventory.smi(apdu.originator)
        recipient = ch.registered_supplier if ch is not None and ch.registered_supplier else None
        response_id = r.ResponseId(
            apdu.originator, recipient or self.acb.eui, apdu.originator_counter
        )
        now = self._now()
        accepted = verdict is Verdict.VALID and alert_code is not None
        self.inventory.journal_alert(
            now,
            "device",
            code_text,
            str(response_id),
            None,
            data,
            accepted,
            "" if accepted else f"MAC/signature {verdict.value}",
            secret=secret,
        )
        if not accepted or alert_code is None:
            log.warning("alert %s from %s rejected (MAC %s)", code_text, ch_id, verdict.value)
            return []
        if alert_code in dual_band.SUB_GHZ_ALERTS:  # SRPD 15.5(c): a DCC Alert (DualBandCHAlert)
            return [
                dual_band.to_dual_band_alert(apdu, alert_code, recipient or self.acb.eui, now, data)
            ]
        if apdu.message_code == MessageCode.FUTURED_DATED_FIRMWARE_ACTIVATION_ALERT:
            self._firmware_changed(apdu.originator, apdu.message_code, apdu.content)
        return [r.DeviceAlert(response_id, alert_code, now, data)]


def _all_succeeded(content: bytes) -> bool:
    """Every ACCESS result in a DLMS access-response is success."""
    try:
        payload = decode_dlms(content)
    except GbcsDecodeError:
        return False
    return isinstance(payload, AccessResponse) and all(
        s.result == DataAccessResult.SUCCESS for s in payload.results
    )


def _alert_code(message_code: int, content: bytes) -> int | None:
    """The GBCS alert code of an alert: a DLMS data-notification's, a GBZ alert header's (the
    GSME's receipt alert 0x00CF), or the ``alertCode`` of an ASN.1 alert (GCS62, CS06's 0x00CA,
    CCS08)."""
    try:
        payload = decode_payload(message_code, CRA.ALERT, content)
    except GbcsDecodeError:
        return None
    if isinstance(payload, DataNotification):
        return payload.alert_code
    if isinstance(payload, GbzPayload):
        return payload.alert_code
    if isinstance(payload, Asn1Payload) and isinstance(payload.value, dict):
        code = payload.value.get("alertCode")
        return code if isinstance(code, int) else None
    return None


def _asn1_ok(type_name: str, content: bytes) -> bool:
    try:
        decode_asn1(type_name, content)
    except GbcsDecodeError:
        return False
    return True


def _join_succeeded(content: bytes) -> bool:
    """A ``JoinDeviceResponse`` of 0 (success)."""
    try:
        return bool(decode_asn1("JoinDeviceResponse", content) == 0)
    except GbcsDecodeError:
        return False


def _inventory_device(record: SmiRecord) -> r.InventoryDevice:
    return r.InventoryDevice(
        record.device_id,
        record.device_type,
        record.status.value,
        record.manufacturer,
        record.model,
        record.firmware_version,
        None if record.smets_version is None else record.smets_version.value,
        record.ch_id,
    )
