"""Scenario ``commission-premises``: the flagship, one premises commissioned end to end.

The Supplier pre-notifies the Communications Hub (CHF and GPF), an ESME, a GSME and a PPMID
(SRV 12.2) and reports the hub installed with SM WAN (8.14.1). SRV 8.11 whitelists each HAN
device on the hub (CCS01, answered by the CS14 alert); each joins with its install code and runs
CBKE with the hub. Then the device-to-device joins: Method A between the ESME and the PPMID
(8.7.1: CS03A2 to the PPMID, CS03A1 to the ESME, which runs CBKE with the PPMID for their
application link key), Method B between the GSME and the GPF (8.7.2: CS03B to both) and Method C
between the GSME and the PPMID (8.7.1: CS03C to the GSME with the PPMID's certificate).
Commissioning (8.1.1) sets the meters' clocks: ECS70 to the ESME, GCS28 to the sleepy GSME,
which the hub holds until the GSME wakes and pulls it. Last the PPMID reads credit from the
ESME and from the GPF's GSME mirror and tops the ESME up with a UTRN.

Critical commands (CS03A1/A2/C, ECS70, GCS28) go the DUIS way: the DCC returns a Pre-Command,
the Supplier signs it, the ACB adds the MAC; devices check both and sign their responses, which
the Supplier checks. The run ends with every device Commissioned in the SMI, every device log
holding its partners, and every expected alert arrived. Every GBCS message is in ``gbcs/``, and
with ``--reveal-keys`` the keys to verify them are in ``keystore/``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from emulator.codec import utrn
from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import AlertCode, Verdict
from emulator.codec.zcl.prepayment import ResultType
from emulator.devices.gpf import GPF_ENDPOINT
from rig.dcc import (
    ServiceReferenceVariant,
    SmiStatus,
)
from rig.dcc.requests import JoinServiceCritical, JoinServiceNonCritical

from .context import ChartKind, RunContext
from .framework import Measurement, StepScope, StepSpec, scenario
from .han_join import ESME, GSME, HUB, STEP_TIMEOUT, Member
from .installation import (
    HEALTH,
    LABELS,
    RESPONSE_TIMEOUT,
    Premises,
    join_step,
    setup_step,
    whitelist_step,
)
from .premises import (
    ACB,
    GPF,
    MEMBERS,
    PPMID,
    SMI_DEVICES,
    Supplier,
    premises_keys,
    wire_premises,
)

HAN_DEVICES = (ESME, GSME, PPMID)
CLOCK_TOLERANCE = 600
"""The 8.1.1 ``TolerancePeriod`` (seconds): long enough for the GSME's wake-up to fall inside."""
CLOCK_ERROR_LIMIT = 10.0
"""[I] Seconds a commissioned meter's clock may differ from modelled UTC: the hub's Time answer
reaches the sleepy GSME at its next poll (``POLL_PERIOD``, 7.5 s), so it is that much old."""
TOP_UP_PENCE = 1500
EXPECTED_PARTNERS = {
    ESME.eui64: {PPMID.eui64},
    PPMID.eui64: {ESME.eui64},
    GSME.eui64: {GPF, PPMID.eui64},
    GPF: {GSME.eui64},
}
"""Each device's own Device Log after the three joins."""
EXPECTED_ALERTS = {AlertCode.CHF_DEVICE_LOG_CHANGED: 3, 0x8071: 1}
"""CS14 for each 8.11, GCS62 (GPF Device Log backup, 0x8071) for the GPF's Method B join."""


def _srv_seconds(high: float = RESPONSE_TIMEOUT) -> Measurement:
    return Measurement("srv_seconds", "s", low=0.0, high=high)


SETUP = setup_step(
    name="supplier pre-notifies the hub (CHF and GPF), ESME, GSME and PPMID; hub installed with "
    "SM WAN"
)
WHITELIST = {m.eui64: whitelist_step(m) for m in HAN_DEVICES}
JOIN = {m.eui64: join_step(m) for m in HAN_DEVICES}
METHOD_A = StepSpec(
    "SRV 8.7.1 Method A: CS03A2 to the PPMID, CS03A1 to the ESME, which runs CBKE with the PPMID",
    (
        _srv_seconds(),
        Measurement("responses_success", "responses", low=2, high=2),
        Measurement("responses_authentic", "responses", low=2, high=2),
        Measurement("partner_link_keys", "keys", low=1, high=1),
    ),
    STEP_TIMEOUT,
)
METHOD_B = StepSpec(
    "SRV 8.7.2 Method B: CS03B to the GSME (through its wake-up) and to the GPF",
    (
        _srv_seconds(),
        Measurement("responses_success", "responses", low=2, high=2),
        Measurement("responses_authentic", "responses", low=2, high=2),
    ),
    STEP_TIMEOUT,
)
METHOD_C = StepSpec(
    "SRV 8.7.1 Method C: CS03C to the GSME with the PPMID's certificate",
    (
        _srv_seconds(),
        Measurement("responses_success", "responses", low=1, high=1),
        Measurement("responses_authentic", "responses", low=1, high=1),
    ),
    STEP_TIMEOUT,
)
COMMISSION = {
    m.eui64: StepSpec(
        f"SRV 8.1.1 commissions the {m.label} and sets its clock ({use_case})",
        (
            _srv_seconds(),
            Measurement("response_authentic", "responses", low=1, high=1),
            Measurement("clock_error_seconds", "s", low=0.0, high=CLOCK_ERROR_LIMIT),
            Measurement("smi_commissioned", "devices", low=1, high=1),
        ),
        STEP_TIMEOUT,
    )
    for m, use_case in ((ESME, "ECS70"), (GSME, "GCS28"))
}
CREDIT = StepSpec(
    "the PPMID reads credit from the ESME and from the GPF's GSME mirror, then tops up the ESME",
    (
        Measurement("esme_credit_pence", "pence", low=0),
        Measurement("gsme_mirror_credit_pence", "pence", low=0),
        Measurement("top_up_accepted", "top-ups", low=1, high=1),
        Measurement("credit_added_pence", "pence", low=TOP_UP_PENCE, high=TOP_UP_PENCE),
    ),
    STEP_TIMEOUT,
)
OUTCOME = StepSpec(
    "every device Commissioned in the SMI, every Device Log holding its partners, every alert in",
    (
        Measurement("smi_commissioned", "devices", low=len(SMI_DEVICES), high=len(SMI_DEVICES)),
        Measurement("device_log_partners", "entries", low=5, high=5),
        Measurement("expected_alerts", "alerts", low=4, high=4),
        Measurement("unexpected_alerts", "alerts", low=0, high=0),
    ),
)


@scenario(
    "commission-premises",
    "The flagship: a hub (CHF and GPF), ESME, GSME and PPMID pre-notified, whitelisted (8.11), "
    "joined with CBKE, joined to each other (8.7.1 Method A and C, 8.7.2 Method B), "
    "commissioned (8.1.1: ECS70, GCS28); the PPMID reads credit from the ESME and the GPF and "
    "tops up the ESME. Critical commands go through the Supplier-signed Pre-Command.",
    steps=(
        SETUP,
        *WHITELIST.values(),
        *JOIN.values(),
        METHOD_A,
        METHOD_B,
        METHOD_C,
        *COMMISSION.values(),
        CREDIT,
        OUTCOME,
        HEALTH,
    ),
)
async def commission_premises(run: RunContext) -> None:
    clock = run.clock
    run.acb_eui = ACB
    rng = random.Random(f"commission-premises/install-codes/{run.seed}")
    codes = {m.eui64: rng.randbytes(16) for m in HAN_DEVICES}
    keys = premises_keys(f"commission-premises/{run.seed}")
    for c in keys.credentials:
        run.reveal_gbcs_key(c.eui, c.usage, c.certificate, c.private_key)
    wired = await run.cleanup.enter_async_context(wire_premises(run, keys, MEMBERS))
    dcc, han, nodes = wired.dcc, wired.han, wired.nodes
    esme, gsme, ppmid, gpf = wired.esme, wired.gsme, wired.ppmid, wired.gpf
    assert esme is not None and gsme is not None and ppmid is not None
    run.reveal_han_keys(han.key_ring)
    supplier = Supplier(dcc, keys.supplier, clock)
    premises = Premises(run, wired, supplier)
    srv = ServiceReferenceVariant

    async with dcc:
        await premises.set_up(SETUP)
        for m in HAN_DEVICES:
            await premises.whitelist(WHITELIST[m.eui64], m, codes[m.eui64])
        for m in HAN_DEVICES:
            await premises.join(JOIN[m.eui64], m)

        async def joins(
            scope: StepScope, pairs: Sequence[tuple[Member | Eui64, Eui64]], critical: bool
        ) -> None:
            started = clock.now()
            success = authentic = 0
            for target, other in pairs:
                variant = srv.JOIN_SERVICE_CRITICAL if critical else srv.JOIN_SERVICE_NON_CRITICAL
                body = (JoinServiceCritical if critical else JoinServiceNonCritical)(other)
                eui = target.eui64 if isinstance(target, Member) else target
                label = f"join {LABELS[eui]} to {LABELS[other]}"
                ok, valid = premises.joined(
                    await premises.request(scope, target, variant, body, label)
                )
                success, authentic = success + ok, authentic + valid
            scope.measure("srv_seconds", clock.now() - started)
            scope.measure("responses_success", success)
            scope.measure("responses_authentic", authentic)

        async with run.step(METHOD_A) as scope:
            await joins(scope, ((PPMID, ESME.eui64), (ESME, PPMID.eui64)), critical=True)
            shared = nodes[ESME.eui64].stack.link_key(PPMID.eui64)
            same = shared is not None and nodes[PPMID.eui64].stack.link_key(ESME.eui64) == shared
            scope.measure("partner_link_keys", int(same))

        async with run.step(METHOD_B) as scope:
            await joins(scope, ((GSME, GPF), (GPF, GSME.eui64)), critical=False)

        async with run.step(METHOD_C) as scope:
            await joins(scope, ((GSME, PPMID.eui64),), critical=True)

        for m in (ESME, GSME):
            async with run.step(COMMISSION[m.eui64]) as scope:
                started = clock.now()
                body = supplier.commission_body(CLOCK_TOLERANCE)
                answer = await premises.request(
                    scope, m, srv.COMMISSION_DEVICE, body, f"commission {m.label}"
                )
                scope.measure("srv_seconds", clock.now() - started)
                scope.measure("response_authentic", int(supplier.check(answer) is Verdict.VALID))
                device_time = (esme.meter_clock if m is ESME else gsme).now()
                scope.measure(
                    "clock_error_seconds", abs((device_time - clock.datetime()).total_seconds())
                )
                scope.measure(
                    "smi_commissioned", int(premises.status(m.eui64) is SmiStatus.COMMISSIONED)
                )

        async with run.step(CREDIT) as scope:
            run.chart(ChartKind.HAN, "PPMID", "ESME", "ZCL Read Attributes Prepayment (credit)")
            before = await ppmid.read_credit(ESME.eui64)
            scope.measure("esme_credit_pence", before.credit_remaining)
            run.chart(ChartKind.HAN, "PPMID", "hub", "ZCL Read Attributes GPF mirror (credit)")
            mirrored = await ppmid.read_credit(HUB.eui64, endpoint=GPF_ENDPOINT)
            assert mirrored.credit_remaining == gsme.registers.credit_remaining
            scope.measure("gsme_mirror_credit_pence", mirrored.credit_remaining)
            token = utrn.generate(utrn.meter_test_key(ESME.eui64), ESME.eui64, 1, TOP_UP_PENCE)
            run.chart(ChartKind.HAN, "PPMID", "ESME", "ZCL Consumer Top Up (UTRN)")
            result = await ppmid.top_up(ESME.eui64, str(token))
            scope.measure("top_up_accepted", int(result.result is ResultType.ACCEPTED))
            scope.measure("credit_added_pence", result.credit_remaining - before.credit_remaining)

        async with run.step(OUTCOME) as scope:
            premises.record_smi()
            commissioned = [premises.status(d) is SmiStatus.COMMISSIONED for d in SMI_DEVICES]
            scope.measure("smi_commissioned", sum(commissioned))
            logs = {
                ESME.eui64: esme.join_log, PPMID.eui64: ppmid.join_log,
                GSME.eui64: gsme.join_log, GPF: gpf.join_log,
            }  # fmt: skip
            held = {device: {p.eui64 for p in log} for device, log in logs.items()}
            assert held == EXPECTED_PARTNERS, f"device logs: {held}"
            scope.measure("device_log_partners", sum(len(p) for p in held.values()))
            codes_heard = [a.alert_code for a in premises.alerts()]
            expected = sum(min(codes_heard.count(c), n) for c, n in EXPECTED_ALERTS.items())
            scope.measure("expected_alerts", expected)
            scope.measure("unexpected_alerts", len(codes_heard) - expected)

        await premises.health()
