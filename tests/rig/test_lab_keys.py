"""The lab's key material for a physical device under test (``rig.scenarios.lab_keys``) and the
bench fields that name it. TEST-ONLY keys, issued here."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import KeyUsage
from emulator.codec.security.cbke.suites import KeyEstablishmentSuite
from emulator.pki.keystore import DirectoryKeyStore
from emulator.pki.smki import RemotePartyRole, TestSmki, export
from emulator.pki.zse import ZseTestCa, credentials_to_dict
from rig.bench import BenchError, LabKeys, read_bench
from rig.scenarios.han_join import ESME, HUB
from rig.scenarios.lab_keys import LabKeyError, cbke_credentials, lab_premises_keys

ACB = Eui64("90-B3-D5-1F-30-00-00-12")
SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-17")
PPMID = Eui64("00-DB-12-34-56-78-90-A4")
KA, DS = KeyUsage.KEY_AGREEMENT, KeyUsage.DIGITAL_SIGNING
HARDWARE = Path(__file__).parents[2] / "hardware"


def lab(tmp_path: Path, *, device_private_keys: bool = False) -> LabKeys:
    smki = TestSmki(seed="a test house")
    orgs = [
        *smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER),
        *smki.issue_organisation_pair(SUPPLIER, RemotePartyRole.SUPPLIER),
    ]
    export(orgs, tmp_path / "smki")
    export(smki.issue_device_pair(PPMID), tmp_path / "smki", device_private_keys)
    return LabKeys(tmp_path / "smki", ACB, SUPPLIER)


def test_the_lab_plays_acb_and_supplier_and_the_device_is_known_by_its_certificates(
    tmp_path: Path,
) -> None:
    the_lab = lab(tmp_path)
    keys = lab_premises_keys(the_lab, "rig", (HUB.eui64, ESME.eui64), PPMID)
    assert (keys.acb_eui, keys.supplier_eui) == (ACB, SUPPLIER)
    assert keys.dcc.private_key(ACB, KA) is not None and keys.dcc.private_key(ACB, DS) is not None
    assert keys.supplier.private_key(SUPPLIER, DS) is not None
    on_disk = DirectoryKeyStore(the_lab.smki).certificate(PPMID, KA)
    assert keys.dcc.certificate(PPMID, KA) == on_disk
    assert PPMID not in keys.devices  # no private keys: nothing of ours plays the device
    assert keys.hub.certificate(SUPPLIER, DS) == keys.supplier.certificate(SUPPLIER, DS)
    assert keys.esme.private_key(ESME.eui64, KA) is not None  # the rig's own devices
    assert all(c.eui != PPMID for c in keys.credentials)


def test_a_stand_in_signs_as_the_device_with_the_labs_private_keys(tmp_path: Path) -> None:
    keys = lab_premises_keys(lab(tmp_path, device_private_keys=True), "rig", (), PPMID)
    assert keys.devices[PPMID].private_key(PPMID, DS) is not None


def test_what_the_lab_lacks_is_named(tmp_path: Path) -> None:
    keys = lab(tmp_path)
    (keys.smki / f"{ACB.hex}-ds.key").unlink()
    with pytest.raises(LabKeyError, match=f"the ACB's DS pair lacks {ACB.hex}-ds.key"):
        lab_premises_keys(keys, "rig", (), PPMID)
    other = Eui64("00-DB-12-34-56-78-90-B0")
    (tmp_path / "again").mkdir()
    keys = lab(tmp_path / "again")
    with pytest.raises(LabKeyError, match=rf"no KA Device certificate .* \({other.hex}-ka.pem\)"):
        lab_premises_keys(keys, "rig", (), other)


def test_an_unreadable_file_is_named_not_a_crash(tmp_path: Path) -> None:
    keys = lab(tmp_path)
    (keys.smki / f"{SUPPLIER.hex}-ds.pem").write_text("-----BEGIN CERTIFICATE-----\nxx\n")
    with pytest.raises(LabKeyError, match="a certificate or key there cannot be read"):
        lab_premises_keys(keys, "rig", (), PPMID)


def test_zse_credentials_round_trip_and_garbage_is_refused(tmp_path: Path) -> None:
    ca = ZseTestCa.generate(KeyEstablishmentSuite.CRYPTO_SUITE_2, rng=random.Random(1).randbytes)
    creds = ca.issue(HUB.eui64, rng=random.Random(2).randbytes)
    good = tmp_path / "zse.json"
    good.write_text(json.dumps(credentials_to_dict(creds)))
    assert cbke_credentials(good) == [creds]
    bad = tmp_path / "bad.json"
    bad.write_text('{"suite": 2}')
    with pytest.raises(LabKeyError, match="not ZSE CBKE credentials"):
        cbke_credentials(bad)


def test_the_bench_names_key_material_that_exists(tmp_path: Path) -> None:
    text = (HARDWARE / "ci-stand-in-ppmid.yaml").read_text()
    bench = tmp_path / "bench.yaml"
    bench.write_text(text + f"\nkeys:\n  smki: lab\n  acb: {ACB}\n  supplier: {SUPPLIER}\n")
    with pytest.raises(BenchError, match=r"keys: smki: no directory .*lab"):
        read_bench(bench)
    (tmp_path / "lab").mkdir()
    assert read_bench(bench).keys == LabKeys(tmp_path / "lab", ACB, SUPPLIER)
    bench.write_text(text.replace("    channel: 11\n", "    cbke-credentials: zse.json\n", 1))
    with pytest.raises(BenchError, match=r"bench.yaml:\d+: cbke-credentials: no file"):
        read_bench(bench)
