"""Prepayment cluster (0x0705): credit, emergency credit, debt and top-ups.

GB use: an ESME or a GSME (through its GPF mirror) in prepayment mode serves this cluster; the PPMID
is its client (consumer top-up, select emergency credit, reading credit and debt), the IHD reads it.
[I] from the SMETS2 PPMID role; commands are the SE 1.2a/1.4 set GB builds on.

Attributes and commands: ZSE 1.4 (07-5356-21) Annex D / ZCL Revision 8 chapter 10 "Prepayment",
cross-checked against Silicon Labs' ``app/zcl/ami.xml`` (SE 1.4 data model) and the zsmartsystems
cluster definition. Select Available Emergency Credit lost its Site ID and Meter Serial Number in
SE 1.2a: they are optional here so both forms parse. Command value fields are unsigned where the
data model says so (Credit Adjustment Value, Cut Off Value, Top Up Value) even where the matching
attribute is signed; the octets are the same either way. Omitted: the weekly/monthly historical
cost consumption attributes (0x0520-0x055C), which GB devices do not expose over the HAN [I].
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
    "CreditAdjustmentType",
    "CreditStatus",
    "DebtAmountType",
    "DebtPayload",
    "DebtRecoveryFrequency",
    "DebtRecoveryMethod",
    "FriendlyCredit",
    "OriginatingDevice",
    "PaymentControlConfiguration",
    "PrepaySnapshotPayloadCause",
    "PrepaySnapshotPayloadType",
    "Prepayment",
    "RepaymentDebtType",
    "ResultType",
    "TopUpPayload",
]


class PaymentControlConfiguration(t.bitmap16):
    DISCONNECTION_ENABLED = 0x0001
    PREPAYMENT_ENABLED = 0x0002
    CREDIT_MANAGEMENT_ENABLED = 0x0004
    CREDIT_DISPLAY_ENABLED = 0x0010
    ACCOUNT_BASE = 0x0040
    CONTACTOR_FITTED = 0x0080
    STANDING_CHARGE_CONFIGURATION = 0x0100
    EMERGENCY_STANDING_CHARGE_CONFIGURATION = 0x0200
    DEBT_CONFIGURATION = 0x0400
    EMERGENCY_DEBT_CONFIGURATION = 0x0800


class CreditStatus(t.bitmap8):
    CREDIT_OK = 0x01
    LOW_CREDIT = 0x02
    EMERGENCY_CREDIT_ENABLED = 0x04
    EMERGENCY_CREDIT_AVAILABLE = 0x08
    EMERGENCY_CREDIT_SELECTED = 0x10
    EMERGENCY_CREDIT_IN_USE = 0x20
    CREDIT_EXHAUSTED = 0x40


class OriginatingDevice(t.enum8):
    ENERGY_SERVICE_INTERFACE = 0x00
    METER = 0x01
    IN_HOME_DISPLAY_DEVICE = 0x02


class DebtRecoveryMethod(t.enum8):
    TIME_BASED = 0x00
    PERCENTAGE_BASED = 0x01
    CATCH_UP_BASED = 0x02


class DebtAmountType(t.enum8):
    TYPE_1_ABSOLUTE = 0x00
    TYPE_1_INCREMENTAL = 0x01
    TYPE_2_ABSOLUTE = 0x02
    TYPE_2_INCREMENTAL = 0x03
    TYPE_3_ABSOLUTE = 0x04
    TYPE_3_INCREMENTAL = 0x05


class DebtRecoveryFrequency(t.enum8):
    PER_HOUR = 0x00
    PER_DAY = 0x01
    PER_WEEK = 0x02
    PER_MONTH = 0x03
    PER_QUARTER = 0x04


class CreditAdjustmentType(t.enum8):
    CREDIT_INCREMENTAL = 0x00
    CREDIT_ABSOLUTE = 0x01


class RepaymentDebtType(t.enum8):
    DEBT_1 = 0x00
    DEBT_2 = 0x01
    DEBT_3 = 0x02
    ALL_DEBTS = 0xFF


class ResultType(t.enum8):
    """Consumer Top Up Response result."""

    ACCEPTED = 0x00
    REJECTED_INVALID_TOP_UP = 0x01
    REJECTED_DUPLICATE_TOP_UP = 0x02
    REJECTED_ERROR = 0x03
    REJECTED_MAX_CREDIT_REACHED = 0x04
    REJECTED_KEYPAD_LOCK = 0x05
    REJECTED_TOP_UP_VALUE_TOO_LARGE = 0x06
    ACCEPTED_SUPPLY_ENABLED = 0x10
    ACCEPTED_SUPPLY_DISABLED = 0x11
    ACCEPTED_SUPPLY_ARMED = 0x12


class FriendlyCredit(t.bitmap8):
    FRIENDLY_CREDIT_ENABLED = 0x01


class PrepaySnapshotPayloadCause(t.bitmap32):
    GENERAL = 0x00000001
    CHANGE_OF_TARIFF_INFORMATION = 0x00000008
    CHANGE_OF_PRICE_MATRIX = 0x00000010
    MANUALLY_TRIGGERED_FROM_CLIENT = 0x00000400
    CHANGE_OF_TENANCY = 0x00001000
    CHANGE_OF_SUPPLIER = 0x00002000
    CHANGE_OF_METER_MODE = 0x00004000
    TOP_UP_ADDITION = 0x00040000
    DEBT_CREDIT_ADDITION = 0x00080000


class PrepaySnapshotPayloadType(t.enum8):
    DEBT_CREDIT_STATUS = 0x00
    NOT_USED = 0xFF


class TopUpPayload(t.Struct):
    top_up_code: OctetString
    top_up_amount: t.int32s
    top_up_time: t.UTCTime


class DebtPayload(t.Struct):
    collection_time: t.UTCTime
    amount_collected: t.uint32_t
    debt_type: RepaymentDebtType
    outstanding_debt: t.uint32_t


def _attr(attr_id: int, attr_type: type, access: str = "r") -> ZCLAttributeDef:
    return ZCLAttributeDef(id=attr_id, type=attr_type, access=access)


class Prepayment(zse.Prepayment):
    _skip_registry = True

    PaymentControlConfiguration: Final = PaymentControlConfiguration
    CreditStatus: Final = CreditStatus
    OriginatingDevice: Final = OriginatingDevice

    class AttributeDefs(BaseAttributeDefs):
        # Prepayment Information Attribute Set
        payment_control_configuration: Final = ZCLAttributeDef(
            id=0x0000, type=PaymentControlConfiguration, access="r", mandatory=True
        )
        credit_remaining: Final = _attr(0x0001, t.int32s)
        emergency_credit_remaining: Final = _attr(0x0002, t.int32s)
        credit_status: Final = _attr(0x0003, CreditStatus)
        credit_remaining_timestamp: Final = _attr(0x0004, t.UTCTime)
        accumulated_debt: Final = _attr(0x0005, t.int32s)
        overall_debt_cap: Final = _attr(0x0006, t.int32s)
        emergency_credit_limit_allowance: Final = _attr(0x0010, t.uint32_t)
        emergency_credit_threshold: Final = _attr(0x0011, t.uint32_t)
        total_credit_added: Final = _attr(0x0020, t.uint48_t)
        max_credit_limit: Final = _attr(0x0021, t.uint32_t)
        max_credit_per_top_up: Final = _attr(0x0022, t.uint32_t)
        friendly_credit_warning: Final = _attr(0x0030, t.uint8_t)
        low_credit_warning_level: Final = _attr(0x0031, t.uint32_t)
        ihd_low_credit_warning_level: Final = _attr(0x0032, t.uint32_t, "rw")
        interrupt_suspend_time: Final = _attr(0x0033, t.uint8_t)
        remaining_friendly_credit_time: Final = _attr(0x0034, t.uint16_t)
        next_friendly_credit_period: Final = _attr(0x0035, t.UTCTime)
        cut_off_value: Final = _attr(0x0040, t.int32s)
        token_carrier_id: Final = _attr(0x0080, OctetString, "rw")
        # Top-up Attribute Set: the five most recent top-ups
        top_up_date_time_1: Final = _attr(0x0100, t.UTCTime)
        top_up_amount_1: Final = _attr(0x0101, t.int32s)
        originating_device_1: Final = _attr(0x0102, OriginatingDevice)
        top_up_code_1: Final = _attr(0x0103, OctetString)
        top_up_date_time_2: Final = _attr(0x0110, t.UTCTime)
        top_up_amount_2: Final = _attr(0x0111, t.int32s)
        originating_device_2: Final = _attr(0x0112, OriginatingDevice)
        top_up_code_2: Final = _attr(0x0113, OctetString)
        top_up_date_time_3: Final = _attr(0x0120, t.UTCTime)
        top_up_amount_3: Final = _attr(0x0121, t.int32s)
        originating_device_3: Final = _attr(0x0122, OriginatingDevice)
        top_up_code_3: Final = _attr(0x0123, OctetString)
        top_up_date_time_4: Final = _attr(0x0130, t.UTCTime)
        top_up_amount_4: Final = _attr(0x0131, t.int32s)
        originating_device_4: Final = _attr(0x0132, OriginatingDevice)
        top_up_code_4: Final = _attr(0x0133, OctetString)
        top_up_date_time_5: Final = _attr(0x0140, t.UTCTime)
        top_up_amount_5: Final = _attr(0x0141, t.int32s)
        originating_device_5: Final = _attr(0x0142, OriginatingDevice)
        top_up_code_5: Final = _attr(0x0143, OctetString)
        # Debt Attribute Set: three debt registers
        debt_label_1: Final = _attr(0x0210, OctetString)
        debt_amount_1: Final = _attr(0x0211, t.uint32_t)
        debt_recovery_method_1: Final = _attr(0x0212, DebtRecoveryMethod)
        debt_recovery_start_time_1: Final = _attr(0x0213, t.UTCTime)
        debt_recovery_collection_time_1: Final = _attr(0x0214, t.uint16_t)
        debt_recovery_frequency_1: Final = _attr(0x0216, DebtRecoveryFrequency)
        debt_recovery_amount_1: Final = _attr(0x0217, t.uint32_t)
        debt_recovery_top_up_percentage_1: Final = _attr(0x0219, t.uint16_t)
        debt_label_2: Final = _attr(0x0220, OctetString)
        debt_amount_2: Final = _attr(0x0221, t.uint32_t)
        debt_recovery_method_2: Final = _attr(0x0222, DebtRecoveryMethod)
        debt_recovery_start_time_2: Final = _attr(0x0223, t.UTCTime)
        debt_recovery_collection_time_2: Final = _attr(0x0224, t.uint16_t)
        debt_recovery_frequency_2: Final = _attr(0x0226, DebtRecoveryFrequency)
        debt_recovery_amount_2: Final = _attr(0x0227, t.uint32_t)
        debt_recovery_top_up_percentage_2: Final = _attr(0x0229, t.uint16_t)
        debt_label_3: Final = _attr(0x0230, OctetString)
        debt_amount_3: Final = _attr(0x0231, t.uint32_t)
        debt_recovery_method_3: Final = _attr(0x0232, DebtRecoveryMethod)
        debt_recovery_start_time_3: Final = _attr(0x0233, t.UTCTime)
        debt_recovery_collection_time_3: Final = _attr(0x0234, t.uint16_t)
        debt_recovery_frequency_3: Final = _attr(0x0236, DebtRecoveryFrequency)
        debt_recovery_amount_3: Final = _attr(0x0237, t.uint32_t)
        debt_recovery_top_up_percentage_3: Final = _attr(0x0239, t.uint16_t)
        # Alarm Attribute Set
        prepayment_alarm_status: Final = _attr(0x0400, t.bitmap16)
        prepay_generic_alarm_mask: Final = _attr(0x0401, t.bitmap16, "rw")
        prepay_switch_alarm_mask: Final = _attr(0x0402, t.bitmap16, "rw")
        prepay_event_alarm_mask: Final = _attr(0x0403, t.bitmap16, "rw")
        # Historical Cost Consumption Information Attribute Set (daily part)
        historical_cost_consumption_formatting: Final = _attr(0x0500, t.bitmap8)
        consumption_unit_of_measurement: Final = _attr(0x0501, t.enum8)
        currency_scaling_factor: Final = _attr(0x0502, t.enum8)
        currency: Final = _attr(0x0503, t.uint16_t)
        current_day_cost_consumption_delivered: Final = _attr(0x051C, t.uint48_t)
        current_day_cost_consumption_received: Final = _attr(0x051D, t.uint48_t)
        previous_day_cost_consumption_delivered: Final = _attr(0x051E, t.uint48_t)
        previous_day_cost_consumption_received: Final = _attr(0x051F, t.uint48_t)

    class ServerCommandDefs(BaseCommandDefs):
        select_available_emergency_credit: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "command_issue_date_time": t.UTCTime,
                "originating_device": OriginatingDevice,
                "site_id?": OctetString,
                "meter_serial_number?": OctetString,
            },
        )
        change_debt: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "issuer_event_id": t.uint32_t,
                "debt_label": OctetString,
                "debt_amount": t.uint32_t,
                "debt_recovery_method": DebtRecoveryMethod,
                "debt_amount_type": DebtAmountType,
                "debt_recovery_start_time": t.UTCTime,
                "debt_recovery_collection_time": t.uint16_t,
                "debt_recovery_frequency": DebtRecoveryFrequency,
                "debt_recovery_amount": t.uint32_t,
                "debt_recovery_balance_percentage": t.uint16_t,
            },
        )
        emergency_credit_setup: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "emergency_credit_limit": t.uint32_t,
                "emergency_credit_threshold": t.uint32_t,
            },
        )
        consumer_top_up: Final = ZCLCommandDef(
            id=0x04,
            schema={"originating_device": OriginatingDevice, "top_up_code": OctetString},
        )
        credit_adjustment: Final = ZCLCommandDef(
            id=0x05,
            schema={
                "issuer_event_id": t.uint32_t,
                "start_time": t.UTCTime,
                "credit_adjustment_type": CreditAdjustmentType,
                "credit_adjustment_value": t.uint32_t,
            },
        )
        change_payment_mode: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "implementation_date_time": t.UTCTime,
                "proposed_payment_control_configuration": PaymentControlConfiguration,
                "cut_off_value": t.uint32_t,
            },
        )
        get_prepay_snapshot: Final = ZCLCommandDef(
            id=0x07,
            schema={
                "earliest_start_time": t.UTCTime,
                "latest_end_time": t.UTCTime,
                "snapshot_offset": t.uint8_t,
                "snapshot_cause": PrepaySnapshotPayloadCause,
            },
        )
        get_top_up_log: Final = ZCLCommandDef(
            id=0x08,
            schema={"latest_end_time": t.UTCTime, "number_of_records": t.uint8_t},
        )
        set_low_credit_warning_level: Final = ZCLCommandDef(
            id=0x09, schema={"low_credit_warning_level": t.uint32_t}
        )
        get_debt_repayment_log: Final = ZCLCommandDef(
            id=0x0A,
            schema={
                "latest_end_time": t.UTCTime,
                "number_of_debts": t.uint8_t,
                "debt_type": RepaymentDebtType,
            },
        )
        set_maximum_credit_limit: Final = ZCLCommandDef(
            id=0x0B,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "implementation_date_time": t.UTCTime,
                "maximum_credit_level": t.uint32_t,
                "maximum_credit_per_top_up": t.uint32_t,
            },
        )
        set_overall_debt_cap: Final = ZCLCommandDef(
            id=0x0C,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "implementation_date_time": t.UTCTime,
                "overall_debt_cap": t.uint32_t,
            },
        )

    class ClientCommandDefs(BaseCommandDefs):
        publish_prepay_snapshot: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "snapshot_id": t.uint32_t,
                "snapshot_time": t.UTCTime,
                "total_snapshots_found": t.uint8_t,
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "snapshot_cause": PrepaySnapshotPayloadCause,
                "snapshot_payload_type": PrepaySnapshotPayloadType,
                # Layout depends on the payload type and runs to the end of the frame.
                "snapshot_payload": RestOfPayload,
            },
        )
        change_payment_mode_response: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "friendly_credit": FriendlyCredit,
                "friendly_credit_calendar_id": t.uint32_t,
                "emergency_credit_limit": t.uint32_t,
                "emergency_credit_threshold": t.uint32_t,
            },
        )
        consumer_top_up_response: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "result_type": ResultType,
                "top_up_value": t.uint32_t,
                "source_of_top_up": OriginatingDevice,
                "credit_remaining": t.uint32_t,
            },
        )
        publish_top_up_log: Final = ZCLCommandDef(
            id=0x05,
            schema={
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "top_up_payload": t.List[TopUpPayload],
            },
        )
        publish_debt_log: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "debt_payload": t.List[DebtPayload],
            },
        )
