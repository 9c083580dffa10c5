"""EZSP frames as an NCP reads and writes them (UG100), with bellows' per-version schemas.

Two header layouts: the legacy one (sequence, frame control, 1-byte frame ID), which every host
uses for its first ``version`` command, and the extended one of EZSP v8 and later (sequence, two
frame-control bytes, 2-byte frame ID). The parameters of each command and response are laid
out by bellows' ``COMMANDS`` table of the negotiated version: reused, not copied, so the emulator
and the host can never disagree on a field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bellows.types as t
from bellows.ezsp import EZSP

SUPPORTED_VERSIONS: tuple[int, ...] = (8, 13)
"""The EZSP protocol versions the emulator speaks: v8 (EmberZNet 6.7-6.10) and v13 (7.3), the two
bellows was seen to use on real sticks. v14+ moves every status to ``sl_Status`` and reorders
callback fields: not emulated (a host asking for it is answered with 13, as real firmware answers
with its own version)."""
DEFAULT_VERSION = 13

LEGACY_VERSION_ID = 0x00
FC_RESPONSE = 0x80  # frame control, low byte: direction NCP -> host
FC_CALLBACK_ASYNC = 0x10  # callbackType = 2 (asynchronous)
FC_HIGH_FORMAT_1 = 0x01  # frame control, high byte: frame format version 1


class EzspFrameError(ValueError):
    """Bytes that are not an EZSP command this NCP can read."""


@dataclass(frozen=True)
class Command:
    sequence: int
    frame_id: int
    name: str
    params: dict[str, Any]
    legacy: bool


class EzspSchema:
    """The command table of one protocol version, both ways."""

    def __init__(self, version: int) -> None:
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"EZSP v{version} is not emulated (supported: {SUPPORTED_VERSIONS})")
        self.version = version
        self.commands: dict[str, tuple[int, Any, Any]] = EZSP._BY_VERSION[version].COMMANDS
        self.by_id = {cid: name for name, (cid, _, _) in self.commands.items()}

    def decode(self, data: bytes) -> Command:
        """A host command; ``EzspFrameError`` for a frame too short or a command we cannot
        parse. An unknown frame ID decodes with name ``""`` (answered with invalidCommand)."""
        if len(data) < 3:
            raise EzspFrameError(f"EZSP frame of {len(data)} bytes")
        legacy = data[2] == LEGACY_VERSION_ID and len(data) == 4
        if legacy:
            sequence, frame_id, body = data[0], LEGACY_VERSION_ID, data[3:]
        else:
            if len(data) < 5:
                raise EzspFrameError(f"extended EZSP frame of {len(data)} bytes")
            sequence, frame_id, body = data[0], int.from_bytes(data[3:5], "little"), data[5:]
        name = self.by_id.get(frame_id, "")
        if not name:
            return Command(sequence, frame_id, "", {}, legacy)
        schema = self.commands[name][1]
        try:
            params, _rest = t.deserialize_dict(body, schema)
        except (ValueError, KeyError, TypeError, AssertionError) as exc:
            raise EzspFrameError(f"{name}: {exc}") from exc
        return Command(sequence, frame_id, name, params, legacy)

    def encode(
        self, name: str, sequence: int, fields: dict[str, Any], *, legacy: bool, callback: bool
    ) -> bytes:
        """A response (or callback) ``name`` with ``fields`` named as bellows names them."""
        frame_id, _tx, rx = self.commands[name]
        body: bytes
        if isinstance(rx, dict):
            body = t.serialize_dict((), fields, rx)
        else:
            body = rx(**fields).serialize()
        control = FC_RESPONSE | (FC_CALLBACK_ASYNC if callback else 0)
        if legacy:
            return bytes((sequence, control, frame_id)) + body
        return bytes((sequence, control, FC_HIGH_FORMAT_1)) + frame_id.to_bytes(2, "little") + body
