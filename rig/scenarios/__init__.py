"""Scenarios: named steps with declared measurements, one run directory each (DESIGN.md rule 8)."""

from __future__ import annotations

import importlib

from .framework import REGISTRY, Registry

BUILT_IN = (
    "rig.scenarios.han_join",
    "rig.scenarios.whitelist_and_join",
    "rig.scenarios.commission_premises",
    "rig.scenarios.cos_install_and_leave",
    "rig.scenarios.ota",
    "rig.scenarios.sub_ghz_channel_change",
    "rig.scenarios.dual_mode",
    "rig.scenarios.dual_band_duty_cycle",
    "rig.scenarios.tsat_windows",
)
"""Modules whose import registers the rig's own scenarios."""


def registry() -> Registry:
    """Every built-in scenario, registered."""
    for module in BUILT_IN:
        importlib.import_module(module)
    return REGISTRY
