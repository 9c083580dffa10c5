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
from emulator.han.key_establishment import KeyEstablishmentFailed
from emulator.han.stack.node import JoinError
from rig.dcc import DeviceAlert, ResponseCode, ServiceReferenceVariant, ServiceResponse, SmiStatus
from rig.dcc.requests import RequestBody

from .context import ChartKind, RunContext, SmiRow
from .framework import Measurement, StepScope, StepSpec
from .han_join import ESME, GSME, HUB, POLL_PERIOD, STEP_TIMEOUT, Member
from .premises import ACB, GPF, PPMID, SMI_DEVICES, Supplier, Wired

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
        for device_id in SMI_DEVICES:
            rec = self.wired.dcc.inventory.smi(device_id)
            if rec is not None:
                version = rec.smets_version.value if rec.smets_version is not None else ""
                self.run.record_smi(
                    SmiRow(str(device_id), rec.device_type.value, rec.status.value, version)
                )

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
        run, hub, nodes = self.run, self.wired.hub, self.wired.nodes
        async with run.step(spec) as scope:
            logged = hub.device_log.get(m.eui64)
            assert logged is not None, f"{m.label} is not in the hub's Device Log"
            node = nodes[m.eui64]
            started = run.clock.now()
            try:
                await node.stack.join(logged.preconfigured_key)
            except JoinError as exc:
                raise AssertionError(f"{m.label} did not join: {exc}") from exc
            scope.measure("join_seconds", run.clock.now() - started)
            started = run.clock.now()
            try:
                key = await node.cbke.establish(HUB.eui64)
            except KeyEstablishmentFailed as exc:
                raise AssertionError(str(exc)) from exc
            scope.measure("cbke_seconds", run.clock.now() - started)
            await run.clock.sleep(POLL_PERIOD)  # the hub installs once the last frame lands
            assert nodes[HUB.eui64].stack.link_key(m.eui64) == key
