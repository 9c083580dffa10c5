"""The CHF Device Log: which HAN devices the Communications Hub lets join, and with what key.

GBCS models it as the DLMS interface class 104 "ZigBee network control" object 0-0:30.3.0.255, with
the historic log 0-0:30.3.1.255 (DOMAIN.md §4): ``register_device`` {EUI-64, key type 1, install
code (16 bytes, no CRC), device type} adds an entry (CCS01), ``unregister_device`` removes one
(CCS02) and keeps its Trust Centre link key in the historic log so ``restore`` (CCS03) can bring the
device back without a new install code. At most 16 entries; the historic log keeps the last 15.
Adding an EUI-64 that is already present keeps its existing link key.

Install codes and link keys are secrets: they are kept out of ``repr`` and never logged. The log
is non-volatile: it lives in the hub's state store and survives a power cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import Enum

from ..codec.eui64 import Eui64
from ..codec.gbcs.device_log import HanDeviceType
from ..codec.security import keys
from ..han.stack.state import StateStore

DEVICE_LOG_CAPACITY = 16
HISTORIC_LOG_CAPACITY = 15
INSTALL_CODE_LENGTH = 16  # GBCS carries 16-byte install codes, without the CRC


@dataclass(frozen=True)
class DeviceLogEntry:
    eui64: Eui64
    device_type: HanDeviceType
    install_code: bytes = field(repr=False)
    link_key: bytes | None = field(default=None, repr=False)
    """The Trust Centre link key once the device has one (after CBKE); None before."""

    @property
    def preconfigured_key(self) -> bytes:
        """The install-code link key the device joins with (ZSE §5.4.8.1.1)."""
        return keys.install_code_key(self.install_code)


class Registration(Enum):
    ADDED = "added"
    ALREADY_PRESENT = "already present, existing link key kept"
    LOG_FULL = "device log full"


class ChfDeviceLog:
    """The hub's Device Log and historic log, persisted in ``store`` under ``key``."""

    def __init__(self, store: StateStore, key: str = "chf-device-log") -> None:
        self._store, self._key = store, key
        saved = store.load(key) or {}
        self._entries = [_entry_from(e) for e in saved.get("entries", [])]
        self._historic = [_entry_from(e) for e in saved.get("historic", [])]

    def _save(self) -> None:
        self._store.save(
            self._key,
            {
                "entries": [_entry_to(e) for e in self._entries],
                "historic": [_entry_to(e) for e in self._historic],
            },
        )

    def __iter__(self) -> Iterator[DeviceLogEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, eui64: Eui64) -> DeviceLogEntry | None:
        return next((e for e in self._entries if e.eui64 == eui64), None)

    @property
    def historic(self) -> list[DeviceLogEntry]:
        return list(self._historic)

    def register(
        self, eui64: Eui64, device_type: HanDeviceType, install_code: bytes
    ) -> Registration:
        """``register_device`` (CCS01)."""
        if len(install_code) != INSTALL_CODE_LENGTH:
            raise ValueError(f"a GBCS install code is {INSTALL_CODE_LENGTH} bytes")
        if self.get(eui64) is not None:
            return Registration.ALREADY_PRESENT
        if len(self._entries) >= DEVICE_LOG_CAPACITY:
            return Registration.LOG_FULL
        self._entries.append(DeviceLogEntry(Eui64(eui64), HanDeviceType(device_type), install_code))
        self._save()
        return Registration.ADDED

    def unregister(self, eui64: Eui64) -> bool:
        """``unregister_device`` (CCS02): the entry goes; the historic log keeps its link key."""
        entry = self.get(eui64)
        if entry is None:
            return False
        self._entries.remove(entry)
        self._historic = [e for e in self._historic if e.eui64 != eui64] + [entry]
        self._historic = self._historic[-HISTORIC_LOG_CAPACITY:]
        self._save()
        return True

    def restore(self, eui64: Eui64) -> Registration | None:
        """Bring a removed device back from the historic log with its link key (CCS03);
        None when the historic log does not know it."""
        entry = next((e for e in self._historic if e.eui64 == eui64), None)
        if entry is None:
            return None
        if self.get(eui64) is not None:
            return Registration.ALREADY_PRESENT
        if len(self._entries) >= DEVICE_LOG_CAPACITY:
            return Registration.LOG_FULL
        self._historic.remove(entry)
        self._entries.append(entry)
        self._save()
        return Registration.ADDED

    def record_link_key(self, eui64: Eui64, link_key: bytes) -> None:
        """The device now holds this Trust Centre link key (after CBKE)."""
        entry = self.get(eui64)
        if entry is None:
            raise KeyError(f"{eui64} is not in the device log")
        self._entries[self._entries.index(entry)] = replace(entry, link_key=link_key)
        self._save()


def _entry_to(entry: DeviceLogEntry) -> dict[str, object]:
    return {
        "eui64": entry.eui64.hex,
        "device_type": int(entry.device_type),
        "install_code": entry.install_code.hex(),
        "link_key": entry.link_key.hex() if entry.link_key is not None else None,
    }


def _entry_from(doc: dict[str, object]) -> DeviceLogEntry:
    link_key = doc.get("link_key")
    return DeviceLogEntry(
        Eui64(str(doc["eui64"])),
        HanDeviceType(int(str(doc["device_type"]))),
        bytes.fromhex(str(doc["install_code"])),
        bytes.fromhex(str(link_key)) if link_key else None,
    )
