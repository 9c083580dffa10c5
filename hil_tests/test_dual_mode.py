"""Dual-mode (bilingual) PPMIDs, MP202: positive and negative cases on the emulated systems.

Positive: a conforming dual-mode PPMID passes each row of MP202's table in both CPL modes (SMI
version from the CH's in the enduring mode, GBCS or S1SP route as the SMI says, joined, the CPL
row's firmware version, credit from its meter, requirement 7); the ``dual-mode-ppmid-matrix``
scenario passes every step with its details. Negative: a PPMID installed against the wrong system
(tactical mode) is refused for every SRV; a PPMID that answers as SMETS2+ in a SMETS1 HAN, or
reports the wrong firmware version for the CPL mode, fails the checks that catch it; the
conformance report says fail. Physical PPMIDs need the dongle benches: these run virtual only.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.codec.eui64 import Eui64
from emulator.codec.security.cbke.suites import KeyEstablishmentSuite
from emulator.devices.dual_mode import Personality
from emulator.han.clock import VirtualClock
from emulator.pki.smki import RemotePartyRole, TestSmki, export
from emulator.pki.zse import ZseTestCa, credentials_to_dict
from rig.cli import main
from rig.dcc import CplMode, SmetsVersion
from rig.scenarios.context import EventLog, RunContext
from rig.scenarios.dual_mode import (
    Case,
    CaseResult,
    ProfileKind,
    dual_mode_ppmid_matrix,
    matrix_keys,
    run_case,
)
from rig.scenarios.framework import Outcome
from rig.scenarios.han_join import ESME, HUB
from rig.scenarios.runner import execute

pytestmark = pytest.mark.hil_virtual_only

S1, S2 = SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS
ROWS = [(S1, S1), (S1, S2), (S2, S1), (S2, S2)]


async def one_case(tmp_path: Path, case: Case) -> CaseResult:
    tmp_path.mkdir(parents=True, exist_ok=True)
    clock = VirtualClock()
    with EventLog(tmp_path / "events.jsonl", clock) as events:
        run = RunContext(tmp_path, 1, clock, events)
        async with run.cleanup:
            return await run_case(run, case, matrix_keys(run))


def failed(result: CaseResult) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


# ---- positive -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("pre", "ch"), ROWS, ids=lambda v: v.name)
async def test_enduring_mode_follows_the_ch(
    tmp_path: Path, pre: SmetsVersion, ch: SmetsVersion
) -> None:
    """MP202's table: whatever it was pre-notified as, the PPMID takes the CH's version, works
    through that system's route and chooses that personality."""
    result = await one_case(tmp_path, Case(ProfileKind.GOOD, CplMode.ENDURING, pre, ch))
    assert result.smi_smets_version is ch
    assert result.verdict, failed(result)
    assert result.personality == (Personality.SMETS1 if ch is S1 else Personality.SMETS2_PLUS).value
    routes = {s.route for s in result.srvs if s.label in ("11.2 PPMID", "8.7.1 join PPMID")}
    assert routes == {"S1SP" if ch is S1 else "GBCS"}


@pytest.mark.parametrize("row", [(S1, S1), (S2, S2)], ids=["S1", "S2"])
async def test_tactical_mode_right_system(
    tmp_path: Path, row: tuple[SmetsVersion, SmetsVersion]
) -> None:
    """Tactical mode, installed where it was pre-notified: served, and its SMETS1 personality
    reports the fictitious firmware version of the SMETS1 row."""
    result = await one_case(tmp_path, Case(ProfileKind.GOOD, CplMode.TACTICAL, *row))
    assert result.verdict, failed(result)
    if row[1] is S1:
        read = next(s for s in result.srvs if s.label == "11.2 PPMID")
        assert read.detail == "FirmwareVersion=F004012F"


async def test_matrix_scenario_records_each_case(tmp_path: Path) -> None:
    """``hil-rig run dual-mode-ppmid-matrix``: every case passes its step (faulty profiles fail
    their verdict where expected) and record.json carries verdict and SMI version per case."""
    clock = VirtualClock()
    with EventLog(tmp_path / "events.jsonl", clock) as events:
        run = RunContext(tmp_path, 1, clock, events)
        assert await execute(dual_mode_ppmid_matrix, run) is None
    assert len(run.steps) == 24
    assert all(s.outcome is Outcome.PASS for s in run.steps)
    for step in run.steps:
        details = dict(step.details)
        assert details["verdict"] == details["expected_verdict"]
        assert details["smi_smets_version"] in (S1.value, S2.value)
    caught = [s for s in run.steps if dict(s.details)["verdict"] == "fail"]
    assert len(caught) == 6  # 3 SMETS1-system cases for each faulty profile
    assert all("faulty" in s.name for s in caught)


# ---- negative -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("pre", "ch"), [(S1, S2), (S2, S1)], ids=["preS1-chS2", "preS2-chS1"])
async def test_wrong_system_cannot_be_targeted(
    tmp_path: Path, pre: SmetsVersion, ch: SmetsVersion
) -> None:
    """Tactical mode, installed against the other system: the SMI keeps the pre-notified version
    and every SRV to the PPMID gets the DUIS error (E5)."""
    result = await one_case(tmp_path, Case(ProfileKind.GOOD, CplMode.TACTICAL, pre, ch))
    assert result.smi_smets_version is pre
    [check] = [c for c in result.checks if c.name == "wrong-system"]
    assert check.passed, check.detail
    targeted = [s for s in result.srvs if s.label.endswith("PPMID") and s.srv != "8.11"]
    assert targeted and all(s.response_code.startswith("E5") for s in targeted)


@pytest.mark.parametrize("mode", [CplMode.ENDURING, CplMode.TACTICAL], ids=lambda m: m.value)
async def test_smets2_personality_in_a_smets1_han_is_caught(tmp_path: Path, mode: CplMode) -> None:
    result = await one_case(tmp_path, Case(ProfileKind.FAULTY_SMETS2_IN_SMETS1, mode, S1, S1))
    assert result.personality == Personality.SMETS2_PLUS.value
    assert not result.verdict
    assert failed(result) == {"firmware-version", "credit"}


@pytest.mark.parametrize("mode", [CplMode.ENDURING, CplMode.TACTICAL], ids=lambda m: m.value)
async def test_wrong_firmware_for_the_cpl_mode_is_caught(tmp_path: Path, mode: CplMode) -> None:
    result = await one_case(tmp_path, Case(ProfileKind.FAULTY_WRONG_FIRMWARE, mode, S1, S1))
    assert failed(result) == {"firmware-version"}


async def test_faulty_profiles_pass_in_a_smets2_system(tmp_path: Path) -> None:
    """Their faults are SMETS1-side: in a SMETS2+ HAN they behave."""
    for kind in (ProfileKind.FAULTY_SMETS2_IN_SMETS1, ProfileKind.FAULTY_WRONG_FIRMWARE):
        result = await one_case(tmp_path / kind.value, Case(kind, CplMode.ENDURING, S2, S2))
        assert result.verdict, failed(result)


# ---- the conformance report ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "exit_code", "verdict"),
    [("dual-mode", 0, "pass"), ("faulty-smets2-in-smets1", 1, "fail")],
)
def test_conformance_report(tmp_path: Path, profile: str, exit_code: int, verdict: str) -> None:
    bench = Path(__file__).parents[1] / "hardware" / "virtual.yaml"
    args = ["conformance", "ppmid", "--bench", str(bench), "--out", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, "--profile", profile])
    assert result.exit_code == exit_code, result.output
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["verdict"] == verdict
    assert len(report["cases"]) == 8
    assert {r["id"] for r in report["requirements"]} >= {"smi-version", "wrong-system", "route"}
    case = report["cases"][0]
    assert case["srvs"] and case["zcl"] and case["pcap_excerpt"]["frames"] > 0
    assert (tmp_path / "conformance.html").read_text().startswith("<!doctype html>")
    assert "install_code" not in (tmp_path / "conformance.json").read_text()


def test_conformance_refuses_a_bench_it_cannot_read(tmp_path: Path) -> None:
    bench = tmp_path / "bench.yaml"
    bench.write_text("name: lab\nbackend: dongle\n")
    result = CliRunner().invoke(
        main, ["conformance", "ppmid", "--bench", str(bench), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "dongle" in result.output


@pytest.mark.parametrize(
    ("profile", "rows", "exit_code", "failed_checks"),
    [
        ("dual-mode", ("s1-s2", "s2-s1"), 0, set()),
        ("faulty-smets2-in-smets1", ("s1-s1",), 1, {"firmware-version", "credit"}),
    ],
    ids=["dual-mode", "faulty-smets2-in-smets1"],
)
def test_conformance_against_a_stand_in_on_dongles(
    tmp_path: Path, profile: str, rows: tuple[str, ...], exit_code: int, failed_checks: set[str]
) -> None:
    """The physical-PPMID path on CI's bench (real time, real bellows): the hub and the ESME on
    NCP-emulated dongles, the PPMID a stand-in the rig reaches only through its power switch
    and judges by what the hub and the meter hear from it. A SMETS2+ and a SMETS1 system for
    the conforming PPMID (the second case after the first's leave, on a re-formed network,
    with GBCS counters above the first's); the row that shows the faulty one's fault. The
    virtual matrix covers every row and mode; these cover the path."""
    bench = Path(__file__).parents[1] / "hardware" / "ci-stand-in-ppmid.yaml"
    args = ["conformance", "ppmid", "--bench", str(bench), "--out", str(tmp_path)]
    args += ["--cpl-mode", "enduring", "--profile", profile]
    for row in rows:
        args += ["--row", row]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == exit_code, result.output
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["bench"] == "ci-stand-in-ppmid"
    assert report["device"]["under_test"].startswith("stand-in")
    assert [c["slug"].rsplit("-", 2)[1:] for c in report["cases"]] == [
        [f"pre{r[:2]}", f"ch{r[3:]}"] for r in rows
    ]
    failed = {c["name"] for case in report["cases"] for c in case["checks"] if not c["passed"]}
    assert failed == failed_checks
    for case in report["cases"]:
        assert case["personality"].startswith("not observable")
        heard = [z["what"] for z in case["zcl"] if z["what"].startswith("PPMID -> ")]
        assert heard, f"{case['case']}: nothing heard from the PPMID"
        credit = next(c for c in case["checks"] if c["name"] == "credit")
        meter = "ESME" if case["ch_smets_version"] == "SMETS2+" else "hub"
        assert meter in credit["detail"]
    assert "0123456789ABCDEF" not in (tmp_path / "conformance.json").read_text()


# ---- the lab's key material ---------------------------------------------------------------------

LAB_ACB = Eui64("90-B3-D5-1F-30-00-00-12")
LAB_SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-17")


def _lab_bench(tmp_path: Path) -> Path:
    """CI's stand-in bench with a lab's key material, issued by an SMKI and a ZSE CA the rig's
    run does not use (TEST-ONLY keys): the ACB's, the Supplier's and the PPMID's SMKI pairs in
    the RTDS layout (the stand-in signs as the device: its private keys are there too), and ZSE
    CBKE credentials for the hub, the ESME and the stand-in from the lab's CA."""
    lab = tmp_path / "lab"
    smki = TestSmki(seed="a test house")
    ppmid = Eui64("00-DB-12-34-56-78-90-A4")
    export(
        [
            *smki.issue_organisation_pair(LAB_ACB, RemotePartyRole.ACCESS_CONTROL_BROKER),
            *smki.issue_organisation_pair(LAB_SUPPLIER, RemotePartyRole.SUPPLIER),
            *smki.issue_device_pair(ppmid),
        ],
        lab / "smki",
    )
    ca = ZseTestCa.generate(
        KeyEstablishmentSuite.CRYPTO_SUITE_2, rng=random.Random("a test house").randbytes
    )
    for node, eui in (("hub", HUB.eui64), ("esme", ESME.eui64), ("ppmid", ppmid)):
        creds = ca.issue(eui, rng=random.Random(f"a test house/{eui}").randbytes)
        (lab / f"zse-{node}.json").write_text(json.dumps(credentials_to_dict(creds)))
    text = (Path(__file__).parents[1] / "hardware" / "ci-stand-in-ppmid.yaml").read_text()
    for node, radio in (("hub", "ncp-emulator"), ("esme", "ncp-emulator"), ("ppmid", "stand-in")):
        anchor = f"  {node}:\n    role: {'comms-hub' if node == 'hub' else node}\n"
        anchor += f"    radio: {radio}"
        assert anchor in text
        text = text.replace(anchor, f"{anchor}\n    cbke-credentials: lab/zse-{node}.json", 1)
    text += f"\nkeys:\n  smki: lab/smki\n  acb: {LAB_ACB}\n  supplier: {LAB_SUPPLIER}\n"
    bench = tmp_path / "lab-bench.yaml"
    bench.write_text(text)
    return bench


def test_conformance_with_the_labs_key_material(tmp_path: Path) -> None:
    """What a physical PPMID needs: the ACB and the Supplier sign and MAC with the lab's keys,
    the hub and the ESME run CBKE with credentials from the PPMID's ZSE CA. The stand-in trusts
    only those: a SMETS2+ system (GBCS to it, CBKE with the hub and the ESME) passes."""
    bench = _lab_bench(tmp_path)
    out = tmp_path / "out"
    args = ["conformance", "ppmid", "--bench", str(bench), "--out", str(out)]
    args += ["--cpl-mode", "enduring", "--row", "s1-s2", "--reveal-keys"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "conformance.json").read_text())
    (case,) = report["cases"]
    assert case["verdict"] == "pass"
    assert {s["request_id"].split(":")[0] for s in case["srvs"]} == {str(LAB_SUPPLIER)}
    joins = [s for s in case["srvs"] if s["label"].startswith("8.7.1 join PPMID")]
    assert [(s["route"], s["response_code"]) for s in joins] == [("GBCS", "I99/I0")]
    keystore = out / "keystore"  # revealed: the rig's keys, and the lab's certificates only
    assert (keystore / f"{HUB.eui64.hex}-ka.key").is_file()
    assert (keystore / f"{LAB_ACB.hex}-ds.pem").is_file()
    lab = {LAB_ACB.hex, LAB_SUPPLIER.hex, Eui64("00-DB-12-34-56-78-90-A4").hex}
    assert [p.name for p in keystore.glob("*.key") if p.name.split("-")[0] in lab] == []
