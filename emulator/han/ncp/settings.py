"""A dongle's radio settings, as a bench file gives them: where it is and how to talk to it.

``port`` is what bellows opens: a device path (``/dev/serial/by-id/...``, a pty of the NCP
emulator) or a URL pyserial understands (``rfc2217://host:port`` for a dongle a labgrid exporter
shares, ``socket://host:port`` for ser2net in raw mode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FlowControl = Literal["software", "hardware"] | None

CHANNELS = range(11, 27)  # 2.4 GHz O-QPSK channels (IEEE 802.15.4 page 0)
TX_POWER_RANGE = range(-10, 21)  # dBm: what zigpy's configuration accepts
DEFAULT_BAUDRATE = 115200  # EmberZNet NCP firmware's usual UART speed
DEFAULT_TX_POWER = 8  # dBm [U]: a common EFR32 dongle default; the bench may say otherwise


class RadioSettingsError(ValueError):
    """Settings no dongle can be driven with (a channel off the band, an unknown flow control)."""


@dataclass(frozen=True)
class RadioSettings:
    port: str
    baudrate: int = DEFAULT_BAUDRATE
    flow_control: FlowControl = "software"
    """EZSP over ASH on most sticks uses XON/XOFF; some (e.g. Sonoff ZBDongle-E) use RTS/CTS."""
    channel: int = 11
    tx_power: int = DEFAULT_TX_POWER

    def __post_init__(self) -> None:
        if not self.port:
            raise RadioSettingsError("no serial port")
        if self.channel not in CHANNELS:
            raise RadioSettingsError(f"channel {self.channel} is not a 2.4 GHz channel (11-26)")
        if self.tx_power not in TX_POWER_RANGE:
            raise RadioSettingsError(f"TX power {self.tx_power} dBm is outside -10..20 dBm")
        if self.flow_control not in ("software", "hardware", None):
            raise RadioSettingsError(f"unknown flow control {self.flow_control!r}")
        if self.baudrate <= 0:
            raise RadioSettingsError(f"baud rate {self.baudrate} is not a speed")

    def bellows_config(self) -> dict[str, Any]:
        """bellows' (zigpy's) configuration: no database, no OTA, no backups, no topology scans
        and no watchdog of zigpy's own (``NcpStack`` supervises the link itself)."""
        return {
            "device": {
                "path": self.port,
                "baudrate": self.baudrate,
                "flow_control": self.flow_control,
            },
            "use_thread": False,
            "database_path": None,
            "network": {"channel": self.channel, "tx_power": self.tx_power},
            "ota": {"enabled": False},
            "backup_enabled": False,
            "topology_scan_enabled": False,
            "watchdog_enabled": False,
        }
