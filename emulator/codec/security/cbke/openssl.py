"""The fast CBKE backend: point arithmetic in the system OpenSSL ``libcrypto`` through ctypes.

The ``cryptography`` package dropped binary curves (47.0), but libcrypto 3.x still ships
sect163k1 and sect283k1 (unless built with ``no-ec2m``), and its GF(2^m) Montgomery ladder is
about 30 times faster than the pure-Python one. Only the low-level, non-deprecated EC_POINT /
BIGNUM calls are used: ``EC_POINT_mul`` (a ladder for a single point), ``EC_POINT_add`` and the
octet-string conversions, which also check that a point is on the curve.

Which libcrypto: the one Python's own ``_ssl`` module links (found in /proc/self/maps, so it is
ABI-compatible with the process), else whatever ``ctypes.util.find_library("crypto")`` finds.
Anything missing or odd (no library, OpenSSL < 3, no binary curves, a failed self-check) yields
``None`` and callers fall back to the pure backend. No shelling out.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Iterator
from ctypes import c_char_p, c_int, c_size_t, c_ulong, c_void_p
from pathlib import Path

from .curves import SECT163K1, SECT283K1, Curve, Point, decode_x
from .errors import CbkeDecodeError

_log = logging.getLogger(__name__)

_POINT_CONVERSION_COMPRESSED = 2
_POINT_CONVERSION_UNCOMPRESSED = 4
_MIN_VERSION = 0x30000000


class OpenSslError(RuntimeError):
    """libcrypto refused an operation that should not fail on valid inputs."""


def _signatures(lib: ctypes.CDLL) -> None:
    """Declare argument and result types, so pointers are not truncated to int."""
    vp, sz = c_void_p, c_size_t
    table: dict[str, tuple[list[type], type | None]] = {
        "OpenSSL_version_num": ([], c_ulong),
        "OBJ_sn2nid": ([c_char_p], c_int),
        "EC_GROUP_new_by_curve_name": ([c_int], vp),
        "EC_POINT_new": ([vp], vp),
        "EC_POINT_free": ([vp], None),
        "EC_POINT_oct2point": ([vp, vp, c_char_p, sz, vp], c_int),
        "EC_POINT_point2oct": ([vp, vp, c_int, c_char_p, sz, vp], sz),
        "EC_POINT_mul": ([vp, vp, vp, vp, vp, vp], c_int),
        "EC_POINT_add": ([vp, vp, vp, vp, vp], c_int),
        "EC_POINT_is_at_infinity": ([vp, vp], c_int),
        "EC_POINT_set_to_infinity": ([vp, vp], c_int),
        "BN_bin2bn": ([c_char_p, c_int, vp], vp),
        "BN_free": ([vp], None),
        "BN_CTX_new": ([], vp),
        "BN_CTX_free": ([vp], None),
        "ERR_clear_error": ([], None),
    }
    for name, (args, res) in table.items():
        fn = getattr(lib, name)  # AttributeError if absent: caught by the loader
        fn.argtypes = args
        fn.restype = res


class OpenSslBackend:
    """``CurveBackend`` over libcrypto EC_GROUP objects created once per curve."""

    def __init__(self, lib: ctypes.CDLL, path: str) -> None:
        self._lib = lib
        self.path = path
        self._groups: dict[str, int] = {}
        for curve in (SECT163K1, SECT283K1):
            nid = lib.OBJ_sn2nid(curve.name.encode())
            group = lib.EC_GROUP_new_by_curve_name(nid) if nid > 0 else None
            if not group:
                lib.ERR_clear_error()
                raise OpenSslError(f"libcrypto at {path} has no {curve.name}")
            self._groups[curve.name] = group

    @property
    def name(self) -> str:
        return "openssl"

    # ------------------------------------------------------------------ plumbing

    def _group(self, curve: Curve) -> int:
        return self._groups[curve.name]

    def _new_point(self, group: int) -> int:
        p: int | None = self._lib.EC_POINT_new(group)
        if not p:
            raise MemoryError("EC_POINT_new failed")
        return p

    def _load(self, curve: Curve, group: int, point: Point | None) -> int:
        """A new EC_POINT holding ``point``; libcrypto rejects points off the curve."""
        lib = self._lib
        p = self._new_point(group)
        if point is None:
            ok = lib.EC_POINT_set_to_infinity(group, p)
        else:
            n = curve.field_length
            octets = b"\x04" + point.x.to_bytes(n, "big") + point.y.to_bytes(n, "big")
            ok = lib.EC_POINT_oct2point(group, p, octets, len(octets), None)
        if ok != 1:
            lib.EC_POINT_free(p)
            lib.ERR_clear_error()
            raise ValueError(f"not a point of {curve.name}")
        return p

    def _store(self, curve: Curve, group: int, p: int) -> Point | None:
        lib = self._lib
        if lib.EC_POINT_is_at_infinity(group, p):
            return None
        n = curve.field_length
        buf = ctypes.create_string_buffer(2 * n + 1)
        size = lib.EC_POINT_point2oct(group, p, _POINT_CONVERSION_UNCOMPRESSED, buf, len(buf), None)
        if size != 2 * n + 1:
            lib.ERR_clear_error()
            raise OpenSslError("EC_POINT_point2oct failed")
        raw = buf.raw
        return Point(int.from_bytes(raw[1 : 1 + n], "big"), int.from_bytes(raw[1 + n :], "big"))

    def _scalar(self, k: int) -> int:
        if k < 0:
            raise ValueError("negative scalar")
        octets = k.to_bytes(max(1, (k.bit_length() + 7) // 8), "big")
        bn: int | None = self._lib.BN_bin2bn(octets, len(octets), None)
        if not bn:
            raise MemoryError("BN_bin2bn failed")
        return bn

    def _mul(self, curve: Curve, k: int, g_scalar: bool, point: Point | None) -> Point | None:
        lib = self._lib
        group = self._group(curve)
        bn = self._scalar(k)
        q: int | None = None
        r: int | None = None
        ctx: int | None = None
        try:
            if not g_scalar:
                q = self._load(curve, group, point)
            r = self._new_point(group)
            ctx = lib.BN_CTX_new()
            if g_scalar:
                ok = lib.EC_POINT_mul(group, r, bn, None, None, ctx)
            else:
                ok = lib.EC_POINT_mul(group, r, None, q, bn, ctx)
            if ok != 1:
                lib.ERR_clear_error()
                raise OpenSslError("EC_POINT_mul failed")
            return self._store(curve, group, r)
        finally:
            # Every free function accepts NULL.
            lib.EC_POINT_free(r)
            lib.EC_POINT_free(q)
            lib.BN_free(bn)
            lib.BN_CTX_free(ctx)

    # ------------------------------------------------------------------ CurveBackend

    def multiply(self, curve: Curve, k: int, p: Point | None) -> Point | None:
        if p is None or k == 0:
            return None
        return self._mul(curve, k, False, p)

    def multiply_base(self, curve: Curve, k: int) -> Point | None:
        if k == 0:
            return None
        return self._mul(curve, k, True, None)

    def add(self, curve: Curve, p: Point | None, q: Point | None) -> Point | None:
        lib = self._lib
        group = self._group(curve)
        a: int | None = None
        b: int | None = None
        r: int | None = None
        ctx: int | None = None
        try:
            a = self._load(curve, group, p)
            b = self._load(curve, group, q)
            r = self._new_point(group)
            ctx = lib.BN_CTX_new()
            if lib.EC_POINT_add(group, r, a, b, ctx) != 1:
                lib.ERR_clear_error()
                raise OpenSslError("EC_POINT_add failed")
            return self._store(curve, group, r)
        finally:
            for point in (a, b, r):
                lib.EC_POINT_free(point)
            lib.BN_CTX_free(ctx)

    def compress(self, curve: Curve, p: Point) -> bytes:
        lib = self._lib
        group = self._group(curve)
        q = self._load(curve, group, p)
        try:
            buf = ctypes.create_string_buffer(curve.point_length)
            size = lib.EC_POINT_point2oct(
                group, q, _POINT_CONVERSION_COMPRESSED, buf, len(buf), None
            )
            if size != curve.point_length:
                lib.ERR_clear_error()
                raise OpenSslError("EC_POINT_point2oct failed")
            return buf.raw
        finally:
            lib.EC_POINT_free(q)

    def decompress(self, curve: Curve, data: bytes) -> Point:
        decode_x(curve, data)  # the same syntax errors as the pure backend
        lib = self._lib
        group = self._group(curve)
        p = self._new_point(group)
        ctx = lib.BN_CTX_new()
        try:
            if lib.EC_POINT_oct2point(group, p, bytes(data), len(data), ctx) != 1:
                lib.ERR_clear_error()
                raise CbkeDecodeError("x-coordinate has no point on the curve", 1)
            point = self._store(curve, group, p)
            if point is None:  # not reachable for 02/03 encodings; kept as a guard
                raise CbkeDecodeError("point at infinity", 0)
            return point
        finally:
            lib.EC_POINT_free(p)
            lib.BN_CTX_free(ctx)


def _libcrypto_candidates() -> Iterator[str]:
    """The libcrypto ``_ssl`` has loaded, then the one the dynamic linker would find."""
    try:
        import _ssl  # noqa: F401  (loads libcrypto into the process if Python links it)

        maps = Path("/proc/self/maps")
        if maps.exists():
            seen: set[str] = set()
            for line in maps.read_text().splitlines():
                fields = line.split()
                path = fields[-1] if len(fields) >= 6 else ""  # 6th column: the mapped file
                if "libcrypto" in Path(path).name and path not in seen:
                    seen.add(path)
                    yield path
    except (ImportError, OSError):
        pass
    found = ctypes.util.find_library("crypto")
    if found:
        yield found
    yield "libcrypto.so.3"


def load_openssl_backend() -> OpenSslBackend | None:
    """The first usable libcrypto as a backend, or ``None`` (logged at debug level)."""
    for path in _libcrypto_candidates():
        try:
            lib = ctypes.CDLL(path)
            _signatures(lib)
            version = lib.OpenSSL_version_num()
            if version < _MIN_VERSION:
                _log.debug("libcrypto at %s is %#x, older than 3.0", path, version)
                continue
            backend = OpenSslBackend(lib, path)
            # Self-check: the generators must come back as SEC 2 prints them.
            for curve in (SECT163K1, SECT283K1):
                if backend.multiply_base(curve, 1) != curve.generator:
                    raise OpenSslError(f"self-check failed on {curve.name}")
            return backend
        except (OSError, AttributeError, OpenSslError, ValueError) as exc:
            _log.debug("libcrypto at %s unusable for CBKE: %s", path, exc)
    return None
