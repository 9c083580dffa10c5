"""The CHF Device Log: capacity, the historic log, kept keys, persistence, secrets out of repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.device_log import HanDeviceType
from emulator.devices.chf_device_log import (
    DEVICE_LOG_CAPACITY,
    HISTORIC_LOG_CAPACITY,
    ChfDeviceLog,
    Registration,
)
from emulator.han.stack.state import MemoryStateStore, SqliteStateStore

ESME = Eui64("00-DB-12-34-56-78-90-A0")
CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")  # DOMAIN.md §4's install-code vector


def device(i: int) -> Eui64:
    return Eui64(0x00DB000000000100 + i)


def test_register_gives_the_install_code_link_key() -> None:
    log = ChfDeviceLog(MemoryStateStore())
    assert log.register(ESME, HanDeviceType.ESME, CODE) is Registration.ADDED
    entry = log.get(ESME)
    assert entry is not None and entry.link_key is None
    assert entry.preconfigured_key == bytes.fromhex("66B6900981E1EE3CA4206B6B861C02BB")


def test_adding_a_present_device_keeps_its_link_key() -> None:
    log = ChfDeviceLog(MemoryStateStore())
    log.register(ESME, HanDeviceType.ESME, CODE)
    log.record_link_key(ESME, bytes(range(16)))
    assert log.register(ESME, HanDeviceType.ESME, bytes(16)) is Registration.ALREADY_PRESENT
    entry = log.get(ESME)
    assert entry is not None and entry.link_key == bytes(range(16)) and entry.install_code == CODE


def test_sixteen_entries_at_most() -> None:
    log = ChfDeviceLog(MemoryStateStore())
    for i in range(DEVICE_LOG_CAPACITY):
        assert log.register(device(i), HanDeviceType.IHD, CODE) is Registration.ADDED
    assert log.register(device(99), HanDeviceType.IHD, CODE) is Registration.LOG_FULL
    assert len(log) == DEVICE_LOG_CAPACITY


def test_historic_log_keeps_the_last_fifteen_removed_with_their_keys() -> None:
    log = ChfDeviceLog(MemoryStateStore())
    for i in range(HISTORIC_LOG_CAPACITY + 3):
        log.register(device(i), HanDeviceType.PPMID, CODE)
        log.record_link_key(device(i), bytes([i]) * 16)
        assert log.unregister(device(i))
    assert len(log) == 0
    assert [e.eui64 for e in log.historic] == [
        device(i) for i in range(3, HISTORIC_LOG_CAPACITY + 3)
    ]
    assert log.restore(device(0)) is None  # aged out
    assert log.restore(device(5)) is Registration.ADDED
    entry = log.get(device(5))
    assert entry is not None and entry.link_key == bytes([5]) * 16  # no new install code needed
    assert log.unregister(device(99)) is False


def test_the_log_survives_a_power_cycle(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "hub.sqlite")
    log = ChfDeviceLog(store)
    log.register(ESME, HanDeviceType.ESME, CODE)
    log.record_link_key(ESME, bytes(16))
    log.register(device(1), HanDeviceType.GSME, CODE)
    log.unregister(device(1))
    store.close()
    again = ChfDeviceLog(SqliteStateStore(tmp_path / "hub.sqlite"))
    assert [(e.eui64, e.device_type, e.link_key) for e in again] == [
        (ESME, HanDeviceType.ESME, bytes(16))
    ]
    assert [e.eui64 for e in again.historic] == [device(1)]


def test_secrets_stay_out_of_repr_and_codes_are_gbcs_sized() -> None:
    log = ChfDeviceLog(MemoryStateStore())
    log.register(ESME, HanDeviceType.ESME, CODE)
    log.record_link_key(ESME, bytes(range(16)))
    text = repr(list(log))
    assert CODE.hex() not in text and bytes(range(16)).hex() not in text and "3031" not in text
    with pytest.raises(ValueError):
        log.register(device(2), HanDeviceType.ESME, CODE[:8])
