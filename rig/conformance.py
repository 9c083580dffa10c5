"""MP202 bilingual conformance of one PPMID: the report ``hil-rig conformance ppmid`` writes.

The eight cases of ``dual-mode-ppmid-matrix`` for one PPMID (the four rows of MP202's table in
the enduring and the tactical CPL mode) run as one scenario run (``record.json``, ``junit.xml``,
``report.html``, ``events.jsonl``, ``gbcs/``, a pcap per case under ``cases/``), and
``conformance.json`` / ``conformance.html`` say, for a manufacturer to hand over: each MP202
requirement, pass or fail, and its evidence per case: the SRVs and their DUIS answers (with the
route each took), the GBCS messages (files under ``gbcs/``), the ZCL frames (the PPMID's
personality probe, the S1SP's reads; for a device under test, what the hub and the meter heard
from it) and a pcap excerpt (the case's first frames; the whole capture is next to it; a bench
of real dongles has no capture of its air). In a conformance run every case must pass: the
PPMID under test has no "expected" fault. ``--cpl-mode`` and ``--row`` select cases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from scapy.utils import RawPcapReader

from emulator.devices.dual_mode import DualModeProfile
from rig.bench import Bench
from rig.dcc import CplMode
from rig.dcc.mp202 import ROW_NAMES
from rig.scenarios.context import RunContext, RunRecord
from rig.scenarios.device_under_test import device_under_test
from rig.scenarios.dual_mode import (
    REQ,
    Case,
    CaseResult,
    ProfileKind,
    case_step,
    cases,
    profile_for,
    run_matrix,
)
from rig.scenarios.dual_mode_premises import DUAL_MODE_PPMID, OnBench, PpmidModel
from rig.scenarios.framework import Scenario
from rig.scenarios.premises import PPMID
from rig.scenarios.runner import run_scenario

JSON_FILE = "conformance.json"
HTML_FILE = "conformance.html"
PCAP_EXCERPT_FRAMES = 8
"""Frames of each case's pcap quoted in the report (the whole file is in ``cases/``)."""


@dataclass(frozen=True)
class Conformance:
    record: RunRecord
    results: tuple[CaseResult, ...]
    device: dict[str, str]
    bench: str

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.verdict for r in self.results)

    def requirements(self) -> list[dict[str, Any]]:
        out = []
        for name, text in REQ.items():
            checks = [(r.case.slug, c) for r in self.results for c in r.checks if c.name == name]
            verdict = "not exercised" if not checks else (
                "pass" if all(c.passed for _, c in checks) else "fail"
            )  # fmt: skip
            out.append(
                {
                    "id": name,
                    "requirement": text,
                    "verdict": verdict,
                    "cases": [
                        {"case": slug, "passed": c.passed, "detail": c.detail} for slug, c in checks
                    ],
                }
            )
        return out


def conformance_cases(
    kind: ProfileKind = ProfileKind.GOOD,
    modes: Sequence[CplMode] = (CplMode.ENDURING, CplMode.TACTICAL),
    rows: Sequence[str] = ROW_NAMES,
) -> list[Case]:
    """The cases of ``modes`` and MP202 ``rows`` (``Case.row``), in the matrix's order."""
    return [c for c in cases([kind]) if c.mode in modes and c.row in rows]


def run_conformance(
    out: Path,
    *,
    kind: ProfileKind = ProfileKind.GOOD,
    seed: int = 1,
    bench: str | Bench = "virtual",
    profile: DualModeProfile | None = None,
    modes: Sequence[CplMode] = (CplMode.ENDURING, CplMode.TACTICAL),
    rows: Sequence[str] = ROW_NAMES,
    reveal_keys: bool = False,
) -> Conformance:
    """Run the cases of ``modes`` and ``rows`` (all: eight) against the emulated PPMID
    ``kind``, or, on a dongle ``bench``, against its PPMID under test, and write the report
    into ``out``."""
    selected = conformance_cases(kind, modes, rows)
    results: list[CaseResult] = []
    on_bench = None
    if isinstance(bench, Bench) and bench.backend != "virtual":
        on_bench = bench_premises(bench, kind, selected[0].mode, profile)

    async def body(run: RunContext) -> None:
        await run_matrix(run, selected, results.append, profile, conformance=True, bench=on_bench)

    sc = Scenario(
        "dual-mode-ppmid-conformance",
        f"MP202 bilingual conformance of one PPMID ({kind.value}): {len(selected)} cases of "
        "the table's rows in the CPL modes; every case must pass.",
        body,
        tuple(case_step(c, conformance=True) for c in selected),
    )
    record = run_scenario(
        sc, out, seed=seed, real_time=on_bench is not None, reveal_keys=reveal_keys
    )
    model = on_bench.model if on_bench is not None else DUAL_MODE_PPMID
    under_test = profile or profile_for(kind, selected[0].mode, model)
    device = {
        "role": "PPMID",
        "eui64": str(PPMID.eui64),
        "manufacturer": model.manufacturer,
        "model": model.model,
        "hardware_version": model.hardware_version,
        "firmware_version": model.firmware_version,
        "under_test": f"emulated PPMID, profile {under_test.name}",
    }
    if on_bench is not None:
        dut = on_bench.dut
        device["eui64"] = str(dut.eui64)
        device["under_test"] = dut.description
        if dut.stand_in is not None:
            device["under_test"] += f", profile {dut.stand_in.profile.name}"
    name = bench.name if isinstance(bench, Bench) else bench
    report = Conformance(record, tuple(results), device, name)
    write(report, out)
    return report


def bench_premises(
    bench: Bench, kind: ProfileKind, mode: CplMode, profile: DualModeProfile | None
) -> OnBench:
    """Where a dongle bench puts the premises (``physical_ppmid_gaps`` has checked it has what
    a run needs); the PPMID model is the bench's ``cpl:`` for it, a stand-in is built as the
    emulated PPMID of ``kind`` would be."""
    hub, esme = bench.node_with_role("comms-hub"), bench.node_with_role("esme")
    ppmid = bench.node_with_role("ppmid")
    assert hub is not None and esme is not None and ppmid is not None
    model = DUAL_MODE_PPMID
    if ppmid.cpl is not None:
        c = ppmid.cpl
        model = PpmidModel(
            c.manufacturer, c.model, c.hardware_version, c.firmware_version,
            c.tactical_firmware_version,
        )  # fmt: skip
    dut = device_under_test(bench, profile or profile_for(kind, mode, model))
    return OnBench(hub, esme, dut, model, bench.keys)


def pcap_excerpt(path: Path, frames: int = PCAP_EXCERPT_FRAMES) -> dict[str, Any]:
    """The first ``frames`` PSDUs of a pcap (time in modelled seconds from the first, hex)."""
    if not path.exists():
        return {"file": "", "frames": 0, "excerpt": []}
    excerpt, total, first = [], 0, None
    for data, meta in RawPcapReader(str(path)):
        stamp = meta.sec + meta.usec / 1e6
        first = stamp if first is None else first
        if total < frames:
            excerpt.append({"t": round(stamp - first, 6), "psdu": bytes(data).hex().upper()})
        total += 1
    return {"frames": total, "excerpt": excerpt}


def to_json(report: Conformance, out: Path) -> dict[str, Any]:
    cases_json = []
    for r in report.results:
        entry = r.to_json()
        entry["pcap_excerpt"] = pcap_excerpt(out / r.pcap) if r.pcap else {}
        cases_json.append(entry)
    return {
        "report": "MP202 dual-mode (bilingual) PPMID conformance",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bench": report.bench,
        "seed": report.record.seed,
        "device": report.device,
        "verdict": "pass" if report.passed else "fail",
        "requirements": report.requirements(),
        "cases": cases_json,
        "record": "record.json",
    }


def write(report: Conformance, out: Path) -> tuple[Path, Path]:
    data = to_json(report, out)
    json_path = out / JSON_FILE
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    html_path = out / HTML_FILE
    html_path.write_text(_html(data), encoding="utf-8")
    return json_path, html_path


def _rows(items: Sequence[Sequence[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in i) + "</tr>" for i in items)


def _html(data: dict[str, Any]) -> str:
    device = data["device"]
    mark = {"pass": "✓ pass", "fail": "✗ fail"}
    parts = [
        "<!doctype html><meta charset='utf-8'><title>MP202 PPMID conformance</title>",
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;"
        "padding:3px 6px;vertical-align:top}table{border-collapse:collapse;margin:1em 0}"
        "code{font-size:85%;word-break:break-all}.pass{color:#070}.fail{color:#b00}</style>",
        f"<h1>{escape(data['report'])}</h1>",
        f"<p class='{data['verdict']}'><b>{mark[data['verdict']]}</b></p>",
        "<table>",
        _rows([(k, str(v)) for k, v in device.items()]),
        _rows(
            [
                ("bench", data["bench"]),
                ("seed", str(data["seed"])),
                ("generated", data["generated_at"]),
            ]
        ),
        "</table><h2>Requirements</h2><table><tr><th>requirement</th><th>verdict</th>"
        "<th>cases</th></tr>",
    ]
    for req in data["requirements"]:
        cases_text = "<br>".join(
            f"{'✓' if c['passed'] else '✗'} {escape(c['case'])}: {escape(c['detail'])}"
            for c in req["cases"]
        )
        parts.append(
            f"<tr><td>{escape(req['requirement'])}</td>"
            f"<td class='{req['verdict']}'>{escape(req['verdict'])}</td><td>{cases_text}</td></tr>"
        )
    parts.append("</table><h2>Evidence per case</h2>")
    for case in data["cases"]:
        parts.append(
            f"<h3 class='{case['verdict']}'>{escape(case['case'])}: {mark[case['verdict']]}</h3>"
            f"<p>SMI SMETS version {escape(str(case['smi_smets_version']))}; "
            f"pcap <code>{escape(case['pcap'])}</code></p>"
            "<table><tr><th>SRV</th><th>RequestID</th><th>what</th><th>answer</th>"
            "<th>route</th><th>detail</th></tr>"
        )
        parts.append(
            _rows(
                [
                    (
                        s["srv"],
                        s["request_id"],
                        s["label"],
                        s["response_code"],
                        s["route"],
                        s["detail"],
                    )
                    for s in case["srvs"]
                ]
            )
        )
        parts.append("</table><p>GBCS: " + ", ".join(
            f"<code>{escape(g)}</code>" for g in case["gbcs"]) + "</p>")  # fmt: skip
        parts.append("<table><tr><th>ZCL</th><th>frame</th></tr>")
        parts.append(
            "".join(
                f"<tr><td>{escape(z.get('what', ''))}</td>"
                f"<td><code>{escape(z.get('zcl', ''))}</code></td></tr>"
                for z in case["zcl"]
            )
        )
        excerpt = case.get("pcap_excerpt") or {}
        parts.append(
            f"</table><p>pcap excerpt ({excerpt.get('frames', 0)} frames in all):</p><table>"
        )
        parts.append(
            "".join(
                f"<tr><td>{f['t']:.6f}</td><td><code>{escape(f['psdu'])}</code></td></tr>"
                for f in excerpt.get("excerpt", [])
            )
        )
        parts.append("</table>")
    return "\n".join(parts) + "\n"
