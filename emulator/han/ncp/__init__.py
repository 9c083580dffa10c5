"""NcpStack: the hub's ``HanPort`` on a USB ZigBee dongle (EmberZNet EZSP, through bellows).

What it does: form a network on the bench's channel and TX power, or resume the one in the
dongle's flash; be its Trust Centre with Smart Energy policies (install-code keys only, no
wildcard key, no unsecured rejoins); admit one device for a join window with its install-code
link key; send and receive APS/ZCL on the hub's endpoints, Smart Energy profile included; report
joins, leaves, refusals and keys as ``HanEvent``; survive a dongle that resets or is unplugged.

What a dongle **without Smart Energy certificates** can and cannot do (most consumer sticks, and
the NCP emulator, ``CBKE_LIBRARY = False``):

- it can: form, admit install-code joins, carry APS/ZCL secured with each device's Trust Centre
  link key (the one from the install-code join, kept inside the dongle), and use any link key
  the host installs in its key table (``NcpStack.set_link_key``);
- it cannot: run CBKE itself (``generateCbkeKeys*``, ``calculateSmacs*`` answer
  ``LIBRARY_NOT_PRESENT``); ``NcpStack.cbke_certificate()`` raises ``NoSmartEnergyCertificates``.
  CBKE then runs in the rig's Key Establishment service above the dongle (ZCL 0x0800 frames
  through ``NcpStack.send``, the maths in the host with a certificate the rig holds for the
  hub) and the resulting key goes into the dongle's key table. Against a physical device that
  means the device must trust the rig's test ZSE CA. Without that, a device keeps the TC link
  key from its install-code join.

A dongle **with** certificates could run CBKE through the NCP's commands
(``generateCbkeKeys283k1``/``calculateSmacs283k1``/``clearTemporaryDataMaybeStoreLinkKey283k1``);
``cbke_certificate()`` is how the rig finds out, and the only part of that path built so far
(no dongle with certificates was available to test against).

The router role (an emulated ESME on a second dongle) is ``NcpRouterStack`` (``router.py``): on
bellows' EZSP layer alone, since bellows' application only forms or resumes as coordinator; it
joins the hub's network with its install-code link key (``joinNetwork`` as a router) and sends
and receives APS/ZCL on the device's endpoints.

A HAN with a dongle on it runs on ``RealClock`` (DESIGN.md rule 3); ``NcpStack`` refuses any
other clock.
"""

from __future__ import annotations

from .application import ENDPOINTS, SE_TC_POLICY, SeControllerApplication
from .errors import DongleUnavailable, NcpStackError, NoSmartEnergyCertificates
from .router import ROUTER_ENDPOINTS, NcpRouterStack, NetworkToJoin
from .settings import RadioSettings, RadioSettingsError
from .stack import NcpStack

__all__ = [
    "ENDPOINTS",
    "ROUTER_ENDPOINTS",
    "SE_TC_POLICY",
    "DongleUnavailable",
    "NcpRouterStack",
    "NcpStack",
    "NcpStackError",
    "NetworkToJoin",
    "NoSmartEnergyCertificates",
    "RadioSettings",
    "RadioSettingsError",
    "SeControllerApplication",
]
