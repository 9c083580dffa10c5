"""Hypothesis round trips: encode(decode(x)) == x and decode(encode(v)) == v for every codec."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import CRA, GeneralCiphering, GeneralSigning, OtherInformation
from emulator.codec.gbcs.asn1 import decode_asn1, encode_asn1
from emulator.codec.gbcs.ber import encode_length, read_length
from emulator.codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    AccessResponse,
    AccessResponseKind,
    AccessResponseSpecification,
    BitString,
    CompactArray,
    CosemDescriptor,
    Data,
    DataNotification,
    DataType,
    SelectiveAccess,
    TypeDescription,
    decode_data,
    decode_dlms,
    invoke_id_for,
)
from emulator.codec.gbcs.errors import GbcsDecodeError
from emulator.codec.gbcs.gbz import GbzComponent, GbzPayload, decode_gbz
from emulator.codec.gbcs.headers import GeneralSigning as GS
from emulator.codec.reader import Reader

euis = st.integers(0, 2**64 - 1).map(Eui64)
u64 = st.integers(0, 2**64 - 1)


@given(st.integers(0, 2**32 - 1))
def test_ber_length_round_trip(n: int) -> None:
    enc = encode_length(n)
    r = Reader(enc, GbcsDecodeError)
    assert read_length(r) == n and r.remaining == 0
    assert len(enc) == (1 if n < 0x80 else 1 + (n.bit_length() + 7) // 8)


def test_ber_length_forms() -> None:
    assert encode_length(0x7F) == b"\x7f"
    assert encode_length(0x91) == b"\x81\x91"
    assert encode_length(0x22D) == b"\x82\x02\x2d"


other_infos = st.one_of(
    st.builds(OtherInformation, st.integers(0, 0xFFFF)),
    st.builds(OtherInformation, st.integers(0, 0xFFFF), euis),
    st.builds(OtherInformation, st.integers(0, 0xFFFF), euis, u64),
    st.builds(OtherInformation, st.integers(0, 0xFFFF), euis, u64, u64),
    st.builds(
        lambda c, e, n, cert: OtherInformation(c, e, n, remote_party_ka_certificate=cert),
        st.integers(0, 0xFFFF),
        euis,
        u64,
        st.binary(min_size=9, max_size=400),
    ),
)
apdus = st.builds(
    GeneralSigning,
    st.sampled_from(CRA),
    u64,
    euis,
    euis,
    other_infos,
    st.binary(max_size=600),
    st.one_of(st.none(), st.binary(min_size=12, max_size=12)),
    st.one_of(st.none(), st.just(b""), st.binary(min_size=64, max_size=64)),
)


@given(other_infos)
def test_other_information_round_trip(o: OtherInformation) -> None:
    assert OtherInformation.decode(o.encode()) == o


@given(apdus)
def test_general_signing_round_trip(apdu: GeneralSigning) -> None:
    enc = apdu.encode()
    assert GS.decode(enc) == apdu
    assert enc[1:].startswith(apdu.signed_data()[:1])


@given(apdus, st.binary(min_size=12, max_size=12), st.integers(0, 2**32 - 1))
def test_general_ciphering_round_trip(apdu: GeneralSigning, mac: bytes, ic: int) -> None:
    msg = GeneralCiphering(apdu, mac, invocation_counter=ic)
    assert GeneralCiphering.decode(msg.encode()) == msg


def _simple_data() -> st.SearchStrategy[Data]:
    def ints(t: DataType, size: int, signed: bool) -> st.SearchStrategy[Data]:
        lo, hi = (
            (-(2 ** (8 * size - 1)), 2 ** (8 * size - 1) - 1)
            if signed
            else (0, 2 ** (8 * size) - 1)
        )
        return st.integers(lo, hi).map(lambda v: Data(t, v))

    return st.one_of(
        st.just(Data.null()),
        st.integers(0, 255).map(lambda v: Data(DataType.BOOLEAN, v)),
        ints(DataType.INTEGER, 1, True),
        ints(DataType.LONG, 2, True),
        ints(DataType.DOUBLE_LONG, 4, True),
        ints(DataType.LONG64, 8, True),
        ints(DataType.UNSIGNED, 1, False),
        ints(DataType.LONG_UNSIGNED, 2, False),
        ints(DataType.DOUBLE_LONG_UNSIGNED, 4, False),
        ints(DataType.LONG64_UNSIGNED, 8, False),
        ints(DataType.ENUM, 1, False),
        st.binary(max_size=300).map(Data.octet_string),
        st.binary(max_size=20).map(lambda v: Data(DataType.VISIBLE_STRING, v)),
        st.binary(min_size=12, max_size=12).map(lambda v: Data(DataType.DATE_TIME, v)),
        st.binary(min_size=4, max_size=4).map(lambda v: Data(DataType.FLOAT32, v)),
        st.integers(0, 200).flatmap(
            lambda bits: st.binary(min_size=(bits + 7) // 8, max_size=(bits + 7) // 8).map(
                lambda b: Data(DataType.BIT_STRING, BitString(bits, b))
            )
        ),
    )


data_values = st.recursive(
    _simple_data(),
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(lambda xs: Data(DataType.ARRAY, tuple(xs))),
        st.lists(children, max_size=5).map(lambda xs: Data(DataType.STRUCTURE, tuple(xs))),
    ),
    max_leaves=20,
)


@given(data_values)
def test_a_xdr_data_round_trip(d: Data) -> None:
    assert decode_data(d.encode()) == d


def test_compact_array_round_trip() -> None:
    desc = TypeDescription(
        DataType.STRUCTURE,
        (TypeDescription(DataType.DOUBLE_LONG_UNSIGNED), TypeDescription(DataType.OCTET_STRING)),
    )
    contents = b"\x00\x00\x00\x01\x02\xab\xcd" + b"\x00\x00\x00\x02\x00"
    d = Data(DataType.COMPACT_ARRAY, CompactArray(desc, contents))
    assert decode_data(d.encode()) == d
    first, second = CompactArray(desc, contents).elements()
    assert first.items[0].value == 1 and first.items[1].value == b"\xab\xcd"
    assert second.items[1].value == b""


descriptors = st.builds(
    CosemDescriptor, st.integers(0, 0xFFFF), st.binary(min_size=6, max_size=6), st.integers(0, 255)
)
request_specs = st.one_of(
    st.builds(
        AccessRequestSpecification,
        st.sampled_from([AccessRequestKind.GET, AccessRequestKind.SET, AccessRequestKind.ACTION]),
        descriptors,
    ),
    st.builds(
        AccessRequestSpecification,
        st.sampled_from(
            [AccessRequestKind.GET_WITH_SELECTION, AccessRequestKind.SET_WITH_SELECTION]
        ),
        descriptors,
        st.builds(SelectiveAccess, st.integers(0, 255), data_values),
    ),
)
date_times = st.one_of(st.none(), st.binary(min_size=12, max_size=12))


@settings(max_examples=150)
@given(
    st.one_of(
        st.builds(
            AccessRequest,
            u64.map(invoke_id_for),
            st.lists(request_specs, max_size=4).map(tuple),
            st.lists(data_values, max_size=4).map(tuple),
            date_times,
        ),
        st.builds(
            AccessResponse,
            st.integers(0, 2**32 - 1),
            st.lists(data_values, max_size=4).map(tuple),
            st.lists(
                st.builds(
                    AccessResponseSpecification,
                    st.sampled_from(AccessResponseKind),
                    st.integers(0, 255),
                ),
                max_size=4,
            ).map(tuple),
            date_times,
        ),
        st.builds(DataNotification, st.integers(0, 2**32 - 1), data_values, date_times),
    )
)
def test_dlms_apdu_round_trip(apdu: AccessRequest | AccessResponse | DataNotification) -> None:
    assert decode_dlms(apdu.encode()) == apdu


def test_invoke_id_is_0x20_and_low_counter_bytes() -> None:
    assert invoke_id_for(0x0102030405) == 0x20030405


plain_components = st.builds(
    GbzComponent,
    st.sampled_from([0x00, 0x01]),
    st.integers(0, 0xFFFF),
    st.tuples(
        st.integers(0, 255).filter(lambda fc: not fc & 0x04), st.binary(min_size=2, max_size=2)
    ).map(lambda t: bytes([t[0]]) + t[1]),
    st.binary(max_size=60),
)
dated_components = st.builds(
    lambda c, t: GbzComponent(0x11, c.cluster_id, c.zcl_header, c.payload, from_date_time=t),
    plain_components,
    st.integers(0, 2**32 - 1),
)
encrypted_components = st.builds(
    lambda c, ah, ct: GbzComponent(0x03, c.cluster_id, c.zcl_header, ct, additional_header=ah),
    plain_components,
    st.binary(min_size=2, max_size=2),
    st.binary(min_size=17, max_size=60),
)
dated_encrypted = st.builds(
    lambda c, t: GbzComponent(0x13, c.cluster_id, c.zcl_header, c.payload, t, c.additional_header),
    encrypted_components,
    st.integers(0, 2**32 - 1),
)
components = st.one_of(plain_components, dated_components, encrypted_components, dated_encrypted)


@given(st.lists(components, max_size=4))
def test_gbz_round_trip(cs: list[GbzComponent]) -> None:
    p = GbzPayload.of(*cs)
    assert decode_gbz(p.encode()) == p


@given(st.lists(components, max_size=3), st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1))
def test_gbz_alert_round_trip(cs: list[GbzComponent], code: int, ts: int) -> None:
    p = GbzPayload(tuple(cs), len(cs), code, ts)
    assert decode_gbz(p.encode(), alert=True) == p


entity = st.binary(min_size=8, max_size=8)
times = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2099, 12, 31)
).map(lambda d: d.replace(microsecond=0))


@given(
    st.one_of(
        st.tuples(
            st.just("JoinDeviceCommand"),
            st.fixed_dictionaries(
                {
                    "joinMethodAndRole": st.integers(0, 3),
                    "otherDeviceEntityIdentifier": entity,
                    "otherDeviceType": st.integers(0, 6),
                }
            ),
        ),
        st.tuples(st.just("JoinDeviceResponse"), st.integers(0, 13)),
        st.tuples(st.just("UnjoinDeviceCommand"), entity),
        st.tuples(
            st.just("ActivateFirmwareCommand"),
            st.fixed_dictionaries(
                {
                    "manufacturerImageHash": st.binary(min_size=32, max_size=32),
                    "originatorCounter": st.integers(0, 2**63),
                },
                optional={"executionDateTime": times},
            ),
        ),
        st.tuples(
            st.just("GpfDeviceLogBackupAlert"),
            st.fixed_dictionaries(
                {
                    "alertCode": st.integers(0, 0xFFFF),
                    "backupDateTime": times,
                    "deviceLogEntries": st.lists(
                        st.fixed_dictionaries(
                            {"deviceId": entity, "deviceType": st.integers(0, 6)}
                        ),
                        max_size=5,
                    ),
                }
            ),
        ),
    )
)
def test_asn1_round_trip(case: tuple[str, object]) -> None:
    name, value = case
    enc = encode_asn1(name, value)
    assert decode_asn1(name, enc) == value
    assert encode_asn1(name, decode_asn1(name, enc)) == enc
