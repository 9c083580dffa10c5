"""Scenario ``whitelist-and-join``: the DCC whitelists meters on the hub over the WAN; they join.

The Supplier pre-notifies the hub and two meters (SRV 12.2) and reports the hub installed with SM
WAN (8.14.1); for each meter it sends SRV 8.11 with the install code. The DCC's ACB turns that into
CCS01, MAC'd for the CHF, over the WAN link; the hub checks it, adds the meter to its Device Log,
opens its join window and answers, then raises the CS14 alert 0x8F12 (Device Log changed); the DCC
sets the meter Whitelisted in the SMI and passes the alert to the Supplier. Each meter then
joins the HAN with its install code and runs CBKE with the hub. Last, SRV 11.2 reads the ESME's
firmware version: ECS52 (the Supplier's, MAC'd by the ACB) goes through the hub into the ESME's
GB-HGRP tunnel, and the ESME's response comes back to the Supplier, who checks its MAC. Every
GBCS message goes to ``gbcs/`` (with ``--reveal-keys`` the ACB, Supplier, CHF and ESME keys go
to ``keystore/``, so outside tools verify the MACs) and the SMI to the record.

It is the first half of ``commission-premises``: device-to-device joins (8.7), commissioning
(8.1.1) and the PPMID come with the rest of the device emulators.
"""

from __future__ import annotations

import contextlib
import random

from emulator.codec.gbcs import Verdict, analyse
from emulator.codec.gbcs.firmware_version import reported_version
from emulator.han.key_establishment import KeyEstablishmentFailed
from emulator.han.port import DropReason
from emulator.han.stack.node import JoinError
from rig.dcc import (
    AddDeviceToCHFWhitelist,
    CHFInstallSuccessSMWAN,
    Dcc,
    DeviceAlert,
    ReadFirmwareVersion,
    RequestId,
    RequestType,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SmiStatus,
    UpdateHANDeviceLog,
)

from .context import ChartKind, RunContext, SmiRow
from .framework import Measurement, StepSpec, scenario
from .han_join import ESME, GSME, HUB, POLL_PERIOD, STEP_TIMEOUT
from .premises import ACB, CPL, JOIN_TIME_PERIOD, SUPPLIER, premises_keys, wire_premises

METERS = (ESME, GSME)
MEMBERS = (HUB, *METERS)

SETUP = StepSpec(
    "supplier pre-notifies the hub and meters; hub installed with SM WAN",
    (Measurement("srv_responses_i0", "responses", low=4, high=4),),
    STEP_TIMEOUT,
)
WHITELIST = {
    m.eui64: StepSpec(
        f"SRV 8.11 whitelists the {m.label} on the hub",
        (
            Measurement("srv_seconds", "s", low=0.0, high=60.0),
            Measurement("device_log_alerts", "alerts", low=1, high=1),
        ),
        STEP_TIMEOUT,
    )
    for m in METERS
}
JOIN = {
    m.eui64: StepSpec(
        f"{m.label} joins with its install code and runs CBKE with the hub",
        (
            Measurement("join_seconds", "s", low=0.0, high=10.0),
            Measurement("cbke_seconds", "s", low=0.0, high=60.0),
        ),
        STEP_TIMEOUT,
    )
    for m in METERS
}
READ_FIRMWARE = StepSpec(
    "SRV 11.2 reads the ESME's firmware version through the hub's tunnel",
    (
        Measurement("srv_seconds", "s", low=0.0, high=60.0),
        Measurement("response_mac_valid", "responses", low=1, high=1),
        Measurement("firmware_version_matches", "responses", low=1, high=1),
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


def _srv(run: RunContext, srv: ServiceReferenceVariant, label: str) -> None:
    run.chart(ChartKind.SRV, "supplier", "DCC", f"SRV {srv.value} {label}")


def _record_smi(run: RunContext, dcc: Dcc) -> None:
    for m in MEMBERS:
        rec = dcc.inventory.smi(m.eui64)
        if rec is not None:
            version = rec.smets_version.value if rec.smets_version is not None else ""
            run.record_smi(SmiRow(str(m.eui64), rec.device_type.value, rec.status.value, version))


@scenario(
    "whitelist-and-join",
    "The supplier pre-notifies a hub and two meters; SRV 8.11 whitelists each meter on the hub "
    "over the WAN (CCS01); each meter then joins the HAN with its install code and runs CBKE; "
    "SRV 11.2 then reads the ESME's firmware version (ECS52) through the hub's tunnel.",
    steps=(SETUP, *WHITELIST.values(), *JOIN.values(), READ_FIRMWARE, HEALTH),
)
async def whitelist_and_join(run: RunContext) -> None:
    clock = run.clock
    run.acb_eui = ACB
    rng = random.Random(f"whitelist-and-join/install-codes/{run.seed}")
    codes = {m.eui64: rng.randbytes(16) for m in METERS}
    keys = premises_keys(f"whitelist-and-join/{run.seed}")
    for c in keys.credentials:
        run.reveal_gbcs_key(c.eui, c.usage, c.certificate, c.private_key)
    wired = await run.cleanup.enter_async_context(wire_premises(run, keys, MEMBERS))
    dcc, hub, han, nodes, esme = wired.dcc, wired.hub, wired.han, wired.nodes, wired.esme
    assert esme is not None
    run.reveal_han_keys(han.key_ring)
    counter = 1000

    async def submit(request: ServiceRequest) -> ResponseCode:
        [reply] = await dcc.submit(request)
        assert isinstance(reply, ServiceResponse), f"unexpected {reply!r}"
        return reply.response_code

    async with dcc:
        async with run.step(SETUP) as scope:
            ok = 0
            for m in MEMBERS:
                counter += 1
                _srv(run, ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION, f"{m.label}")
                ok += (
                    await submit(
                        ServiceRequest(
                            RequestId(SUPPLIER, ACB, counter),
                            ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION,
                            CPL[m.eui64].prenotification(m.eui64),
                        )
                    )
                    is ResponseCode.I0
                )
            counter += 1
            _srv(run, ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS, "hub")
            ok += (
                await submit(
                    ServiceRequest(
                        RequestId(SUPPLIER, ACB, counter),
                        ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS,
                        CHFInstallSuccessSMWAN(HUB.eui64),
                    )
                )
                is ResponseCode.I0
            )
            scope.measure("srv_responses_i0", ok)
            _record_smi(run, dcc)

        for m in METERS:
            async with run.step(WHITELIST[m.eui64]) as scope:
                counter += 1
                started = clock.now()
                _srv(run, ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG, f"add {m.label}")
                add = UpdateHANDeviceLog(
                    m.eui64,
                    RequestType.ADD,
                    AddDeviceToCHFWhitelist(JOIN_TIME_PERIOD, codes[m.eui64]),
                )
                sent = await submit(
                    ServiceRequest(
                        RequestId(SUPPLIER, HUB.eui64, counter),
                        ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG,
                        add,
                    )
                )
                assert sent is ResponseCode.I99, f"8.11 not sent: {sent.value}"
                async with clock.timeout(60):
                    answer = await dcc.next_message()
                assert isinstance(answer, ServiceResponse), f"unexpected {answer!r}"
                assert answer.response_code is ResponseCode.I0, (
                    f"8.11 failed: {answer.response_code}"
                )
                run.chart(
                    ChartKind.SRV, "DCC", "supplier", f"8.11 {m.label} {answer.response_code.value}"
                )
                scope.measure("srv_seconds", clock.now() - started)
                alerts = 0
                with contextlib.suppress(TimeoutError):
                    async with clock.timeout(60):
                        alert = await dcc.next_message()
                        if isinstance(alert, DeviceAlert) and alert.device_alert_code == "8F12":
                            alerts += 1
                            run.chart(ChartKind.SRV, "DCC", "supplier", "DeviceAlert 8F12")
                scope.measure("device_log_alerts", alerts)
                record = dcc.inventory.smi(m.eui64)
                assert record is not None and record.status is SmiStatus.WHITELISTED
                _record_smi(run, dcc)

        for m in METERS:
            async with run.step(JOIN[m.eui64]) as scope:
                logged = hub.device_log.get(m.eui64)
                assert logged is not None, f"{m.label} is not in the hub's Device Log"
                meter = nodes[m.eui64]
                started = clock.now()
                try:
                    await meter.stack.join(logged.preconfigured_key)
                except JoinError as exc:
                    raise AssertionError(f"{m.label} did not join: {exc}") from exc
                scope.measure("join_seconds", clock.now() - started)
                started = clock.now()
                try:
                    key = await meter.cbke.establish(HUB.eui64)
                except KeyEstablishmentFailed as exc:
                    raise AssertionError(str(exc)) from exc
                scope.measure("cbke_seconds", clock.now() - started)
                await clock.sleep(POLL_PERIOD)  # the hub installs once the last frame lands
                assert nodes[HUB.eui64].stack.link_key(m.eui64) == key

        async with run.step(READ_FIRMWARE) as scope:
            counter += 1
            started = clock.now()
            _srv(run, ServiceReferenceVariant.READ_FIRMWARE_VERSION, ESME.label)
            sent = await submit(
                ServiceRequest(
                    RequestId(SUPPLIER, ESME.eui64, counter),
                    ServiceReferenceVariant.READ_FIRMWARE_VERSION,
                    ReadFirmwareVersion(),
                )
            )
            assert sent is ResponseCode.I99, f"11.2 not sent: {sent.value}"
            async with clock.timeout(120):
                answer = await dcc.next_message()
            assert isinstance(answer, ServiceResponse), f"unexpected {answer!r}"
            assert answer.response_code is ResponseCode.I0, f"11.2 failed: {answer.response_code}"
            assert answer.gbcs_payload is not None
            run.chart(ChartKind.SRV, "DCC", "supplier", f"11.2 {answer.response_code.value}")
            scope.measure("srv_seconds", clock.now() - started)
            checked = analyse(answer.gbcs_payload, keys.supplier, ACB)  # the Supplier's check
            scope.measure("response_mac_valid", int(checked.mac is Verdict.VALID))
            scope.measure(
                "firmware_version_matches",
                int(reported_version(checked.payload) == esme.firmware_version),
            )

        async with run.step(HEALTH) as scope:
            assert esme.gate is not None
            rejected = [*hub.rejected.values(), *esme.gate.rejected.values()]
            scope.measure("gbcs_rejected", sum(rejected))
            scope.measure("dropped_replays", sum(n.drops[DropReason.REPLAY] for n in han.nodes))
            scope.measure("mic_failures", sum(n.drops[DropReason.WRONG_KEY] for n in han.nodes))
