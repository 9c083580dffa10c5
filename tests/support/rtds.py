"""The RTDS 4.5.0 GBCS test vectors and the RTDS keystore, loaded once for every test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.pki.keystore import DirectoryKeyStore

DATA = Path(__file__).parents[1] / "data"

RTDS_MESSAGES: list[dict[str, Any]] = json.loads((DATA / "gbcs" / "rtds-4.5.0.json").read_text())[
    "messages"
]
"""Every RTDS message in file order: ``name``, ``hex`` and the ``expected`` fields."""

RTDS: dict[str, dict[str, Any]] = {m["name"]: m for m in RTDS_MESSAGES}
"""The RTDS messages by file name, e.g. ``"CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX"``."""

RTDS_KEYSTORE = DirectoryKeyStore(DATA / "keystore")
"""The RTDS test keys and certificates (``RTDS_KEYSTORE.root`` is the directory)."""


def rtds_bytes(name: str) -> bytes:
    """The named RTDS message as bytes."""
    return bytes.fromhex(RTDS[name]["hex"])
