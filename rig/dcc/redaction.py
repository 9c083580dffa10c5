"""What the journal keeps of a request body: a JSON-able view with every secret replaced.

It exists because install codes (and any other bytes a body carries) must never reach the
journal or a report: one function decides what a journalled body shows.
"""

from __future__ import annotations

import enum
from dataclasses import fields, is_dataclass
from datetime import datetime

from emulator.codec.eui64 import Eui64

from . import requests as r

REDACTED = "<redacted>"


def redact(value: object) -> object:
    """A JSON-able view of a request body with every install code replaced."""
    if isinstance(value, r.AddDeviceToCHFWhitelist):
        return {"join_time_period": value.join_time_period, "install_code": REDACTED}
    if isinstance(value, Eui64):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: redact(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bytes):
        return REDACTED
    if isinstance(value, set | frozenset):  # a sub-GHz channel mask's channels (6.28)
        return sorted(redact(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
