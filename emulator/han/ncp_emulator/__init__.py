"""An EZSP NCP emulator: a Silicon Labs dongle as a node on a virtual HAN, behind a pty.

Unmodified bellows (or any zigpy tool) opens the pty as it would ``/dev/ttyUSB0``; ASH
(``ash.py``) carries EZSP (``ezsp.py``) to the emulated NCP (``ncp.py``), whose radio is a
coordinator ``EmulatedStack`` on the virtual HAN where our device emulators live. So CI drives
real bellows with no dongle, and ``hil-rig ncp-emulator --pty PATH`` lets a lab tool attach to a
virtual HAN::

    han = VirtualHan(RealClock())
    async with NcpEmulator(han, Eui64("00-DB-12-34-56-78-90-A2"), link=Path("/tmp/ncp")) as ncp:
        ...  # bellows: {"device": {"path": "/tmp/ncp"}}
        await ncp.power_cycle()  # the dongle resets on its own; the host has to resynchronise

A HAN with a host program on it runs on ``RealClock`` (DESIGN.md rule 3): the host's timeouts are
wall-clock ones.
"""

from __future__ import annotations

from .emulator import NcpEmulator

__all__ = ["NcpEmulator"]
