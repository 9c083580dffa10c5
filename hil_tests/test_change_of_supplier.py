"""Change of supplier after install and leave (MP121), on whichever bench ``--bench`` names.

The ``cos-install-and-leave`` scenarios run whole on the suite's loop, each variant checked for
what MP121 makes of it: the straight run (codes within ten working days, commissioned by the
gaining supplier), A never answering (escalated past the SLA, meters stranded), A not the
installer (the chain finds Z), and a wrong code (the join refused, with a clear event). On the
premises fixture: the DCC's side of install and leave (E20 while there is no SM WAN, the WAN back
when the 90-day target is due, nothing lost) and of a change of supply (E4 for the losing
supplier at once).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.han.clock import VirtualClock
from rig.dcc import ResponseCode, SmiStatus
from rig.dcc.wan_coverage import NoWanInstall
from rig.scenarios.context import EventLog, RunContext
from rig.scenarios.cos_install_and_leave import DAY, Variant, steps_of
from rig.scenarios.framework import REGISTRY, Outcome
from rig.scenarios.han_join import HUB
from rig.scenarios.premises import GPF
from rig.scenarios.runner import execute

from .plugin import Premises

GAINING_SUPPLIER = Eui64("90-B3-D5-1F-30-02-00-00")


async def _run(variant: Variant, out: Path) -> dict[str, dict[str, float | None]]:
    """Run the variant's scenario on this loop; every step passes; its measurements by step."""
    import rig.scenarios.cos_install_and_leave  # noqa: F401  (registers the scenarios)

    sc = REGISTRY.get(variant.value)
    clock = VirtualClock()
    with EventLog(out / "events.jsonl", clock) as events:
        run = RunContext(out, 1, clock, events)
        error = await execute(sc, run)
    assert error is None
    assert [(s.name, s.outcome) for s in run.steps] == [
        (spec.name, Outcome.PASS) for spec in steps_of(variant)
    ]
    return {s.name: {v.measurement.name: v.value for v in s.measurements} for s in run.steps}


def _events(out: Path, kind: str) -> list[dict[str, object]]:
    lines = (out / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["kind"] == kind]


def _measured(steps: dict[str, dict[str, float | None]], name: str) -> list[float | None]:
    return [values[name] for values in steps.values() if name in values]


@pytest.mark.hil_virtual_only
async def test_the_gaining_supplier_gets_the_codes_in_time_and_commissions(tmp_path: Path) -> None:
    steps = await _run(Variant.STRAIGHT, tmp_path)
    assert _measured(steps, "chain_length") == [1]
    working_days = _measured(steps, "answer_working_days")[0]
    assert working_days is not None and working_days <= 10
    assert _measured(steps, "wan_restored_day") == [90]
    assert _measured(steps, "meters_commissioned") == [2]
    assert _measured(steps, "install_codes_in_logs") == [0]
    assert _measured(steps, "mic_failures") == _measured(steps, "dropped_replays") == [0]


@pytest.mark.hil_virtual_only
async def test_a_losing_supplier_that_never_answers_is_escalated(tmp_path: Path) -> None:
    steps = await _run(Variant.ESCALATION, tmp_path)
    assert _measured(steps, "requests_escalated") == [2, 2]
    assert _measured(steps, "meters_pending") == [2]
    escalated = _events(tmp_path, "install-code-escalated")
    assert len(escalated) == 2
    # escalated the day after the tenth working day, not before
    assert all(float(str(e["t"])) > 30 * DAY + 10 * DAY for e in escalated)


@pytest.mark.hil_virtual_only
async def test_a_chain_of_changes_finds_the_installing_supplier(tmp_path: Path) -> None:
    steps = await _run(Variant.CHAIN, tmp_path)
    assert _measured(steps, "chain_length") == [2]
    answers = _events(tmp_path, "install-code-answer")
    assert [a["outcome"] for a in answers] == ["NotTheInstallingParty"] * 2 + ["InstallCode"] * 2
    assert _measured(steps, "meters_commissioned") == [2]


@pytest.mark.hil_virtual_only
async def test_a_wrong_code_is_refused_at_the_join_with_a_clear_event(tmp_path: Path) -> None:
    steps = await _run(Variant.WRONG_CODE, tmp_path)
    assert _measured(steps, "joins_refused") == [1]
    [refused] = _events(tmp_path, "join-refused")
    assert refused["device"] == "00-DB-12-34-56-78-90-A0"
    assert "install code" in str(refused["hint"])
    assert _measured(steps, "meters_commissioned") == [1]  # the GSME's code was right
    # the refused join's undecryptable frames are the symptom, counted apart: no other fails
    assert _measured(steps, "mic_failures") == [0]
    assert _measured(steps, "refused_join_mic_failures") == [refused["wrong_key_frames"]]


async def test_no_sm_wan_answers_e20_until_the_dcc_restores_it(premises: Premises) -> None:
    """8.14.2 takes the WAN away (a reactive case, due in 90 days); 8.11 meanwhile is E20 and
    changes nothing; when the case is due the WAN is back and the same 8.11 succeeds."""
    supplier, dcc, clock = premises.supplier, premises.dcc, premises.clock
    for device_id in (HUB.eui64, GPF, premises.member("esme").eui64):
        assert await supplier.prenotify(device_id) is ResponseCode.I0
    assert await supplier.hub_installed_no_wan() is ResponseCode.I0
    case = dcc.coverage.case(HUB.eui64)
    assert case is not None and case.kind is NoWanInstall.REACTIVE
    esme = premises.member("esme").eui64
    sent, answer = await supplier.update_device_log(esme, premises.install_codes["esme"])
    assert (sent.response_code, answer) == (ResponseCode.E20, None)
    assert dcc.inventory.smi(esme).status is SmiStatus.PENDING  # type: ignore[union-attr]
    await clock.sleep(89 * DAY)
    assert dcc.link(HUB.eui64) is None
    await clock.sleep(DAY + 1)
    assert dcc.link(HUB.eui64) is not None
    assert (await dcc.wan_restored(HUB.eui64)) is not None
    assert await supplier.hub_installed() is ResponseCode.I0
    assert await supplier.whitelist(esme, premises.install_codes["esme"]) is ResponseCode.I0


async def test_a_change_of_supply_moves_the_registered_supplier_at_once(
    premises: Premises,
) -> None:
    supplier, dcc = premises.supplier, premises.dcc
    await supplier.set_up()
    esme = premises.member("esme").eui64
    dcc.change_of_supply(GAINING_SUPPLIER, (HUB.eui64, GPF, esme))
    assert dcc.inventory.smi(esme).registered_supplier == GAINING_SUPPLIER  # type: ignore[union-attr]
    sent, _ = await supplier.update_device_log(esme, premises.install_codes["esme"])
    assert sent.response_code is ResponseCode.E4
