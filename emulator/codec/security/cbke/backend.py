"""Point-arithmetic backends for CBKE: the pure-Python reference and OpenSSL's libcrypto.

Everything above this module (ECQV, ECMQV, the exchange) is written once against
``CurveBackend``; a backend only multiplies, adds and (de)compresses points. Points cross the
interface as affine ``Point`` values (``None`` is infinity), so the two backends' results compare
directly, and the tests hold them to the same answers on every vector and on random scalars.

``default_backend()`` picks OpenSSL when the process's libcrypto has sect163k1 and sect283k1
(OpenSSL 3.x builds keep them unless built with no-ec2m), otherwise the pure one. A rig runs about
five CBKEs per premises, so this choice decides how many premises it can bring up.
"""

from __future__ import annotations

import functools
from typing import Protocol

from .curves import Curve, Point


class CurveBackend(Protocol):
    """Scalar multiplication, addition and SEC 1 compressed encoding on the CBKE curves."""

    @property
    def name(self) -> str: ...

    def multiply(self, curve: Curve, k: int, p: Point | None) -> Point | None:
        """k * P for k >= 0 and P on the curve (any subgroup)."""
        ...

    def multiply_base(self, curve: Curve, k: int) -> Point | None:
        """k * G."""
        ...

    def add(self, curve: Curve, p: Point | None, q: Point | None) -> Point | None:
        """P + Q."""
        ...

    def compress(self, curve: Curve, p: Point) -> bytes:
        """SEC 1 compressed octets of P."""
        ...

    def decompress(self, curve: Curve, data: bytes) -> Point:
        """The point of compressed ``data``; ``CbkeDecodeError`` if it is not one."""
        ...


class PureBackend:
    """The reference: the López-Dahab ladder and friends in ``curves``, no dependencies."""

    @property
    def name(self) -> str:
        return "pure"

    def multiply(self, curve: Curve, k: int, p: Point | None) -> Point | None:
        return curve.multiply(k, p)

    def multiply_base(self, curve: Curve, k: int) -> Point | None:
        return curve.multiply_base(k)

    def add(self, curve: Curve, p: Point | None, q: Point | None) -> Point | None:
        return curve.add(p, q)

    def compress(self, curve: Curve, p: Point) -> bytes:
        return curve.compress(p)

    def decompress(self, curve: Curve, data: bytes) -> Point:
        return curve.decompress(data)


PURE = PureBackend()


@functools.cache
def openssl_backend() -> CurveBackend | None:
    """The libcrypto backend, or ``None`` when no usable libcrypto is found (looked up once)."""
    from .openssl import load_openssl_backend

    return load_openssl_backend()


def available_backends() -> dict[str, CurveBackend]:
    """Every backend usable in this process, by name; "pure" is always there."""
    backends: dict[str, CurveBackend] = {"pure": PURE}
    fast = openssl_backend()
    if fast is not None:
        backends[fast.name] = fast
    return backends


def get_backend(name: str | None = None) -> CurveBackend:
    """The backend called ``name`` ("pure" or "openssl"), or the fastest available for ``None``."""
    if name is None:
        return default_backend()
    backends = available_backends()
    if name not in backends:
        raise LookupError(f"CBKE backend {name!r} is not available (have {sorted(backends)})")
    return backends[name]


def default_backend() -> CurveBackend:
    """OpenSSL when available, else the pure-Python reference."""
    fast = openssl_backend()
    return fast if fast is not None else PURE
