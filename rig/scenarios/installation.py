"""The installation steps every premises scenario starts with, shared by ``commission-premises``
and the OTA scenarios: the Supplier's set-up (12.2, 8.14.1), 8.11 whitelisting of each HAN device
(CCS01 and its CS14 alert), and each device's join with its install code and CBKE with the hub.

``Premises`` is a run's view of the wired premises: the Supplier's SRVs, charted, the SMI rows
recorded, the alerts heard.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import AlertCode, Asn1Payload, Verdict, analyse
from emulator.han.port import DropReason
from rig.dcc import DeviceAlert, ResponseCode, ServiceReferenceVariant, ServiceResponse, SmiStatus
from rig.dcc.requests import RequestBody

from .context import ChartKind, RunContext
from .framework import Measurement, StepScope, StepSpec
from .han_join import ESME, GSME, HUB, STEP_TIMEOUT, Member
from .premises import (
    ACB,
    GPF,
    PPMID,
    SMI_DEVICES,
    Supplier,
    Wired,
    join_with_cbke,
    record_smi,
)

RESPONSE_TIMEOUT = 600.0
"""Modelled seconds an SRV may wait for its device's answer: a sleepy GSME answers on its next
wake-up (``GsmeProfile.wake_period``) plus a poll per fragment."""
LABELS = {
    HUB.eui64: "hub",
    GPF: "GPF",
    ESME.eui64: "ESME",
    GSME.eui64: "GSME",
    PPMID.eui64: "PPMID",
}


def _srv_seconds(high: float = RESPONSE_TIMEOUT) -> Measurement:
    return Measurement("srv_seconds", "s", low=0.0, high=high)


def setup_step(devices: Sequence[Eui64] = SMI_DEVICES, name: str | None = None) -> StepSpec:
    names = ", ".join(LABELS[d] for d in devices)
    n = len(devices) + 1
    return StepSpec(
        name or f"supplier pre-notifies {names}; hub installed with SM WAN",
        (Measurement("srv_responses_i0", "responses", low=n, high=n),),
        STEP_TIMEOUT,
    )


def whitelist_step(m: Member) -> StepSpec:
    return StepSpec(
        f"SRV 8.11 whitelists the {m.label} on the hub (CCS01)",
        (_srv_seconds(60.0), Measurement("device_log_alerts", "alerts", low=1, high=1)),
        STEP_TIMEOUT,
    )


def join_step(m: Member) -> StepSpec:
    return StepSpec(
        f"{m.label} joins with its install code and runs CBKE with the hub",
        (
            Measurement("join_seconds", "s", low=0.0, high=10.0),
            Measurement("cbke_seconds", "s", low=0.0, high=60.0),
        ),
        STEP_TIMEOUT,
    )


HEALTH = StepSpec(
    "WAN and HAN health",
    (
        Measurement("gbcs_rejected", "messages", low=0, high=0),
        Measurement("dropped_replays", "frames", low=0, high=0),
        Measurement("mic_failures", "frames", low=0, high=0),
    ),
)
"""The last step of a clean run: no device refused a GBCS message, no frame was replayed or
failed its MIC (in a clean run, each is a bug)."""


class Premises:
    """The run's view of the wired premises: the Supplier's SRVs, charted, and the checks."""

    def __init__(self, run: RunContext, wired: Wired, supplier: Supplier) -> None:
        self.run, self.wired, self.supplier = run, wired, supplier
        self.heard: list[DeviceAlert] = []

    async def request(
        self, scope: StepScope, target: Member | Eui64, srv: ServiceReferenceVariant,
        body: RequestBody, label: str,
    ) -> ServiceResponse:  # fmt: skip
        """One SRV to a device and its response (asserted I0)."""
        eui = target.eui64 if isinstance(target, Member) else target
        self.run.chart(ChartKind.SRV, "supplier", "DCC", f"SRV {srv.value} {label}")
        answer = await self.supplier.request(eui, srv, body, RESPONSE_TIMEOUT)
        assert isinstance(answer, ServiceResponse), f"SRV {srv.value} {label}: {answer!r}"
        code = answer.response_code.value
        self.run.chart(ChartKind.SRV, "DCC", "supplier", f"{srv.value} {label} {code}")
        assert code == "I0", f"SRV {srv.value} {label} answered {code}"
        self.record_smi()
        return answer

    def joined(self, answer: ServiceResponse) -> tuple[bool, bool]:
        """(the device's JoinDeviceResponse is success, the Supplier finds it authentic)."""
        assert answer.gbcs_payload is not None
        payload = analyse(answer.gbcs_payload, self.supplier.keystore, ACB).payload
        success = isinstance(payload, Asn1Payload) and payload.value == 0
        return success, self.supplier.check(answer) is Verdict.VALID

    def record_smi(self) -> None:
        record_smi(self.run, self.wired.dcc.inventory, SMI_DEVICES)

    def status(self, device_id: Eui64) -> SmiStatus | None:
        rec = self.wired.dcc.inventory.smi(device_id)
        return None if rec is None else rec.status

    def alerts(self) -> list[DeviceAlert]:
        """Every device alert the Supplier heard so far (kept by ``Supplier``, or still queued)."""
        for message in [*self.supplier.alerts, *self.wired.dcc.pending_messages()]:
            if isinstance(message, DeviceAlert):
                self.heard.append(message)
        self.supplier.alerts.clear()
        return self.heard

    # -- the installation steps -------------------------------------------------------------------
    async def set_up(self, spec: StepSpec, devices: Sequence[Eui64] = SMI_DEVICES) -> None:
        """12.2 for each of ``devices``, then 8.14.1."""
        async with self.run.step(spec) as scope:
            ok = 0
            for device_id in devices:
                self.run.chart(ChartKind.SRV, "supplier", "DCC", f"SRV 12.2 {LABELS[device_id]}")
                ok += await self.supplier.prenotify(device_id) is ResponseCode.I0
            self.run.chart(ChartKind.SRV, "supplier", "DCC", "SRV 8.14.1 hub")
            ok += await self.supplier.hub_installed() is ResponseCode.I0
            scope.measure("srv_responses_i0", ok)
            self.record_smi()

    async def whitelist(self, spec: StepSpec, m: Member, install_code: bytes) -> None:
        """8.11 Add for ``m`` (CCS01), its CS14 alert, the SMI Whitelisted."""
        run, supplier = self.run, self.supplier
        async with run.step(spec) as scope:
            started = run.clock.now()
            run.chart(ChartKind.SRV, "supplier", "DCC", f"SRV 8.11 add {m.label}")
            code = await supplier.whitelist(m.eui64, install_code)
            assert code is ResponseCode.I0, f"8.11 failed: {code.value}"
            run.chart(ChartKind.SRV, "DCC", "supplier", f"8.11 {m.label} {code.value}")
            scope.measure("srv_seconds", run.clock.now() - started)
            alerts = 0
            with contextlib.suppress(TimeoutError):
                alert = await supplier.alert(AlertCode.CHF_DEVICE_LOG_CHANGED, timeout=60)
                self.heard.append(alert)
                alerts += 1
                run.chart(ChartKind.SRV, "DCC", "supplier", "DeviceAlert 8F12")
            scope.measure("device_log_alerts", alerts)
            assert self.status(m.eui64) is SmiStatus.WHITELISTED
            self.record_smi()

    async def join(self, spec: StepSpec, m: Member) -> None:
        """``m`` joins with the install code the hub logged, then CBKE with the hub."""
        async with self.run.step(spec) as scope:
            join_seconds, cbke_seconds = await join_with_cbke(self.wired, m)
            scope.measure("join_seconds", join_seconds)
            scope.measure("cbke_seconds", cbke_seconds)

    async def health(self, spec: StepSpec = HEALTH) -> None:
        """Every GBCS gate's refusals and every node's replay and MIC drops (``HEALTH``)."""
        wired = self.wired
        async with self.run.step(spec) as scope:
            devices = (wired.hub, wired.gpf, wired.esme, wired.gsme, wired.ppmid)
            gates = [d.gate for d in devices if d is not None and d.gate is not None]
            nodes = wired.han.nodes
            scope.measure("gbcs_rejected", sum(sum(g.rejected.values()) for g in gates))
            scope.measure("dropped_replays", sum(n.drops[DropReason.REPLAY] for n in nodes))
            scope.measure("mic_failures", sum(n.drops[DropReason.WRONG_KEY] for n in nodes))
