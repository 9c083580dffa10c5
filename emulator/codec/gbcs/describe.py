"""A readable field tree of an analysed GBCS message (what ``hil-rig gbcs decode`` prints).

Pure: it builds ``Field`` nodes; rendering is the caller's business. Key material never appears:
only public message bytes, verdicts and decrypted payload data, and install codes and link keys
carried for the CHF Device Log (DLMS class 104, ZigBee network control) are redacted unless the
caller asks to reveal them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .asn1 import ActivateFirmwareResult, DeviceType, JoinMethodAndRole
from .codes import alert_code_name, message_code_name
from .dlms import (
    AccessRequest,
    AccessResponse,
    BitString,
    CompactArray,
    Data,
    DataAccessResult,
    DataNotification,
    DataType,
    decode_data,
)
from .errors import GbcsDecodeError
from .gbt import GbtBlock
from .gbz import GbzPayload
from .headers import GeneralCiphering, GeneralSigning, OtherInformation
from .message import Analysis
from .payload import Asn1Payload, RawPayload

ZIGBEE_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@dataclass
class Field:
    label: str
    value: str = ""
    children: list[Field] = field(default_factory=list)

    def add(self, label: str, value: object = "") -> Field:
        child = Field(label, str(value))
        self.children.append(child)
        return child

    def lines(self, indent: int = 0) -> list[str]:
        text = "  " * indent + self.label + (f": {self.value}" if self.value else "")
        out = [text]
        for c in self.children:
            out.extend(c.lines(indent + 1))
        return out


def _hex(b: bytes) -> str:
    return b.hex(" ").upper()


def describe(a: Analysis, reveal_keys: bool = False) -> Field:
    root = Field("GBCS message", f"{len(a.raw)} bytes")
    m = a.message
    if isinstance(m, GbtBlock):
        rh = root.add("Routing Header")
        rh.add("CRA Flag", f"{m.routing.cra.value} ({m.routing.cra.name.title()})")
        rh.add("Originator Counter", m.routing.originator_counter)
        rh.add("Business Originator", m.routing.originator)
        rh.add("Business Target", m.routing.recipient)
        code = m.routing.message_code
        rh.add("Message Code", f"0x{code:04X} ({message_code_name(code)})")
        g = root.add("General Block Transfer")
        g.add("Block Number", m.block_number)
        g.add("Block Number Ack", m.block_number_ack)
        g.add("Last Block", m.last_block)
        g.add("Streaming", m.streaming)
        g.add("Window", m.window)
        g.add("Block Data", f"{len(m.block_data)} bytes")
        return root
    if isinstance(m, GeneralCiphering):
        mh = root.add("MAC Header")
        mh.add("Security Control", f"0x{m.security_control:02X}")
        mh.add("Invocation Counter", m.invocation_counter)
    apdu = a.apdu
    assert apdu is not None
    _grouping(root.add("Grouping Header"), apdu)
    p = root.add("Payload", f"{len(apdu.content)} bytes")
    if a.payload_error is not None:
        p.add("Error", str(a.payload_error))
        p.add("Raw", _hex(apdu.content))
    elif a.payload is not None:
        carries_keys = apdu.other_information.message_code in KEY_BEARING_USE_CASES
        _payload(p, a.payload, reveal_keys, hide_keys=carries_keys and not reveal_keys)
    for i, plain in enumerate(a.decrypted):
        d = root.add(f"Decrypted Payload {i}")
        if plain is None:
            d.value = "authentication failed"
        elif isinstance(a.payload, GbzPayload):
            d.value = f"ZCL payload {_hex(plain)}"
        else:
            try:
                _data(d, "Data", decode_data(plain))
            except GbcsDecodeError:
                d.value = _hex(plain)
    sig = root.add("Signature", a.signature.value)
    if apdu.signature:
        sig.add("r||s", _hex(apdu.signature))
    if isinstance(m, GeneralCiphering):
        root.add("MAC", f"{_hex(m.mac)} ({a.mac.value})")
    root.add("Re-encoded Equal", a.reencoded_equal)
    return root


def _grouping(g: Field, apdu: GeneralSigning) -> None:
    g.add("CRA Flag", f"{apdu.cra.value} ({apdu.cra.name.title()})")
    g.add("Originator Counter", apdu.originator_counter)
    g.add("Originator System Title", apdu.originator)
    g.add("Recipient System Title", apdu.recipient)
    g.add("Date Time", "none" if apdu.date_time is None else _dlms_date_time(apdu.date_time))
    _other(g.add("Other Information"), apdu.other_information)


def _other(o: Field, info: OtherInformation) -> None:
    code = info.message_code
    o.add("Message Code", f"0x{code:04X} ({message_code_name(code)})")
    if info.supplementary_remote_party_id is not None:
        o.add("Supplementary Remote Party ID", info.supplementary_remote_party_id)
    if info.supplementary_remote_party_counter is not None:
        o.add("Supplementary Remote Party Counter", info.supplementary_remote_party_counter)
    if info.supplementary_originator_counter is not None:
        o.add("Supplementary Originator Counter", info.supplementary_originator_counter)
    if info.remote_party_ka_certificate is not None:
        o.add("Remote Party KA Certificate", f"{len(info.remote_party_ka_certificate)} bytes DER")


def _payload(p: Field, payload: object, reveal_keys: bool = False, hide_keys: bool = False) -> None:
    if isinstance(payload, AccessRequest):
        n = p.add("DLMS Access Request", f"invoke-id 0x{payload.invoke_id:08X}")
        specs = n.add("Access Request Specifications", len(payload.specifications))
        for i, s in enumerate(payload.specifications):
            d = s.descriptor
            specs.add(
                f"[{i}] {s.kind.name.title()}", f"class {d.class_id} {d.obis} id {d.member_id}"
            )
        data = n.add("List of Data", len(payload.data))
        secret = hide_keys or (
            not reveal_keys
            and any(s.descriptor.class_id == ZIGBEE_NETWORK_CONTROL for s in payload.specifications)
        )
        for i, item in enumerate(payload.data):
            _data(data, f"[{i}]", item, secret)
    elif isinstance(payload, AccessResponse):
        n = p.add("DLMS Access Response", f"invoke-id 0x{payload.invoke_id:08X}")
        data = n.add("List of Data", len(payload.data))
        for i, item in enumerate(payload.data):
            _data(data, f"[{i}]", item, hide_keys)
        res = n.add("Results", len(payload.results))
        for i, r in enumerate(payload.results):
            res.add(f"[{i}] {r.kind.name.title()}", _result(r.result))
    elif isinstance(payload, DataNotification):
        n = p.add("DLMS Data Notification", f"invoke-id 0x{payload.invoke_id:08X}")
        code = payload.alert_code
        if code is not None:
            n.add("Alert Code", f"0x{code:04X} ({alert_code_name(code)})")
        _data(n, "Body", payload.body, hide_keys)
    elif isinstance(payload, GbzPayload):
        n = p.add("GBZ", f"{payload.component_count} component(s)")
        if payload.alert_code is not None:
            code = payload.alert_code
            n.add("Alert Code", f"0x{code:04X} ({alert_code_name(code)})")
            ts = payload.timestamp or 0
            n.add("Time Stamp", (ZIGBEE_EPOCH + datetime.timedelta(seconds=ts)).isoformat())
        for i, c in enumerate(payload.components):
            cn = n.add(f"Component {i + 1}", f"cluster 0x{c.cluster_id:04X}")
            cn.add("Control Field", f"0x{c.control:02X}")
            cn.add("ZCL Header", _hex(c.zcl_header))
            shown = REDACTED if hide_keys else _hex(c.payload)
            cn.add("Encrypted" if c.encrypted else "ZCL Payload", shown)
        if payload.trailer:
            n.add("Use-case Specific Body", _hex(payload.trailer))
    elif isinstance(payload, Asn1Payload):
        _asn1(p.add(payload.type_name), payload.value)
    elif isinstance(payload, RawPayload):
        p.add("Raw", _hex(payload.data))


def _result(code: int) -> str:
    try:
        return f"{code} ({DataAccessResult(code).name.replace('_', ' ').title()})"
    except ValueError:
        return str(code)


_ASN1_ENUMS: dict[str, Any] = {
    "joinMethodAndRole": JoinMethodAndRole,
    "otherDeviceType": DeviceType,
    "deviceType": DeviceType,
}


def _asn1(n: Field, value: Any, label: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict | list | tuple):
                _asn1(n.add(k), v, k)
            else:
                _asn1_leaf(n, k, v)
    elif isinstance(value, list):
        n.value = f"{len(value)} entries"
        for i, v in enumerate(value):
            _asn1(n.add(f"[{i}]"), v, label)
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        if isinstance(value[1], dict):
            _asn1(n.add(value[0]), value[1], value[0])
        else:
            _asn1_leaf(n, value[0], value[1])
    else:
        _asn1_leaf(n, label or "value", value)


def _asn1_leaf(n: Field, key: str, v: Any) -> None:
    if isinstance(v, bytes | bytearray):
        n.add(key, _hex(bytes(v)) if len(v) <= 64 else f"{len(v)} bytes DER")
    elif key == "alertCode" and isinstance(v, int):
        n.add(key, f"0x{v:04X} ({alert_code_name(v)})")
    elif key in _ASN1_ENUMS and isinstance(v, int):
        try:
            n.add(key, f"{v} ({_ASN1_ENUMS[key](v).name})")
        except ValueError:
            n.add(key, v)
    elif key == "responseCode" and isinstance(v, int) and n.label == "executionOutcome":
        known = v in set(ActivateFirmwareResult)
        n.add(key, f"{v} ({ActivateFirmwareResult(v).name})" if known else v)
    elif v is None:
        n.add(key, "NULL")
    else:
        n.add(key, v)


def _dlms_date_time(b: bytes) -> str:
    year = int.from_bytes(b[0:2], "big")
    if b[:9] == b"\xff" * 9:
        return f"{_hex(b)} (never)"
    y = "*" if year == 0xFFFF else f"{year:04d}"
    m = "*" if b[2] == 0xFF else f"{b[2]:02d}"
    d = "*" if b[3] == 0xFF else f"{b[3]:02d}"
    t = ":".join("*" if x == 0xFF else f"{x:02d}" for x in b[5:8])
    return f"{_hex(b)} ({y}-{m}-{d} {t})"


KEY_BEARING_USE_CASES = frozenset(
    {
        0x0001,  # CCS01 add device to the CHF Device Log: the install code
        0x0003,  # CCS03 restore HAN Device Log: link keys
        0x0018,  # CS14 Device Log changed alert: the log's install codes
        0x008C,  # GCS59 restore GPF Device Log
        0x00FE,  # CCS07 read CHF Device Log
        0x010F,  # CCS06 read CHF Device Log
    }
)
"""Use cases whose payloads carry install codes or link keys: shown only when asked."""
REDACTED = "<redacted: --reveal-keys shows it>"
ZIGBEE_NETWORK_CONTROL = 104
"""DLMS interface class of the CHF Device Log: its data carries install codes and link keys."""
KEY_LENGTH = 16


def _data(parent: Field, label: str, d: Data, secret: bool = False) -> None:
    t = d.type
    name = t.name.replace("_", " ").title()
    v = d.value
    if isinstance(v, tuple):
        n = parent.add(f"{label} {name}", f"{len(v)} elements")
        for i, item in enumerate(v):
            _data(n, f"[{i}]", item, secret)
    elif isinstance(v, CompactArray):
        elements = v.elements()
        n = parent.add(f"{label} {name}", f"{len(elements)} elements")
        for i, item in enumerate(elements):
            _data(n, f"[{i}]", item, secret)
    elif isinstance(v, bytes) and secret and len(v) == KEY_LENGTH:
        parent.add(f"{label} {name}", f"{len(v)} bytes {REDACTED}")
    elif isinstance(v, BitString):
        parent.add(f"{label} {name}", str(v))
    elif isinstance(v, bytes):
        text = _hex(v)
        if t is DataType.OCTET_STRING and len(v) == 12:
            text = _dlms_date_time(v)
        elif t is DataType.VISIBLE_STRING or (
            v and all(0x20 <= c < 0x7F for c in v) and len(v) > 3
        ):
            text = f'{_hex(v)} ("{v.decode("ascii", "replace")}")'
        parent.add(f"{label} {name}", text)
    elif t is DataType.BOOLEAN:
        parent.add(f"{label} {name}", bool(v))
    elif v is None:
        parent.add(f"{label} {name}")
    else:
        parent.add(f"{label} {name}", v)
