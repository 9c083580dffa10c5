"""One-byte-corrupted certificates, keys and CA keys (ZBOSS's negative sets, rebuilt in
tests/data/cbke/negative-cases.json): each is caught by the certificate check or the key-pair
check, identically on both backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.codec.security.cbke import ecqv
from emulator.codec.security.cbke.backend import CurveBackend
from emulator.codec.security.cbke.certificate import decode_certificate
from emulator.codec.security.cbke.suites import KeyEstablishmentStatus, suite_params

DATA = Path(__file__).resolve().parents[3] / "data" / "cbke"
CASES: list[dict[str, Any]] = json.loads((DATA / "negative-cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_negative_case(case: dict[str, Any], backend: CurveBackend) -> None:
    params = suite_params(case["suite"])
    raw = bytes.fromhex(case["cert"])
    check = ecqv.check_certificate(
        params,
        raw,
        issuer=bytes.fromhex(case["issuer"]),
        ca_public_key=bytes.fromhex(case["ca"]),
        require_key_agreement=False,
        backend=backend,
    )
    expected = case["expect_validate"]
    assert check.status == (None if expected is None else KeyEstablishmentStatus[expected])
    matches = ecqv.key_pair_matches(
        params,
        decode_certificate(params.suite, raw),
        int(case["priv"], 16),
        bytes.fromhex(case["ca"]),
        backend,
    )
    assert matches is case["expect_key_pair_matches"] is False
