"""Tunneling cluster (0x0704): the HAN transport of every GBCS Remote Party Message.

GB use (GBCS §10.2.2, quoted in Silicon Labs' comms-hub plugins; DOMAIN.md §2): every RequestTunnel
carries ProtocolID 6 ("GB-HGRP"), ManufacturerCode 0xFFFF ("not used") and FlowControlSupport
False; the Communications Hub asks for tunnels to ESME, HCALCS and PPMID after CBKE, the sleepy GSME
opens its own tunnel to the CHF and pulls with GET / GET-RESPONSE and pushes with PUT, the first
octet of Transfer Data.

Commands and fields: ZSE 1.4 (07-5356-21) Annex D / ZCL Revision 8 chapter 10 "Tunneling",
cross-checked against Silicon Labs' ``app/zcl/ami.xml`` and Wireshark's ``packet-zbee-zcl-se.c``.
Transfer Data's data has no length prefix: it runs to the end of the ZCL payload.
"""

from __future__ import annotations

# zigpy annotates ZCLCommandDef and ZCLAttributeDef with the normalised types it converts to
# (uint8_t ids, compiled schema classes, access flags), not the ints, dicts and strings its own
# declarative clusters pass; arg-type is silenced for these declarations only.
# mypy: disable-error-code="arg-type"
from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy as zse
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    CommandSchema,
    ZCLAttributeDef,
    ZCLCommandDef,
)

from .types import RestOfPayload, counted_by

__all__ = [
    "GB_HGRP_MANUFACTURER_CODE",
    "GB_HGRP_MAXIMUM_INCOMING_TRANSFER_SIZE",
    "GbHgrpCommand",
    "ProtocolId",
    "SupportedProtocol",
    "TransferDataStatus",
    "TunnelStatus",
    "Tunneling",
]


class ProtocolId(t.enum8):
    """Tunnel protocol identifiers (Wireshark ``zbee_zcl_tun_protocol_names``; 200-254 vendor)."""

    DLMS_COSEM = 0x00
    IEC_61107 = 0x01
    ANSI_C12 = 0x02
    M_BUS = 0x03
    SML = 0x04
    CLIMATE_TALK = 0x05
    GB_HGRP = 0x06
    IPV6 = 0x07
    IPV4 = 0x08
    NULL = 0x09
    TEST = 0xC7


GB_HGRP_MANUFACTURER_CODE: Final = 0xFFFF
"""GBCS §10.2.2: "not used"."""

GB_HGRP_MAXIMUM_INCOMING_TRANSFER_SIZE: Final = 1500
"""What GB devices announce (DOMAIN.md §2; the CHF's 1500-octet message buffer)."""


class GbHgrpCommand(t.enum8):
    """First octet of GB-HGRP Transfer Data between a GSME and the CHF (DOMAIN.md §2)."""

    GET = 0x01
    GET_RESPONSE = 0x02
    PUT = 0x03


class TunnelStatus(t.enum8):
    SUCCESS = 0x00
    BUSY = 0x01
    NO_MORE_TUNNEL_IDS = 0x02
    PROTOCOL_NOT_SUPPORTED = 0x03
    FLOW_CONTROL_NOT_SUPPORTED = 0x04


class TransferDataStatus(t.enum8):
    NO_SUCH_TUNNEL = 0x00
    WRONG_DEVICE = 0x01
    DATA_OVERFLOW = 0x02


class SupportedProtocol(t.Struct):
    manufacturer_code: t.uint16_t
    protocol_id: ProtocolId


class SupportedTunnelProtocolsResponse(CommandSchema):
    """The protocol count octet gives the number of (manufacturer code, protocol id) entries."""

    protocol_list_complete: t.Bool
    protocol_count: t.uint8_t
    protocol_list: t.List[SupportedProtocol] = counted_by("protocol_count")


class Tunneling(zse.Tunneling):
    _skip_registry = True

    ProtocolId: Final = ProtocolId
    TunnelStatus: Final = TunnelStatus
    TransferDataStatus: Final = TransferDataStatus

    class AttributeDefs(BaseAttributeDefs):
        close_tunnel_timeout: Final = ZCLAttributeDef(
            id=0x0000, type=t.uint16_t, access="r", mandatory=True
        )

    class ServerCommandDefs(BaseCommandDefs):
        request_tunnel: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "protocol_id": ProtocolId,
                "manufacturer_code": t.uint16_t,
                "flow_control_support": t.Bool,
                "maximum_incoming_transfer_size": t.uint16_t,
            },
        )
        close_tunnel: Final = ZCLCommandDef(id=0x01, schema={"tunnel_id": t.uint16_t})
        transfer_data: Final = ZCLCommandDef(
            id=0x02, schema={"tunnel_id": t.uint16_t, "data": RestOfPayload}
        )
        transfer_data_error: Final = ZCLCommandDef(
            id=0x03,
            schema={"tunnel_id": t.uint16_t, "transfer_data_status": TransferDataStatus},
        )
        ack_transfer_data: Final = ZCLCommandDef(
            id=0x04, schema={"tunnel_id": t.uint16_t, "number_of_bytes_left": t.uint16_t}
        )
        ready_data: Final = ZCLCommandDef(
            id=0x05, schema={"tunnel_id": t.uint16_t, "number_of_octets_left": t.uint16_t}
        )
        get_supported_tunnel_protocols: Final = ZCLCommandDef(
            id=0x06, schema={"protocol_offset": t.uint8_t}
        )

    class ClientCommandDefs(BaseCommandDefs):
        request_tunnel_response: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "tunnel_id": t.uint16_t,
                "tunnel_status": TunnelStatus,
                "maximum_incoming_transfer_size": t.uint16_t,
            },
        )
        transfer_data_server_to_client: Final = ZCLCommandDef(
            id=0x01, schema={"tunnel_id": t.uint16_t, "data": RestOfPayload}
        )
        transfer_data_error_server_to_client: Final = ZCLCommandDef(
            id=0x02,
            schema={"tunnel_id": t.uint16_t, "transfer_data_status": TransferDataStatus},
        )
        ack_transfer_data_server_to_client: Final = ZCLCommandDef(
            id=0x03, schema={"tunnel_id": t.uint16_t, "number_of_bytes_left": t.uint16_t}
        )
        ready_data_server_to_client: Final = ZCLCommandDef(
            id=0x04, schema={"tunnel_id": t.uint16_t, "number_of_octets_left": t.uint16_t}
        )
        supported_tunnel_protocols_response: Final = ZCLCommandDef(
            id=0x05, schema=SupportedTunnelProtocolsResponse
        )
        tunnel_closure_notification: Final = ZCLCommandDef(
            id=0x06, schema={"tunnel_id": t.uint16_t}
        )
