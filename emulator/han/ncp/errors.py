"""What can go wrong with a dongle, as typed errors a bench check or a HIL run can explain."""

from __future__ import annotations

import errno


class NcpStackError(Exception):
    """A dongle the rig cannot use as asked."""


class DongleUnavailable(NcpStackError):
    """The port is missing, busy (another program holds it) or does not answer EZSP."""

    def __init__(self, port: str, reason: str) -> None:
        self.port, self.reason = port, reason
        super().__init__(f"{port}: {reason}")

    @classmethod
    def explain(cls, port: str, exc: BaseException) -> DongleUnavailable:
        """Name the usual causes from the error bellows or pyserial raised."""
        for cause in _chain(exc):
            code = getattr(cause, "errno", None)
            text = str(cause)
            if code == errno.ENOENT or "No such file" in text or "could not open port" in text:
                if code == errno.EBUSY or "busy" in text.lower():
                    break
                return cls(port, "no such port (is the dongle plugged in? see hardware/README.md)")
            if code in (errno.EBUSY, errno.EAGAIN) or "busy" in text.lower() or "lock" in text:
                return cls(port, "port busy: another program holds it (ModemManager, a ZHA)")
            if code == errno.EACCES or "Permission denied" in text:
                return cls(port, "permission denied (udev rules: hardware/99-ezsp-dongles.rules)")
            if type(cause).__name__ == "gaierror":
                return cls(port, "host not found (is the exporter's name right?)")
            if code == errno.ECONNREFUSED or "Connection refused" in text:
                return cls(port, "connection refused (is the exporter / ser2net running?)")
        for cause in _chain(exc):
            if isinstance(cause, TimeoutError):
                return cls(
                    port, "no EZSP answer (not an EZSP NCP? wrong baud rate or flow control?)"
                )
        return cls(port, f"{type(exc).__name__}: {exc}")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        if isinstance(current, BaseExceptionGroup):
            seen.extend(current.exceptions)
        current = current.__cause__ or current.__context__
    return seen


class NoSmartEnergyCertificates(NcpStackError):
    """The dongle holds no ZSE (CBKE) certificate and private key: it cannot run CBKE itself.

    Devices keep the Trust Centre link key from their install-code join unless the rig runs CBKE
    above the dongle (its own Key Establishment service, with a certificate the rig holds for
    the hub) and installs the result in the dongle's key table.
    """

    def __init__(self, port: str) -> None:
        self.port = port
        super().__init__(
            f"{port}: the dongle has no Smart Energy certificates (getCertificate answered "
            "LIBRARY_NOT_PRESENT or an empty certificate): no CBKE on the dongle"
        )
