"""An RFC 2217 (Telnet COM Port Control) server on loopback, standing in for a labgrid exporter's
ser2net: it serves one serial port to TCP clients, with pyserial's ``PortManager`` doing the
Telnet option negotiation and escaping (read, not copied, from pyserial's example server)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import serial
from serial import rfc2217


class _PtySerial(serial.Serial):  # type: ignore[misc]
    """A pty has no modem lines (TIOCMGET fails): report a cable with nothing asserted, as a
    USB-serial bridge with unconnected lines does."""

    @property
    def cts(self) -> bool:
        return False

    @property
    def dsr(self) -> bool:
        return False

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return False

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass


class _PortManager(rfc2217.PortManager):  # type: ignore[misc]
    """pyserial's server side, answering SET-LINESTATE-MASK and SET-MODEMSTATE-MASK as RFC 2217
    (and ser2net) do: pyserial 3.5 stores the masks without the answer, and serialx's client
    waits for it."""

    def _telnet_process_subnegotiation(self, suboption: bytes) -> None:
        super()._telnet_process_subnegotiation(suboption)
        if suboption[0:1] == rfc2217.COM_PORT_OPTION and suboption[1:2] in (
            rfc2217.SET_LINESTATE_MASK,
            rfc2217.SET_MODEMSTATE_MASK,
        ):
            answer = rfc2217.RFC2217_ANSWER_MAP[suboption[1:2]]
            self.rfc2217_send_subnegotiation(answer, suboption[2:3])


class _Connection:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> None:
        self._writer.write(data)


@contextlib.asynccontextmanager
async def rfc2217_server(port_path: Path) -> AsyncIterator[str]:
    """Serve ``port_path`` on 127.0.0.1; yields the ``rfc2217://host:port`` URL."""
    loop = asyncio.get_running_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = _PtySerial(str(port_path), timeout=0)
        manager = _PortManager(port, _Connection(writer))

        def readable() -> None:
            data = port.read(4096)
            if data:
                writer.write(b"".join(manager.escape(data)))

        loop.add_reader(port.fileno(), readable)
        try:
            while data := await reader.read(4096):
                port.write(b"".join(manager.filter(data)))
        finally:
            loop.remove_reader(port.fileno())
            port.close()
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, number = server.sockets[0].getsockname()[:2]
    try:
        yield f"rfc2217://{host}:{number}"
    finally:
        server.close()
        await server.wait_closed()
