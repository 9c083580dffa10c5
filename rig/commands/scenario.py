"""`hil-rig list` and `hil-rig run NAME --out DIR`: scenarios from the command line.

Thin over ``rig.scenarios``: progress (one line per finished step) goes to stderr through rich,
stdout gets the verdict and where the artefacts are. Exit status: 0 pass, 1 fail, 2 usage error,
3 error (pytest's numbering). Keys are written only with ``--reveal-keys`` and never printed.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn
from rich.table import Table

from rig.bench import Bench, BenchError, read_bench
from rig.scenarios.framework import Outcome, StepRecord

EXIT_CODES = {Outcome.PASS: 0, Outcome.FAIL: 1, Outcome.ERROR: 3}
_MARKS = {
    Outcome.PASS: "[green]✓ pass[/]",
    Outcome.FAIL: "[red]✗ fail[/]",
    Outcome.ERROR: "[magenta]! error[/]",
    Outcome.SKIPPED: "[dim]- skipped[/]",
}


def check_bench(path: Path) -> Bench:
    """The bench ``--bench`` names, read by ``rig.bench.read_bench`` (the HIL plugin's reader):
    scenarios build virtual premises, so a dongle bench (``pytest hil_tests --bench`` runs
    those), a missing or unknown backend is a usage error naming the file and line."""
    try:
        return read_bench(path, backends=("virtual",))
    except BenchError as exc:
        raise click.UsageError(str(exc)) from None


@click.command("list")
def list_() -> None:
    """List the scenarios `hil-rig run` can run."""
    from rig.scenarios import registry

    table = Table("scenario", "steps", "description", box=None, show_edge=False)
    for sc in registry():
        table.add_row(sc.name, str(len(sc.steps)), sc.description)
    Console(soft_wrap=True).print(table)


@click.command("run")
@click.argument("name")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for record.json, junit.xml, report.html, events.jsonl, pcaps, gbcs/.",
)
@click.option("--seed", default=1, show_default=True, help="Seeds install codes, keys and radio.")
@click.option(
    "--reveal-keys",
    is_flag=True,
    help="Also write keys.json, zigbee_pc_keys and keystore/ (test keys only).",
)
@click.option(
    "--bench",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Bench file; scenarios run on the virtual bench (dongle benches: pytest hil_tests).",
)
def run(name: str, out: Path, seed: int, reveal_keys: bool, bench: Path | None) -> None:
    """Run scenario NAME into --out DIR."""
    from rig.scenarios import registry
    from rig.scenarios.runner import run_scenario

    scenarios = registry()
    if name not in scenarios.scenarios:
        known = ", ".join(scenarios.scenarios) or "none"
        raise click.UsageError(f"no scenario named {name!r} (known: {known})")
    if bench is not None:
        check_bench(bench)
    progress = Console(stderr=True, highlight=False, soft_wrap=True)
    progress.print(f"[bold]{escape(name)}[/] seed {seed} → {escape(str(out))}")

    def on_step(step: StepRecord) -> None:
        values = ", ".join(
            f"{v.measurement.name}={v.value:.4g}{v.measurement.units and ' ' + v.measurement.units}"
            for v in step.measurements
            if v.value is not None
        )
        detail = f" [dim]{escape(values)}[/]" if values else ""
        why = f" [yellow]{escape(step.message)}[/]" if step.outcome is not Outcome.PASS else ""
        progress.print(f"  {_MARKS[step.outcome]}  {escape(step.name)}{detail}{why}")

    bars = TransferBars(progress)
    try:
        record = run_scenario(
            scenarios.get(name),
            out,
            seed=seed,
            reveal_keys=reveal_keys,
            on_step=on_step,
            on_progress=bars.update,
        )
    finally:
        bars.stop()
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"{escape(record.scenario)}: {_MARKS[record.outcome]}  {len(record.steps)} steps, "
        f"{record.modelled_seconds:.3f} s modelled in {record.wall_seconds:.3f} s wall"
    )
    if record.error is not None:
        console.print(f"[magenta]error:[/] {escape(record.error)}")
    console.print(f"[bold]report[/]  {escape(str(out / 'report.html'))}")
    console.print(f"[bold]record[/]  {escape(str(out / 'record.json'))}")
    for pcap in sorted(out.glob("han-*.pcap")):
        console.print(f"[bold]pcap[/]    {escape(str(pcap))}")
    keys = out / "keys.json" if reveal_keys else "not written (pass --reveal-keys)"
    console.print(f"[bold]keys[/]    {escape(str(keys))}")
    click.get_current_context().exit(EXIT_CODES[record.outcome])


class TransferBars:
    """One rich progress bar per device while a scenario transfers to it (OTA images)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def update(self, label: str, done: int, total: int) -> None:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                DownloadColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
        task = self._tasks.get(label)
        if task is None:
            task = self._tasks[label] = self._progress.add_task(f"OTA {label}", total=total)
        self._progress.update(task, completed=done, total=total)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
