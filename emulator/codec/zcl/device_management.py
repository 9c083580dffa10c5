"""Device Management cluster (0x0708): change of tenancy/supplier, site id, CIN, passwords.

GB use: lets the ESME and GPF tell consumer devices about a change of supplier or tenancy (clear
what the old supplier or occupant left behind) and carry the site identifier and the customer id
number. [I] from DOMAIN.md §1 (MP121, change of supplier) and the SMETS2 device roles.

Commands and fields: ZSE 1.4 (07-5356-21) Annex D / ZCL Revision 8 §10.10 "Device Management",
cross-checked against Silicon Labs' ``app/zcl/ami.xml``. Set Event Configuration's trailing
payload depends on its configuration control (by list, by group, by log type, by match) and is kept
as raw octets.
"""

from __future__ import annotations

# zigpy annotates ZCLCommandDef and ZCLAttributeDef with the normalised types it converts to
# (uint8_t ids, compiled schema classes, access flags), not the ints, dicts and strings its own
# declarative clusters pass; arg-type is silenced for these declarations only.
# mypy: disable-error-code="arg-type"
from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy as zse
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef

from .types import OctetString, RestOfPayload

__all__ = [
    "DeviceManagement",
    "EventConfigurationControl",
    "EventConfigurationEntry",
    "PasswordType",
    "ProposedChangeControl",
]


class PasswordType(t.enum8):
    PASSWORD_1_SERVICE_MENU_ACCESS = 0x01
    PASSWORD_2_CONSUMER_MENU_ACCESS = 0x02
    PASSWORD_3 = 0x03
    PASSWORD_4 = 0x04


class ProposedChangeControl(t.bitmap32):
    PRE_SNAPSHOTS = 0x00000001
    POST_SNAPSHOTS = 0x00000002
    RESET_CREDIT_REGISTER = 0x00000004
    RESET_DEBIT_REGISTER = 0x00000008
    RESET_BILLING_PERIOD = 0x00000010
    CLEAR_TARIFF_PLAN = 0x00000020
    CLEAR_STANDING_CHARGE = 0x00000040
    BLOCK_HISTORICAL_LOAD_PROFILE_INFORMATION = 0x00000080
    CLEAR_HISTORICAL_LOAD_PROFILE_INFORMATION = 0x00000100
    CLEAR_IHD_DATA_CONSUMER = 0x00000200
    CLEAR_IHD_DATA_SUPPLIER = 0x00000400
    CLEAR_TRANSACTION_LOG = 0x00002000
    CLEAR_PREPAYMENT_LOG = 0x00004000


class EventConfigurationControl(t.enum8):
    APPLY_BY_LIST = 0x00
    APPLY_BY_EVENT_GROUP = 0x01
    APPLY_BY_LOG_TYPE = 0x02
    APPLY_BY_CONFIGURATION_MATCH = 0x03


class EventConfigurationEntry(t.Struct):
    event_id: t.uint16_t
    event_configuration: t.bitmap8


def _attr(attr_id: int, attr_type: type) -> ZCLAttributeDef:
    return ZCLAttributeDef(id=attr_id, type=attr_type, access="r")


class DeviceManagement(zse.DeviceManagement):
    _skip_registry = True

    PasswordType: Final = PasswordType

    class AttributeDefs(BaseAttributeDefs):
        # Supplier Control Attribute Set
        provider_id: Final = _attr(0x0100, t.uint32_t)
        provider_name: Final = _attr(0x0101, OctetString)
        provider_contact_details: Final = _attr(0x0102, OctetString)
        proposed_provider_id: Final = _attr(0x0110, t.uint32_t)
        proposed_provider_name: Final = _attr(0x0111, OctetString)
        proposed_provider_change_date_time: Final = _attr(0x0112, t.UTCTime)
        proposed_provider_change_control: Final = _attr(0x0113, ProposedChangeControl)
        received_provider_id: Final = _attr(0x0120, t.uint32_t)
        received_provider_name: Final = _attr(0x0121, OctetString)
        received_provider_contact_details: Final = _attr(0x0122, OctetString)
        # Tenancy Attribute Set
        change_of_tenancy_update_date_time: Final = _attr(0x0200, t.UTCTime)
        proposed_tenancy_change_control: Final = _attr(0x0201, ProposedChangeControl)
        # Backhaul Control Attribute Set
        wan_status: Final = _attr(0x0300, t.enum8)
        # HAN Control Attribute Set
        low_medium_threshold: Final = _attr(0x0400, t.uint32_t)
        medium_high_threshold: Final = _attr(0x0401, t.uint32_t)

    class ServerCommandDefs(BaseCommandDefs):
        get_change_of_tenancy: Final = ZCLCommandDef(id=0x00, schema={})
        get_change_of_supplier: Final = ZCLCommandDef(id=0x01, schema={})
        request_new_password: Final = ZCLCommandDef(id=0x02, schema={"password_type": PasswordType})
        get_site_id: Final = ZCLCommandDef(id=0x03, schema={})
        report_event_configuration: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "command_index": t.uint8_t,
                "total_commands": t.uint8_t,
                "event_configuration_payload": t.List[EventConfigurationEntry],
            },
        )
        get_cin: Final = ZCLCommandDef(id=0x05, schema={})

    class ClientCommandDefs(BaseCommandDefs):
        publish_change_of_tenancy: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "tariff_type": t.bitmap8,
                "implementation_date_time": t.UTCTime,
                "proposed_tenancy_change_control": ProposedChangeControl,
            },
        )
        publish_change_of_supplier: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "current_provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "tariff_type": t.bitmap8,
                "proposed_provider_id": t.uint32_t,
                "provider_change_implementation_time": t.UTCTime,
                "provider_change_control": ProposedChangeControl,
                "proposed_provider_name": OctetString,
                "proposed_provider_contact_details": OctetString,
            },
        )
        request_new_password_response: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "issuer_event_id": t.uint32_t,
                "implementation_date_time": t.UTCTime,
                "duration_in_minutes": t.uint16_t,
                "password_type": PasswordType,
                "password": OctetString,
            },
        )
        update_site_id: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "issuer_event_id": t.uint32_t,
                "site_id_time": t.UTCTime,
                "provider_id": t.uint32_t,
                "site_id": OctetString,
            },
        )
        set_event_configuration: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "issuer_event_id": t.uint32_t,
                "start_date_time": t.UTCTime,
                "event_configuration": t.bitmap8,
                "configuration_control": EventConfigurationControl,
                "event_configuration_payload": RestOfPayload,
            },
        )
        get_event_configuration: Final = ZCLCommandDef(id=0x05, schema={"event_id": t.uint16_t})
        update_cin: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "issuer_event_id": t.uint32_t,
                "implementation_time": t.UTCTime,
                "provider_id": t.uint32_t,
                "customer_id_number": OctetString,
            },
        )
