"""`hil-rig conformance ppmid --bench FILE --out DIR`: MP202 bilingual conformance of one PPMID.

Thin over ``rig.conformance``: the eight cases of ``dual-mode-ppmid-matrix`` against one PPMID,
``conformance.json`` and ``conformance.html`` (plus the run's usual artefacts) in ``--out``. The
PPMID is emulated (``--profile``, the conforming dual-mode one by default); a bench that names a
dongle bench (backend ncp) is refused with what a physical-PPMID run needs and what the bench
lacks of it (``physical_ppmid_gaps``): the matrix's cases wire their premises on the virtual HAN
only (the bench reader is ``rig.bench.read_bench``, shared with ``hil-rig run``). Exit status: 0
every requirement passed, 1 one failed, 2 usage error, 3 error.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from rig.bench import KNOWN_BACKENDS, Bench, BenchError, read_bench

PPMID_ROLE = "ppmid"
HUB_ROLE = "comms-hub"
ESME_ROLE = "esme"
NOT_WIRED = (
    "the MP202 cases wire each premises (a SMETS1 or SMETS2+ hub, the ESME, the PPMID) on the "
    "virtual HAN only; on a dongle bench each case would need its hub on NcpStack and the PPMID "
    "reset between cases"
)
"""Why no dongle bench runs yet, whatever it holds (the part no bench file can fill)."""


def physical_ppmid_gaps(bench: Bench) -> list[str]:
    """What a conformance run against a physical PPMID needs that ``bench`` does not give:
    the PPMID as a device under test (its EUI-64 and install code, which the DCC whitelists it
    with (8.11), ``read_bench`` already requires of one), the hub on a dongle (ezsp: or
    rfc2217://, driven by NcpStack), the ESME where the PPMID can hear it (a second dongle: the
    router role) and a power switch to reset
    the PPMID between the eight cases. Install codes are never shown, only whether present."""
    gaps: list[str] = []
    ppmid = bench.node_with_role(PPMID_ROLE)
    if ppmid is None or not ppmid.under_test:
        gaps.append("a node with role ppmid and radio physical (the PPMID under test)")
    elif ppmid.power is None:  # its eui64 and install-code the bench reader requires
        gaps.append(f"a power switch for the PPMID (node {ppmid.name}, line {ppmid.line}: power:)")
    hub = bench.node_with_role(HUB_ROLE)
    if hub is None or hub.radio.kind not in ("ezsp", "rfc2217"):
        gaps.append("a comms-hub node on a dongle (radio ezsp:PORT or rfc2217://HOST:PORT)")
    esme = bench.node_with_role(ESME_ROLE)
    if esme is None or not (esme.radio.is_dongle or esme.under_test):
        gaps.append("an ESME the PPMID can hear: a second dongle (esme radio ezsp:/rfc2217://)")
    return gaps


def _refusal(path: Path, bench: Bench) -> str:
    gaps = physical_ppmid_gaps(bench)
    ppmid = bench.node_with_role(PPMID_ROLE)
    what = "a physical PPMID" if ppmid is not None and ppmid.under_test else "an emulated PPMID"
    lacks = "; it also lacks: " + "; ".join(gaps) if gaps else ""
    return (
        f"{path}: bench {bench.name} (backend {bench.backend}) puts {what} on dongles; "
        f"PPMID conformance runs on a virtual bench only: {NOT_WIRED}{lacks}"
    )


@click.group("conformance")
def conformance() -> None:
    """Conformance reports a manufacturer can hand over."""


@conformance.command("ppmid")
@click.option(
    "--bench",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Bench file; the PPMID is emulated unless the bench names a physical one.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for conformance.json, conformance.html and the run's artefacts.",
)
@click.option("--seed", default=1, show_default=True, help="Seeds install codes, keys and radio.")
@click.option(
    "--profile",
    type=click.Choice(["dual-mode", "faulty-smets2-in-smets1", "faulty-wrong-firmware"]),
    default="dual-mode",
    show_default=True,
    help="The emulated PPMID (faulty ones show what a failing report looks like).",
)
def ppmid(bench: Path | None, out: Path, seed: int, profile: str) -> None:
    """MP202 bilingual conformance of one PPMID: the four rows of MP202's table in the enduring
    and the tactical CPL mode, each requirement with its evidence and verdict."""
    from rig.conformance import HTML_FILE, JSON_FILE, run_conformance
    from rig.scenarios.dual_mode import ProfileKind

    name = "virtual"
    if bench is not None:
        try:
            described: Bench = read_bench(bench, KNOWN_BACKENDS)
        except BenchError as exc:
            raise click.UsageError(str(exc)) from None
        if described.backend != "virtual":
            raise click.UsageError(_refusal(bench, described))
        name = described.name
    report = run_conformance(out, kind=ProfileKind(profile), seed=seed, bench=name)
    console = Console(highlight=False, soft_wrap=True)
    for req in report.requirements():
        mark = {"pass": "[green]✓[/]", "fail": "[red]✗[/]"}.get(req["verdict"], "[dim]-[/]")
        console.print(f"  {mark} {escape(req['requirement'])}")
    verdict = "[green]✓ pass[/]" if report.passed else "[red]✗ fail[/]"
    console.print(f"PPMID conformance (MP202): {verdict}  {len(report.results)} cases")
    console.print(f"[bold]report[/]  {escape(str(out / HTML_FILE))}")
    console.print(f"[bold]json[/]    {escape(str(out / JSON_FILE))}")
    if report.record.error is not None:
        console.print(f"[magenta]error:[/] {escape(report.record.error)}")
        click.get_current_context().exit(3)
    click.get_current_context().exit(0 if report.passed else 1)
