"""Price cluster (0x0700): tariffs, prices and block thresholds for the consumer's displays.

GB use: the ESME, and the GPF for the gas meter, serve Price to the IHD, PPMID and CADs so they can
show the active tariff, price, block thresholds, standing charge and (gas) conversion factor and
calorific value. [I] from the SMETS2 consumer-device roles.

Commands and fields: ZSE 1.4 (07-5356-21) Annex D / ZCL Revision 8 §10.2 "Price", cross-checked
against Silicon Labs' ``app/zcl/ami.xml`` (SE 1.4 data model, which records when each field
appeared) and Wireshark's ``packet-zbee-zcl-se.c``. Publish Price's fields added after SE 1.0 are
optional, so older frames parse. Publish Block Period follows SE 1.2a and later (its SE 1.1
"number of price tiers and block thresholds" octet is gone). Attributes: the sets GB displays
draw on (tier labels 1-4, block thresholds, block period, commodity, block prices of tiers 1-4,
tariff information, billing period); the remaining tier/block combinations and the received
("Rx") sets are omitted.
"""

from __future__ import annotations

# zigpy annotates ZCLCommandDef and ZCLAttributeDef with the normalised types it converts to
# (uint8_t ids, compiled schema classes, access flags), not the ints, dicts and strings its own
# declarative clusters pass; arg-type is silenced for these declarations only.
# mypy: disable-error-code="arg-type"
from typing import Any, Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy as zse
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    CommandSchema,
    ZCLAttributeDef,
    ZCLCommandDef,
)

from .types import OctetString, counted_by

__all__ = [
    "BlockThresholdSubPayload",
    "Price",
    "PriceControl",
    "PriceMatrixEntry",
    "TariffType",
    "TierLabel",
]


class TariffType(t.enum8):
    DELIVERED_TARIFF = 0x00
    RECEIVED_TARIFF = 0x01
    DELIVERED_AND_RECEIVED_TARIFF = 0x02


class PriceControl(t.bitmap8):
    PRICE_ACKNOWLEDGEMENT_REQUIRED = 0x01
    TOTAL_TIERS_EXCEEDS_15 = 0x02


class BlockPeriodControl(t.bitmap8):
    PRICE_ACKNOWLEDGEMENT_REQUIRED = 0x01
    REPEATING_BLOCK = 0x02


class PriceMatrixEntry(t.Struct):
    """One price of Publish Price Matrix: tier/block id (nibbles by sub-payload control)."""

    tier_block_id: t.uint8_t
    price: t.uint32_t


def _threshold_count(sub_payload: Any) -> int:
    return int(sub_payload.tier_number_of_block_thresholds) & 0x0F


class BlockThresholdSubPayload(t.Struct):
    """Tier (high nibble) and number of thresholds (low nibble), then that many thresholds."""

    tier_number_of_block_thresholds: t.uint8_t
    block_thresholds: t.List[t.uint48_t] = t.StructField(length=_threshold_count)  # type: ignore[assignment]


class TierLabel(t.Struct):
    tier_id: t.uint8_t
    tier_label: OctetString


class PublishTierLabels(CommandSchema):
    provider_id: t.uint32_t
    issuer_event_id: t.uint32_t
    issuer_tariff_id: t.uint32_t
    command_index: t.uint8_t
    total_number_of_commands: t.uint8_t
    number_of_labels: t.uint8_t
    tier_labels: t.List[TierLabel] = counted_by("number_of_labels")


def _attr(attr_id: int, attr_type: type) -> ZCLAttributeDef:
    return ZCLAttributeDef(id=attr_id, type=attr_type, access="r")


class Price(zse.Price):
    _skip_registry = True

    TariffType: Final = TariffType

    class AttributeDefs(BaseAttributeDefs):
        # Tier Label (Delivered) Attribute Set
        tier_1_price_label: Final = ZCLAttributeDef(id=0x0000, type=OctetString, access="rw")
        tier_2_price_label: Final = ZCLAttributeDef(id=0x0001, type=OctetString, access="rw")
        tier_3_price_label: Final = ZCLAttributeDef(id=0x0002, type=OctetString, access="rw")
        tier_4_price_label: Final = ZCLAttributeDef(id=0x0003, type=OctetString, access="rw")
        # Block Threshold (Delivered) Attribute Set
        block_1_threshold: Final = _attr(0x0100, t.uint48_t)
        block_2_threshold: Final = _attr(0x0101, t.uint48_t)
        block_3_threshold: Final = _attr(0x0102, t.uint48_t)
        block_threshold_count: Final = _attr(0x010F, t.uint8_t)
        # Block Period (Delivered) Attribute Set
        start_of_block_period: Final = _attr(0x0200, t.UTCTime)
        block_period_duration: Final = _attr(0x0201, t.uint24_t)
        threshold_multiplier: Final = _attr(0x0202, t.uint24_t)
        threshold_divisor: Final = _attr(0x0203, t.uint24_t)
        block_period_duration_type: Final = _attr(0x0204, t.bitmap8)
        # Commodity Attribute Set
        commodity_type: Final = _attr(0x0300, t.enum8)
        standing_charge: Final = _attr(0x0301, t.uint32_t)
        conversion_factor: Final = _attr(0x0302, t.uint32_t)
        conversion_factor_trailing_digit: Final = _attr(0x0303, t.bitmap8)
        calorific_value: Final = _attr(0x0304, t.uint32_t)
        calorific_value_unit: Final = _attr(0x0305, t.enum8)
        calorific_value_trailing_digit: Final = _attr(0x0306, t.bitmap8)
        # Block Price Information (Delivered) Attribute Set, no-tier and tiers 1-4, blocks 1-4
        no_tier_block_1_price: Final = _attr(0x0400, t.uint32_t)
        no_tier_block_2_price: Final = _attr(0x0401, t.uint32_t)
        no_tier_block_3_price: Final = _attr(0x0402, t.uint32_t)
        no_tier_block_4_price: Final = _attr(0x0403, t.uint32_t)
        tier_1_block_1_price: Final = _attr(0x0410, t.uint32_t)
        tier_1_block_2_price: Final = _attr(0x0411, t.uint32_t)
        tier_1_block_3_price: Final = _attr(0x0412, t.uint32_t)
        tier_1_block_4_price: Final = _attr(0x0413, t.uint32_t)
        tier_2_block_1_price: Final = _attr(0x0420, t.uint32_t)
        tier_2_block_2_price: Final = _attr(0x0421, t.uint32_t)
        tier_2_block_3_price: Final = _attr(0x0422, t.uint32_t)
        tier_2_block_4_price: Final = _attr(0x0423, t.uint32_t)
        tier_3_block_1_price: Final = _attr(0x0430, t.uint32_t)
        tier_3_block_2_price: Final = _attr(0x0431, t.uint32_t)
        tier_3_block_3_price: Final = _attr(0x0432, t.uint32_t)
        tier_3_block_4_price: Final = _attr(0x0433, t.uint32_t)
        tier_4_block_1_price: Final = _attr(0x0440, t.uint32_t)
        tier_4_block_2_price: Final = _attr(0x0441, t.uint32_t)
        tier_4_block_3_price: Final = _attr(0x0442, t.uint32_t)
        tier_4_block_4_price: Final = _attr(0x0443, t.uint32_t)
        # Tariff Information (Delivered) Attribute Set
        tariff_label: Final = _attr(0x0610, OctetString)
        number_of_price_tiers_in_use: Final = _attr(0x0611, t.uint8_t)
        number_of_block_thresholds_in_use: Final = _attr(0x0612, t.uint8_t)
        tier_block_mode: Final = _attr(0x0613, t.enum8)
        unit_of_measure: Final = _attr(0x0615, t.enum8)
        currency: Final = _attr(0x0616, t.uint16_t)
        price_trailing_digit: Final = _attr(0x0617, t.bitmap8)
        tariff_resolution_period: Final = _attr(0x0619, t.enum8)
        # Billing Information (Delivered) Attribute Set
        current_billing_period_start: Final = _attr(0x0700, t.UTCTime)
        current_billing_period_duration: Final = _attr(0x0701, t.uint24_t)
        last_billing_period_start: Final = _attr(0x0702, t.UTCTime)
        last_billing_period_duration: Final = _attr(0x0703, t.uint24_t)
        last_billing_period_consolidated_bill: Final = _attr(0x0704, t.uint32_t)

    class ServerCommandDefs(BaseCommandDefs):
        get_current_price: Final = ZCLCommandDef(id=0x00, schema={"command_options": t.bitmap8})
        get_scheduled_prices: Final = ZCLCommandDef(
            id=0x01, schema={"start_time": t.UTCTime, "number_of_events": t.uint8_t}
        )
        price_acknowledgement: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "price_ack_time": t.UTCTime,
                "control": PriceControl,
            },
        )
        get_block_periods: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "start_time": t.UTCTime,
                "number_of_events": t.uint8_t,
                "tariff_type?": t.bitmap8,
            },
        )
        get_conversion_factor: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "earliest_start_time": t.UTCTime,
                "min_issuer_event_id": t.uint32_t,
                "number_of_commands": t.uint8_t,
            },
        )
        get_calorific_value: Final = ZCLCommandDef(
            id=0x05,
            schema={
                "earliest_start_time": t.UTCTime,
                "min_issuer_event_id": t.uint32_t,
                "number_of_commands": t.uint8_t,
            },
        )
        get_tariff_information: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "earliest_start_time": t.UTCTime,
                "min_issuer_event_id": t.uint32_t,
                "number_of_commands": t.uint8_t,
                "tariff_type": t.bitmap8,
            },
        )
        get_price_matrix: Final = ZCLCommandDef(id=0x07, schema={"issuer_tariff_id": t.uint32_t})
        get_block_thresholds: Final = ZCLCommandDef(
            id=0x08, schema={"issuer_tariff_id": t.uint32_t}
        )
        get_co2_value: Final = ZCLCommandDef(
            id=0x09,
            schema={
                "earliest_start_time": t.UTCTime,
                "min_issuer_event_id": t.uint32_t,
                "number_of_commands": t.uint8_t,
                "tariff_type": t.bitmap8,
            },
        )
        get_tier_labels: Final = ZCLCommandDef(id=0x0A, schema={"issuer_tariff_id": t.uint32_t})
        get_billing_period: Final = ZCLCommandDef(
            id=0x0B,
            schema={
                "earliest_start_time": t.UTCTime,
                "min_issuer_event_id": t.uint32_t,
                "number_of_commands": t.uint8_t,
                "tariff_type": t.bitmap8,
            },
        )
        get_consolidated_bill: Final = ZCLCommandDef(
            id=0x0C,
            schema={
                "earliest_start_time": t.UTCTime,
                "min_issuer_event_id": t.uint32_t,
                "number_of_commands": t.uint8_t,
                "tariff_type": t.bitmap8,
            },
        )
        cpp_event_response: Final = ZCLCommandDef(
            id=0x0D, schema={"issuer_event_id": t.uint32_t, "cpp_auth": t.enum8}
        )
        get_credit_payment: Final = ZCLCommandDef(
            id=0x0E, schema={"latest_end_time": t.UTCTime, "number_of_records": t.uint8_t}
        )
        get_currency_conversion: Final = ZCLCommandDef(id=0x0F, schema={})
        get_tariff_cancellation: Final = ZCLCommandDef(id=0x10, schema={})

    class ClientCommandDefs(BaseCommandDefs):
        publish_price: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "provider_id": t.uint32_t,
                "rate_label": OctetString,
                "issuer_event_id": t.uint32_t,
                "current_time": t.UTCTime,
                "unit_of_measure": t.enum8,
                "currency": t.uint16_t,
                "price_trailing_digit_and_price_tier": t.bitmap8,
                "number_of_price_tiers_and_register_tier": t.bitmap8,
                "start_time": t.UTCTime,
                "duration_in_minutes": t.uint16_t,
                "price": t.uint32_t,
                "price_ratio": t.uint8_t,
                "generation_price": t.uint32_t,
                "generation_price_ratio": t.uint8_t,
                "alternate_cost_delivered?": t.uint32_t,
                "alternate_cost_unit?": t.enum8,
                "alternate_cost_trailing_digit?": t.bitmap8,
                "number_of_block_thresholds?": t.uint8_t,
                "price_control?": PriceControl,
                "number_of_generation_tiers?": t.uint8_t,
                "generation_tier?": t.enum8,
                "extended_number_of_price_tiers?": t.enum8,
                "extended_price_tier?": t.enum8,
                "extended_register_tier?": t.enum8,
            },
        )
        publish_block_period: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "block_period_start_time": t.UTCTime,
                "block_period_duration": t.uint24_t,
                "block_period_control": BlockPeriodControl,
                "block_period_duration_type": t.bitmap8,
                "tariff_type": t.bitmap8,
                "tariff_resolution_period": t.enum8,
            },
        )
        publish_conversion_factor: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "conversion_factor": t.uint32_t,
                "conversion_factor_trailing_digit": t.bitmap8,
            },
        )
        publish_calorific_value: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "calorific_value": t.uint32_t,
                "calorific_value_unit": t.enum8,
                "calorific_value_trailing_digit": t.bitmap8,
            },
        )
        publish_tariff_information: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "issuer_tariff_id": t.uint32_t,
                "start_time": t.UTCTime,
                "tariff_type_charging_scheme": t.bitmap8,
                "tariff_label": OctetString,
                "number_of_price_tiers_in_use": t.uint8_t,
                "number_of_block_thresholds_in_use": t.uint8_t,
                "unit_of_measure": t.enum8,
                "currency": t.uint16_t,
                "price_trailing_digit": t.bitmap8,
                "standing_charge": t.uint32_t,
                "tier_block_mode": t.enum8,
                "block_threshold_multiplier": t.uint24_t,
                "block_threshold_divisor": t.uint24_t,
            },
        )
        publish_price_matrix: Final = ZCLCommandDef(
            id=0x05,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "issuer_tariff_id": t.uint32_t,
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "sub_payload_control": t.bitmap8,
                "price_matrix": t.List[PriceMatrixEntry],
            },
        )
        publish_block_thresholds: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "issuer_tariff_id": t.uint32_t,
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "sub_payload_control": t.bitmap8,
                "block_thresholds": t.List[BlockThresholdSubPayload],
            },
        )
        publish_co2_value: Final = ZCLCommandDef(
            id=0x07,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "tariff_type": t.bitmap8,
                "co2_value": t.uint32_t,
                "co2_value_unit": t.enum8,
                "co2_value_trailing_digit": t.bitmap8,
            },
        )
        publish_tier_labels: Final = ZCLCommandDef(id=0x08, schema=PublishTierLabels)
        publish_billing_period: Final = ZCLCommandDef(
            id=0x09,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "billing_period_start_time": t.UTCTime,
                "billing_period_duration": t.bitmap24,
                "billing_period_duration_type": t.bitmap8,
                "tariff_type": t.bitmap8,
            },
        )
        publish_consolidated_bill: Final = ZCLCommandDef(
            id=0x0A,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "billing_period_start_time": t.UTCTime,
                "billing_period_duration": t.bitmap24,
                "billing_period_duration_type": t.bitmap8,
                "tariff_type": t.bitmap8,
                "consolidated_bill": t.uint32_t,
                "currency": t.uint16_t,
                "bill_trailing_digit": t.bitmap8,
            },
        )
        publish_cpp_event: Final = ZCLCommandDef(
            id=0x0B,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "duration_in_minutes": t.uint16_t,
                "tariff_type": t.bitmap8,
                "cpp_price_tier": t.enum8,
                "cpp_auth": t.enum8,
            },
        )
        publish_credit_payment: Final = ZCLCommandDef(
            id=0x0C,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "credit_payment_due_date": t.UTCTime,
                "credit_payment_overdue_amount": t.uint32_t,
                "credit_payment_status": t.enum8,
                "credit_payment": t.uint32_t,
                "credit_payment_date": t.UTCTime,
                "credit_payment_ref": OctetString,
            },
        )
        publish_currency_conversion: Final = ZCLCommandDef(
            id=0x0D,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "old_currency": t.uint16_t,
                "new_currency": t.uint16_t,
                "conversion_factor": t.uint32_t,
                "conversion_factor_trailing_digit": t.bitmap8,
                "currency_change_control_flags": t.bitmap32,
            },
        )
        cancel_tariff: Final = ZCLCommandDef(
            id=0x0E,
            schema={
                "provider_id": t.uint32_t,
                "issuer_tariff_id": t.uint32_t,
                "tariff_type": t.bitmap8,
            },
        )
