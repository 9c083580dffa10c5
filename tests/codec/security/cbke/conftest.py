"""Shared fixtures for the CBKE tests: the vector files copied into tests/data/cbke and backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.codec.security.cbke.backend import PURE, CurveBackend, openssl_backend

DATA = Path(__file__).resolve().parents[3] / "data" / "cbke"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


BACKENDS: list[Any] = [pytest.param(PURE, id="pure")]
_fast = openssl_backend()
BACKENDS.append(
    pytest.param(
        _fast,
        id="openssl",
        marks=pytest.mark.skipif(_fast is None, reason="no libcrypto with binary curves"),
    )
)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> CurveBackend:
    be: CurveBackend = request.param
    return be


@pytest.fixture(scope="session")
def annex_c() -> dict[str, Any]:
    data: dict[str, Any] = load("spec-annex-c.json")
    return data


@pytest.fixture(scope="session")
def cert_sets() -> list[dict[str, str]]:
    data: list[dict[str, str]] = load("cert-sets.json")
    return data
