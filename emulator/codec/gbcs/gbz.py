"""GBZ: ZigBee ZCL commands inside GBCS, for the GSME and GPF (GBCS 7.4, DOMAIN.md section 2).

A GBZ payload is the Smart Energy profile ID ``01 09``, a component count, and components. Each
component is an extended header (control field, cluster ID, length; all big-endian), optional
additional header (encrypted components) or from-date-time, a ZCL header, and the ZCL payload, which
for an encrypted component is ciphered information (length, security header, ciphertext, tag).
Alert payloads put an alert code and a ZigBee UTC time (seconds since 2000-01-01) before the
components; use-case-specific alert bodies that are not components are kept raw in ``trailer``.
ZCL payloads themselves stay bytes here (the ZCL codec decodes them where they are consumed).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..reader import Reader
from .errors import GbcsDecodeError

GBZ_PROFILE_ID = 0x0109

# Extended header control field bits (GBCS 7.4.x, as Wireshark's packet-gbcs.c reads them): bit 0
# marks the last component, bit 1 an encrypted component, bit 4 a from-date-time. A component may
# have both; the from-date-time comes first, then the encrypted component's additional header.
CONTROL_LAST_COMPONENT = 0x01
CONTROL_ENCRYPTED = 0x02
CONTROL_FROM_DATE_TIME = 0x10

ZCL_MANUFACTURER_SPECIFIC = 0x04
ENCRYPTED_ADDITIONAL_HEADER_LENGTH = 2  # additional header control + frame counter


@dataclass(frozen=True, slots=True)
class GbzComponent:
    """One GBZ use-case-specific component."""

    control: int
    cluster_id: int
    zcl_header: bytes
    payload: bytes
    from_date_time: int | None = None
    additional_header: bytes | None = None

    @property
    def encrypted(self) -> bool:
        return bool(self.control & CONTROL_ENCRYPTED)

    @property
    def frame_control(self) -> int:
        return self.zcl_header[0]

    @property
    def command_id(self) -> int:
        return self.zcl_header[-1]

    def encode(self) -> bytes:
        body = b""
        if self.control & CONTROL_FROM_DATE_TIME:
            if self.from_date_time is None:
                raise ValueError("control field says from-date-time but none given")
            body += self.from_date_time.to_bytes(4, "big")
        if self.encrypted:
            if self.additional_header is None or len(self.additional_header) != 2:
                raise ValueError("an encrypted component needs its 2-byte additional header")
            body += self.additional_header
        body += self.zcl_header
        if self.encrypted:
            body += len(self.payload).to_bytes(2, "big")
        body += self.payload
        return (
            bytes([self.control])
            + self.cluster_id.to_bytes(2, "big")
            + len(body).to_bytes(2, "big")
            + body
        )

    @classmethod
    def read(cls, r: Reader) -> GbzComponent:
        control = r.u8("GBZ control field")
        cluster = int.from_bytes(r.take(2, "GBZ cluster id"), "big")
        n = int.from_bytes(r.take(2, "GBZ command length"), "big")
        base = r.pos
        body = Reader(r.take(n, "GBZ command"), GbcsDecodeError)
        try:
            return cls._body(control, cluster, body)
        except GbcsDecodeError as e:
            raise e.shifted(base) from None

    @classmethod
    def _body(cls, control: int, cluster: int, r: Reader) -> GbzComponent:
        additional = None
        from_date_time = None
        if control & CONTROL_FROM_DATE_TIME:
            from_date_time = int.from_bytes(r.take(4, "from-date-time"), "big")
        if control & CONTROL_ENCRYPTED:
            additional = r.take(ENCRYPTED_ADDITIONAL_HEADER_LENGTH, "additional header")
        frame_control = r.u8("ZCL frame control")
        header_len = 5 if frame_control & ZCL_MANUFACTURER_SPECIFIC else 3
        r.pos -= 1
        zcl_header = r.take(header_len, "ZCL header")
        if control & CONTROL_ENCRYPTED:
            at = r.pos
            m = int.from_bytes(r.take(2, "ciphered information length"), "big")
            if m != r.remaining:
                raise GbcsDecodeError(
                    f"ciphered information length {m} but {r.remaining} bytes follow", at
                )
        payload = r.rest()
        return cls(control, cluster, zcl_header, payload, from_date_time, additional)


@dataclass(frozen=True, slots=True)
class GbzPayload:
    """A GBZ payload; ``alert_code``/``timestamp`` are set for alert payloads only.

    ``component_count`` is the count byte as sent (for some alerts it does not count components).
    """

    components: tuple[GbzComponent, ...]
    component_count: int
    alert_code: int | None = None
    timestamp: int | None = None
    trailer: bytes = b""
    profile_id: int = GBZ_PROFILE_ID

    @classmethod
    def of(cls, *components: GbzComponent) -> GbzPayload:
        """A command/response payload of ``components``."""
        return cls(tuple(components), len(components))

    def encode(self) -> bytes:
        out = self.profile_id.to_bytes(2, "big") + bytes([self.component_count])
        if self.alert_code is not None:
            if self.timestamp is None:
                raise ValueError("a GBZ alert needs a timestamp")
            out += self.alert_code.to_bytes(2, "big") + self.timestamp.to_bytes(4, "big")
        return out + b"".join(c.encode() for c in self.components) + self.trailer


def decode_gbz(data: bytes, alert: bool = False) -> GbzPayload:
    """Decode a GBZ payload (``alert``: it has the alert code and time stamp header)."""
    r = Reader(data, GbcsDecodeError)
    profile = int.from_bytes(r.take(2, "GBZ profile id"), "big")
    if profile != GBZ_PROFILE_ID:
        raise GbcsDecodeError(f"wrong GBZ profile id 0x{profile:04X} (expected 0x0109)", 0)
    count = r.u8("GBZ component count")
    alert_code = timestamp = None
    if alert:
        alert_code = int.from_bytes(r.take(2, "GBZ alert code"), "big")
        timestamp = int.from_bytes(r.take(4, "GBZ alert time stamp"), "big")
    start = r.pos
    components: list[GbzComponent] = []
    try:
        for _ in range(count):
            components.append(GbzComponent.read(r))
        if r.remaining:
            raise GbcsDecodeError(f"{r.remaining} bytes after the GBZ components", r.pos)
    except GbcsDecodeError:
        if not alert:
            raise
        # Use-case-specific alert bodies (e.g. firmware receipt hash) are not components.
        r.pos = start
        return GbzPayload((), count, alert_code, timestamp, r.rest())
    return GbzPayload(tuple(components), count, alert_code, timestamp)
