"""A device's Supplier trust anchor, and its replacement on a change of supplier.

GBCS devices hold trust anchors per remote party role; a critical command from the Supplier is
verified against the Supplier's Digital Signing certificate (``gbcs_gate.py``). A change of
supplier replaces the Supplier's certificates with the gaining supplier's through CS02b "Update
Security Credentials" in its supplierByTransCoS variant (message code 0x0107, DUIS SRV 6.23):
critical, signed by the DCC's Transitional CoS party (a trust anchor the device holds from
manufacture) and MAC'd by the ACB. The losing supplier's certificates leave the device, so its
critical commands are refused from then on (0x8F30).

Minimal model [U]: the payload is our own DER ``SupplierTrustAnchorReplacement`` (the new
Supplier's DS and KA certificates; GBCS's own CS02b payload, a replacement list with
certificate-chain checks and per-anchor outcomes, is not in our sources). The device checks
that the signer is a Transitional CoS organisation (its certificate's OU, GBCS RemotePartyRole
``TRANSITIONAL_COS_OU``) and that both new certificates are Supplier organisation certificates
of one EUI-64; it does not check their chain (emulated devices hold no SMKI root). It answers
``SupplierTrustAnchorReplacementResponse`` 0 (replaced) or 1 (refused: nothing changed). The new
anchor is kept in the device's ``StateStore`` and put back in its keystore at power-on
(:func:`restore`).
"""

from __future__ import annotations

import enum
from typing import Any, Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ..codec.eui64 import Eui64
from ..codec.gbcs import DS, KA, KeyStore, MessageCode
from ..codec.gbcs.keystore import KeyUsage
from ..han.stack.state import StateStore

HANDLED = (MessageCode.CS02B_UPDATE_SECURITY_CREDENTIALS_SUPPLIERBYTRANSCOS,)
SUPPLIER_OU = "02"
"""GBCS RemotePartyRole of a Supplier, as organisation certificates carry it in their OU."""
TRANSITIONAL_COS_OU = "05"
"""GBCS RemotePartyRole of the DCC's Transitional Change of Supplier party."""
STATE_KEY = "gbcs/trust-anchor/supplier"


class Outcome(enum.IntEnum):
    """``SupplierTrustAnchorReplacementResponse`` [U]."""

    REPLACED = 0
    REFUSED = 1


@runtime_checkable
class MutableKeyStore(KeyStore, Protocol):
    """A keystore whose certificates a device may replace (``MemoryKeyStore``)."""

    def put_certificate(self, eui: Eui64, usage: KeyUsage, cert: x509.Certificate) -> None: ...

    def remove_certificate(self, eui: Eui64, usage: KeyUsage) -> None: ...

    def certificates(self) -> list[tuple[Eui64, KeyUsage, x509.Certificate]]: ...


def role_of(cert: x509.Certificate) -> str | None:
    """An organisation certificate's remote party role (its OU), if it has one."""
    for attr in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        return str(attr.value)
    return None


def organisation_eui(cert: x509.Certificate) -> Eui64 | None:
    """An organisation certificate's EUI-64 (x500UniqueIdentifier: 00 || EUI, as RTDS has it)."""
    for attr in cert.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER):
        value = attr.value
        if isinstance(value, bytes) and len(value) == 9 and value[0] == 0:
            return Eui64(value[1:])
    return None


def signed_by_transitional_cos(keystore: KeyStore, signer: Eui64) -> bool:
    """The command's originator is a Transitional CoS party the device trusts."""
    cert = keystore.certificate(signer, DS)
    return cert is not None and role_of(cert) == TRANSITIONAL_COS_OU


def suppliers(keystore: MutableKeyStore) -> set[Eui64]:
    """The Supplier organisations the device holds certificates of."""
    return {eui for eui, _, cert in keystore.certificates() if role_of(cert) == SUPPLIER_OU}


def replace_supplier(keystore: KeyStore, store: StateStore, value: Any) -> Outcome:
    """Apply a decoded ``SupplierTrustAnchorReplacement``: the old Supplier's certificates go,
    the new ones come in and are kept in ``store``."""
    if not isinstance(value, dict) or not isinstance(keystore, MutableKeyStore):
        return Outcome.REFUSED
    try:
        ds = x509.load_der_x509_certificate(bytes(value["newSupplierDigitalSigningCertificate"]))
        ka = x509.load_der_x509_certificate(bytes(value["newSupplierKeyAgreementCertificate"]))
    except (KeyError, TypeError, ValueError):
        return Outcome.REFUSED
    eui = organisation_eui(ds)
    if eui is None or organisation_eui(ka) != eui or {role_of(ds), role_of(ka)} != {SUPPLIER_OU}:
        return Outcome.REFUSED
    _install(keystore, eui, ds, ka)
    store.save(
        STATE_KEY,
        {
            "eui": eui.hex,
            "ds": ds.public_bytes(Encoding.DER).hex(),
            "ka": ka.public_bytes(Encoding.DER).hex(),
        },
    )
    return Outcome.REPLACED


def _install(
    keystore: MutableKeyStore, eui: Eui64, ds: x509.Certificate, ka: x509.Certificate
) -> None:
    for old in suppliers(keystore):
        keystore.remove_certificate(old, DS)
        keystore.remove_certificate(old, KA)
    keystore.put_certificate(eui, DS, ds)
    keystore.put_certificate(eui, KA, ka)


def restore(keystore: KeyStore, store: StateStore) -> None:
    """Power-on: put back the Supplier anchor a CS02b installed (none saved: nothing to do)."""
    saved = store.load(STATE_KEY)
    if not isinstance(saved, dict) or not isinstance(keystore, MutableKeyStore):
        return
    ds = x509.load_der_x509_certificate(bytes.fromhex(saved["ds"]))
    ka = x509.load_der_x509_certificate(bytes.fromhex(saved["ka"]))
    _install(keystore, Eui64(saved["eui"]), ds, ka)
