"""GF(2^m) and Koblitz-curve arithmetic of the pure backend against naive definitions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.codec.security.cbke.curves import SECT163K1, SECT283K1, Curve, Point
from emulator.codec.security.cbke.errors import CbkeDecodeError

CURVES = [pytest.param(SECT163K1, id="sect163k1"), pytest.param(SECT283K1, id="sect283k1")]


def naive_mul(curve: Curve, a: int, b: int) -> int:
    """Shift-and-add carry-less product, then bit-by-bit reduction."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    f = 1 << curve.m
    for t in curve.taps:
        f |= 1 << t
    while r.bit_length() > curve.m:
        r ^= f << (r.bit_length() - 1 - curve.m)
    return r


def naive_multiply(curve: Curve, k: int, p: Point | None) -> Point | None:
    """Affine double-and-add: slow, obviously right."""
    result: Point | None = None
    addend = p
    while k:
        if k & 1:
            result = curve.add(result, addend)
        addend = curve.add(addend, addend)
        k >>= 1
    return result


def elements(curve: Curve) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=(1 << curve.m) - 1)


@pytest.mark.parametrize("curve", CURVES)
def test_field_multiplication_matches_naive(curve: Curve) -> None:
    @given(elements(curve), elements(curve))
    @settings(max_examples=200, deadline=None)
    def check(a: int, b: int) -> None:
        assert curve.mul(a, b) == naive_mul(curve, a, b)
        assert curve.sqr(a) == naive_mul(curve, a, a)

    check()


@pytest.mark.parametrize("curve", CURVES)
def test_inverse_and_half_trace(curve: Curve) -> None:
    @given(elements(curve).filter(bool))
    @settings(max_examples=100, deadline=None)
    def check(a: int) -> None:
        assert curve.mul(a, curve.inv(a)) == 1
        h = curve.half_trace(a)
        # H(c)^2 + H(c) = c + Tr(c), Tr(c) in {0, 1}
        assert curve.sqr(h) ^ h in (a, a ^ 1)

    check()
    with pytest.raises(ZeroDivisionError):
        curve.inv(0)


@pytest.mark.parametrize("curve", CURVES)
def test_generator_has_order_n(curve: Curve) -> None:
    g = curve.generator
    assert curve.is_on_curve(g)
    assert curve.multiply(curve.n, g) is None
    assert curve.multiply(curve.n - 1, g) == curve.negate(g)
    assert curve.multiply(curve.n + 1, g) == g
    assert curve.n.bit_length() == {163: 163, 283: 281}[curve.m]


@pytest.mark.parametrize("curve", CURVES)
def test_ladder_matches_double_and_add(curve: Curve) -> None:
    g = curve.generator
    two_torsion = Point(0, 1)
    mixed = curve.add(g, two_torsion)  # a point outside the prime-order subgroup
    assert mixed is not None and curve.is_on_curve(mixed)

    @given(st.integers(min_value=0, max_value=curve.n * curve.h * 2))
    @settings(max_examples=15, deadline=None)
    def check(k: int) -> None:
        for p in (g, mixed):
            assert curve.multiply(k, p) == naive_multiply(curve, k, p)

    check()
    for k in (0, 1, 2, 3, curve.h, curve.n, curve.n * curve.h, curve.n * curve.h + 1):
        assert curve.multiply(k, mixed) == naive_multiply(curve, k, mixed), k
    assert curve.multiply(5, two_torsion) == two_torsion
    assert curve.multiply(4, two_torsion) is None
    assert curve.multiply(7, None) is None
    with pytest.raises(ValueError):
        curve.multiply(-1, g)


@pytest.mark.parametrize("curve", CURVES)
def test_group_law_edge_cases(curve: Curve) -> None:
    g = curve.generator
    assert curve.add(None, g) == g
    assert curve.add(g, None) == g
    assert curve.add(g, curve.negate(g)) is None
    assert curve.add(Point(0, 1), Point(0, 1)) is None
    assert curve.add(g, g) == curve.multiply(2, g)
    assert not curve.is_on_curve(Point(g.x, g.y ^ 2))
    assert not curve.is_on_curve(Point(1 << curve.m, 0))
    assert curve.is_on_curve(None)


@pytest.mark.parametrize("curve", CURVES)
def test_compression_round_trip(curve: Curve) -> None:
    @given(st.integers(min_value=1, max_value=curve.n - 1))
    @settings(max_examples=10, deadline=None)
    def check(k: int) -> None:
        p = curve.multiply_base(k)
        assert p is not None
        data = curve.compress(p)
        assert len(data) == curve.point_length and data[0] in (2, 3)
        assert curve.decompress(data) == p
        assert curve.decompress(curve.compress(curve.negate(p) or p)) == curve.negate(p)

    check()
    assert curve.decompress(curve.compress(Point(0, 1))) == Point(0, 1)


@pytest.mark.parametrize("curve", CURVES)
def test_decompress_rejects(curve: Curve) -> None:
    g = curve.compress(curve.generator)
    bad = [
        (g[:-1], "bytes"),
        (g + b"\x00", "bytes"),
        (b"\x04" + g[1:], "prefix"),
        (b"\x12" + g[1:], "prefix"),
        (b"\x00" * curve.point_length, "prefix"),
        (b"\x02" + b"\xff" * curve.field_length, "wider"),
    ]
    for data, words in bad:
        with pytest.raises(CbkeDecodeError, match=words) as info:
            curve.decompress(data)
        assert info.value.layer == "cbke"
    # Half of all x have no point: find one and check it is refused.
    x = 2
    while True:
        beta = x ^ curve.a ^ curve.inv(curve.sqr(x))
        h = curve.half_trace(beta)
        if curve.sqr(h) ^ h != beta:
            break
        x += 1
    with pytest.raises(CbkeDecodeError, match="no point"):
        curve.decompress(b"\x02" + x.to_bytes(curve.field_length, "big"))
