"""A device's Device Log as its access policy: who may talk to its application, and run CBKE.

GB HAN devices exchange data only with the partners the Supplier joined them to (the join use
cases, ``JoinLog``). This policy is shared by the ESME and the PPMID:

- ``may_establish_key``: the CBKE responder's ``authorise`` hook. Partners in the log, and the
  device's Trust Centre (its own TC link key), may start CBKE with it.
- ``serves``: an application request is served only when it comes from a partner and was APS
  secured (under the link key the two share) [U].
- ``forget_key``: CS04AC removes a partner *and* its APS link key.
"""

from __future__ import annotations

from typing import Any

from ..codec.eui64 import Eui64
from ..codec.gbcs.payload import Asn1Payload, Payload
from ..han.port import ApsMessage, HanPort
from ..han.stack.state import StateStore
from .join_log import JoinLog


class Partners:
    def __init__(
        self,
        han: HanPort,
        store: StateStore,
        key: str = "join-log",
        trust_centre: Eui64 | None = None,
    ) -> None:
        self.han = han
        self.log = JoinLog(store, key)
        self.trust_centre = trust_centre

    def may_establish_key(self, partner: Eui64) -> bool:
        return partner == self.trust_centre or self.log.get(partner) is not None

    def serves(self, msg: ApsMessage) -> bool:
        return msg.aps_secured and self.log.get(msg.source) is not None

    async def forget_key(self, partner: Eui64) -> None:
        """Drop the APS link key with ``partner``."""
        await self.han.remove_link_key(partner)


def asn1_value(payload: Payload | None) -> Any:
    """The decoded ASN.1 value of a join use case's payload, as ``JoinLog.command`` takes it."""
    return payload.value if isinstance(payload, Asn1Payload) else None
