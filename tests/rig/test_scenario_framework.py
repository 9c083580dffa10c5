"""The scenario framework: verdicts, limits, skipped steps, and the files a run writes."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.codes import CRA
from emulator.codec.gbcs.keystore import DS, KA
from emulator.pki.keystore import DirectoryKeyStore
from emulator.pki.smki import TestSmki
from rig.scenarios.context import ChartKind, RunContext, SmiRow
from rig.scenarios.framework import (
    Measurement,
    Registry,
    Scenario,
    StepScope,
    StepSpec,
    scenario,
    step,
)
from rig.scenarios.runner import run_scenario

RECORD_KEYS = {
    "scenario", "outcome", "seed", "acb_eui", "modelled_seconds", "wall_seconds", "steps", "smi",
}  # fmt: skip
"""The contract outside tools read; the record may carry more, never fewer."""
EXTRA_KEYS = {"description", "started_at", "error", "gbcs", "keys_revealed"}
STEP_KEYS = {"name", "outcome", "measurements"}
LATENCY = Measurement("latency", "s", low=0.0, high=5.0)
COUNT = Measurement("count", "frames", high=0)
FIRST = StepSpec("first", (LATENCY,))
SECOND = StepSpec("second", (COUNT,))
THIRD = StepSpec("third")


def make(body: Any, steps: tuple[StepSpec, ...] = (FIRST, SECOND, THIRD)) -> Scenario:
    """A scenario in a private registry, so tests never touch the built-in list."""
    return scenario("toy", "A toy scenario.", steps=steps, registry=Registry())(body)


def run(tmp_path: Path, sc: Scenario, **kwargs: Any) -> dict[str, Any]:
    run_scenario(sc, tmp_path, seed=7, **kwargs)
    record: dict[str, Any] = json.loads((tmp_path / "record.json").read_text())
    return record


def outcomes(record: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["name"], s["outcome"]) for s in record["steps"]]


def junit_counts(tmp_path: Path) -> dict[str, int]:
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    return {k: int(suite.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")}


async def passing(run: RunContext) -> None:
    async with run.step(FIRST) as scope:
        await run.clock.sleep(2.5)  # modelled: the run takes no real time for it
        scope.measure("latency", 2.5)
    async with run.step(SECOND) as scope:
        scope.measure("count", 0)
    async with run.step(THIRD):
        run.chart(ChartKind.HAN, "hub", "ESME", "Read Attributes")


def test_a_passing_run_writes_the_record_contract(tmp_path: Path) -> None:
    record = run(tmp_path, make(passing))
    assert set(record) == RECORD_KEYS | EXTRA_KEYS
    assert record["scenario"] == "toy" and record["outcome"] == "pass" and record["seed"] == 7
    assert record["acb_eui"] is None and record["smi"] == [] and record["error"] is None
    assert record["modelled_seconds"] == pytest.approx(2.5)
    assert isinstance(record["wall_seconds"], float) and record["wall_seconds"] < 2.5
    assert outcomes(record) == [("first", "pass"), ("second", "pass"), ("third", "pass")]
    for s in record["steps"]:
        assert set(s) >= STEP_KEYS
    assert record["steps"][0]["measurements"] == {
        "latency": {"value": 2.5, "units": "s", "low": 0.0, "high": 5.0, "outcome": "pass"}
    }
    assert record["steps"][1]["measurements"]["count"]["value"] == 0
    assert junit_counts(tmp_path) == {"tests": 3, "failures": 0, "errors": 0, "skipped": 0}
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert all({"t", "kind"} <= set(e) for e in events)
    assert {"t": 2.5, "kind": "han", "from": "hub", "to": "ESME", "label": "Read Attributes"} in (
        events
    )
    assert not (tmp_path / "keys.json").exists() and not (tmp_path / "keystore").exists()


async def out_of_limits(run: RunContext) -> None:
    async with run.step(FIRST) as scope:
        scope.measure("latency", 5.0)  # limits are inclusive
    async with run.step(SECOND) as scope:
        scope.measure("count", 3)
    raise AssertionError("never reached: a failed step ends the scenario")


def test_a_measurement_outside_its_limits_fails_the_step_and_skips_the_rest(
    tmp_path: Path,
) -> None:
    record = run(tmp_path, make(out_of_limits))
    assert record["outcome"] == "fail" and record["error"] is None
    assert outcomes(record) == [("first", "pass"), ("second", "fail"), ("third", "skipped")]
    failed = record["steps"][1]
    assert failed["measurements"]["count"]["outcome"] == "fail"
    assert "count = 3 frames" in failed["message"]
    assert junit_counts(tmp_path) == {"tests": 3, "failures": 1, "errors": 0, "skipped": 1}
    case = ET.parse(tmp_path / "junit.xml").getroot().find(".//testcase[@name='second']")
    assert case is not None and case.find("failure") is not None


async def failed_assertion(run: RunContext) -> None:
    async with run.step(FIRST) as scope:
        scope.measure("latency", 1)
        assert 1 + 1 == 3, "the ESME answered with the wrong value"


def test_a_failed_assertion_fails_the_step(tmp_path: Path) -> None:
    record = run(tmp_path, make(failed_assertion))
    assert outcomes(record) == [("first", "fail"), ("second", "skipped"), ("third", "skipped")]
    assert record["steps"][0]["message"].startswith("the ESME answered with the wrong value")
    assert record["outcome"] == "fail"


async def never_measures(run: RunContext) -> None:
    async with run.step(FIRST):
        pass


def test_a_declared_measurement_never_set_fails_the_step(tmp_path: Path) -> None:
    record = run(tmp_path, make(never_measures))
    first = record["steps"][0]
    assert first["outcome"] == "fail" and "never measured" in first["message"]
    assert first["measurements"]["latency"] == {
        "value": None, "units": "s", "low": 0.0, "high": 5.0, "outcome": "unset",
    }  # fmt: skip


async def raises(run: RunContext) -> None:
    async with run.step(FIRST) as scope:
        scope.measure("latency", 1)
    async with run.step(SECOND):
        raise ConnectionError("dongle unplugged")


def test_an_unexpected_exception_is_an_error(tmp_path: Path) -> None:
    record = run(tmp_path, make(raises))
    assert record["outcome"] == "error"
    assert outcomes(record) == [("first", "pass"), ("second", "error"), ("third", "skipped")]
    assert record["steps"][1]["message"] == "ConnectionError: dongle unplugged"
    assert junit_counts(tmp_path) == {"tests": 3, "failures": 0, "errors": 1, "skipped": 1}


async def raises_between_steps(run: RunContext) -> None:
    async with run.step(FIRST) as scope:
        scope.measure("latency", 1)
    settings: dict[str, int] = {}
    settings["missing"]  # a bug in the scenario itself, between steps


def test_an_exception_outside_any_step_is_a_run_error(tmp_path: Path) -> None:
    record = run(tmp_path, make(raises_between_steps))
    assert record["outcome"] == "error" and record["error"] == "KeyError: 'missing'"
    assert outcomes(record) == [("first", "pass"), ("second", "skipped"), ("third", "skipped")]
    assert junit_counts(tmp_path)["errors"] == 1
    events = (tmp_path / "events.jsonl").read_text()
    assert '"kind": "error"' in events and "Traceback" in events


async def hangs(run: RunContext) -> None:
    async with run.step(StepSpec("wait for a device that never answers", timeout=90.0)):
        await run.clock.sleep(90 * 86_400)


def test_a_step_timeout_is_modelled_time_and_an_error(tmp_path: Path) -> None:
    record = run(tmp_path, make(hangs, steps=()))
    assert outcomes(record) == [("wait for a device that never answers", "error")]
    assert "timed out after 90 modelled seconds" in record["steps"][0]["message"]
    assert record["modelled_seconds"] == pytest.approx(90.0)


@step("join the ESME", Measurement("join_seconds", "s", high=10.0))
async def join_esme(scope: StepScope, took: float) -> None:
    scope.measure("join_seconds", took)


async def with_step_functions(run: RunContext) -> None:
    await join_esme(run, 0.7)
    await join_esme(run, 12.0)


def test_step_functions_run_as_steps(tmp_path: Path) -> None:
    record = run(tmp_path, make(with_step_functions, steps=(join_esme.spec,)))
    assert outcomes(record) == [("join the ESME", "pass"), ("join the ESME", "fail")]
    assert [s["measurements"]["join_seconds"]["value"] for s in record["steps"]] == [0.7, 12.0]


async def exchanges_gbcs(run: RunContext) -> None:
    run.acb_eui = Eui64("90-B3-D5-1F-30-00-00-02")
    async with run.step(THIRD):
        run.chart(ChartKind.SRV, "Supplier", "DCC", "SRV 8.11 <update & join>")
        run.record_gbcs(bytes.fromhex("DD0000"), 0x0001, CRA.COMMAND, "DCC", "hub")
        await run.clock.sleep(1)
        run.record_gbcs(bytes.fromhex("DD0001"), 0x0001, CRA.RESPONSE, "hub", "DCC")
        run.record_gbcs(bytes.fromhex("DF0002"), 0x8F84, 3)
        run.record_smi(SmiRow("00-DB-12-34-56-78-90-A0", "ESME", "pending", "SMETS2"))
        run.record_smi(SmiRow("00-DB-12-34-56-78-90-A0", "ESME", "commissioned", "SMETS2"))


def test_gbcs_messages_smi_rows_and_the_report(tmp_path: Path) -> None:
    record = run(tmp_path, make(exchanges_gbcs, steps=(THIRD,)))
    assert record["acb_eui"] == "90-B3-D5-1F-30-00-00-02"
    files = sorted(p.name for p in (tmp_path / "gbcs").iterdir())
    assert files == ["0001-0001-command.hex", "0002-0001-response.hex", "0003-8F84-alert.hex"]
    assert (tmp_path / "gbcs" / "0002-0001-response.hex").read_text() == "DD0001\n"
    assert [g["file"] for g in record["gbcs"]] == [f"gbcs/{f}" for f in files]
    assert record["smi"] == [
        {
            "device_id": "00-DB-12-34-56-78-90-A0",
            "device_type": "ESME",
            "status": "commissioned",
            "smets_version": "SMETS2",
        }
    ]
    page = (tmp_path / "report.html").read_text()
    assert "<svg" in page and "</svg>" in page and "third" in page
    assert "SRV 8.11 &lt;update &amp; join&gt;" in page and "<update" not in page
    assert "commissioned" in page and 'href="gbcs/0003-8F84-alert.hex"' in page
    assert 'href="record.json"' in page and 'href="junit.xml"' in page
    for party in ("Supplier", "DCC", "hub"):
        assert f">{party}</text>" in page


async def hostile_names(run: RunContext) -> None:
    async with run.step("<script>alert(1)</script>"):
        run.chart(ChartKind.HAN, "<b>", "x\"'", "<img src=x onerror=alert(1)>")


def test_the_report_escapes_everything_and_is_self_contained(tmp_path: Path) -> None:
    run(tmp_path, make(hostile_names, steps=()))
    page = (tmp_path / "report.html").read_text()
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


async def reveals(run: RunContext) -> None:
    smki = TestSmki()
    for usage in (KA, DS):
        cred = smki.issue_device("00-DB-12-34-56-78-90-A0", usage)
        run.reveal_gbcs_key(cred.eui, usage, cred.certificate, cred.private_key)
    async with run.step(THIRD):
        pass


def test_keys_are_written_only_when_revealed(tmp_path: Path) -> None:
    hidden, shown = tmp_path / "hidden", tmp_path / "shown"
    record = run(hidden, make(reveals, steps=()))
    assert record["keys_revealed"] is False
    assert not (hidden / "keys.json").exists() and not (hidden / "keystore").exists()
    record = run(shown, make(reveals, steps=()), reveal_keys=True)
    assert record["keys_revealed"] is True
    assert json.loads((shown / "keys.json").read_text()) == {"network_keys": [], "link_keys": []}
    names = sorted(p.name for p in (shown / "keystore").iterdir())
    assert names == [
        "00db1234567890a0-ds.key", "00db1234567890a0-ds.pem",
        "00db1234567890a0-ka.key", "00db1234567890a0-ka.pem",
    ]  # fmt: skip
    store = DirectoryKeyStore(shown / "keystore")
    assert store.certificate(Eui64("00-DB-12-34-56-78-90-A0"), KA) is not None


def test_a_rerun_leaves_no_keys_or_messages_from_the_last_run(tmp_path: Path) -> None:
    run(tmp_path, make(reveals, steps=()), reveal_keys=True)
    run(tmp_path, make(exchanges_gbcs, steps=(THIRD,)))
    assert not (tmp_path / "keys.json").exists() and not (tmp_path / "keystore").exists()
    run(tmp_path, make(passing))
    assert not (tmp_path / "gbcs").exists()


def test_limits_are_inclusive_and_nan_never_passes() -> None:
    m = Measurement("rssi", "dBm", low=-90, high=-20)
    assert m.within_limits(-90) and m.within_limits(-20) and not m.within_limits(-91)
    assert not m.within_limits(math.nan)
    assert Measurement("any", "").within_limits(1e30)
    assert m.limits_text() == "-90 ≤ x ≤ -20" and Measurement("n", "", 0, 0).limits_text() == "= 0"


def test_a_measurement_must_be_declared_and_numeric() -> None:
    scope = StepScope(FIRST)
    with pytest.raises(KeyError):
        scope.measure("undeclared", 1)
    with pytest.raises(TypeError):
        scope.measure("latency", "fast")  # type: ignore[arg-type]


def test_a_name_registers_once() -> None:
    registry = Registry()
    scenario("dup", "", registry=registry)(passing)
    with pytest.raises(ValueError, match="twice"):
        scenario("dup", "", registry=registry)(passing)


def test_a_scenario_names_the_date_its_clock_starts_at(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from emulator.han.clock import DEFAULT_EPOCH

    seen: list[datetime] = []

    async def body(run: RunContext) -> None:
        seen.append(run.clock.datetime())

    start = datetime(2018, 10, 1, 9, 0, tzinfo=UTC)
    dated = scenario("dated", "A dated scenario.", registry=Registry(), epoch=start)(body)
    undated = scenario("undated", "An undated one.", registry=Registry())(body)
    run_scenario(dated, tmp_path / "dated")
    run_scenario(undated, tmp_path / "undated")
    assert seen == [start, DEFAULT_EPOCH]
