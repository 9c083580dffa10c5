"""A Service User (an Import Supplier) at the DCC's front door, as a test or scenario drives it.

It owns what a real Supplier owns: its EUI-64, its keystore (its own Key Agreement and Digital
Signing private keys, its devices' certificates) and a rising RequestID counter. ``submit`` sends
one SRV; for a critical SRV it plays the whole Pre-Command round (CV 4, check and sign the
``PreCommand``, CV 5) and returns the DCC's answer to the signed copy. The DCC's later messages
come out of ``response_to`` / ``alert``; whatever arrives while it waits for something else is
kept in ``alerts`` for later. ``check`` judges a device's response as the Supplier can: the
signature of a critical command's response, the MAC of one addressed to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    DS,
    GbcsDecodeError,
    GeneralCiphering,
    GeneralSigning,
    KeyStore,
    Verdict,
    decode_message,
    mac_verdict,
    signature_verdict,
)
from emulator.codec.gbcs.crypto import sign_pre_command
from emulator.han.clock import Clock

from .dcc import Dcc
from .requests import (
    CommissionDeviceSynchroniseClock,
    DccAlert,
    DccMessage,
    DeviceAlert,
    PreCommand,
    RequestBody,
    RequestId,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SignedPreCommand,
)

DEFAULT_ANSWER_TIMEOUT = 60.0
"""Seconds (modelled, through the ``Clock`` when there is one) to wait for the DCC's answer to a
device SRV: on the HIL premises two WAN crossings of ``WAN_ONE_WAY_DELAY`` and the hub's work,
with room to spare (the whitelist-and-join scenario's own bound)."""
DEFAULT_TOLERANCE_PERIOD = 3600
"""[U] The ``TolerancePeriod`` the Supplier puts in 8.1.1 (the duis-templates GCS28 request's)."""


class PreCommandRefused(Exception):
    """The DCC's Pre-Command is not the command this Supplier asked for: it does not sign it."""


class Supplier:
    """One Service User: identity, keys, request counter, and the DCC's messages kept for it."""

    def __init__(
        self,
        dcc: Dcc,
        keystore: KeyStore,
        eui64: Eui64,
        *,
        clock: Clock | None = None,
        counter: int = 1000,
    ) -> None:
        self.dcc = dcc
        self.keystore = keystore
        self.eui64 = Eui64(eui64)
        self.clock = clock
        self.counter = counter
        """The last RequestID counter used; the next request takes the one after."""
        self.alerts: list[DccMessage] = []
        """Alerts (and stray responses) that arrived while something else was awaited."""

    def next_request_id(self, target: Eui64) -> RequestId:
        self.counter += 1
        return RequestId(self.eui64, Eui64(target), self.counter)

    def now(self) -> datetime:
        return self.clock.datetime() if self.clock is not None else datetime.now(UTC)

    def commission_body(
        self, tolerance_period: int = DEFAULT_TOLERANCE_PERIOD
    ) -> CommissionDeviceSynchroniseClock:
        """An 8.1.1 body: the Supplier's now and ``tolerance_period``."""
        return CommissionDeviceSynchroniseClock(self.now(), tolerance_period)

    async def submit(
        self, target: Eui64, srv: ServiceReferenceVariant, body: RequestBody
    ) -> ServiceResponse:
        """Send one SRV; the DCC's immediate answer (I0, I99 or an E-code). A critical SRV goes
        CV 4 -> sign the Pre-Command -> CV 5; the answer is the one to the signed copy (or the
        E-code the CV 4 request got)."""
        request = ServiceRequest(self.next_request_id(target), srv, body)
        [reply] = await self.dcc.submit(request)
        if isinstance(reply, PreCommand):
            [reply] = await self.dcc.submit(self.sign(request, reply))
        if not isinstance(reply, ServiceResponse):
            raise TypeError(f"unexpected answer {reply!r}")
        return reply

    def sign(self, request: ServiceRequest, pre_command: PreCommand) -> SignedPreCommand:
        """Check the Pre-Command is this Supplier's command for ``request`` and sign it with the
        Supplier's Digital Signing key (GBCS: the Supplier signs what it sends, not the DCC)."""
        rid = request.request_id
        try:
            apdu = decode_message(pre_command.gbcs_payload)
        except GbcsDecodeError as e:
            raise PreCommandRefused(f"undecodable Pre-Command: {e}") from None
        if not (
            isinstance(apdu, GeneralSigning)
            and pre_command.request_id == rid
            and apdu.signature is None
            and apdu.cra is CRA.COMMAND
            and apdu.originator == self.eui64
            and apdu.originator_counter == rid.counter
            and apdu.recipient == rid.target
        ):
            raise PreCommandRefused(f"not the Pre-Command for {rid}")
        key = self.keystore.private_key(self.eui64, DS)
        if key is None:
            raise PreCommandRefused(f"{self.eui64} holds no Digital Signing key")
        signed = sign_pre_command(apdu, key)
        return SignedPreCommand(rid, request.service_reference_variant, signed.encode())

    async def response_to(
        self, request_id: RequestId, timeout: float = DEFAULT_ANSWER_TIMEOUT
    ) -> ServiceResponse | DccAlert:
        """The device's response to ``request_id`` (or the DCC alert that closes it)."""

        def closes(m: DccMessage) -> bool:
            return isinstance(m, ServiceResponse | DccAlert) and m.request_id == request_id

        message = await self._take(closes, timeout)
        assert isinstance(message, ServiceResponse | DccAlert)
        return message

    async def alert(self, *codes: int, timeout: float = DEFAULT_ANSWER_TIMEOUT) -> DeviceAlert:
        """The first device alert with one of the GBCS alert ``codes``."""
        message = await self._take(
            lambda m: isinstance(m, DeviceAlert) and m.alert_code in codes, timeout
        )
        assert isinstance(message, DeviceAlert)
        return message

    async def _take(self, wanted: Callable[[DccMessage], bool], timeout: float) -> DccMessage:
        """The first message ``wanted`` picks, kept or yet to come (``TimeoutError`` if none
        comes within ``timeout``); the others are kept."""
        for message in self.alerts:
            if wanted(message):
                self.alerts.remove(message)
                return message
        limit = self.clock.timeout(timeout) if self.clock is not None else asyncio.timeout(timeout)
        async with limit:
            while True:
                message = await self.dcc.next_message()
                if wanted(message):
                    return message
                self.alerts.append(message)

    def check(self, response: ServiceResponse) -> Verdict:
        """The Supplier's verdict on the device response ``response`` carries: the device's
        signature (critical commands' responses) or the MAC keyed device <-> Supplier;
        ``ABSENT`` when there is no GBCS response, ``UNKNOWN_KEY`` when the keys are not here
        (a response addressed to the ACB)."""
        if response.gbcs_payload is None:
            return Verdict.ABSENT
        try:
            message = decode_message(response.gbcs_payload)
        except GbcsDecodeError:
            return Verdict.INVALID
        if isinstance(message, GeneralSigning):
            return signature_verdict(message, self.keystore)
        if isinstance(message, GeneralCiphering):
            if message.apdu.recipient != self.eui64:
                return Verdict.UNKNOWN_KEY
            return mac_verdict(message, self.keystore, None)
        return Verdict.UNKNOWN_KEY
