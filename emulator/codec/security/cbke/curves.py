"""Pure-Python arithmetic on the Koblitz curves sect163k1 and sect283k1 (the reference backend).

Field GF(2^m) elements are Python ints whose bit i is the coefficient of z^i (polynomial basis,
SEC 1 §2.1.2), so the integer value of an element is also its SEC 1 octet-string value. Curves are
y^2 + xy = x^3 + ax^2 + b with b = 1 (SEC 2 §3.1.1.1 sect163k1, §3.4.1 sect283k1).

Why this shape, and what it costs (CPython 3.11, x86-64, measured):

* multiplication is a 4-bit comb over the multiplier's bytes (Hankerson, Menezes, Vanstone,
  "Guide to ECC", Alg. 2.36 in spirit): about 6 us on sect283k1; squaring spreads bits through a
  256-entry byte table (Alg. 2.39): about 1.7 us; both then fold the high half with the
  pentanomial taps (Alg. 2.41/2.42 in spirit);
* scalar multiplication is the López-Dahab x-only Montgomery ladder in projective coordinates
  (Guide to ECC Alg. 3.40): 5 multiplications and 4 squarings per scalar bit, no inversions until
  the final y recovery, so about 9 ms for a 283-bit scalar (3.4 ms on sect163k1). It is the
  dominant cost of a CBKE: a two-sided suite 2 exchange takes about 60 ms in all. The τ-adic
  NAF idea was not needed for the 400 ms goal and is left out.

Constant-time behaviour is not a goal (a test rig, private keys are test-only); correctness and
clarity are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import CbkeDecodeError

# Squaring spreads each byte b7..b0 to 0b7 0b6 .. 0b0 (16 bits): x^2 has no cross terms in GF(2).
_SPREAD = [
    int("".join("0" + bit for bit in f"{byte:08b}"), 2).to_bytes(2, "big") for byte in range(256)
]


@dataclass(frozen=True, slots=True)
class Point:
    """An affine point (x, y) of a curve; the point at infinity is ``None`` where it can occur."""

    x: int
    y: int


@dataclass(frozen=True, eq=False)
class Curve:
    """A binary Koblitz curve y^2 + xy = x^3 + a x^2 + 1 over GF(2^m) with its base point.

    ``taps`` are the exponents below m of the reduction polynomial f(z) = z^m + sum(z^t).
    """

    name: str
    m: int
    taps: tuple[int, ...]
    a: int
    gx: int
    gy: int
    #: Order n of the base point G (prime).
    n: int
    #: Cofactor h: #E = h * n.
    h: int
    mul: Callable[[int, int], int] = field(init=False, repr=False)
    sqr: Callable[[int], int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mul", _make_mul(self.m, self.taps))
        object.__setattr__(self, "sqr", _make_sqr(self.m, self.taps))

    @property
    def field_length(self) -> int:
        """Octets in a field element or a private key (SEC 1 §2.3.5): 21 or 36."""
        return (self.m + 7) // 8

    @property
    def point_length(self) -> int:
        """Octets in a compressed point: 22 or 37."""
        return self.field_length + 1

    @property
    def generator(self) -> Point:
        return Point(self.gx, self.gy)

    # ------------------------------------------------------------------ field helpers

    def inv(self, a: int) -> int:
        """a^-1 by the binary-polynomial extended Euclidean algorithm (Guide to ECC Alg. 2.48)."""
        if a == 0:
            raise ZeroDivisionError("inverse of zero in GF(2^m)")
        f = (1 << self.m) | _taps_value(self.taps)
        u, v, g1, g2 = a, f, 1, 0
        while u != 1:
            j = u.bit_length() - v.bit_length()
            if j < 0:
                u, v, g1, g2 = v, u, g2, g1
                j = -j
            u ^= v << j
            g1 ^= g2 << j
        return _reduce_slow(g1, self.m, self.taps)

    def half_trace(self, c: int) -> int:
        """H(c) = sum c^(2^(2i)), i = 0..(m-1)/2; solves z^2 + z = c when Tr(c) = 0 (m odd)."""
        sqr = self.sqr
        result = c
        t = c
        for _ in range((self.m - 1) // 2):
            t = sqr(sqr(t))
            result ^= t
        return result

    # ------------------------------------------------------------------ affine group law

    def is_on_curve(self, p: Point | None) -> bool:
        if p is None:
            return True
        x, y = p.x, p.y
        if x >> self.m or y >> self.m or x < 0 or y < 0:
            return False
        mul, sqr = self.mul, self.sqr
        x2 = sqr(x)
        lhs = sqr(y) ^ mul(x, y)
        rhs = mul(x2, x) ^ (x2 if self.a else 0) ^ 1
        return lhs == rhs

    def negate(self, p: Point | None) -> Point | None:
        """-(x, y) = (x, x + y) on a binary curve."""
        return None if p is None else Point(p.x, p.x ^ p.y)

    def add(self, p: Point | None, q: Point | None) -> Point | None:
        """Affine P + Q (SEC 1 §2.2.2), handling infinity, inverses and doubling."""
        if p is None:
            return q
        if q is None:
            return p
        mul, sqr = self.mul, self.sqr
        if p.x == q.x:
            if p.y ^ q.y == q.x or p.x == 0:
                # Q = -P (which includes P = -P, the 2-torsion point with x = 0).
                return None
            lam = p.x ^ mul(p.y, self.inv(p.x))
            x3 = sqr(lam) ^ lam ^ self.a
            y3 = sqr(p.x) ^ mul(lam ^ 1, x3)
            return Point(x3, y3)
        lam = mul(p.y ^ q.y, self.inv(p.x ^ q.x))
        x3 = sqr(lam) ^ lam ^ p.x ^ q.x ^ self.a
        y3 = mul(lam, p.x ^ x3) ^ x3 ^ p.y
        return Point(x3, y3)

    def multiply(self, k: int, p: Point | None) -> Point | None:
        """k * P for any k >= 0 and any P on the curve, by the López-Dahab Montgomery ladder.

        The ladder keeps (X1:Z1) = jP and (X2:Z2) = (j+1)P in x-only projective form; y is
        recovered at the end from the invariant X2/Z2 - X1/Z1 = x(P) (Guide to ECC Alg. 3.40).
        """
        if k < 0:
            raise ValueError("negative scalar")
        if p is None or k == 0:
            return None
        if p.x == 0:
            # (0, 1) has order 2.
            return p if k & 1 else None
        x, y = p.x, p.y
        mul, sqr = self.mul, self.sqr
        x1, z1 = x, 1
        z2 = sqr(x)
        x2 = sqr(z2) ^ 1  # b = 1
        for i in range(k.bit_length() - 2, -1, -1):
            if (k >> i) & 1:
                # (X1:Z1) <- (X1:Z1) + (X2:Z2); (X2:Z2) <- 2 (X2:Z2)
                s = mul(x1, z2)
                t = mul(x2, z1)
                z1 = sqr(s ^ t)
                x1 = mul(x, z1) ^ mul(s, t)
                xx = sqr(x2)
                zz = sqr(z2)
                z2 = mul(xx, zz)
                x2 = sqr(xx ^ zz)
            else:
                s = mul(x2, z1)
                t = mul(x1, z2)
                z2 = sqr(s ^ t)
                x2 = mul(x, z2) ^ mul(s, t)
                xx = sqr(x1)
                zz = sqr(z1)
                z1 = mul(xx, zz)
                x1 = sqr(xx ^ zz)
        if z1 == 0:
            return None
        if z2 == 0:
            # kP + P = O, so kP = -P.
            return Point(x, x ^ y)
        xz1 = mul(x, z1)
        xz2 = mul(x, z2)
        inv = self.inv(mul(xz1, z2))
        x3 = mul(mul(x1, xz2), inv)
        bracket = mul(x1 ^ xz1, x2 ^ xz2) ^ mul(sqr(x) ^ y, mul(z1, z2))
        y3 = mul(mul(x ^ x3, bracket), inv) ^ y
        return Point(x3, y3)

    def multiply_base(self, k: int) -> Point | None:
        """k * G."""
        return self.multiply(k, self.generator)

    # ------------------------------------------------------------------ SEC 1 encodings

    def compress(self, p: Point) -> bytes:
        """SEC 1 §2.3.3 compressed form: 02 | y~ then x, y~ = lsb(y / x) (0 when x = 0)."""
        y_bit = 0 if p.x == 0 else self.mul(p.y, self.inv(p.x)) & 1
        return bytes([2 | y_bit]) + p.x.to_bytes(self.field_length, "big")

    def decompress(self, data: bytes) -> Point:
        """SEC 1 §2.3.4 for binary curves; the only encoding ZSE uses is the compressed one.

        Raises ``CbkeDecodeError`` for a wrong length, a prefix other than 02/03, an x wider than
        the field, or an x with no point on the curve (Tr(x + a + b/x^2) = 1).
        """
        x = _decode_x(self, data)
        y_bit = data[0] & 1
        if x == 0:
            return Point(0, 1)  # y = sqrt(b) = 1
        sqr, mul = self.sqr, self.mul
        # With y = x z: z^2 + z = x + a + b / x^2.
        beta = x ^ self.a ^ self.inv(sqr(x))
        z = self.half_trace(beta)
        if sqr(z) ^ z != beta:
            raise CbkeDecodeError("x-coordinate has no point on the curve", 1)
        if z & 1 != y_bit:
            z ^= 1
        return Point(x, mul(x, z))

    def field_bytes(self, value: int) -> bytes:
        """A field element as SEC 1 §2.3.5 octets (fixed width, leading zeros kept)."""
        return value.to_bytes(self.field_length, "big")


def _decode_x(curve: Curve, data: bytes) -> int:
    """Shared syntax checks of a compressed point, so both backends reject the same bytes."""
    if len(data) != curve.point_length:
        raise CbkeDecodeError(
            f"compressed {curve.name} point is {curve.point_length} bytes, got {len(data)}", 0
        )
    if data[0] not in (2, 3):
        raise CbkeDecodeError(f"point prefix {data[0]:#04x} is not 02/03 (compressed)", 0)
    x = int.from_bytes(data[1:], "big")
    if x >> curve.m:
        raise CbkeDecodeError(f"x-coordinate wider than {curve.m} bits", 1)
    return x


def decode_x(curve: Curve, data: bytes) -> int:
    """The x of a compressed point after the syntax checks every backend shares."""
    return _decode_x(curve, data)


def _taps_value(taps: tuple[int, ...]) -> int:
    value = 0
    for t in taps:
        value |= 1 << t
    return value


def _reduce_slow(c: int, m: int, taps: tuple[int, ...]) -> int:
    """c mod f for any c (used after inversion, where g1 may exceed 2m bits)."""
    low = _taps_value(taps)
    while c.bit_length() > m:
        shift = c.bit_length() - 1 - m
        c ^= ((1 << m) | low) << shift
    return c


def _make_fold(m: int, taps: tuple[int, ...]) -> Callable[[int], int]:
    mask = (1 << m) - 1
    shifts = tuple(t for t in taps if t)
    if 0 not in taps:
        raise ValueError("reduction polynomial must have a constant term")

    def fold(c: int) -> int:
        h = c >> m
        while h:
            c &= mask
            c ^= h
            for s in shifts:
                c ^= h << s
            h = c >> m
        return c

    return fold


def _make_mul(m: int, taps: tuple[int, ...]) -> Callable[[int, int], int]:
    nbytes = (m + 7) // 8
    fold = _make_fold(m, taps)

    def mul(a: int, b: int) -> int:
        a2 = a << 1
        a4 = a << 2
        a8 = a << 3
        a3 = a2 ^ a
        a6 = a4 ^ a2
        a5 = a4 ^ a
        a7 = a6 ^ a
        t = (
            0,
            a,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            a8,
            a8 ^ a,
            a8 ^ a2,
            a8 ^ a3,
            a8 ^ a4,
            a8 ^ a5,
            a8 ^ a6,
            a8 ^ a7,
        )
        r = 0
        for byte in b.to_bytes(nbytes, "big"):
            r = (r << 8) ^ (t[byte >> 4] << 4) ^ t[byte & 15]
        return fold(r)

    return mul


def _make_sqr(m: int, taps: tuple[int, ...]) -> Callable[[int], int]:
    nbytes = (m + 7) // 8
    fold = _make_fold(m, taps)
    spread = _SPREAD.__getitem__

    def sqr(a: int) -> int:
        return fold(int.from_bytes(b"".join(map(spread, a.to_bytes(nbytes, "big"))), "big"))

    return sqr


#: SEC 2 v1 §3.2.1 (also NIST K-163): the suite 1 curve.
SECT163K1 = Curve(
    name="sect163k1",
    m=163,
    taps=(7, 6, 3, 0),
    a=1,
    gx=0x02FE13C0537BBC11ACAA07D793DE4E6D5E5C94EEE8,
    gy=0x0289070FB05D38FF58321F2E800536D538CCDAA3D9,
    n=0x04000000000000000000020108A2E0CC0D99F8A5EF,
    h=2,
)

#: SEC 2 v1 §3.4.1 (also NIST K-283): the suite 2 curve.
SECT283K1 = Curve(
    name="sect283k1",
    m=283,
    taps=(12, 7, 5, 0),
    a=0,
    gx=0x0503213F78CA44883F1A3B8162F188E553CD265F23C1567A16876913B0C2AC2458492836,
    gy=0x01CCDA380F1C9E318D90F95D07E5426FE87E45C0E8184698E45962364E34116177DD2259,
    n=0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE9AE2ED07577265DFF7F94451E061E163C61,
    h=4,
)
