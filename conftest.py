"""Shared by the unit tests (`tests/`) and the HIL suites (`hil_tests/`): virtual time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from emulator.han.clock import VirtualTimeLoop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every async test runs on virtual time unless it is marked ``real_time``."""
    if item.get_closest_marker("real_time"):
        return {"real": asyncio.new_event_loop}
    return {"virtual": VirtualTimeLoop}
