"""The Pre-Command transform of critical SRVs (8.1.1, 8.7.1, 8.8.1, 11.3): issue, then check.

It exists so the DCC's side of the critical-command round (DUIS: the DCC never signs a Service
User's critical command, it hands it back to be signed) is one small piece with its [U] choices.

The request comes with CV 4; the DCC validates it and answers with a ``PreCommand`` (the Service
User's GBCS command without signature element). The Service User signs it and sends it back as a
``SignedPreCommand`` (CV 5, same RequestID); the DCC checks it is the Pre-Command it issued for
that RequestID, byte for byte up to the signature, and that the signature verifies with the
Service User's Digital Signing certificate (the DCC's keystore), then the ACB adds the MAC and it
goes out (I99). Refused: ``PRE_COMMAND_NOT_AUTHENTIC`` (E1 [U]); a CV 5 with no outstanding
Pre-Command: ``NO_PRE_COMMAND_ISSUED`` (E12 [U]). The SMI is not checked again at CV 5 [U]; an
issued Pre-Command never expires [U]; both are held in memory, like outstanding commands.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from emulator.codec.gbcs import (
    GbcsDecodeError,
    GeneralSigning,
    KeyStore,
    Verdict,
    decode_message,
    signature_verdict,
)

from . import requests as r
from .inventory import Inventory
from .services import Plan, Rejected


@dataclass(frozen=True, slots=True)
class Issued:
    """A Pre-Command handed to the Service User, awaiting its signed copy (CV 5)."""

    request: r.ServiceRequest
    plan: Plan


def pre_command(
    inventory: Inventory, request: r.ServiceRequest, plan: Plan, note: str, now: datetime
) -> r.PreCommand:
    """The CV 4 answer: ``plan``'s command unsigned, journalled as a Pre-Command."""
    data = plan.apdu.encode()
    inventory.journal_response(
        now,
        str(request.request_id),
        None,
        request.service_reference_variant,
        r.SUCCESS.value,
        data,
        accepted=True,
        note="Pre-Command" + (f"; {note}" if note else ""),
    )
    return r.PreCommand(request.request_id, request.service_reference_variant, now, data)


def signed_plan(
    issued: Issued | None, signed: r.SignedPreCommand, keystore: KeyStore
) -> tuple[r.ServiceRequest, Plan]:
    """The request at CV 5 and its plan carrying the signed command, if ``signed`` is the
    Service User's valid signature of the Pre-Command ``issued``; else ``Rejected``."""
    if issued is None or issued.request.service_reference_variant is not (
        signed.service_reference_variant
    ):
        raise Rejected(r.NO_PRE_COMMAND_ISSUED, "no Pre-Command issued for this request")
    request = dataclasses.replace(issued.request, command_variant=signed.command_variant)
    if signed.command_variant is not r.CommandVariant.SIGNED_PRE_COMMAND_TO_DEVICE:
        raise Rejected(r.INVALID_COMMAND_VARIANT, "local delivery is not modelled")
    apdu = authentic(issued.plan.apdu, signed.gbcs_payload, keystore)
    return request, dataclasses.replace(issued.plan, apdu=apdu)


def authentic(pre_command: GeneralSigning, data: bytes, keystore: KeyStore) -> GeneralSigning:
    """The signed Pre-Command if it is ``pre_command`` plus a valid signature by its
    originator (the Service User), else ``Rejected``."""
    issued = pre_command.encode()
    if data[: len(issued)] != issued:
        raise Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, "not the Pre-Command issued")
    try:
        message = decode_message(data)
    except GbcsDecodeError as e:
        raise Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, f"undecodable: {e}") from None
    if not isinstance(message, GeneralSigning) or not message.signature:
        raise Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, "no signature")
    verdict = signature_verdict(message, keystore)
    if verdict is not Verdict.VALID:
        raise Rejected(r.PRE_COMMAND_NOT_AUTHENTIC, f"signature {verdict.value}")
    return message
