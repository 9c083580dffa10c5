"""Scenario ``dual-mode-ppmid-matrix``: MP202's four-row table end to end, for dual-mode PPMIDs.

Each case installs one PPMID in one system: the PPMID model on the CPL in the *enduring* or the
*tactical* mode, pre-notified (12.2) as SMETS1 or SMETS2+, whitelisted (8.11) on a SMETS1 or a
SMETS2+ Communications Hub (the four rows of the table), then joined with its install code and
CBKE, where it chooses its personality. The rig then checks (``Check``, each naming the MP202
requirement it evidences):

- ``smi-version``: the PPMID's SMI SMETS version is the table's (enduring) or the pre-notified one
  (tactical) (``rig.dcc.mp202``);
- where the PPMID is installed against the wrong system (tactical, pre-notified version other than
  the CH's), ``wrong-system``: every SRV to it (8.7.1, 11.2, 8.9, 11.4) gets the DUIS error;
- otherwise ``route``: its SRVs go the way its SMI version says (GBCS or S1SP); ``join``: 8.7.1
  joins it to the ESME (CS03A2 + CS03A1 with CBKE, or the S1SP's join on the ESI);
  ``firmware-version``: 11.2 reads the firmware version of its CPL row for that SMI version (CS08,
  or ZCL Basic SWBuildID through the S1SP); ``credit``: it shows the meter's credit, read from the
  source its system gives it; ``requirement-7``: 11.4 is accepted for a SMETS2+ PPMID and refused
  for a SMETS1 one.

A case's *verdict* is pass when every check passes. The good profile passes every case (the
DCC's refusals in the wrong-system cases are what MP202 says must happen); each faulty profile
must fail exactly the cases its fault shows in (``expected_verdict``): the rig's checks catch it.
A step passes when the verdict is the expected one; record.json has one step per case with
``details`` (verdict, expected verdict, resulting SMI SMETS version, failed checks). Every case
runs even after one fails (a failed step fails the run, it does not stop the matrix).

``run_case`` is shared with ``hil-rig conformance ppmid`` (``rig.conformance``), which runs the
eight cases of one profile and writes the manufacturer's report from the ``CaseResult`` evidence.
On a dongle bench (``OnBench``) the PPMID is a device under test the rig cannot drive: it is
power-cycled to join (``_under_test_joins``), its personality is not observable, and its credit
check is the meter-side observation of its reads (``_credit_read_at_meter``).
"""

from __future__ import annotations

import contextlib
import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from zigpy.zcl import foundation

from emulator.codec.errors import DecodeError
from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import GbcsDecodeError, KeyUsage, decode_message
from emulator.codec.gbcs.asn1 import decode_asn1
from emulator.codec.gbcs.message import apdu_of
from emulator.codec.security import keys as han_keys
from emulator.codec.zcl import frame as zcl
from emulator.devices.dual_mode import (
    DualModePpmid,
    DualModeProfile,
    dual_mode_profile,
    faulty_smets2_in_smets1_profile,
    faulty_wrong_firmware_profile,
)
from emulator.devices.ppmid import MeterRefused
from emulator.devices.registers import PREPAYMENT
from emulator.devices.smets1_hub import Smets1Hub
from emulator.han.clock import Clock
from emulator.han.key_establishment import KeyEstablishmentFailed
from emulator.han.port import ApsMessage, DeliveryError
from emulator.han.stack.node import JoinError
from rig.dcc import (
    CHFInstallSuccessSMWAN,
    CplMode,
    DccAlert,
    ReadDeviceLog,
    ReadFirmwareVersion,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceResponse,
    SmetsVersion,
)
from rig.dcc.mp202 import PPMID_ON_WRONG_SYSTEM, Route, route, wrong_system
from rig.dcc.requests import JoinServiceCritical, RequestBody, UpdatePPMIDFirmware

from .context import RunContext
from .dual_mode_premises import (
    CH_ROWS,
    DUAL_MODE_PPMID,
    ESME_ROWS,
    DualModePremises,
    OnBench,
    PpmidModel,
    wire_dual_mode,
)
from .framework import Measurement, StepFailed, StepScope, StepSpec, scenario
from .han_join import ESME, HUB, STEP_TIMEOUT
from .lab_keys import lab_premises_keys
from .ota import ota_image
from .premises import PPMID, PremisesKeys, Supplier, premises_keys

S1, S2 = SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS
SRV = ServiceReferenceVariant
ROWS = ((S1, S1), (S1, S2), (S2, S1), (S2, S2))
"""MP202's four rows: (pre-notified as, CH's SMETS version)."""
ANSWER_TIMEOUT = 600.0
CHOICE_TIMEOUT = 60.0
"""Modelled seconds the rig lets the PPMID take to settle after CBKE (its personality probe)."""
DUT_JOIN_TIMEOUT = 180.0
"""[I] Seconds a device under test has, from power-on, to join the hub's network and complete
CBKE (a physical PPMID scans every channel and may back off between attempts)."""
SETTLE_SECONDS = 15.0
"""[I] Seconds the rig leaves a device under test after its CBKE before the first SRV to it:
its own start-up (a dual-mode PPMID's personality choice, its first reads) is not observable."""
DUT_POLL = 0.5
"""Seconds between the rig's looks at what the device under test has done."""
SMI_VERSION_CODE = {S1: 1, S2: 2}
"""record.json measurement of the SMI SMETS version: 1 SMETS1, 2 SMETS2+ (0 none)."""


class ProfileKind(enum.Enum):
    GOOD = "dual-mode"
    FAULTY_SMETS2_IN_SMETS1 = "faulty-smets2-in-smets1"
    FAULTY_WRONG_FIRMWARE = "faulty-wrong-firmware"


def profile_for(
    kind: ProfileKind, mode: CplMode, model: PpmidModel = DUAL_MODE_PPMID
) -> DualModeProfile:
    """The PPMID of ``kind`` and ``model`` built for the CPL ``mode`` (its SMETS1 firmware
    version)."""
    real = bytes.fromhex(model.firmware_version)
    fictitious = bytes.fromhex(model.fictitious_firmware_version or model.firmware_version)
    right = fictitious if mode is CplMode.TACTICAL else real
    wrong = real if mode is CplMode.TACTICAL else fictitious
    if kind is ProfileKind.GOOD:
        return dual_mode_profile(real, right)
    if kind is ProfileKind.FAULTY_SMETS2_IN_SMETS1:
        return faulty_smets2_in_smets1_profile(real, right)
    return faulty_wrong_firmware_profile(real, wrong)


@dataclass(frozen=True)
class Case:
    kind: ProfileKind
    mode: CplMode
    pre_notified: SmetsVersion
    ch: SmetsVersion

    @property
    def name(self) -> str:
        return (
            f"{self.kind.value}, {self.mode.value} CPL: pre-notified {self.pre_notified.value}, "
            f"CH {self.ch.value}"
        )

    @property
    def slug(self) -> str:
        v = {S1: "s1", S2: "s2"}
        return f"{self.kind.value}-{self.mode.value}-pre{v[self.pre_notified]}-ch{v[self.ch]}"

    @property
    def expected_smi(self) -> SmetsVersion:
        """MP202: the CH's version (the table); the pre-notified one in the tactical mode [U]."""
        return self.pre_notified if self.mode is CplMode.TACTICAL else self.ch

    @property
    def row(self) -> str:
        """MP202's row as ``pre-notified-CH``: ``s1-s2`` is pre-notified SMETS1, CH SMETS2+."""
        v = {S1: "s1", S2: "s2"}
        return f"{v[self.pre_notified]}-{v[self.ch]}"

    @property
    def wrong_system(self) -> bool:
        return self.expected_smi is not self.ch

    @property
    def expected_verdict(self) -> bool:
        """True (pass) unless a faulty profile's fault shows: in a SMETS1 system it can be judged
        in (not the wrong system)."""
        if self.kind is ProfileKind.GOOD or self.wrong_system:
            return True
        return self.ch is not S1


def cases(kinds: Sequence[ProfileKind] = tuple(ProfileKind)) -> list[Case]:
    return [
        Case(kind, mode, pre, ch)
        for kind in kinds
        for mode in (CplMode.ENDURING, CplMode.TACTICAL)
        for pre, ch in ROWS
    ]


@dataclass(frozen=True)
class SrvEvidence:
    srv: str
    request_id: str
    label: str
    response_code: str
    route: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "srv": self.srv, "request_id": self.request_id, "label": self.label,
            "response_code": self.response_code, "route": self.route, "detail": self.detail,
        }  # fmt: skip


@dataclass(frozen=True)
class Check:
    name: str
    requirement: str
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "requirement": self.requirement, "passed": self.passed,
            "detail": self.detail,
        }  # fmt: skip


@dataclass
class CaseResult:
    case: Case
    smi_smets_version: SmetsVersion | None = None
    checks: list[Check] = field(default_factory=list)
    srvs: list[SrvEvidence] = field(default_factory=list)
    gbcs_files: list[str] = field(default_factory=list)
    zcl_frames: list[dict[str, str]] = field(default_factory=list)
    pcap: str = ""
    personality: str = ""
    """What the emulated PPMID chose (virtual benches only)."""

    @property
    def verdict(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, name: str, requirement: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, requirement, passed, detail))

    def to_json(self) -> dict[str, Any]:
        c = self.case
        smi = None if self.smi_smets_version is None else self.smi_smets_version.value
        return {
            "case": c.name, "slug": c.slug, "profile": c.kind.value, "cpl_mode": c.mode.value,
            "pre_notified": c.pre_notified.value, "ch_smets_version": c.ch.value,
            "smi_smets_version": smi, "verdict": "pass" if self.verdict else "fail",
            "expected_verdict": "pass" if c.expected_verdict else "fail",
            "personality": self.personality, "checks": [x.to_json() for x in self.checks],
            "srvs": [s.to_json() for s in self.srvs], "gbcs": self.gbcs_files,
            "zcl": self.zcl_frames, "pcap": self.pcap,
        }  # fmt: skip


REQ = {
    "smi-version": "MP202 §3: the PPMID's SMI SMETS version from the CH's at 8.11 (enduring)",
    "wrong-system": "MP202 §2: a PPMID installed against the wrong system cannot be the target "
    "of any Service Requests",
    "route": "MP202 §1: GBCS for a SMETS2+ PPMID, the S1SP for a SMETS1 one",
    "join": "the PPMID joins its meter in the system it is enrolled in (8.7.1)",
    "firmware-version": "SEC Appendix Z 3.13: the firmware version of the CPL row for its "
    "SMETS version (11.2)",
    "credit": "the PPMID serves the consumer in either system: credit from its meter",
    "requirement-7": "MP202 requirement 7: OTA firmware (11.4) only to PPMIDs enrolled in SMETS2+",
}


class _Installer:
    """The Supplier's SRVs for one case, with their evidence."""

    def __init__(self, run: RunContext, premises: DualModePremises, supplier: Supplier) -> None:
        self.run, self.premises, self.supplier = run, premises, supplier
        self.srvs: list[SrvEvidence] = []

    async def submit(
        self, target: Eui64, srv: SRV, body: RequestBody, label: str, *, wait: bool = True
    ) -> tuple[ResponseCode, ServiceResponse | DccAlert | None]:
        """One SRV: the immediate code and, unless not ``wait``, the DCC's answer after I99."""
        sent = await self.supplier.submit(target, srv, body)
        answer: ServiceResponse | DccAlert | None = None
        if sent.response_code is ResponseCode.I99 and wait:
            with contextlib.suppress(TimeoutError):
                answer = await self.supplier.response_to(sent.request_id, ANSWER_TIMEOUT)
        code = sent.response_code
        final = code.value
        via = ""
        detail = ""
        if isinstance(answer, ServiceResponse):
            final = answer.response_code.value
            via = Route.S1SP.name if answer.s1sp is not None else Route.GBCS.name
            if answer.s1sp is not None:
                detail = "; ".join(f"{k}={v}" for k, v in answer.s1sp.values) or answer.s1sp.reason
        elif isinstance(answer, DccAlert):
            final, detail = answer.dcc_alert_code.value, answer.reason
        elif code.is_error:
            detail = self._journal_note(str(sent.request_id))
        self.srvs.append(
            SrvEvidence(
                srv.value, str(sent.request_id), label, f"{code.value}/{final}", via, detail
            )
        )
        return code, answer

    def _journal_note(self, request_id: str) -> str:
        for row in reversed(self.premises.dcc.inventory.journal("response")):
            if row["request_id"] == request_id:
                return str(row["note"])
        return ""


async def run_case(
    run: RunContext,
    case: Case,
    keys: PremisesKeys,
    profile: DualModeProfile | None = None,
    bench: OnBench | None = None,
) -> CaseResult:
    """Install the case's PPMID in the case's system and check it (module docstring); on a
    ``bench`` the PPMID is its device under test."""
    result = CaseResult(case)
    out = run.out / "cases" / case.slug
    model = bench.model if bench is not None else DUAL_MODE_PPMID
    profile = profile or profile_for(case.kind, case.mode, model)
    gbcs_before = len(run.gbcs_messages)
    rng = random.Random(f"dual-mode/install-codes/{run.seed}/{case.slug}")
    codes = {ESME.eui64: rng.randbytes(16), PPMID.eui64: rng.randbytes(16)}
    if bench is not None:
        codes = {ESME.eui64: codes[ESME.eui64], bench.dut.eui64: bench.dut.install_code}
        if bench.dut.stand_in is not None:  # built (flashed) for the case's CPL mode
            bench.dut.stand_in.profile = profile
    heard_before = len(bench.dut.heard) if bench is not None else 0
    async with wire_dual_mode(run, keys, case.ch, case.mode, profile, out, bench) as premises:
        floor = premises.dut.counter_floor if premises.dut else 1000
        supplier = Supplier(
            premises.dcc, keys.supplier, run.clock, keys.supplier_eui, counter=floor
        )
        installer = _Installer(run, premises, supplier)
        try:
            await _install_and_check(run, case, premises, installer, codes, keys, result)
        finally:
            result.srvs = installer.srvs
            _zcl_evidence(result, premises, heard_before)
            if premises.dut is not None:  # the next case's counters start above this one's
                acb = premises.dcc.inventory.next_counter(floor=floor)
                premises.dut.counter_floor = max(acb, supplier.counter) + 1
    result.gbcs_files = [f"gbcs/{m.path.name}" for m in run.gbcs_messages[gbcs_before:]]
    pcap = out / "han-2g4.pcap"
    result.pcap = str(pcap.relative_to(run.out)) if pcap.exists() else ""
    return result


async def _install_and_check(
    run: RunContext,
    case: Case,
    premises: DualModePremises,
    installer: _Installer,
    codes: dict[Eui64, bytes],
    keys: PremisesKeys,
    result: CaseResult,
) -> None:
    await _install(run, case, premises, installer, codes)
    ppmid = premises.ppmid_eui
    record = premises.dcc.inventory.smi(ppmid)
    assert record is not None
    result.smi_smets_version = smi = record.smets_version
    result.check(
        "smi-version", REQ["smi-version"], smi is case.expected_smi,
        f"SMI {smi.value if smi else 'none'}, MP202 gives {case.expected_smi.value}",
    )  # fmt: skip
    if premises.dut is not None:
        joined = await _under_test_joins(run, premises)
        result.personality = "not observable (device under test)"
    else:
        joined = await _join_han(run, premises, codes[ppmid])
        chosen = premises.ppmid.personality if premises.ppmid else None
        result.personality = chosen.value if chosen else "none"
    reason = wrong_system(premises.dcc.inventory, record)
    if reason is not None:
        await _wrong_system_checks(result, installer, premises, keys, run.seed, reason)
    else:
        assert joined is None, f"the PPMID did not join the HAN: {joined}"
        await _right_system_checks(result, installer, premises, keys, run.seed)


def _zcl_evidence(result: CaseResult, premises: DualModePremises, heard_before: int) -> None:
    """The PPMID's personality probe (emulated) or what our nodes heard from it (under test),
    and the S1SP's ZCL."""
    if premises.ppmid is not None:
        for probe, answer in premises.ppmid.probes:
            asked = "PPMID -> hub Get Supported Tunnel Protocols"
            result.zcl_frames.append({"what": asked, "zcl": probe.hex().upper()})
            heard = answer.hex().upper() if answer else "(none)"
            result.zcl_frames.append({"what": "hub -> PPMID answer", "zcl": heard})
    if premises.dut is not None:
        result.zcl_frames += [h.to_json() for h in premises.dut.heard[heard_before:]]
    for _, outcome in premises.dcc.s1sp.outcomes:
        for x in outcome.zcl:
            result.zcl_frames.append({"what": f"S1SP {outcome.operation.value}", **x.to_json()})


async def _install(
    run: RunContext,
    case: Case,
    premises: DualModePremises,
    installer: _Installer,
    codes: dict[Eui64, bytes],
) -> None:
    """12.2 for the hub, the ESME and the PPMID (as ``case.pre_notified``), 8.14.1, 8.11."""
    acb = premises.dcc.acb.eui
    ppmid = premises.ppmid_eui
    for device, row in (
        (HUB.eui64, CH_ROWS[case.ch]),
        (ESME.eui64, ESME_ROWS[case.ch]),
        (ppmid, premises.model.rows(case.mode)[case.pre_notified]),
    ):
        code, _ = await installer.submit(
            acb, SRV.DEVICE_PRE_NOTIFICATION, row.prenotification(device), f"12.2 {device}"
        )
        assert code is ResponseCode.I0, f"12.2 {device}: {code.value}"
    code, _ = await installer.submit(
        acb, SRV.CH_STATUS_UPDATE_INSTALL_SUCCESS, CHFInstallSuccessSMWAN(HUB.eui64), "8.14.1"
    )
    assert code is ResponseCode.I0, f"8.14.1: {code.value}"
    devices = (ESME.eui64, ppmid) if premises.esme is not None else (ppmid,)
    for device in devices:
        sent, answer = await installer.supplier.update_device_log(device, codes[device])
        label = "8.11 add ESME" if device == ESME.eui64 else "8.11 add PPMID"
        final = answer.response_code.value if isinstance(answer, ServiceResponse) else "none"
        via = "S1SP" if isinstance(answer, ServiceResponse) and answer.s1sp else "GBCS"
        installer.srvs.append(
            SrvEvidence("8.11", str(sent.request_id), label, f"{sent.response_code.value}/{final}",
                        via)
        )  # fmt: skip
        assert final == "I0", f"{label}: {sent.response_code.value}/{final}"
        if device == ESME.eui64:
            error = await _join_han(run, premises, codes[device], ESME.eui64)
            assert error is None, f"the ESME did not join: {error}"


async def _join_han(
    run: RunContext, premises: DualModePremises, code: bytes, device: Eui64 = PPMID.eui64
) -> str | None:
    """The device joins with its install code and runs CBKE with the hub; None or why not."""
    node = premises.nodes[device]
    key = han_keys.install_code_key(code)
    try:
        await node.stack.join(key)
        await node.cbke.establish(HUB.eui64)
    except (JoinError, KeyEstablishmentFailed, DeliveryError) as exc:
        return str(exc)
    if device == PPMID.eui64 and premises.ppmid is not None:
        with contextlib.suppress(TimeoutError):
            async with run.clock.timeout(CHOICE_TIMEOUT):
                await premises.ppmid.chosen.wait()
    await run.clock.sleep(2.0)  # the hub installs the key once the last frame lands
    return None


async def _under_test_joins(run: RunContext, premises: DualModePremises) -> str | None:
    """The device under test, whitelisted, is power-cycled so that it looks for a network; it
    has joined when the hub holds a CBKE link key with it. Then the rig gives it
    ``SETTLE_SECONDS`` for what it does after CBKE (its personality choice, its first reads);
    None, or why it did not join."""
    dut, hub = premises.dut, premises.nodes[HUB.eui64].stack
    assert dut is not None
    run.log("dut", action="power-cycle", device=str(dut.eui64), switch=dut.switch.name)
    await dut.power_cycle(run.clock)
    try:
        async with run.clock.timeout(DUT_JOIN_TIMEOUT):
            while hub.link_key(dut.eui64) is None:
                await run.clock.sleep(DUT_POLL)
    except TimeoutError:
        return f"no CBKE with the hub within {DUT_JOIN_TIMEOUT:.0f} s of power-on"
    await run.clock.sleep(SETTLE_SECONDS)
    return None


async def _wrong_system_checks(
    result: CaseResult,
    installer: _Installer,
    premises: DualModePremises,
    keys: PremisesKeys,
    seed: int,
    reason: str,
) -> None:
    """Every SRV to the PPMID is refused with the DUIS error."""
    refused = []
    ppmid = premises.ppmid_eui
    image = ota_image(keys, ppmid, seed)
    for srv, body, label in (
        (SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(ESME.eui64), "8.7.1 join PPMID to ESME"),
        (SRV.READ_FIRMWARE_VERSION, ReadFirmwareVersion(), "11.2 PPMID"),
        (SRV.READ_DEVICE_LOG, ReadDeviceLog(), "8.9 PPMID"),
        (SRV.UPDATE_PPMID_FIRMWARE, UpdatePPMIDFirmware(image), "11.4 PPMID"),
    ):
        code, _ = await installer.submit(ppmid, srv, body, label)
        refused.append(code is PPMID_ON_WRONG_SYSTEM)
    result.check(
        "wrong-system", REQ["wrong-system"], all(refused),
        f"{sum(refused)} of {len(refused)} SRVs refused {PPMID_ON_WRONG_SYSTEM.value}: {reason}",
    )  # fmt: skip


async def _right_system_checks(
    result: CaseResult,
    installer: _Installer,
    premises: DualModePremises,
    keys: PremisesKeys,
    seed: int,
) -> None:
    inventory = premises.dcc.inventory
    ppmid = premises.ppmid_eui
    record = inventory.smi(ppmid)
    assert record is not None and record.smets_version is not None
    expected = route(record)
    want = "S1SP" if expected is Route.S1SP else "GBCS"
    routes: list[str] = []
    # 8.7.1: the PPMID to the ESME (and, SMETS2+, the ESME to the PPMID: Method A)
    pairs = [(ppmid, ESME.eui64)]
    if expected is Route.GBCS:
        pairs.append((ESME.eui64, ppmid))
    joined = True
    for target, other in pairs:
        label = f"8.7.1 join {'PPMID' if target == ppmid else 'ESME'}"
        code, answer = await installer.submit(
            target, SRV.JOIN_SERVICE_CRITICAL, JoinServiceCritical(other), label
        )
        joined &= isinstance(answer, ServiceResponse) and _join_ok(answer)
        if target == ppmid:
            routes.append(installer.srvs[-1].route)
    result.check("join", REQ["join"], joined, "joined" if joined else "8.7.1 did not succeed")
    # 11.2: the firmware version, against the CPL row of the PPMID's SMI version
    code, answer = await installer.submit(
        ppmid, SRV.READ_FIRMWARE_VERSION, ReadFirmwareVersion(), "11.2 PPMID"
    )
    routes.append(installer.srvs[-1].route)
    reported = _firmware_version(answer)
    rows = inventory.cpl_entries(
        record.manufacturer, record.model, record.device_type, reported, record.smets_version
    )
    ok = reported is not None and reported == record.firmware_version and bool(rows)
    result.check(
        "firmware-version", REQ["firmware-version"], ok,
        f"reported {reported or 'nothing'}; SMI {record.firmware_version} "
        f"({record.smets_version.value} CPL row {'found' if rows else 'missing'})",
    )  # fmt: skip
    result.check(
        "route", REQ["route"], all(r == want for r in routes),
        f"SMI {record.smets_version.value}: wanted {want}, went {', '.join(routes)}",
    )  # fmt: skip
    # the consumer's view: credit (and, in SMETS1, the ESI's price)
    if premises.ppmid is None:
        shown, detail = await _credit_read_at_meter(premises, installer.run.clock)
    else:
        shown, detail = await _credit_shown(premises, premises.ppmid)
    result.check("credit", REQ["credit"], shown, detail)
    # requirement 7
    image = UpdatePPMIDFirmware(ota_image(keys, ppmid, seed))
    code, _ = await installer.submit(  # accepted or refused: the distribution is OTA's to test
        ppmid, SRV.UPDATE_PPMID_FIRMWARE, image, "11.4 PPMID", wait=False
    )
    smets2 = record.smets_version is S2
    ok = (code is ResponseCode.I99) if smets2 else (code is ResponseCode.E5)
    result.check(
        "requirement-7", REQ["requirement-7"], ok,
        f"11.4 to a {record.smets_version.value} PPMID answered {code.value}",
    )  # fmt: skip


async def _credit_shown(premises: DualModePremises, ppmid: DualModePpmid) -> tuple[bool, str]:
    """The emulated PPMID reads its credit as its display would; does it match the meter's?"""
    try:
        credit = await ppmid.read_credit()
        shown = credit.credit_remaining == premises.meter_credit
        detail = f"PPMID shows {credit.credit_remaining} p, meter holds {premises.meter_credit} p"
        if isinstance(premises.hub, Smets1Hub):
            price = await ppmid.read_price()
            detail += f"; price {price.get(0x0400)}"
    except (LookupError, TimeoutError, MeterRefused, DeliveryError, ValueError) as exc:
        return False, f"no credit shown: {exc}"
    return shown, detail


async def _credit_read_at_meter(premises: DualModePremises, clock: Clock) -> tuple[bool, str]:
    """A device under test's display cannot be read: the meter-side observer waits (up to its
    ``credit_wait``) for it to read the credit registers from the meter its system gives it
    (the ESME, or the SMETS1 hub's ESI), over APS security, as a partner the meter serves."""
    dut, meter = premises.dut, premises.meter_node
    assert dut is not None
    seen: list[ApsMessage] = []
    meter.taps.append(lambda msg: seen.append(msg) if _credit_read(msg, dut.eui64) else None)
    with contextlib.suppress(TimeoutError):
        async with clock.timeout(dut.credit_wait):
            while not any(premises.meter_serves(m) for m in seen):
                await clock.sleep(DUT_POLL)
    served = [m for m in seen if premises.meter_serves(m)]
    where = f"{meter.member.label} (holding {premises.meter_credit} p)"
    if served:
        return True, f"PPMID read the credit registers from {where}, served {len(served)} time(s)"
    if seen:
        return False, f"PPMID read the credit from {where}, which refused it (not its partner)"
    return False, f"PPMID read no credit from {where} within {dut.credit_wait:.0f} s"


def _credit_read(msg: ApsMessage, ppmid: Eui64) -> bool:
    """A Read Attributes of the Prepayment credit registers from ``ppmid``."""
    if msg.source != ppmid or msg.cluster != PREPAYMENT:
        return False
    try:
        frame = zcl.decode_zcl(msg.payload)
    except DecodeError:
        return False
    return frame.is_global and frame.command_id == foundation.GeneralCommand.Read_Attributes


def _join_ok(answer: ServiceResponse) -> bool:
    if answer.response_code is not ResponseCode.I0:
        return False
    if answer.s1sp is not None:
        return answer.s1sp.ok
    return bool(_asn1(answer.gbcs_payload, "JoinDeviceResponse") == 0)


def _asn1(gbcs: bytes | None, type_name: str) -> Any:
    if gbcs is None:
        return None
    try:
        apdu = apdu_of(decode_message(gbcs))
        return None if apdu is None else decode_asn1(type_name, apdu.content)
    except GbcsDecodeError:
        return None


def _firmware_version(answer: ServiceResponse | DccAlert | None) -> str | None:
    """The version 11.2 read: CS08's ``firmwareVersion`` or the S1SP's ``FirmwareVersion``."""
    if not isinstance(answer, ServiceResponse) or answer.response_code is not ResponseCode.I0:
        return None
    if answer.s1sp is not None:
        return answer.s1sp.value("FirmwareVersion")
    value = _asn1(answer.gbcs_payload, "ReadFirmwareVersionResponse")
    if isinstance(value, dict) and isinstance(value.get("firmwareVersion"), bytes):
        return bytes(value["firmwareVersion"]).hex().upper()
    return None


# ---- the scenario -------------------------------------------------------------------------------


def case_step(case: Case, conformance: bool = False) -> StepSpec:
    """A case's step; in a conformance run (``rig.conformance``) every case must pass."""
    return StepSpec(
        case.name
        if not conformance
        else f"MP202 {case.mode.value} CPL: pre-notified "
        f"{case.pre_notified.value}, CH {case.ch.value}",
        (
            Measurement("verdict_pass", "bool", low=0, high=1),
            Measurement("expected_verdict_pass", "bool", low=0, high=1),
            Measurement("verdict_as_expected", "bool", low=1, high=1),
            Measurement("smi_smets_version", "SMETS", low=0, high=2),
            Measurement("checks_failed", "checks", low=0),
        ),
        STEP_TIMEOUT * 4,
    )


def matrix_keys(run: RunContext, bench: OnBench | None = None) -> PremisesKeys:
    """The run's keys; against a device under test with the lab's key material when the bench
    names it (``lab_keys``)."""
    seed = f"dual-mode/{run.seed}"
    labs: set[Eui64] = set()  # whose private keys are the lab's: revealed as certificates only
    if bench is not None and bench.keys is not None:
        dut = bench.dut.eui64
        keys = lab_premises_keys(bench.keys, seed, (HUB.eui64, ESME.eui64), dut)
        labs = {bench.keys.acb, bench.keys.supplier, dut}
        if dut not in keys.devices:  # a physical PPMID: its certificates verify its responses
            for usage in KeyUsage:
                run.reveal_gbcs_key(dut, usage, keys.dcc.certificate(dut, usage))
    else:
        ppmid = bench.dut.eui64 if bench is not None else PPMID.eui64
        keys = premises_keys(seed, devices=(HUB.eui64, ESME.eui64, ppmid))
    for c in keys.credentials:
        run.reveal_gbcs_key(c.eui, c.usage, c.certificate, None if c.eui in labs else c.private_key)
    return keys


async def run_matrix(
    run: RunContext,
    selected: Sequence[Case],
    on_case: Callable[[CaseResult], None] | None = None,
    profile: DualModeProfile | None = None,
    *,
    conformance: bool = False,
    bench: OnBench | None = None,
) -> None:
    """Each case as one step of ``run`` (module docstring); with ``conformance`` the expected
    verdict is always pass (the PPMID under test must conform); on a ``bench`` the PPMID is
    its device under test."""
    keys = matrix_keys(run, bench)
    run.acb_eui = keys.acb_eui
    for case in selected:
        expected = True if conformance else case.expected_verdict
        with contextlib.suppress(StepFailed):  # every case runs; the record keeps each verdict
            async with run.step(case_step(case, conformance)) as scope:
                result = await run_case(run, case, keys, profile, bench)
                if on_case is not None:
                    on_case(result)
                _measure(scope, result, expected)


def _measure(scope: StepScope, result: CaseResult, expected: bool) -> None:
    smi = result.smi_smets_version
    scope.measure("verdict_pass", int(result.verdict))
    scope.measure("expected_verdict_pass", int(expected))
    scope.measure("verdict_as_expected", int(result.verdict == expected))
    scope.measure("smi_smets_version", 0 if smi is None else SMI_VERSION_CODE[smi])
    scope.measure("checks_failed", sum(not c.passed for c in result.checks))
    scope.note("verdict", "pass" if result.verdict else "fail")
    scope.note("expected_verdict", "pass" if expected else "fail")
    scope.note("smi_smets_version", "none" if smi is None else smi.value)
    scope.note("ppmid_personality", result.personality)
    failed = [f"{c.name}: {c.detail}" for c in result.checks if not c.passed]
    scope.note("failed_checks", "; ".join(failed) or "none")


MATRIX = cases()


@scenario(
    "dual-mode-ppmid-matrix",
    "MP202's four rows (pre-notified SMETS version x CH SMETS version) end to end, in the "
    "enduring and the tactical CPL mode, for a dual-mode PPMID and two faulty ones (answers as "
    "SMETS2+ in a SMETS1 HAN; reports the wrong firmware version for the CPL mode): SMI version, "
    "GBCS or S1SP route, wrong-system refusals, firmware version, credit, requirement 7.",
    steps=tuple(case_step(c) for c in MATRIX),
)
async def dual_mode_ppmid_matrix(run: RunContext) -> None:
    await run_matrix(run, MATRIX)


__all__ = [
    "Case",
    "CaseResult",
    "Check",
    "ProfileKind",
    "cases",
    "profile_for",
    "run_case",
    "run_matrix",
]
