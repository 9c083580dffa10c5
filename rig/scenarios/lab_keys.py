"""The lab's key material, for a run against a physical device under test.

A physical PPMID trusts the SMKI test credentials its lab provisioned it with, carries Device
certificates of its own and a ZSE (CBKE) certificate from its CA; the test SMKI and ZSE CA the
rig issues from per run mean nothing to it. A bench names the lab's (``keys:`` and
``cbke-credentials:``, ``rig.bench``): the ACB and the Supplier play with the lab's certificates
and private keys, the device under test is known by its Device certificates (with their private
keys too for a stand-in, which must sign as the device), the rig's own emulated devices keep
test-SMKI pairs of their own, and the hub and the ESME run CBKE with credentials from the
device's ZSE CA. Private keys are read, never logged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import KeyUsage
from emulator.codec.security.cbke.exchange import Credentials
from emulator.pki.keystore import DirectoryKeyStore
from emulator.pki.smki import Credential, RemotePartyRole, TestSmki
from emulator.pki.zse import credentials_from_dict
from rig.bench import Bench, LabKeys

from .premises import TRANS_COS, PremisesKeys, compose_keys

USAGES = (KeyUsage.KEY_AGREEMENT, KeyUsage.DIGITAL_SIGNING)


class LabKeyError(ValueError):
    """Key material a bench names that the rig cannot use; the message says which and why."""


def lab_premises_keys(
    lab: LabKeys, seed: str, devices: Sequence[Eui64], under_test: Eui64
) -> PremisesKeys:
    """The premises' keys with the lab's ACB, Supplier and device under test; the rig's other
    ``devices`` and the TransCoS party from its own test SMKI (``seed``)."""
    try:
        return _lab_premises_keys(lab, seed, devices, under_test)
    except LabKeyError:
        raise
    except (ValueError, TypeError) as exc:  # a PEM file cryptography cannot load
        raise LabKeyError(
            f"{lab.smki}: a certificate or key there cannot be read ({type(exc).__name__})"
        ) from None


def _lab_premises_keys(
    lab: LabKeys, seed: str, devices: Sequence[Eui64], under_test: Eui64
) -> PremisesKeys:
    store = DirectoryKeyStore(lab.smki)
    smki = TestSmki(seed=seed)
    acb = _pair(store, lab.acb, "the ACB")
    supplier = _pair(store, lab.supplier, "the Supplier")
    issued = {eui: smki.issue_device_pair(eui) for eui in devices if eui != under_test}
    certificates: list[tuple[Eui64, KeyUsage, x509.Certificate]] = []
    if all(store.private_key(under_test, u) is not None for u in USAGES):
        issued[under_test] = _pair(store, under_test, "the device under test")
    else:
        for usage in USAGES:
            cert = store.certificate(under_test, usage)
            if cert is None:
                raise LabKeyError(
                    f"{lab.smki}: no {usage.value.upper()} Device certificate for the device "
                    f"under test {under_test} ({store.path(under_test, usage, private=False).name})"
                )
            certificates.append((under_test, usage, cert))
    trans_cos = smki.issue_organisation_pair(TRANS_COS, RemotePartyRole.TRANSITIONAL_COS)
    return compose_keys(acb, trans_cos, {lab.supplier: supplier}, issued, certificates)


def _pair(store: DirectoryKeyStore, eui: Eui64, who: str) -> tuple[Credential, Credential]:
    """``eui``'s KA and DS certificates with their private keys."""
    found = []
    for usage in USAGES:
        cert, key = store.certificate(eui, usage), store.private_key(eui, usage)
        if cert is None or key is None:
            name = store.path(eui, usage, private=cert is not None).name
            raise LabKeyError(f"{store.root}: {who}'s {usage.value.upper()} pair lacks {name}")
        found.append(Credential(eui, usage, cert, key))
    return found[0], found[1]


def check(bench: Bench, under_test: Eui64) -> None:
    """Read every piece of key material ``bench`` names (LabKeyError for the first that cannot
    be used), before a run depends on it."""
    if bench.keys is not None:
        lab_premises_keys(bench.keys, "check", (), under_test)
    for node in bench.nodes.values():
        if node.cbke_credentials is not None:
            cbke_credentials(node.cbke_credentials)


def cbke_credentials(path: Path) -> list[Credentials]:
    """A node's ZSE CBKE credentials from a JSON file (``emulator.pki.zse`` layout)."""
    try:
        return [credentials_from_dict(json.loads(path.read_text(encoding="utf-8")))]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LabKeyError(f"{path}: not ZSE CBKE credentials ({type(exc).__name__})") from None
