"""The OpenSSL backend agrees with the pure-Python reference on random inputs, and selection
degrades to pure when libcrypto is unusable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.codec.security.cbke import backend as backend_module
from emulator.codec.security.cbke import openssl as openssl_module
from emulator.codec.security.cbke.backend import (
    PURE,
    available_backends,
    default_backend,
    get_backend,
    openssl_backend,
)
from emulator.codec.security.cbke.curves import SECT163K1, SECT283K1, Curve, Point
from emulator.codec.security.cbke.errors import CbkeDecodeError

FAST = openssl_backend()
needs_openssl = pytest.mark.skipif(FAST is None, reason="no libcrypto with binary curves")
CURVES = [pytest.param(SECT163K1, id="sect163k1"), pytest.param(SECT283K1, id="sect283k1")]


@needs_openssl
@pytest.mark.parametrize("curve", CURVES)
def test_random_scalars_agree(curve: Curve) -> None:
    assert FAST is not None
    torsion = Point(0, 1)

    @given(
        k=st.integers(min_value=0, max_value=(curve.n * curve.h) << 2),
        j=st.integers(min_value=1, max_value=curve.n - 1),
        mixed=st.booleans(),
    )
    @settings(max_examples=20, deadline=None)
    def check(k: int, j: int, mixed: bool) -> None:
        p = PURE.multiply_base(curve, j)
        assert p == FAST.multiply_base(curve, j)
        assert p is not None
        if mixed:  # leave the prime-order subgroup: the cofactor matters in ECMQV
            p = curve.add(p, torsion)
            assert p is not None
        assert PURE.multiply(curve, k, p) == FAST.multiply(curve, k, p)
        q = PURE.multiply_base(curve, k % curve.n)
        assert PURE.add(curve, p, q) == FAST.add(curve, p, q)
        assert PURE.add(curve, p, p) == FAST.add(curve, p, p)
        assert FAST.add(curve, p, curve.negate(p)) is None
        data = PURE.compress(curve, p)
        assert data == FAST.compress(curve, p)
        assert PURE.decompress(curve, data) == FAST.decompress(curve, data) == p

    check()


@needs_openssl
@pytest.mark.parametrize("curve", CURVES)
def test_decompression_agrees_on_arbitrary_bytes(curve: Curve) -> None:
    assert FAST is not None

    @given(
        st.integers(min_value=0, max_value=(1 << (8 * curve.field_length)) - 1),
        st.sampled_from([2, 3, 4, 0, 1]),
    )
    @settings(max_examples=60, deadline=None)
    def check(x: int, prefix: int) -> None:
        data = bytes([prefix]) + x.to_bytes(curve.field_length, "big")
        outcomes: list[Point | str] = []
        for be in (PURE, FAST):
            try:
                outcomes.append(be.decompress(curve, data))
            except CbkeDecodeError as exc:
                outcomes.append(exc.reason)
        assert outcomes[0] == outcomes[1]

    check()


@needs_openssl
def test_openssl_edge_cases() -> None:
    assert FAST is not None
    for curve in (SECT163K1, SECT283K1):
        g = curve.generator
        assert FAST.multiply(curve, 0, g) is None
        assert FAST.multiply(curve, 5, None) is None
        assert FAST.multiply_base(curve, 0) is None
        assert FAST.multiply_base(curve, curve.n) is None
        assert FAST.add(curve, None, None) is None
        assert FAST.multiply(curve, 3, Point(0, 1)) == Point(0, 1)
        with pytest.raises(ValueError):
            FAST.multiply(curve, 2, Point(g.x, g.y ^ 1))  # not on the curve
        with pytest.raises(ValueError):
            FAST.multiply(curve, -1, g)


def test_selection() -> None:
    names = available_backends()
    assert names["pure"] is PURE
    assert get_backend("pure") is PURE
    assert default_backend() is (FAST or PURE)
    assert get_backend() is default_backend()
    with pytest.raises(LookupError):
        get_backend("gmp")


def test_degrades_to_pure_without_libcrypto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openssl_module, "_libcrypto_candidates", lambda: iter(["/nonexistent.so"]))
    assert openssl_module.load_openssl_backend() is None
    backend_module.openssl_backend.cache_clear()
    monkeypatch.setattr(openssl_module, "load_openssl_backend", lambda: None)
    try:
        assert default_backend() is PURE
        assert set(available_backends()) == {"pure"}
    finally:
        backend_module.openssl_backend.cache_clear()
