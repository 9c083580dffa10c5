"""`hil-rig conformance ppmid --bench FILE --out DIR`: MP202 bilingual conformance of one PPMID.

Thin over ``rig.conformance``: the eight cases of ``dual-mode-ppmid-matrix`` against one PPMID,
``conformance.json`` and ``conformance.html`` (plus the run's usual artefacts) in ``--out``. The
PPMID is emulated (``--profile``, the conforming dual-mode one by default); a bench that names a
physical PPMID is refused until the dongle benches can drive one (the bench reader is
``rig.bench.read_bench``, shared with ``hil-rig run``). Exit status: 0 every requirement passed,
1 one failed, 2 usage error, 3 error.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from rig.bench import Bench

from .scenario import check_bench

PHYSICAL_RADIOS_ABSENT = (None, "virtual")


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
        described: Bench = check_bench(bench)
        name = described.name
        radio = described.radios.get("ppmid")
        if radio not in PHYSICAL_RADIOS_ABSENT:
            raise click.UsageError(
                f"{bench}: the PPMID on radio {radio!r} is physical; physical PPMID conformance "
                "is not available on this bench yet (it needs the dongle benches, issue 11)"
            )
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
