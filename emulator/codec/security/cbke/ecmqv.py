"""ECMQV shared secret with cofactor (SEC 1 §3.4 and §6.2; ZSE Annex C.4.2.4).

For a party with static key (d1, Q1), ephemeral key (d2, Q2), and the peer's static Q1' (from
ECQV) and ephemeral Q2':

    avf(Q) = (x(Q) mod 2^L) + 2^L,   L = ceil(bitlen(n) / 2)   (82 on sect163k1, 141 on sect283k1)
    s      = d2 + avf(Q2) d1 mod n
    P      = h s (Q2' + avf(Q2') Q1')
    Z      = x(P) as a fixed-width field element (21 / 36 bytes, leading zeros kept)

The cofactor h (2 / 4) is required: the published Z only matches with it. Both parties get the
same Z; the suite 1 Z of Annex C.5 starts with 00, which the fixed width keeps.
"""

from __future__ import annotations

from .backend import CurveBackend, default_backend
from .curves import Curve, Point
from .errors import CbkeDecodeError


def associate_value(curve: Curve, point: Point) -> int:
    """avf(Q): the low ceil(bitlen(n)/2) bits of x(Q), with that bit set (SEC 1 §3.4)."""
    half = (curve.n.bit_length() + 1) // 2
    return (point.x & ((1 << half) - 1)) | (1 << half)


def shared_secret(
    curve: Curve,
    *,
    static_private: int,
    ephemeral_private: int,
    ephemeral_public: Point,
    peer_static_public: Point,
    peer_ephemeral_public: Point,
    backend: CurveBackend | None = None,
) -> bytes:
    """Z, the x-coordinate of h s (Q2' + avf(Q2') Q1') (SEC 1 §6.2.2 steps 2-4).

    ``CbkeDecodeError`` if P is the point at infinity (a peer key of small order).
    """
    be = backend or default_backend()
    s = (ephemeral_private + associate_value(curve, ephemeral_public) * static_private) % curve.n
    peer = be.add(
        curve,
        peer_ephemeral_public,
        be.multiply(curve, associate_value(curve, peer_ephemeral_public), peer_static_public),
    )
    p = be.multiply(curve, curve.h * s, peer)
    if p is None:
        raise CbkeDecodeError("ECMQV shared point is the point at infinity", 0)
    return curve.field_bytes(p.x)
