"""The DCC simulator: DUIS service requests in, GBCS over a WAN link out, DUIS responses back.

``Dcc.submit(request)`` validates a ``ServiceRequest`` as DUIS 5.4 would and answers at once
(``I0`` for DCC-only SRVs, ``I99`` once a device command is on its way, an E-code otherwise).
Device responses and alerts arrive later over the CH's ``WanLink`` (or through ``receive``) and come
out of ``next_message()`` as DUIS-shaped ``ServiceResponse`` / ``DeviceAlert`` / ``DccAlert``.

SRVs: 12.2, 8.14.1, 8.14.2, 8.2, 8.3, 8.4 (DCC only, ``dcc_only.py``), 8.11 Add / Remove (CCS01 /
CCS02, built by the ACB role, ``acb.py``, checked in ``acb_commands.py``) and 11.2 Read Firmware
Version of an ESME (ECS52: the Supplier originates it with its own request counter, the ACB MACs
it; the ESME answers the Supplier, so the DCC passes the response through without checking its
MAC, which is keyed Supplier <-> ESME); 8.1.1, 8.7.1, 8.7.2, 8.8.1, 8.8.2, 8.9 and 8.12.1 (CCS03:
devices an 8.11 Remove took off a CHF's log come back from its historic log, Whitelisted again)
as ``services.py`` validates and builds them; the firmware SRVs (``firmware.py``), the sub-GHz
SRVs (``dual_band.py``), 6.23 (``change_of_supply.py``). SMI transitions: see ``inventory.py``.

The rest of the DCC, one module each: which command variant each SRV takes (``command_variants``),
the Pre-Command round of critical SRVs (``pre_command``), the SM WAN links and the commands
awaiting their responses, E21 after ``response_timeout``, ``NoWanPolicy`` (``wan_link``), device
responses (``device_responses``) and alerts (``alerts``), the TSAT at 12.2 / 8.14 / 8.11 / 8.1.1
(``tsat_gate``), change of supply and the Transitional CoS (``change_of_supply``), what the
journal keeps of a request (``redaction``).

Validation order (each failure is the first applicable DUIS code): command variant (E12), target
and body devices in the SMI (E19), device types for the SRV (E11), the body device's registered
supplier is the requester (E4), SMI statuses (E5); for 12.2 the device must be new
(``DEVICE_ALREADY_IN_SMI`` [U]) and its model on the CPL (``DEVICE_MODEL_NOT_ON_CPL`` [U]).
Users, roles and request-counter freshness (E1-E3, anti-replay) are not modelled yet.

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
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    GbcsDecodeError,
    GeneralCiphering,
    GeneralSigning,
    KeyStore,
    MessageCode,
    Verdict,
    decode_message,
)
from emulator.han.clock import Clock

from . import (
    acb_commands,
    alerts,
    change_of_supply,
    dcc_only,
    device_responses,
    dual_band,
    firmware,
    mp202,
    pre_command,
    services,
    tsat,
)
from . import requests as r
from .acb import RTDS_ACB, AccessControlBroker
from .change_of_supply import TRANS_COS_COUNTER
from .command_variants import ALLOWED_CV
from .custody import Custody
from .inventory import Inventory, SmiStatus
from .redaction import REDACTED, redact
from .s1sp import S1sp
from .services import Plan, Rejected
from .tsat_gate import check_tsat, cpl_rows
from .wan_coverage import CoverageCase, WanCoverage
from .wan_link import DEFAULT_RESPONSE_TIMEOUT, NoWanPolicy, Outstanding, Pending, WanLink

__all__ = [
    "DEFAULT_RESPONSE_TIMEOUT",
    "REDACTED",
    "TRANS_COS_COUNTER",
    "Dcc",
    "NoWanPolicy",
    "WanLink",
]

log = logging.getLogger(__name__)


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
        self._links: dict[int, WanLink] = {}
        self._outstanding = Outstanding(self._timed_out)
        self._issued: dict[r.RequestId, pre_command.Issued] = {}
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
        self._outstanding.release(ch_id, link, self.clock, self.response_timeout)
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
        """The registration data say ``new_supplier`` now supplies ``devices``
        (``change_of_supply.py``); devices not in the SMI are refused (``TransitionError``),
        nothing moved."""
        change_of_supply.change_of_supply(
            self.inventory, self.custody, new_supplier, devices, self._now()
        )

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
            {"body": redact(request.body)},
        )
        try:
            if request.command_variant not in ALLOWED_CV[request.service_reference_variant]:
                raise Rejected(r.INVALID_COMMAND_VARIANT, "command variant not for this SRV")
            if not request.service_reference_variant.dcc_only:
                # MP202: a PPMID on the wrong system is no SRV's target; SMETS1 devices' SRVs
                # go to the S1SP (``mp202.py``, ``s1sp.py``)
                mp202.refuse_wrong_system(self.inventory, request.request_id.target)
                if self.s1sp.routes(request):
                    return [self.s1sp.submit(request)]
            body = request.body
            if isinstance(body, r.DevicePrenotification):
                on, unlisted = self._now().date(), self.tsat_unlisted
                note = dcc_only.prenotify(self.inventory, request, body, on, unlisted)
                return [self._response(request, r.SUCCESS, note=note)]
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
                devices = dcc_only.inventory_service(self.inventory, request, body)
                return [self._response(request, r.SUCCESS, inventory=devices)]
            if isinstance(body, dual_band.SubGhzBody):
                return [self._sub_ghz_service(request, body)]
            if isinstance(body, r.UpdateSecurityCredentialsCoS):
                return [self._update_security_credentials_cos(request)]
            return [self._device_service(request, body)]
        except Rejected as e:
            log.info("%s rejected: %s %s", request.request_id, e.code.value, e)
            return [self._response(request, e.code, note=str(e))]

    def _ch_status_update(
        self,
        request: r.ServiceRequest,
        body: r.CHFInstallSuccessSMWAN | r.CHFInstallSuccessNoSMWAN,
    ) -> r.ServiceResponse:
        """8.14.1 / 8.14.2: the CHF's SMI status (``dcc_only.py``); 8.14.2 takes its WAN away."""
        on, unlisted = self._now().date(), self.tsat_unlisted
        note = dcc_only.ch_status_update(self.inventory, body, on, unlisted)
        if isinstance(body, r.CHFInstallSuccessNoSMWAN):
            self.detach_link(body.device_id)
            case = self.coverage.open(body.device_id, self._now())
            self._schedule_restore(case)
            note = " ".join(filter(None, (note, f"{case.kind.value} install and leave")))
        return self._response(request, r.SUCCESS, note=note)

    def _update_security_credentials_cos(self, request: r.ServiceRequest) -> r.ServiceResponse:
        """6.23: CS02b supplierByTransCoS from the TransCoS party (``change_of_supply.py``)."""
        update = change_of_supply.check_update(
            self.inventory, self.acb.keystore, self.trans_cos, request
        )
        link = self._link_or_reject(update.ch_id)
        message = change_of_supply.cs02b(self.inventory, self.acb, update, request.request_id)
        device_id = update.device.device_id
        code = change_of_supply.CS02B
        self._dispatch(request, code, update.ch_id, device_id, device_id, message, link)
        return self._response(request, r.ACKNOWLEDGEMENT)

    def _update_han_device_log(
        self, request: r.ServiceRequest, body: r.UpdateHANDeviceLog
    ) -> r.ServiceResponse:
        """8.11: CCS01 (Add) or CCS02 (Remove) to the target CHF (``acb_commands.py``)."""
        rid = request.request_id
        ch, device, han_type, note = acb_commands.check_update_han_device_log(
            self.inventory, request, body, self._now().date(), self.tsat_unlisted
        )
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
        """6.28-6.32: a DBCH command from the ACB to the target CHF (``dual_band.py``)."""
        rid = request.request_id
        ch = acb_commands.check_sub_ghz(self.inventory, request)
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
            raise Rejected(r.UNABLE_TO_COMMUNICATE, "no SM WAN to the CH")  # [U] never held
        link.images.put_nowait(delivery)
        note = f"image of {len(delivery.image)} bytes to CH {ch_id}"
        return self._response(request, r.ACKNOWLEDGEMENT, note=note)

    def _read_firmware_version(self, request: r.ServiceRequest) -> r.ServiceResponse:
        """11.2: ECS52 to the target ESME, through the CH whose device log holds it."""
        rid = request.request_id
        device = acb_commands.check_read_esme_firmware_version(self.inventory, request)
        assert device.ch_id is not None  # checked
        link = self._link_or_reject(device.ch_id)
        message = self.acb.ecs52(rid.originator, rid.counter, device.device_id)
        code = MessageCode.ECS52_READ_ESME_COMMS_HUB_FIRMWARE_VERSION
        self._dispatch(
            request, code, device.ch_id, device.device_id, device.device_id, message, link
        )
        return self._response(request, r.ACKNOWLEDGEMENT)

    def _device_service(self, request: r.ServiceRequest, body: r.RequestBody) -> r.DccMessage:
        """8.1.1, 8.7.x, 8.8.x, 8.9: validate and plan (``services``); a critical command goes
        back to the Service User as a Pre-Command (``pre_command.py``), any other goes out now."""
        note = ""
        if isinstance(body, r.JoinServiceCritical | r.JoinServiceNonCritical):
            plan = services.join(self.inventory, self.acb.keystore, request, body)
        elif isinstance(body, r.UnjoinServiceCritical | r.UnjoinServiceNonCritical):
            plan = services.unjoin(self.inventory, request, body)
        elif isinstance(body, r.CommissionDeviceSynchroniseClock):
            plan = services.commission(self.inventory, request, body)
            # TSAT at commissioning: installation (maintenance once InstalledNotCommissioned)
            target = services.device(self.inventory, request.request_id.target)
            maintenance = target.status is SmiStatus.INSTALLED_NOT_COMMISSIONED
            rows = cpl_rows(self.inventory, target)
            on, unlisted = self._now().date(), self.tsat_unlisted
            note = check_tsat(rows, r.INVALID_DEVICE_STATUS, on, unlisted, maintenance)
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
        self._issued[request.request_id] = pre_command.Issued(request, plan)
        return pre_command.pre_command(self.inventory, request, plan, note, self._now())

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
            request, plan = pre_command.signed_plan(issued, signed, self.acb.keystore)
            self._send_plan(request, plan)
        except Rejected as e:
            log.info("%s signed pre-command refused: %s %s", signed.request_id, e.code.value, e)
            return self._response(signed, e.code, note=str(e))
        del self._issued[signed.request_id]
        return self._response(request, r.ACKNOWLEDGEMENT)

    def _link_or_reject(self, ch_id: Eui64) -> WanLink | None:
        """The CH's SM WAN; without one, E20 under ``NoWanPolicy.FAIL`` (``None``: hold)."""
        link = self.link(ch_id)
        if link is None and self.no_wan_policy is NoWanPolicy.FAIL:
            raise Rejected(r.UNABLE_TO_COMMUNICATE, "no SM WAN to the CH")
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
        pending = Pending(request, code, device_id, data)
        self._outstanding.add(key, pending, ch_id, link, self.clock, self.response_timeout)

    def _timed_out(self, pending: Pending) -> None:
        """No response in time: E21 "no response received from device" to the requester."""
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
        """Route a WAN message: a response (``device_responses.py``), an alert (``alerts.py``),
        or rejected."""
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
            return device_responses.on_response(
                message,
                data,
                inventory=self.inventory,
                acb=self.acb,
                trans_cos=self.trans_cos,
                outstanding=self._outstanding,
                respond=self._response,
                dcc_alert=self._dcc_alert,
                reject=self._reject,
            )
        if apdu.cra is CRA.ALERT and alerts.to_supplier(self.inventory, apdu):
            return self._on_alert(ch_id, message, data)
        if apdu.recipient != self.acb.eui:
            return self._reject(data, f"addressed to {apdu.recipient}, not the ACB")
        if apdu.cra is CRA.ALERT:
            return self._on_alert(ch_id, message, data)
        return self._reject(data, "a command from a device")

    def _on_alert(
        self, ch_id: Eui64, message: GeneralCiphering | GeneralSigning, data: bytes
    ) -> list[r.DccMessage]:
        return alerts.on_alert(
            ch_id, message, data, inventory=self.inventory, acb=self.acb, now=self._now()
        )
