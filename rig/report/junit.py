"""``junit.xml``: a run as one JUnit test suite, one test case per step, for CI dashboards.

Failed steps carry ``<failure>``, erroring ones ``<error>``, unreached ones ``<skipped>``; times
are modelled seconds (what the scenario's limits are about), the wall time is a suite property.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rig.scenarios.context import RunRecord
from rig.scenarios.framework import Outcome

JUNIT_FILE = "junit.xml"


def to_xml(run: RunRecord) -> ET.Element:
    counts = {o: sum(s.outcome is o for s in run.steps) for o in Outcome}
    suites = ET.Element("testsuites", name="hil-rig")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=run.scenario,
        tests=str(len(run.steps) + (run.error is not None)),
        failures=str(counts[Outcome.FAIL]),
        errors=str(counts[Outcome.ERROR] + (run.error is not None)),
        skipped=str(counts[Outcome.SKIPPED]),
        time=f"{run.modelled_seconds:.6f}",
        timestamp=run.started_at,
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("seed", str(run.seed)),
        ("outcome", run.outcome.value),
        ("wall_seconds", f"{run.wall_seconds:.3f}"),
        ("acb_eui", "" if run.acb_eui is None else str(run.acb_eui)),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for s in run.steps:
        case = ET.SubElement(
            suite, "testcase", classname=run.scenario, name=s.name, time=f"{s.end - s.start:.6f}"
        )
        if s.outcome is Outcome.FAIL:
            ET.SubElement(case, "failure", message=s.message).text = s.message
        elif s.outcome is Outcome.ERROR:
            ET.SubElement(case, "error", message=s.message).text = s.message
        elif s.outcome is Outcome.SKIPPED:
            ET.SubElement(case, "skipped", message=s.message)
        if s.measurements:
            lines = [
                f"{v.measurement.name} = {v.shown_value} {v.measurement.units}".rstrip()
                + f" (limits {v.measurement.limits_text()}): {v.verdict}"
                for v in s.measurements
            ]
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    if run.error is not None:
        case = ET.SubElement(suite, "testcase", classname=run.scenario, name="(scenario)")
        ET.SubElement(case, "error", message=run.error).text = run.error
    return suites


def write(run: RunRecord, out: Path) -> Path:
    path = out / JUNIT_FILE
    tree = ET.ElementTree(to_xml(run))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
