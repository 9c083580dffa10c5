"""GBCS: the DCC <-> device message layer (envelope, crypto, payload codecs, message codes).

Sans-IO (DESIGN.md rule 2): bytes in, frozen dataclasses out, and back byte-exact. Every decoder
raises ``GbcsDecodeError`` (a ``DecodeError``) and nothing else on bad input.
"""

from __future__ import annotations

from .codes import (
    ALERT_CODE_NAMES,
    CRA,
    CRITICAL_COMMANDS,
    MESSAGE_CODE_NAMES,
    AlertCode,
    MessageCode,
    alert_code_name,
    message_code_name,
    use_case_of,
)
from .errors import GbcsCryptoError, GbcsDecodeError
from .gbt import GbtBlock, GbtReassembler, RoutingHeader, reassemble, split
from .headers import GeneralCiphering, GeneralSigning, OtherInformation
from .keystore import DS, KA, KeyStore, KeyUsage, MemoryKeyStore, public_key
from .message import Analysis, GbcsMessage, analyse, decode_message
from .payload import Asn1Payload, Payload, RawPayload, decode_payload
from .verify import Verdict, mac_verdict, protect, signature_verdict

__all__ = [
    "ALERT_CODE_NAMES",
    "CRA",
    "CRITICAL_COMMANDS",
    "DS",
    "KA",
    "MESSAGE_CODE_NAMES",
    "AlertCode",
    "Analysis",
    "Asn1Payload",
    "GbcsCryptoError",
    "GbcsDecodeError",
    "GbcsMessage",
    "GbtBlock",
    "GbtReassembler",
    "GeneralCiphering",
    "GeneralSigning",
    "KeyStore",
    "KeyUsage",
    "MemoryKeyStore",
    "MessageCode",
    "OtherInformation",
    "Payload",
    "RawPayload",
    "RoutingHeader",
    "Verdict",
    "alert_code_name",
    "analyse",
    "decode_message",
    "decode_payload",
    "mac_verdict",
    "message_code_name",
    "protect",
    "public_key",
    "reassemble",
    "signature_verdict",
    "split",
    "use_case_of",
]
