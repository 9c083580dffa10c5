"""A pseudo-terminal that looks like a dongle's serial port to any host program.

The emulator holds the master side and, open all along, one descriptor of the slave side: a host
that closes the port and opens it again (bellows after a reset, a second tool) finds it there,
and the master never sees a hang-up in between. ``link`` names a symlink to the slave (as
``/dev/serial/by-id/...`` names a real dongle's), replaced if it exists and removed on close.
Bytes written while nobody listens are lost, as on a UART with no host attached.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable
from pathlib import Path


class PtyPort:
    def __init__(self, link: Path | None = None) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.device = Path(os.ttyname(self._slave))
        self.link = link
        if link is not None:
            with contextlib.suppress(FileNotFoundError):
                if link.is_symlink() or not link.exists():
                    link.unlink()
            link.symlink_to(self.device)
        self.dropped = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def path(self) -> Path:
        """What a host opens: the symlink if there is one, else the pty's own device."""
        return self.link if self.link is not None else self.device

    def start(self, on_bytes: Callable[[bytes], None]) -> None:
        def readable() -> None:
            try:
                data = os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # EIO: no slave open at the moment
            if data:
                on_bytes(data)

        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._master, readable)

    def write(self, data: bytes) -> None:
        try:
            written = os.write(self._master, data)
        except (BlockingIOError, OSError):
            written = 0
        self.dropped += len(data) - written

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._master)
            self._loop = None
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                if self.link.is_symlink():
                    self.link.unlink()
