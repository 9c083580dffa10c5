"""`hil-rig conformance ppmid --bench FILE --out DIR`: MP202 bilingual conformance of one PPMID.

Thin over ``rig.conformance``: the eight cases of ``dual-mode-ppmid-matrix`` (fewer with
``--cpl-mode``, ``--row``) against one PPMID, ``conformance.json`` and ``conformance.html``
(plus the run's usual artefacts) in ``--out``. Without a bench, or on a virtual one, the PPMID
is emulated (``--profile``, the conforming dual-mode one by default). A dongle bench (backend
ncp) runs the cases against its PPMID under test (radio ``physical``, or CI's ``stand-in``), on
real time, with the hub and the ESME on their dongles, and the lab's key material a physical
PPMID trusts (read before the run starts); a bench that lacks something such a run needs is
refused with the list (``physical_ppmid_gaps``). The bench reader is ``rig.bench.read_bench``,
shared with ``hil-rig run``. Exit status: 0 every requirement passed, 1 one failed, 2 usage
error, 3 error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from rig.bench import KNOWN_BACKENDS, Bench, BenchError, read_bench
from rig.dcc import CplMode
from rig.dcc.mp202 import ROW_NAMES

PPMID_ROLE = "ppmid"
HUB_ROLE = "comms-hub"
ESME_ROLE = "esme"


def physical_ppmid_gaps(bench: Bench, modes: Sequence[CplMode] = ()) -> list[str]:
    """What a conformance run of the CPL ``modes`` against a PPMID under test needs that
    ``bench`` does not give: the PPMID as a device under test (radio physical, or CI's
    stand-in, with the EUI-64 and install code the DCC whitelists it with (8.11), which
    ``read_bench`` already requires of one), its CPL identity (what the DCC pre-notifies and
    checks its firmware version against; the tactical mode's fictitious SMETS1 version for
    tactical cases) and a power switch to make it look for a network in each case; the hub on
    a dongle (NcpStack); the ESME on a second dongle (the router role) where the PPMID can hear
    it; for a physical PPMID, the lab's key material it trusts (``rig.scenarios.lab_keys``).
    Install codes are never shown, only whether present."""
    gaps: list[str] = []
    ppmid = bench.node_with_role(PPMID_ROLE)
    if ppmid is None or not ppmid.under_test:
        gaps.append("a node with role ppmid and radio physical (the PPMID under test)")
    else:
        where = f"node {ppmid.name}, line {ppmid.line}"
        if ppmid.power is None:
            gaps.append(f"a power switch for the PPMID ({where}: power:)")
        if ppmid.cpl is None and not ppmid.stand_in:
            gaps.append(f"the PPMID's CPL identity ({where}: cpl:)")
        fictitious = ppmid.cpl.tactical_firmware_version if ppmid.cpl else None
        if CplMode.TACTICAL in modes and ppmid.cpl is not None and fictitious is None:
            gaps.append(
                f"the PPMID's fictitious SMETS1 firmware version for the tactical cases ({where}: "
                "cpl: tactical-firmware-version:), or --cpl-mode enduring"
            )
        if not ppmid.stand_in:  # the rig's own test SMKI and ZSE CA mean nothing to it
            gaps += _key_material_gaps(bench)
    hub = bench.node_with_role(HUB_ROLE)
    if hub is None or not hub.radio.is_dongle:
        gaps.append("a comms-hub node on a dongle (radio ezsp:PORT or rfc2217://HOST:PORT)")
    esme = bench.node_with_role(ESME_ROLE)
    if esme is None or not esme.radio.is_dongle:
        gaps.append("an ESME the PPMID can hear: a second dongle (esme radio ezsp:/rfc2217://)")
    return gaps


def _key_material_gaps(bench: Bench) -> list[str]:
    gaps = []
    if bench.keys is None:
        gaps.append(
            "the lab's SMKI test credentials the PPMID trusts and its Device certificates "
            "(keys: smki: DIR in the RTDS layout, acb: EUI, supplier: EUI)"
        )
    for role in (HUB_ROLE, ESME_ROLE):
        node = bench.node_with_role(role)
        if node is not None and node.cbke_credentials is None:
            gaps.append(
                f"ZSE CBKE credentials for the {role} from the CA the PPMID's certificate "
                f"chains to (node {node.name}, line {node.line}: cbke-credentials: FILE)"
            )
    return gaps


def _refusal(path: Path, bench: Bench, gaps: list[str]) -> str:
    return (
        f"{path}: bench {bench.name} (backend {bench.backend}) cannot run PPMID conformance; "
        "it lacks: " + "; ".join(gaps)
    )


def _check_key_material(bench: Bench) -> None:
    from rig.scenarios.lab_keys import LabKeyError, check

    ppmid = bench.node_with_role(PPMID_ROLE)
    assert ppmid is not None and ppmid.eui64 is not None  # physical_ppmid_gaps checked
    try:
        check(bench, ppmid.eui64)
    except LabKeyError as exc:
        raise click.UsageError(f"{bench.path}: {exc}") from None


@click.group("conformance")
def conformance() -> None:
    """Conformance reports a manufacturer can hand over."""


@conformance.command("ppmid")
@click.option(
    "--bench",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Bench file; the PPMID is emulated unless the bench names one under test (physical, "
    "or a stand-in) on dongles.",
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
    help="The emulated PPMID, or a bench's stand-in (faulty ones show what a failing report "
    "looks like); a physical PPMID is itself.",
)
@click.option(
    "--cpl-mode",
    type=click.Choice(["both", CplMode.ENDURING.value, CplMode.TACTICAL.value]),
    default="both",
    show_default=True,
    help="The CPL mode(s) to run: a PPMID's firmware is built for one (its SMETS1 version).",
)
@click.option(
    "--row",
    "rows",
    multiple=True,
    type=click.Choice(ROW_NAMES),
    help="Only these rows of MP202's table, as pre-notified-CH (s1-s2: pre-notified SMETS1, "
    "CH SMETS2+); repeatable. All four by default.",
)
@click.option(
    "--reveal-keys",
    is_flag=True,
    help="Write the run's test keys (keys.json, keystore/) so its pcaps and GBCS files decrypt "
    "and verify; never a lab's private keys.",
)
def ppmid(
    bench: Path | None,
    out: Path,
    seed: int,
    profile: str,
    cpl_mode: str,
    rows: tuple[str, ...],
    reveal_keys: bool,
) -> None:
    """MP202 bilingual conformance of one PPMID: the four rows of MP202's table in the enduring
    and the tactical CPL mode, each requirement with its evidence and verdict."""
    from rig.conformance import HTML_FILE, JSON_FILE, run_conformance
    from rig.scenarios.dual_mode import ProfileKind

    modes = (CplMode.ENDURING, CplMode.TACTICAL) if cpl_mode == "both" else (CplMode(cpl_mode),)
    on: Bench | str = "virtual"
    if bench is not None:
        try:
            described: Bench = read_bench(bench, KNOWN_BACKENDS)
        except BenchError as exc:
            raise click.UsageError(str(exc)) from None
        if described.backend != "virtual":
            gaps = physical_ppmid_gaps(described, modes)
            if gaps:
                raise click.UsageError(_refusal(bench, described, gaps))
            _check_key_material(described)
        on = described
    report = run_conformance(
        out, kind=ProfileKind(profile), seed=seed, bench=on, modes=modes,
        rows=rows or ROW_NAMES, reveal_keys=reveal_keys,
    )  # fmt: skip
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
