"""The S1SP adapter: the DCC's route to SMETS1 devices (MP202: "forward a Service Request to the
SMETS1 Service Provider" instead of building GBCS).

A request whose target is a SMETS1 device in the SMI (``mp202.route``), or an 8.11 to a SMETS1
CHF, comes here instead of the ACB. The adapter validates it as the DCC validates any SRV (device
in the SMI E19, device types E11, the requester is the registered supplier E4, SMI statuses E5),
answers I99, and carries it out on the SMETS1 Communications Hub (``Smets1Hub``) as HAN / ZCL
operations after ``S1SP_WAN_DELAY``; the outcome comes back as a DUIS-shaped ``ServiceResponse``
(I0 with an ``S1spResponse`` body: the operation, the values read, the ZCL frames the hub
exchanged), or a ``DccAlert`` N24 for an 8.11 the hub could not carry out.

=========================  ==================  =================================================
SRV                        target              SMETS1 hub operation
=========================  ==================  =================================================
8.11 Add / Remove          SMETS1 CHF          ``add_device`` (install-code join window) /
                                               ``remove_device``; SMI Whitelisted / Pending
8.7.1 Join Service         SMETS1 PPMID        ``join`` the PPMID to the ESI's meter (other
                                               device: the SMETS1 ESME); SMI Commissioned
8.8.1 Unjoin Service       SMETS1 PPMID        ``unjoin``
11.2 Read Firmware Version SMETS1 PPMID        ``read_firmware_version`` (ZCL Basic SWBuildID)
8.9 Read Device Log        SMETS1 CHF          ``device_log``
=========================  ==================  =================================================

Any other SRV to a SMETS1 device is refused E11 [U] ("not offered for SMETS1 devices by this
adapter"); 11.4 is refused before it gets here (MP202 requirement 7, ``firmware.py``).

What is not modelled: the S1SP's own SMETS1 security (SMETS1 devices do not check a Supplier's
GBCS signature: a critical SRV is carried out at CV 4, with no Pre-Command round [U]), the
SMETS1 head-ends and their WANs (one named delay each way), SMETS1 alerts, and the S1SP response
XML (``S1spResponse`` carries its values).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from emulator.codec.eui64 import Eui64
from emulator.devices.smets1_hub import S1Outcome, Smets1Operation
from emulator.han.clock import Clock

from . import requests as r
from .inventory import Inventory, SmetsVersion, SmiRecord, SmiStatus, TransitionError
from .services import Rejected

log = logging.getLogger(__name__)

S1SP_WAN_DELAY = 5.0
"""[I] Modelled seconds from the DCC through the S1SP and a SMETS1 head-end to the hub, and back
(each way): SMETS1 requests pass one more party than SMETS2+ ones. A named setting."""
T = r.DeviceType
SRV = r.ServiceReferenceVariant
_CHF_IN_SERVICE = (SmiStatus.COMMISSIONED, SmiStatus.INSTALLED_NOT_COMMISSIONED)
_ON_THE_HAN = (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED)
_REMOVABLE = (SmiStatus.WHITELISTED,)
_ROUTED = (
    SRV.UPDATE_HAN_DEVICE_LOG,
    SRV.JOIN_SERVICE_CRITICAL,
    SRV.UNJOIN_SERVICE_CRITICAL,
    SRV.READ_FIRMWARE_VERSION,
    SRV.READ_DEVICE_LOG,
)
_NEVER_ROUTED = (SRV.UPDATE_PPMID_FIRMWARE,)
"""Refused by the DCC's own checks before the route matters (11.4: requirement 7)."""


class Smets1Link(Protocol):
    """What the S1SP reaches a SMETS1 CH through (``emulator.devices.smets1_hub.Smets1Hub``)."""

    async def add_device(
        self, device: Eui64, device_type: str, install_code: bytes, seconds: float
    ) -> S1Outcome: ...

    async def remove_device(self, device: Eui64) -> S1Outcome: ...

    async def join(self, device: Eui64, meter: Eui64) -> S1Outcome: ...

    async def unjoin(self, device: Eui64, meter: Eui64) -> S1Outcome: ...

    async def read_firmware_version(self, device: Eui64) -> S1Outcome: ...

    def device_log(self) -> list[tuple[Eui64, str]]: ...


Respond = Callable[..., r.ServiceResponse]
"""``Dcc._response``: builds (and journals) a DUIS response."""


class S1sp:
    """The adapter: SMETS1 CHs' links by CHF EUI; ``deliver`` puts later answers on the DCC's
    message stream, ``respond`` / ``alert`` build them as the DCC does."""

    def __init__(
        self,
        inventory: Inventory,
        clock: Clock | None,
        respond: Respond,
        alert: Callable[[r.DccAlertCode, r.ServiceRequest, str], r.DccAlert],
        deliver: Callable[[r.DccMessage], None],
    ) -> None:
        self.inventory, self.clock = inventory, clock
        self._respond, self._alert, self._deliver = respond, alert, deliver
        self.links: dict[int, Smets1Link] = {}
        self.outcomes: list[tuple[r.RequestId, S1Outcome]] = []
        """Every operation the SMETS1 hubs carried out for a request (evidence)."""
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, ch_id: Eui64, link: Smets1Link) -> None:
        self.links[int(ch_id)] = link

    def routes(self, request: r.ServiceRequest) -> bool:
        """Does ``request`` go to the S1SP (its target a SMETS1 device in the SMI)?"""
        if request.service_reference_variant in _NEVER_ROUTED:
            return False
        target = self.inventory.smi(request.request_id.target)
        return target is not None and target.smets_version is SmetsVersion.SMETS1

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- validation ---------------------------------------------------------------------------

    def submit(self, request: r.ServiceRequest) -> r.ServiceResponse:
        """Validate ``request`` (raises ``Rejected``) and start it; the I99."""
        srv = request.service_reference_variant
        if srv not in _ROUTED:
            raise Rejected(
                r.INVALID_DEVICE_TYPE_FOR_SRV, f"SRV {srv.value} is not offered for SMETS1 devices"
            )
        rid = request.request_id
        target = self._device(rid.target)
        body = request.body
        work: Coroutine[Any, Any, None]
        if isinstance(body, r.UpdateHANDeviceLog):
            self._validate_device_log(rid, target, body)
            work = self._update_han_device_log(request, target, body)
        elif isinstance(body, r.JoinServiceCritical | r.UnjoinServiceCritical):
            self._check(target, rid, (T.PPMID,), _ON_THE_HAN)
            other = self._device(body.other_device_id)
            if other.device_type is not T.ESME:
                raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "a SMETS1 PPMID joins an ESME")
            work = self._join(request, target, body)
        elif isinstance(body, r.ReadFirmwareVersion):
            self._check(target, rid, (T.PPMID,), _ON_THE_HAN)
            work = self._operate(request, target, Smets1Operation.READ_FIRMWARE_VERSION)
        else:
            self._check(target, rid, (T.CHF,), _CHF_IN_SERVICE)
            work = self._operate(request, target, Smets1Operation.READ_DEVICE_LOG)
        self._spawn(work)
        return self._respond(request, r.ACKNOWLEDGEMENT, note="to the S1SP")

    def _validate_device_log(
        self, rid: r.RequestId, ch: SmiRecord, body: r.UpdateHANDeviceLog
    ) -> None:
        """8.11 as the DCC validates it (``Dcc._update_han_device_log``), for a SMETS1 CHF."""
        device = self._device(body.device_id)
        if ch.device_type is not T.CHF:
            raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "8.11 is sent to a CHF")
        if device.device_type not in (T.ESME, T.GSME, T.PPMID, T.HCALCS):
            raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "device type not on a CHF device log")
        if device.registered_supplier != rid.originator:
            raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
        if ch.status not in _CHF_IN_SERVICE:
            raise Rejected(r.INVALID_DEVICE_STATUS, f"CHF is {ch.status.value}")
        allowed = (SmiStatus.PENDING, SmiStatus.WHITELISTED) if body.add else _REMOVABLE
        if device.status not in allowed:
            raise Rejected(r.INVALID_DEVICE_STATUS, f"device is {device.status.value}")
        if body.add is None and device.ch_id != ch.device_id:
            raise Rejected(r.INVALID_DEVICE_STATUS, "device is not on this CHF's log")
        if self._link(ch) is None:
            raise Rejected(r.UNABLE_TO_COMMUNICATE, "the S1SP has no link to this SMETS1 CH")

    def _device(self, device_id: Eui64) -> SmiRecord:
        record = self.inventory.smi(device_id)
        if record is None:
            raise Rejected(r.DEVICE_DOES_NOT_EXIST, f"{device_id} is not in the SMI")
        return record

    def _check(
        self,
        record: SmiRecord,
        rid: r.RequestId,
        types: tuple[r.DeviceType, ...],
        statuses: tuple[SmiStatus, ...],
    ) -> None:
        if record.device_type not in types:
            raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, f"not for a {record.device_type.value}")
        if record.registered_supplier != rid.originator:
            raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
        if record.status not in statuses:
            raise Rejected(r.INVALID_DEVICE_STATUS, f"{record.device_id} is {record.status.value}")
        if self._link(record) is None:
            raise Rejected(r.UNABLE_TO_COMMUNICATE, "the S1SP has no link to this SMETS1 CH")

    def _link(self, record: SmiRecord) -> Smets1Link | None:
        ch = record.device_id if record.device_type is T.CHF else record.ch_id
        return None if ch is None else self.links.get(int(ch))

    # ---- the SRVs -----------------------------------------------------------------------------

    async def _update_han_device_log(
        self, request: r.ServiceRequest, ch: SmiRecord, body: r.UpdateHANDeviceLog
    ) -> None:
        device = self.inventory.smi(body.device_id)
        link = self._link(ch)
        assert link is not None and device is not None
        await self._wan()
        if body.add is not None:
            outcome = await link.add_device(
                device.device_id,
                device.device_type.value,
                body.add.install_code,
                body.add.join_time_period,
            )
        else:
            outcome = await link.remove_device(device.device_id)
        await self._wan()
        self.outcomes.append((request.request_id, outcome))
        if outcome.ok:
            try:
                if body.add is not None:
                    self.inventory.whitelist(device.device_id, ch.device_id)
                else:
                    self.inventory.remove_from_whitelist(device.device_id)
            except TransitionError as e:
                outcome = S1Outcome(outcome.operation, False, str(e))
        self._answer(request, outcome)
        if not outcome.ok:
            self._deliver(self._alert(r.UPDATE_HAN_DEVICE_LOG_FAILED, request, outcome.reason))

    async def _join(
        self,
        request: r.ServiceRequest,
        target: SmiRecord,
        body: r.JoinServiceCritical | r.UnjoinServiceCritical,
    ) -> None:
        # validated before the task starts: see ``submit``
        link = self._link(target)
        assert link is not None
        await self._wan()
        if isinstance(body, r.JoinServiceCritical):
            outcome = await link.join(target.device_id, body.other_device_id)
        else:
            outcome = await link.unjoin(target.device_id, body.other_device_id)
        await self._wan()
        self.outcomes.append((request.request_id, outcome))
        if outcome.ok and isinstance(body, r.JoinServiceCritical):
            try:
                self.inventory.commission_joined(target.device_id)
            except TransitionError as e:
                log.warning("SMI not updated: %s", e)
        self._answer(request, outcome)

    async def _operate(
        self, request: r.ServiceRequest, target: SmiRecord, operation: Smets1Operation
    ) -> None:
        link = self._link(target)
        assert link is not None
        await self._wan()
        if operation is Smets1Operation.READ_FIRMWARE_VERSION:
            outcome = await link.read_firmware_version(target.device_id)
        else:
            entries = ", ".join(f"{eui} {kind}" for eui, kind in link.device_log())
            outcome = S1Outcome(operation, True, values=(("DeviceLog", entries),))
        await self._wan()
        self.outcomes.append((request.request_id, outcome))
        self._answer(request, outcome)

    def _answer(self, request: r.ServiceRequest, outcome: S1Outcome) -> None:
        """I0 with the S1SP's body, or E21 [U] when the hub could not do it (the device did not
        answer, or refused)."""
        body = r.S1spResponse(
            outcome.operation.value,
            outcome.ok,
            outcome.reason,
            outcome.values,
            tuple(x.frame for x in outcome.zcl),
        )
        code = r.SUCCESS if outcome.ok else r.NO_RESPONSE_FROM_DEVICE
        note = f"S1SP {outcome.operation.value}" + (f": {outcome.reason}" if outcome.reason else "")
        self._deliver(self._respond(request, code, note=note, s1sp=body))

    async def _wan(self) -> None:
        if self.clock is not None:
            await self.clock.sleep(S1SP_WAN_DELAY)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
