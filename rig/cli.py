"""`hil-rig`: one click group; each subcommand group lives in `rig.commands` and stays thin."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gb-han-rig")
def main() -> None:
    """Hardware-in-the-loop emulator and test rig for GB smart metering HANs."""


def _register() -> None:
    from rig.commands import bench, capture, conformance, firmware, gbcs, han, ncp, scenario

    main.add_command(bench.bench)
    main.add_command(capture.capture)
    main.add_command(conformance.conformance)
    main.add_command(firmware.firmware)
    main.add_command(gbcs.gbcs)
    main.add_command(han.han)
    main.add_command(ncp.ncp_emulator)
    main.add_command(scenario.list_)
    main.add_command(scenario.run)


_register()
