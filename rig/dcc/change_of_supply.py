"""Change of supply: the registration data moving a device's supplier, and 6.23 through TransCoS.

It exists so what a change of supplier does at the DCC (the SMI's registered supplier, the
custody ledger's supply periods, the gaining supplier's trust anchor on the device) is one piece.

Change of supply (``Dcc.change_of_supply``): DUIS takes the Registered Supplier from the
registration data the Registration Data Provider sends the DCC, not from a Service Request; the
rig's stand-in for that feed is this method. It moves the SMI's registered supplier of the named
devices (E4 follows it at once: the losing supplier is refused, the gaining one served) and opens
the gaining supplier's supply period in the install-code custody ledger (``custody.py``) for
devices the ledger knows (none if the ledger already has it as their supplier).

6.23 Update Security Credentials (CoS): the registered supplier asks the DCC's Transitional CoS
party (``trans_cos``, whose keys the DCC's keystore holds) to put the requester's certificates
on the device as its Supplier trust anchor: CS02b supplierByTransCoS (0x0107), originated and
signed by the TransCoS party with its own counter, the requester as supplementary remote party,
MAC'd by the ACB; no Pre-Command (the DCC signs it, not the Service User) [U]. The device's
signed response goes to the TransCoS party and on to the requester. Target ESME, GSME, GPF, PPMID
or HCALCS (E11 otherwise [U]), on the HAN (Whitelisted, InstalledNotCommissioned, Commissioned; a
GPF also Pending: E5), requester registered supplier (E4), its certificates in the DCC's keystore
(E5 [U]).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import DS, KA, GeneralCiphering, KeyStore, MessageCode
from emulator.codec.gbcs.asn1 import encode_asn1
from emulator.codec.gbcs.crypto import sign_message

from . import requests as r
from . import services
from .acb import AccessControlBroker
from .custody import Custody
from .inventory import Inventory, SmiRecord, SmiStatus, TransitionError
from .services import Rejected

log = logging.getLogger(__name__)

COS_TARGETS = (
    r.DeviceType.ESME,
    r.DeviceType.GSME,
    r.DeviceType.GPF,
    r.DeviceType.PPMID,
    r.DeviceType.HCALCS,
)
"""[U] The devices with a Supplier trust anchor (the CHF's anchors are the DCC's roles')."""
ON_THE_HAN = (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED)
TRANS_COS_COUNTER = "transcos"
CS02B = MessageCode.CS02B_UPDATE_SECURITY_CREDENTIALS_SUPPLIERBYTRANSCOS


def change_of_supply(
    inventory: Inventory,
    custody: Custody | None,
    new_supplier: Eui64,
    devices: Sequence[Eui64],
    now: datetime,
) -> None:
    """``new_supplier`` now supplies ``devices`` (module docstring); devices not in the SMI are
    refused (``TransitionError``), nothing moved."""
    new_supplier = Eui64(new_supplier)
    for device_id in devices:
        if inventory.smi(device_id) is None:
            raise TransitionError(f"change of supply: {Eui64(device_id)} is not in the SMI")
    for device_id in devices:
        inventory.set_registered_supplier(device_id, new_supplier)
        periods = [] if custody is None else custody.supply_periods(device_id)
        # the same registration data again (the feed repeats itself) open no new period
        if custody is not None and periods and periods[-1].supplier != new_supplier:
            custody.change_of_supply(device_id, new_supplier, now)
    log.info("change of supply to %s: %s", new_supplier, ", ".join(map(str, devices)))


@dataclass(frozen=True, slots=True)
class TrustAnchorUpdate:
    """A 6.23 the DCC accepted: the device, its CH, and what the CS02b needs."""

    device: SmiRecord
    ch_id: Eui64
    trans_cos: Eui64
    ds: x509.Certificate = field(repr=False)
    ka: x509.Certificate = field(repr=False)
    signer: ec.EllipticCurvePrivateKey = field(repr=False)


def check_update(
    inventory: Inventory,
    keystore: KeyStore,
    trans_cos: Eui64 | None,
    request: r.ServiceRequest,
) -> TrustAnchorUpdate:
    """6.23's checks (module docstring), in DUIS order; ``Rejected`` on the first that fails."""
    rid = request.request_id
    device = services.device(inventory, rid.target)
    if device.device_type not in COS_TARGETS:
        raise Rejected(r.INVALID_DEVICE_TYPE_FOR_SRV, "6.23 is for a device with a Supplier anchor")
    if device.registered_supplier != rid.originator:
        raise Rejected(r.NOT_AUTHORISED_FOR_DEVICE, "requester is not the device's supplier")
    on_the_han = ON_THE_HAN + (
        (SmiStatus.PENDING,) if device.device_type is r.DeviceType.GPF else ()
    )
    if device.status not in on_the_han:
        raise Rejected(r.INVALID_DEVICE_STATUS, f"device is {device.status.value}")
    ch_id = services.ch_of(device)
    ds, ka = keystore.certificate(rid.originator, DS), keystore.certificate(rid.originator, KA)
    signer = None if trans_cos is None else keystore.private_key(trans_cos, DS)
    if ds is None or ka is None or signer is None or trans_cos is None:
        raise Rejected(
            r.INVALID_DEVICE_STATUS, "no certificates for the requester or no TransCoS key"
        )
    return TrustAnchorUpdate(device, ch_id, trans_cos, ds, ka, signer)


def cs02b(
    inventory: Inventory, acb: AccessControlBroker, update: TrustAnchorUpdate, rid: r.RequestId
) -> GeneralCiphering:
    """The CS02b supplierByTransCoS for ``update``: the TransCoS party's next counter, signed
    by it, MAC'd by the ACB."""
    counter = inventory.next_counter(TRANS_COS_COUNTER)
    content = encode_asn1(
        "SupplierTrustAnchorReplacement",
        {
            "newSupplierDigitalSigningCertificate": update.ds.public_bytes(Encoding.DER),
            "newSupplierKeyAgreementCertificate": update.ka.public_bytes(Encoding.DER),
        },
    )
    device_id = update.device.device_id
    apdu = services.dcc_command(CS02B, counter, update.trans_cos, device_id, rid, content)
    return acb.protect(sign_message(apdu, update.signer))
