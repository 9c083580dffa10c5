"""Settings and names every part of the emulated stack shares: the protocol constants (with
the spec clause each comes from), the node's role and configuration, and the join error.

A module of its own so the stack's parts import them without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ...codec.eui64 import Eui64

COORDINATOR_SHORT = 0x0000
KEY_EXCHANGE_TRIES = 3  # Request/Verify Key are not APS-acknowledged: repeated on silence
ACTIVE_SCANS = 3  # beacon requests per scan: neither they nor beacons are acknowledged
APS_ACK_WAIT = 1.6  # apsAckWaitDuration for one hop: 0.05 s * 2 * nwkcMaxDepth (R22 Table 2.24)
APS_MAX_RETRIES = 3  # apscMaxFrameRetries
SECURITY_TIMEOUT = 10.0  # how long a joiner waits for the network key / a key exchange step
ADDRESS_DISCOVERY_TIMEOUT = 2.0  # seconds to wait for a NWK_addr_rsp
ADDRESS_DISCOVERY_TRIES = 3
MAX_APS_PAYLOAD = 73
"""Bytes of APS payload one secured frame carries: 127 less MAC 9 + FCS 2, NWK 8 + auxiliary
14 + MIC 4, APS 8 + auxiliary 5 + MIC 4. Longer payloads are fragmented (R22 §2.2.8.4.5)."""
MAX_UNSECURED_APS_PAYLOAD = MAX_APS_PAYLOAD + 9
"""Without APS security (NWK security only) the APS auxiliary header and MIC are not there: 82
bytes fit one frame. Used for unacknowledged unsecured unicasts (OTA Upgrade blocks)."""
APS_BLOCK = 64  # bytes per fragment, within the 71 an extended header leaves
FAST_POLL = 0.25  # seconds between polls while a sleepy device awaits a reply
APS_DUPLICATE_WINDOW = 16  # recent (sender, APS counter) pairs remembered for duplicate rejection


class Role(Enum):
    COORDINATOR = "coordinator"
    ROUTER = "router"
    END_DEVICE = "sleepy end device"


@dataclass(frozen=True)
class StackConfig:
    role: Role
    pan_id: int = 0x1A62  # the coordinator's; joiners learn it from the beacon
    extended_pan_id: Eui64 | None = None
    poll_period: float = 7.5  # sleepy end device: seconds between data requests
    poll_window: float = 0.05  # how long a polled end device keeps its receiver on
    aps_ack_wait: float = APS_ACK_WAIT
    security_timeout: float = SECURITY_TIMEOUT


class JoinError(Exception):
    """A join that failed; the reason says which step."""
