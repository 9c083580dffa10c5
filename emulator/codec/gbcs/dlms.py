"""DLMS xDLMS payloads of GBCS: access-request, access-response, data-notification, A-XDR data.

GBCS uses the DLMS ACCESS service (Green Book 9.3.x, ``D9``/``DA``) and DATA-NOTIFICATION (``0F``)
with a long-invoke-id (``0x20`` || low 3 bytes of the originator counter, DOMAIN.md section 2).
The ``dlms-cosem`` package was checked (25.1.0): it has GET/SET/ACTION and DATA-NOTIFICATION but not
ACCESS, so this small A-XDR codec is our own. Values keep their wire form where it matters for
byte-exact re-encoding (booleans as the raw octet, strings as bytes, dates and floats raw).
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from typing import TypeAlias

from ..reader import Reader
from .ber import encode_date_time, encode_length, read_date_time, read_length
from .errors import GbcsDecodeError

ACCESS_REQUEST = 0xD9
ACCESS_RESPONSE = 0xDA
DATA_NOTIFICATION = 0x0F
INVOKE_ID_PRIORITY_BITS = 0x20000000
"""The top byte of a GBCS long-invoke-id-and-priority: 0x20 (DOMAIN.md section 2)."""

MAX_DEPTH = 32  # nesting limit for arrays/structures, so hostile input cannot recurse unbounded


class DataType(enum.IntEnum):
    """A-XDR Data CHOICE tags (DLMS Green Book 9.5, ``Data``)."""

    NULL_DATA = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27


# (size in bytes, signed) of the fixed-size integer types
_INTS: dict[DataType, tuple[int, bool]] = {
    DataType.BOOLEAN: (1, False),
    DataType.BCD: (1, False),
    DataType.DOUBLE_LONG: (4, True),
    DataType.DOUBLE_LONG_UNSIGNED: (4, False),
    DataType.INTEGER: (1, True),
    DataType.LONG: (2, True),
    DataType.UNSIGNED: (1, False),
    DataType.LONG_UNSIGNED: (2, False),
    DataType.LONG64: (8, True),
    DataType.LONG64_UNSIGNED: (8, False),
    DataType.ENUM: (1, False),
}
# fixed-size types kept as raw bytes
_RAW: dict[DataType, int] = {
    DataType.FLOAT32: 4,
    DataType.FLOAT64: 8,
    DataType.DATE_TIME: 12,
    DataType.DATE: 5,
    DataType.TIME: 4,
}
_STRINGS = (DataType.OCTET_STRING, DataType.VISIBLE_STRING, DataType.UTF8_STRING)


@dataclass(frozen=True, slots=True)
class BitString:
    """A bit-string: ``bits`` significant bits, most significant first, in ``data``."""

    bits: int
    data: bytes

    def __str__(self) -> str:
        return "".join(f"{b:08b}" for b in self.data)[: self.bits]


@dataclass(frozen=True, slots=True)
class TypeDescription:
    """The type of a compact-array element: simple, a structure of ``children``, or an array."""

    type: DataType
    children: tuple[TypeDescription, ...] = ()
    count: int = 0  # arrays only: number of elements; the element type is children[0]

    def encode(self) -> bytes:
        if self.type is DataType.STRUCTURE:
            return bytes([self.type, len(self.children)]) + b"".join(
                c.encode() for c in self.children
            )
        if self.type is DataType.ARRAY:
            return bytes([self.type]) + self.count.to_bytes(2, "big") + self.children[0].encode()
        return bytes([self.type])


@dataclass(frozen=True, slots=True)
class CompactArray:
    """A compact-array: one type description, then the elements' values without tags."""

    description: TypeDescription
    contents: bytes

    def elements(self) -> tuple[Data, ...]:
        """The elements, decoded against the type description."""
        if _min_size(self.description) == 0:
            raise GbcsDecodeError("compact-array element type takes no bytes", 0)
        r = Reader(self.contents, GbcsDecodeError)
        out: list[Data] = []
        while r.remaining:
            out.append(_read_untagged(r, self.description, 0))
        return tuple(out)


DataValue: TypeAlias = int | bytes | BitString | CompactArray | tuple["Data", ...] | None


@dataclass(frozen=True, slots=True)
class Data:
    """One A-XDR ``Data`` value: its type tag and value.

    Values: ``None`` (null-data), ``int`` (integers, enum, boolean octet, bcd), ``bytes`` (strings,
    float, date/time), ``BitString``, ``CompactArray``, or a tuple of ``Data`` (array, structure).
    """

    type: DataType
    value: DataValue = None

    @staticmethod
    def null() -> Data:
        return Data(DataType.NULL_DATA)

    @staticmethod
    def octet_string(value: bytes) -> Data:
        return Data(DataType.OCTET_STRING, value)

    @staticmethod
    def structure(*items: Data) -> Data:
        return Data(DataType.STRUCTURE, tuple(items))

    @staticmethod
    def array(*items: Data) -> Data:
        return Data(DataType.ARRAY, tuple(items))

    @staticmethod
    def boolean(value: bool) -> Data:
        return Data(DataType.BOOLEAN, 0xFF if value else 0x00)

    @property
    def items(self) -> tuple[Data, ...]:
        if not isinstance(self.value, tuple):
            raise TypeError(f"{self.type.name} has no items")
        return self.value

    def encode(self) -> bytes:
        return bytes([self.type]) + _encode_value(self.type, self.value)


def _encode_value(t: DataType, v: DataValue) -> bytes:
    if t is DataType.NULL_DATA:
        return b""
    if t in (DataType.ARRAY, DataType.STRUCTURE):
        assert isinstance(v, tuple)
        return encode_length(len(v)) + b"".join(d.encode() for d in v)
    if t in _INTS:
        size, signed = _INTS[t]
        assert isinstance(v, int)
        return v.to_bytes(size, "big", signed=signed)
    if t in _RAW or t in _STRINGS:
        assert isinstance(v, bytes)
        if t in _RAW:
            if len(v) != _RAW[t]:
                raise ValueError(f"{t.name} is {_RAW[t]} bytes")
            return v
        return encode_length(len(v)) + v
    if t is DataType.BIT_STRING:
        assert isinstance(v, BitString)
        return encode_length(v.bits) + v.data
    if t is DataType.COMPACT_ARRAY:
        assert isinstance(v, CompactArray)
        return v.description.encode() + encode_length(len(v.contents)) + v.contents
    raise ValueError(f"cannot encode {t!r}")


def _data_type(r: Reader) -> DataType:
    at = r.pos
    tag = r.u8("data type")
    try:
        return DataType(tag)
    except ValueError:
        raise GbcsDecodeError(f"unknown A-XDR data type {tag}", at) from None


def _read_simple(r: Reader, t: DataType) -> DataValue:
    if t is DataType.NULL_DATA:
        return None
    if t in _INTS:
        size, signed = _INTS[t]
        return int.from_bytes(r.take(size, t.name.lower()), "big", signed=signed)
    if t in _RAW:
        return r.take(_RAW[t], t.name.lower())
    if t in _STRINGS:
        n = read_length(r, f"{t.name.lower()} length")
        return r.take(n, t.name.lower())
    if t is DataType.BIT_STRING:
        bits = read_length(r, "bit-string length")
        return BitString(bits, r.take((bits + 7) // 8, "bit-string"))
    raise GbcsDecodeError(f"{t.name} is not a simple type", r.pos)


def read_data(r: Reader, depth: int = 0) -> Data:
    """Read one tagged ``Data`` at the cursor."""
    if depth > MAX_DEPTH:
        raise GbcsDecodeError("A-XDR data nested too deeply", r.pos)
    t = _data_type(r)
    if t in (DataType.ARRAY, DataType.STRUCTURE):
        n = read_length(r, f"{t.name.lower()} count")
        if n > r.remaining:
            raise GbcsDecodeError(f"{t.name.lower()} count {n} exceeds the bytes left", r.pos)
        return Data(t, tuple(read_data(r, depth + 1) for _ in range(n)))
    if t is DataType.COMPACT_ARRAY:
        at = r.pos
        description = _read_type_description(r, depth + 1)
        if _min_size(description) == 0 or _has_empty_array_element(description):
            raise GbcsDecodeError("compact-array element type takes no bytes", at)
        n = read_length(r, "compact-array contents length")
        contents = r.take(n, "compact-array contents")
        array = CompactArray(description, contents)
        try:
            array.elements()
        except GbcsDecodeError as e:
            raise e.shifted(r.pos - n) from None
        return Data(t, array)
    return Data(t, _read_simple(r, t))


def _min_size(d: TypeDescription) -> int:
    """The fewest bytes one untagged value of type ``d`` takes."""
    if d.type is DataType.STRUCTURE:
        return sum(_min_size(c) for c in d.children)
    if d.type is DataType.ARRAY:
        return d.count * _min_size(d.children[0])
    if d.type in _INTS:
        return _INTS[d.type][0]
    if d.type in _RAW:
        return _RAW[d.type]
    if d.type is DataType.NULL_DATA:
        return 0
    return 1  # strings and bit-strings: at least their length byte


def _read_type_description(r: Reader, depth: int) -> TypeDescription:
    if depth > MAX_DEPTH:
        raise GbcsDecodeError("type description nested too deeply", r.pos)
    at = r.pos
    t = _data_type(r)
    if t is DataType.STRUCTURE:
        n = r.u8("structure type count")
        return TypeDescription(t, tuple(_read_type_description(r, depth + 1) for _ in range(n)))
    if t is DataType.ARRAY:
        count = int.from_bytes(r.take(2, "array type count"), "big")
        return TypeDescription(t, (_read_type_description(r, depth + 1),), count)
    if t is DataType.COMPACT_ARRAY:
        raise GbcsDecodeError("compact-array inside a type description", at)
    return TypeDescription(t)


def _has_empty_array_element(d: TypeDescription) -> bool:
    if d.type is DataType.ARRAY and _min_size(d.children[0]) == 0:
        return True
    return any(_has_empty_array_element(c) for c in d.children)


def _read_untagged(r: Reader, d: TypeDescription, depth: int) -> Data:
    if depth > MAX_DEPTH:
        raise GbcsDecodeError("compact-array element nested too deeply", r.pos)
    if d.type is DataType.STRUCTURE:
        return Data(d.type, tuple(_read_untagged(r, c, depth + 1) for c in d.children))
    if d.type is DataType.ARRAY:
        if d.count * _min_size(d.children[0]) > r.remaining:
            raise GbcsDecodeError(f"compact-array array of {d.count} exceeds the bytes left", r.pos)
        return Data(
            d.type, tuple(_read_untagged(r, d.children[0], depth + 1) for _ in range(d.count))
        )
    return Data(d.type, _read_simple(r, d.type))


def decode_data(data: bytes) -> Data:
    """Decode exactly one ``Data`` filling ``data``."""
    r = Reader(data, GbcsDecodeError)
    d = read_data(r)
    r.expect_end("A-XDR data")
    return d


UNSPECIFIED_DEVIATION = 0x8000
"""Deviation 0x8000: not specified (Blue Book date-time). GBCS alerts as the RTDS shows them carry
it with day-of-week and clock status 0xFF, hundredths 0."""


def date_time(at: datetime.datetime) -> bytes:
    """A 12-byte COSEM date-time of a UTC instant, in the form the RTDS alerts use."""
    return (
        at.year.to_bytes(2, "big")
        + bytes((at.month, at.day, 0xFF, at.hour, at.minute, at.second, 0))
        + UNSPECIFIED_DEVIATION.to_bytes(2, "big")
        + b"\xff"
    )


def invoke_id_for(counter: int) -> int:
    """The long-invoke-id-and-priority GBCS derives from an originator counter."""
    return INVOKE_ID_PRIORITY_BITS | (counter & 0xFFFFFF)


class AccessRequestKind(enum.IntEnum):
    """Access-Request-Specification CHOICE (Green Book 9.3.x)."""

    GET = 1
    SET = 2
    ACTION = 3
    GET_WITH_SELECTION = 4
    SET_WITH_SELECTION = 5


class AccessResponseKind(enum.IntEnum):
    """Access-Response-Specification CHOICE."""

    GET = 1
    SET = 2
    ACTION = 3


class DataAccessResult(enum.IntEnum):
    """Data-Access-Result (Green Book 9.3.x); action results share the first values."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


@dataclass(frozen=True, slots=True)
class CosemDescriptor:
    """Class ID, logical name (OBIS, 6 bytes) and attribute or method ID."""

    class_id: int
    instance_id: bytes
    member_id: int

    @property
    def obis(self) -> str:
        a, b, c, d, e, f = self.instance_id
        return f"{a}-{b}:{c}.{d}.{e}.{f}"

    def encode(self) -> bytes:
        if len(self.instance_id) != 6:
            raise ValueError("an OBIS instance ID is 6 bytes")
        return self.class_id.to_bytes(2, "big") + self.instance_id + bytes([self.member_id])

    @classmethod
    def read(cls, r: Reader) -> CosemDescriptor:
        class_id = int.from_bytes(r.take(2, "class id"), "big")
        return cls(class_id, r.take(6, "instance id"), r.u8("attribute/method id"))


@dataclass(frozen=True, slots=True)
class SelectiveAccess:
    selector: int
    parameters: Data


@dataclass(frozen=True, slots=True)
class AccessRequestSpecification:
    kind: AccessRequestKind
    descriptor: CosemDescriptor
    selective_access: SelectiveAccess | None = None

    def encode(self) -> bytes:
        out = bytes([self.kind]) + self.descriptor.encode()
        if self.kind in (
            AccessRequestKind.GET_WITH_SELECTION,
            AccessRequestKind.SET_WITH_SELECTION,
        ):
            if self.selective_access is None:
                raise ValueError(f"{self.kind.name} needs a selective access descriptor")
            out += (
                bytes([self.selective_access.selector]) + self.selective_access.parameters.encode()
            )
        return out


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """``D9``: an ACCESS.request with its list of specifications and the matching list of data."""

    invoke_id: int
    specifications: tuple[AccessRequestSpecification, ...]
    data: tuple[Data, ...]
    date_time: bytes | None = None

    def encode(self) -> bytes:
        return b"".join(
            (
                bytes([ACCESS_REQUEST]),
                self.invoke_id.to_bytes(4, "big"),
                encode_date_time(self.date_time),
                encode_length(len(self.specifications)),
                *(s.encode() for s in self.specifications),
                encode_length(len(self.data)),
                *(d.encode() for d in self.data),
            )
        )


@dataclass(frozen=True, slots=True)
class AccessResponseSpecification:
    kind: AccessResponseKind
    result: int

    def encode(self) -> bytes:
        return bytes([self.kind, self.result])


@dataclass(frozen=True, slots=True)
class AccessResponse:
    """``DA``: an ACCESS.response: list of data, then one result per request specification."""

    invoke_id: int
    data: tuple[Data, ...]
    results: tuple[AccessResponseSpecification, ...]
    date_time: bytes | None = None

    def encode(self) -> bytes:
        return b"".join(
            (
                bytes([ACCESS_RESPONSE]),
                self.invoke_id.to_bytes(4, "big"),
                encode_date_time(self.date_time),
                b"\x00",  # access-request-specification: absent
                encode_length(len(self.data)),
                *(d.encode() for d in self.data),
                encode_length(len(self.results)),
                *(s.encode() for s in self.results),
            )
        )


@dataclass(frozen=True, slots=True)
class DataNotification:
    """``0F``: a DATA-NOTIFICATION; GBCS alerts put {alert code, time stamp, body...} in it."""

    invoke_id: int
    body: Data
    date_time: bytes | None = None

    def encode(self) -> bytes:
        return (
            bytes([DATA_NOTIFICATION])
            + self.invoke_id.to_bytes(4, "big")
            + encode_date_time(self.date_time)
            + self.body.encode()
        )

    @property
    def alert_code(self) -> int | None:
        """The GBCS alert code, when the body is the GBCS alert structure."""
        v = self.body.value
        if self.body.type is DataType.STRUCTURE and isinstance(v, tuple) and v:
            first = v[0]
            if first.type is DataType.LONG_UNSIGNED and isinstance(first.value, int):
                return first.value
        return None


DlmsApdu = AccessRequest | AccessResponse | DataNotification


def _count(r: Reader, what: str) -> int:
    n = read_length(r, what)
    if n > r.remaining:
        raise GbcsDecodeError(f"{what} {n} exceeds the bytes left", r.pos)
    return n


def _read_request_spec(r: Reader) -> AccessRequestSpecification:
    at = r.pos
    tag = r.u8("access-request-specification")
    try:
        kind = AccessRequestKind(tag)
    except ValueError:
        raise GbcsDecodeError(f"unknown access-request-specification {tag}", at) from None
    descriptor = CosemDescriptor.read(r)
    selective = None
    if kind in (AccessRequestKind.GET_WITH_SELECTION, AccessRequestKind.SET_WITH_SELECTION):
        selector = r.u8("access selector")
        selective = SelectiveAccess(selector, read_data(r))
    return AccessRequestSpecification(kind, descriptor, selective)


def _read_response_spec(r: Reader) -> AccessResponseSpecification:
    at = r.pos
    tag = r.u8("access-response-specification")
    try:
        kind = AccessResponseKind(tag)
    except ValueError:
        raise GbcsDecodeError(f"unknown access-response-specification {tag}", at) from None
    return AccessResponseSpecification(kind, r.u8("result"))


def decode_dlms(data: bytes) -> DlmsApdu:
    """Decode one GBCS DLMS payload; the whole buffer must be used."""
    r = Reader(data, GbcsDecodeError)
    tag = r.u8("xDLMS tag")
    invoke_id = int.from_bytes(r.take(4, "long-invoke-id-and-priority"), "big")
    date_time = read_date_time(r)
    result: DlmsApdu
    if tag == ACCESS_REQUEST:
        specs = tuple(_read_request_spec(r) for _ in range(_count(r, "specification count")))
        items = tuple(read_data(r) for _ in range(_count(r, "data count")))
        result = AccessRequest(invoke_id, specs, items, date_time)
    elif tag == ACCESS_RESPONSE:
        at = r.pos
        if r.u8("access-request-specification flag") != 0:
            raise GbcsDecodeError("access-response echoing its request is not used by GBCS", at)
        items = tuple(read_data(r) for _ in range(_count(r, "data count")))
        results = tuple(_read_response_spec(r) for _ in range(_count(r, "result count")))
        result = AccessResponse(invoke_id, items, results, date_time)
    elif tag == DATA_NOTIFICATION:
        result = DataNotification(invoke_id, read_data(r), date_time)
    else:
        raise GbcsDecodeError(f"wrong xDLMS tag 0x{tag:02X}", 0)
    r.expect_end("xDLMS APDU")
    return result
