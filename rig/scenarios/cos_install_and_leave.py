"""Scenario ``cos-install-and-leave`` (MP121): change of supplier after install and leave.

Supplier A installs the hub (CHF, GPF), an ESME and a GSME where there is no SM WAN (12.2, then
8.14.2: a reactive case, the DCC's 90-day target) and records who installed what, with the
install codes, in the custody ledger. While there is no WAN, A's 8.11 is answered E20 and
changes nothing. On day 30 the consumer switches to supplier B (the registration data move the
Registered Supplier: A is refused E4 from then on). B asks the losing supplier for the install
codes; the answer comes within ten working days. On day 90 the DCC restores the WAN; B reports the
hub installed (8.14.1), whitelists the meters with the codes (8.11), they join and run CBKE, B
puts its certificates on them (6.23, CS02b supplierByTransCoS: until then they trust A's) and
commissions them (8.7.2 Method B, 8.1.1 ECS70 and GCS28).

Variants, each its own scenario name:

- ``cos-install-and-leave``: as above.
- ``cos-install-and-leave-escalation``: A never answers; past the SLA the requests are escalated
  and the meters stay off the HAN when the WAN comes.
- ``cos-install-and-leave-chain``: supplier Z installed, the consumer went Z -> A (day 10) ->
  B (day 30); A answers "not the installing party" and the request goes on to Z, who answers.
- ``cos-install-and-leave-wrong-code``: A's records hold a wrong code for the ESME; the hub
  admits the ESME with it, the ESME (holding its real code) is refused, and the run records a
  ``join-refused`` event; the GSME goes on to be commissioned.

Every variant ends with the WAN and HAN health commission-premises measures: no GBCS message
refused by a device, no replayed frame, no MIC failure (the GSME does not wake while its CBKE
with the hub is under way, ``gsme.py``); the wrong-code variant's refused join is counted apart.

All in modelled time: the days between steps are jumps of the virtual clock (an unjoined GSME
idles, ``gsme.py``). Install codes never reach the record, the events or the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import AlertCode, Asn1Payload, Verdict, analyse
from emulator.codec.security import keys as han_keys
from emulator.devices.gbcs_gate import GbcsGate
from emulator.han.key_establishment import KeyEstablishmentFailed
from emulator.han.port import DropReason, HanEvent, JoinRefused
from emulator.han.stack.node import JoinError
from rig.dcc import ResponseCode, ServiceReferenceVariant, ServiceResponse, SmiStatus
from rig.dcc.custody import (
    NEVER_ANSWERS,
    AnswerOutcome,
    Custody,
    RequestState,
    Responsiveness,
    SupplierBehaviour,
)
from rig.dcc.requests import (
    CommissionDeviceSynchroniseClock,
    JoinServiceNonCritical,
    RequestBody,
    UpdateSecurityCredentialsCoS,
)
from rig.dcc.wan_coverage import NoWanInstall
from rig.dcc.working_days import working_days_between

from .context import ChartKind, RunContext
from .framework import Measurement, StepSpec, scenario
from .han_join import ESME, GSME, HUB, POLL_PERIOD, STEP_TIMEOUT, Member
from .premises import ACB, GPF, Supplier, premises_keys, record_smi, wire_premises

DAY = 86_400.0
SUPPLIER_A = Eui64("90-B3-D5-1F-30-01-00-00")
SUPPLIER_B = Eui64("90-B3-D5-1F-30-02-00-00")
SUPPLIER_Z = Eui64("90-B3-D5-1F-30-03-00-00")
"""The installing supplier of the chain variant (an IGT-like party, MP121 section 2)."""
MEMBERS = (HUB, ESME, GSME)
METERS = (ESME, GSME)
DEVICES = (HUB.eui64, GPF, ESME.eui64, GSME.eui64)
LABELS = {HUB.eui64: "hub", GPF: "GPF", ESME.eui64: "ESME", GSME.eui64: "GSME"}
CHANGE_OF_SUPPLY_DAY = 30
CHAIN_FIRST_CHANGE_DAY = 10
ANSWER_DELAY_WORKING_DAYS = 3
"""How long the answering supplier takes (working days; MP121 allows ten)."""
RESPONSE_TIMEOUT = 600.0
"""Modelled seconds an SRV may wait for its device (a sleepy GSME answers on its wake-up)."""
CLOCK_TOLERANCE = 600
RUN_TIMEOUT = 200 * DAY
WAIT_TIMEOUT = 120 * DAY
"""A step that waits for days (the SLA, the WAN) may take this long in modelled time."""


class Variant(enum.Enum):
    """The four runs of the scenario (module docstring)."""

    STRAIGHT = "cos-install-and-leave"
    ESCALATION = "cos-install-and-leave-escalation"
    CHAIN = "cos-install-and-leave-chain"
    WRONG_CODE = "cos-install-and-leave-wrong-code"


def _i0(n: int) -> Measurement:
    return Measurement("srv_responses_i0", "responses", low=n, high=n)


INSTALL = StepSpec(
    "the installing supplier pre-notifies the hub, ESME and GSME and reports no SM WAN (8.14.2)",
    (
        _i0(5),
        Measurement("wan_due_days", "days", low=90, high=90),
        Measurement("installations_recorded", "devices", low=2, high=2),
    ),
    STEP_TIMEOUT,
)
NO_WAN = StepSpec(
    "with no SM WAN, 8.11 is answered E20 and the SMI does not change",
    (
        Measurement("e20_responses", "responses", low=1, high=1),
        Measurement("smi_unchanged", "devices", low=1, high=1),
    ),
    STEP_TIMEOUT,
)
CHANGE = StepSpec(
    "day 30: the consumer switches to supplier B (registration data); A is refused E4",
    (
        Measurement("devices_moved", "devices", low=len(DEVICES), high=len(DEVICES)),
        Measurement("losing_supplier_refused", "responses", low=1, high=1),
    ),
    WAIT_TIMEOUT,
)


def _codes_step(variant: Variant) -> StepSpec:
    if variant is Variant.ESCALATION:
        return StepSpec(
            "B asks A for the install codes; A never answers and the requests are escalated",
            (
                Measurement("codes_obtained", "codes", low=0, high=0),
                Measurement("requests_escalated", "requests", low=2, high=2),
            ),
            WAIT_TIMEOUT,
        )
    chain = 2 if variant is Variant.CHAIN else 1
    return StepSpec(
        "B asks the losing supplier for the install codes (MP121)"
        + (": A is not the installer, the chain finds Z" if chain == 2 else ""),
        (
            Measurement("codes_obtained", "codes", low=2, high=2),
            Measurement("chain_length", "requests", low=chain, high=chain),
            Measurement("answer_working_days", "working days", low=0, high=10 * chain),
            Measurement("answers_late", "answers", low=0, high=0),
        ),
        WAIT_TIMEOUT,
    )


WAN = StepSpec(
    "day 90: the DCC restores the SM WAN (reactive target); B reports the hub installed (8.14.1)",
    (
        Measurement("wan_restored_day", "days", low=90, high=90),
        Measurement("hub_commissioned", "devices", low=1, high=1),
    ),
    WAIT_TIMEOUT,
)
WHITELIST = StepSpec(
    "B whitelists the ESME and GSME on the hub with the codes it obtained (8.11, CCS01)",
    (_i0(2), Measurement("device_log_alerts", "alerts", low=2, high=2)),
    STEP_TIMEOUT,
)


def _join_step(variant: Variant) -> StepSpec:
    refused = 1 if variant is Variant.WRONG_CODE else 0
    return StepSpec(
        "the meters join with their own install codes and run CBKE with the hub",
        (
            Measurement("joined", "devices", low=2 - refused, high=2 - refused),
            Measurement("joins_refused", "devices", low=refused, high=refused),
        ),
        STEP_TIMEOUT,
    )


CREDENTIALS = StepSpec(
    "B's certificates replace A's on the joined meters and the GPF "
    "(6.23, CS02b supplierByTransCoS)",
    (
        Measurement("anchors_replaced", "devices", low=1, high=3),
        Measurement("responses_authentic", "responses", low=1, high=3),
    ),
    STEP_TIMEOUT,
)
COMMISSION = StepSpec(
    "B joins the GSME and the GPF (8.7.2) and commissions the joined meters (8.1.1)",
    (Measurement("smi_commissioned", "devices", low=1, high=2),),
    4 * RESPONSE_TIMEOUT,  # four SRVs, three of them through the sleepy GSME's wake-ups
)


def _outcome_step(variant: Variant) -> StepSpec:
    if variant is Variant.ESCALATION:
        return StepSpec(
            "without the codes the meters stay off the HAN, pre-notified only",
            (
                Measurement("meters_pending", "devices", low=2, high=2),
                Measurement("requests_escalated", "requests", low=2, high=2),
            ),
        )
    commissioned = 1 if variant is Variant.WRONG_CODE else 2
    return StepSpec(
        "outcome: commissioned meters, the losing supplier shut out, no secret in the record",
        (
            Measurement("meters_commissioned", "devices", low=commissioned, high=commissioned),
            Measurement("losing_supplier_refused", "responses", low=1, high=1),
            Measurement("install_codes_in_logs", "files", low=0, high=0),
        ),
    )


def _health_step(variant: Variant) -> StepSpec:
    """As commission-premises measures it. The wrong-code variant's refused join costs MIC
    failures at the refused device (the hub's Transport Key under a key it does not hold): they
    are the symptom the run reports, counted apart; every other frame must decrypt."""
    refused = (1, None) if variant is Variant.WRONG_CODE else (0, 0)
    return StepSpec(
        "WAN and HAN health",
        (
            Measurement("gbcs_rejected", "messages", low=0, high=0),
            Measurement("dropped_replays", "frames", low=0, high=0),
            Measurement("mic_failures", "frames", low=0, high=0),
            Measurement("refused_join_mic_failures", "frames", low=refused[0], high=refused[1]),
        ),
    )


def steps_of(variant: Variant) -> tuple[StepSpec, ...]:
    head = (INSTALL, NO_WAN, CHANGE, _codes_step(variant), WAN)
    health = _health_step(variant)
    if variant is Variant.ESCALATION:
        return (*head, _outcome_step(variant), health)
    return (
        *head,
        WHITELIST,
        _join_step(variant),
        CREDENTIALS,
        COMMISSION,
        _outcome_step(variant),
        health,
    )


class _Run:
    """One run of a variant: the premises, the suppliers and the ledger."""

    def __init__(self, run: RunContext, variant: Variant) -> None:
        self.run, self.variant = run, variant
        self.installer = SUPPLIER_Z if variant is Variant.CHAIN else SUPPLIER_A
        rng = random.Random(f"cos-install-and-leave/install-codes/{run.seed}")
        self.codes = {m.eui64: rng.randbytes(16) for m in METERS}
        self.obtained: dict[Eui64, bytes] = {}
        self.heard_alerts = 0
        self.refused_join_mic_failures = 0
        """MIC failures at devices whose join was refused, counted when it was."""

    async def until_day(self, day: float) -> None:
        wait = day * DAY - self.run.clock.now()
        if wait > 0:
            await self.run.clock.sleep(wait)

    def day(self) -> float:
        return self.run.clock.now() / DAY


def _variant_body(variant: Variant) -> Callable[[RunContext], Awaitable[None]]:
    async def body(run: RunContext) -> None:
        await _cos_install_and_leave(run, variant)

    return body


async def _cos_install_and_leave(run: RunContext, variant: Variant) -> None:
    clock = run.clock
    run.acb_eui = ACB
    state = _Run(run, variant)
    # the installer first, no repeats
    suppliers = tuple(dict.fromkeys((state.installer, SUPPLIER_A, SUPPLIER_B)))
    keys = premises_keys(f"cos-install-and-leave/{run.seed}", DEVICES, suppliers)
    for c in keys.credentials:
        run.reveal_gbcs_key(c.eui, c.usage, c.certificate, c.private_key)
    wired = await run.cleanup.enter_async_context(wire_premises(run, keys, MEMBERS))
    dcc, nodes = wired.dcc, wired.nodes
    run.reveal_han_keys(wired.han.key_ring)
    # the ledger holds install codes: on disk in the run directory only with --reveal-keys
    custody = Custody(run.out / "custody.sqlite" if run.reveal_keys else ":memory:")
    run.cleanup.callback(custody.close)
    dcc.custody = custody
    role = {s: Supplier(dcc, keys.suppliers[s], clock, eui64=s) for s in suppliers}
    installer, a, b = role[state.installer], role[SUPPLIER_A], role[SUPPLIER_B]
    srv = ServiceReferenceVariant

    def status(device_id: Eui64) -> SmiStatus | None:
        rec = dcc.inventory.smi(device_id)
        return None if rec is None else rec.status

    async def device_srv(
        supplier: Supplier, target: Eui64, variant_: ServiceReferenceVariant, body: RequestBody
    ) -> ServiceResponse:
        label = f"SRV {variant_.value} {LABELS[target]}"
        run.chart(ChartKind.SRV, f"supplier {supplier.eui64}", "DCC", label)
        answer = await supplier.request(target, variant_, body, RESPONSE_TIMEOUT)
        assert isinstance(answer, ServiceResponse), f"{label}: {answer!r}"
        assert answer.response_code is ResponseCode.I0, f"{label}: {answer.response_code.value}"
        return answer

    async def health() -> None:
        async with run.step(_health_step(variant)) as scope:
            gates: list[GbcsGate | None] = [wired.hub.gate, wired.gpf.gate]
            gates += [d.gate for d in (wired.esme, wired.gsme) if d is not None]
            rejected = sum(sum(g.rejected.values()) for g in gates if g is not None)
            scope.measure("gbcs_rejected", rejected)
            drops = wired.han.nodes
            scope.measure("dropped_replays", sum(n.drops[DropReason.REPLAY] for n in drops))
            mic = sum(n.drops[DropReason.WRONG_KEY] for n in drops)
            scope.measure("mic_failures", mic - state.refused_join_mic_failures)
            scope.measure("refused_join_mic_failures", state.refused_join_mic_failures)

    async with dcc:
        async with run.step(INSTALL) as scope:
            ok = 0
            for device_id in DEVICES:
                ok += await installer.prenotify(device_id) is ResponseCode.I0
            run.chart(ChartKind.SRV, "installer", "DCC", "SRV 8.14.2 hub (no SM WAN)")
            ok += await installer.hub_installed_no_wan() is ResponseCode.I0
            scope.measure("srv_responses_i0", ok)
            case = dcc.coverage.case(HUB.eui64)
            assert case is not None and case.kind is NoWanInstall.REACTIVE
            scope.measure("wan_due_days", (case.due_at - case.opened_at) / timedelta(days=1))
            for m in METERS:
                code = state.codes[m.eui64]
                if variant is Variant.WRONG_CODE and m is ESME:
                    code = bytes(x ^ 0x5A for x in code)  # the installer's records are wrong
                custody.record_installation(m.eui64, state.installer, code, clock.datetime())
            recorded = [custody.installation(m.eui64) for m in METERS]
            scope.measure("installations_recorded", sum(i is not None for i in recorded))
            run.log("install-and-leave", ch=str(HUB.eui64), coverage=case.kind.value,
                    due=case.due_at.isoformat())  # fmt: skip
            record_smi(run, dcc.inventory, DEVICES)

        async with run.step(NO_WAN) as scope:
            sent, _ = await installer.update_device_log(ESME.eui64, state.codes[ESME.eui64])
            scope.measure("e20_responses", int(sent.response_code is ResponseCode.E20))
            scope.measure("smi_unchanged", int(status(ESME.eui64) is SmiStatus.PENDING))

        async with run.step(CHANGE) as scope:
            if variant is Variant.CHAIN:
                await state.until_day(CHAIN_FIRST_CHANGE_DAY)
                dcc.change_of_supply(SUPPLIER_A, DEVICES)
                run.log("change-of-supply", supplier=str(SUPPLIER_A), day=state.day())
            await state.until_day(CHANGE_OF_SUPPLY_DAY)
            dcc.change_of_supply(SUPPLIER_B, DEVICES)
            run.log("change-of-supply", supplier=str(SUPPLIER_B), day=state.day())
            moved = [dcc.inventory.smi(d) for d in DEVICES]
            scope.measure(
                "devices_moved",
                sum(r is not None and r.registered_supplier == SUPPLIER_B for r in moved),
            )
            sent, _ = await a.update_device_log(ESME.eui64, state.codes[ESME.eui64])
            scope.measure("losing_supplier_refused", int(sent.response_code is ResponseCode.E4))
            record_smi(run, dcc.inventory, DEVICES)

        async with run.step(_codes_step(variant)) as scope:
            if variant is Variant.ESCALATION:
                custody.set_behaviour(SUPPLIER_A, NEVER_ANSWERS)
            else:
                answers = SupplierBehaviour(Responsiveness.ANSWERS, ANSWER_DELAY_WORKING_DAYS)
                for s in suppliers:
                    custody.set_behaviour(s, answers)
            asked = clock.datetime()
            first = [custody.request_install_code(m.eui64, SUPPLIER_B, asked) for m in METERS]
            for request in first:
                run.log(
                    "install-code-request",
                    request=str(request.request_id),
                    to=str(request.addressed_supplier),
                    deadline=request.deadline.isoformat(),
                )
            if variant is Variant.ESCALATION:
                deadline = max(r.deadline_at for r in first)
                await clock.sleep((deadline - clock.datetime()).total_seconds() + 1)
                escalated = custody.overdue(clock.datetime())
                for request in escalated:
                    run.log("install-code-escalated", request=str(request.request_id),
                            to=str(request.addressed_supplier))  # fmt: skip
                scope.measure("requests_escalated", len(escalated))
                scope.measure("codes_obtained", 0)
            else:
                chain_length = late = 0
                answered_at = asked
                for _ in range(60):  # day by day until every chain has its code
                    for answer in custody.process_due(clock.datetime()):
                        late += not answer.on_time
                        run.log("install-code-answer", request=str(answer.request_id),
                                by=str(answer.answering_supplier), outcome=answer.outcome.value,
                                on_time=answer.on_time)  # fmt: skip
                        if answer.outcome is AnswerOutcome.INSTALL_CODE:
                            assert answer.install_code is not None
                            device = answer.request_id.target
                            state.obtained[device] = answer.install_code
                            answered_at = max(answered_at, answer.answered_at)
                    if len(state.obtained) == len(METERS):
                        break
                    await clock.sleep(DAY)
                for request in first:
                    chain_length = max(chain_length, len(custody.chain(request.request_id)))
                    assert custody.request(request.request_id).state is not RequestState.OPEN
                scope.measure("codes_obtained", len(state.obtained))
                scope.measure("chain_length", chain_length)
                scope.measure("answer_working_days", working_days_between(asked, answered_at))
                scope.measure("answers_late", late)

        async with run.step(WAN) as scope:
            restored = await dcc.wan_restored(HUB.eui64)
            assert restored is not None and restored.restored_at is not None
            scope.measure("wan_restored_day", round(state.day()))
            run.chart(ChartKind.SRV, "supplier B", "DCC", "SRV 8.14.1 hub")
            await b.hub_installed()
            scope.measure("hub_commissioned", int(status(HUB.eui64) is SmiStatus.COMMISSIONED))
            record_smi(run, dcc.inventory, DEVICES)

        if variant is Variant.ESCALATION:
            async with run.step(_outcome_step(variant)) as scope:
                scope.measure(
                    "meters_pending", sum(status(m.eui64) is SmiStatus.PENDING for m in METERS)
                )
                scope.measure("requests_escalated", sum(
                    r.state is RequestState.ESCALATED for r in custody.requests()))  # fmt: skip
            await health()
            return

        async with run.step(WHITELIST) as scope:
            ok = alerts = 0
            for m in METERS:
                run.chart(ChartKind.SRV, "supplier B", "DCC", f"SRV 8.11 add {m.label}")
                ok += await b.whitelist(m.eui64, state.obtained[m.eui64]) is ResponseCode.I0
                with contextlib.suppress(TimeoutError):
                    await b.alert(AlertCode.CHF_DEVICE_LOG_CHANGED, timeout=60)
                    alerts += 1
            scope.measure("srv_responses_i0", ok)
            scope.measure("device_log_alerts", alerts)
            record_smi(run, dcc.inventory, DEVICES)

        joined: list[Member] = []
        async with run.step(_join_step(variant)) as scope:
            refused = 0
            for m in METERS:
                node = nodes[m.eui64]
                seen: list[JoinRefused] = []
                watcher = asyncio.get_running_loop().create_task(
                    _collect_refusals(nodes[HUB.eui64].stack.events(), m.eui64, seen)
                )
                await clock.sleep(0)  # subscribed before the join starts
                try:
                    await node.stack.join(han_keys.install_code_key(state.codes[m.eui64]))
                    await node.cbke.establish(HUB.eui64)
                    await clock.sleep(POLL_PERIOD)
                    joined.append(m)
                except (JoinError, KeyEstablishmentFailed) as exc:
                    await clock.sleep(node.stack.config.security_timeout + POLL_PERIOD)
                    refused += 1
                    state.refused_join_mic_failures += node.stack.drops[DropReason.WRONG_KEY]
                    reasons = [e.reason for e in seen] or [str(exc)]
                    run.log(
                        "join-refused",
                        device=str(m.eui64),
                        reason="; ".join(reasons),
                        wrong_key_frames=node.stack.drops[DropReason.WRONG_KEY],
                        hint="the install code the Supplier whitelisted is not the device's",
                    )
                finally:
                    watcher.cancel()
                    await asyncio.gather(watcher, return_exceptions=True)
            scope.measure("joined", len(joined))
            scope.measure("joins_refused", refused)

        async with run.step(CREDENTIALS) as scope:
            replaced = authentic = 0
            holders = [m.eui64 for m in joined] + ([GPF] if GSME in joined else [])
            for eui in holders:
                credentials = await device_srv(
                    b, eui, srv.UPDATE_SECURITY_CREDENTIALS_COS, UpdateSecurityCredentialsCoS()
                )
                assert credentials.gbcs_payload is not None
                payload = analyse(credentials.gbcs_payload, keys.dcc, ACB).payload
                replaced += isinstance(payload, Asn1Payload) and payload.value == 0
                authentic += credentials.device_signature is Verdict.VALID
            scope.measure("anchors_replaced", replaced)
            scope.measure("responses_authentic", authentic)

        async with run.step(COMMISSION) as scope:
            if GSME in joined:
                await device_srv(
                    b, GSME.eui64, srv.JOIN_SERVICE_NON_CRITICAL, JoinServiceNonCritical(GPF)
                )
                await device_srv(
                    b, GPF, srv.JOIN_SERVICE_NON_CRITICAL, JoinServiceNonCritical(GSME.eui64)
                )
            for m in joined:
                body = CommissionDeviceSynchroniseClock(clock.datetime(), CLOCK_TOLERANCE)
                await device_srv(b, m.eui64, srv.COMMISSION_DEVICE, body)
            scope.measure(
                "smi_commissioned", sum(status(m.eui64) is SmiStatus.COMMISSIONED for m in joined)
            )
            record_smi(run, dcc.inventory, DEVICES)

        async with run.step(_outcome_step(variant)) as scope:
            scope.measure("meters_commissioned", sum(
                status(m.eui64) is SmiStatus.COMMISSIONED for m in METERS))  # fmt: skip
            target = joined[0].eui64
            body = CommissionDeviceSynchroniseClock(clock.datetime(), CLOCK_TOLERANCE)
            sent = await a.submit(target, srv.COMMISSION_DEVICE, body)
            scope.measure("losing_supplier_refused", int(sent.response_code is ResponseCode.E4))
            scope.measure("install_codes_in_logs", _codes_in_logs(run, state))

        await health()


async def _collect_refusals(
    events: AsyncIterator[HanEvent], eui: Eui64, seen: list[JoinRefused]
) -> None:
    """Keep the hub's refusals of ``eui`` (a task, cancelled when the join is over)."""
    async for event in events:
        if isinstance(event, JoinRefused) and event.eui64 == eui:
            seen.append(event)


def _codes_in_logs(run: RunContext, state: _Run) -> int:
    """The run's logs (``events.jsonl``) and the DCC's journal (``dcc.sqlite``) files holding an
    install code, raw or in hex. (``gbcs/`` holds the CCS01 commands as sent, codes and all, for
    outside decoders, as in every scenario; the ledger keeps the codes, as it must.)"""
    codes = [*state.codes.values(), *state.obtained.values()]
    needles = [
        c for code in codes for c in (code, code.hex().encode(), code.hex().upper().encode())
    ]
    files = [run.out / "events.jsonl", *run.out.glob("dcc.sqlite*")]
    return sum(any(n in p.read_bytes() for n in needles) for p in files if p.is_file())


for _variant in Variant:
    scenario(
        _variant.value,
        "MP121: supplier A installs a hub, ESME and GSME with no SM WAN (8.14.2); the consumer "
        "switches to B on day 30; B obtains the install codes through the custody ledger (ten "
        "working days); the WAN comes on day 90; B whitelists, the meters join, B replaces A's "
        "certificates (6.23) and commissions them. Variant: " + _variant.name.lower(),
        steps=steps_of(_variant),
        timeout=RUN_TIMEOUT,
    )(_variant_body(_variant))
