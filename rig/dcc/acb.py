"""The DCC's Access Control Broker role: GBCS commands it originates, and checks on what comes back.

CCS01 / CCS02 (GBCS use cases for SRV 8.11, DOMAIN.md sections 2-4): the ACB is the GBCS
originator, the CHF the recipient; the Service User who sent the request is the supplementary
remote party, its RequestID counter the supplementary remote party counter; the GBCS originator
counter is the ACB's own. The payload is a DLMS ACCESS request on the CHF Device Log (class 104
"ZigBee network control", OBIS 0-0:30.3.0.255). The MAC is keyed ACB <-> CHF (KA keys, GBCS 4.3).
Byte layout as the RTDS 4.5.0 CCS01/CCS02 commands show it.
"""

from __future__ import annotations

import enum

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    GeneralCiphering,
    GeneralSigning,
    KeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    mac_verdict,
    protect,
)
from emulator.codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    CosemDescriptor,
    Data,
    DataType,
    invoke_id_for,
)

from .requests import DeviceType

RTDS_ACB = Eui64("90B3D51F30000002")
"""The ACB EUI of the RTDS test keystore (the default for our DCC)."""

ZIGBEE_NETWORK_CONTROL_CLASS = 104
CHF_DEVICE_LOG = bytes.fromhex("00001E0300FF")
"""OBIS 0-0:30.3.0.255: the CHF Device Log."""


class DeviceLogMethod(enum.IntEnum):
    """Methods of the class 104 Device Log (DOMAIN.md section 4)."""

    REGISTER_DEVICE = 1
    UNREGISTER_DEVICE = 2


class DeviceLogAttribute(enum.IntEnum):
    """Attributes of the class 104 Device Log set by CCS01."""

    ENABLE_DISABLE_JOINING = 2
    JOIN_TIMEOUT = 3


KEY_TYPE_INSTALL_CODE = 1
"""register_device key_type: the key is an install code (16 bytes, no CRC)."""


class HanDeviceType(enum.IntEnum):
    """register_device device_type codes (DOMAIN.md section 4)."""

    ESME = 0
    GSME = 1
    HCALCS = 13
    IHD = 128
    CAD = 130
    PPMID = 132
    GPF = 254


HAN_DEVICE_TYPE: dict[DeviceType, HanDeviceType] = {
    DeviceType.ESME: HanDeviceType.ESME,
    DeviceType.GSME: HanDeviceType.GSME,
    DeviceType.HCALCS: HanDeviceType.HCALCS,
    DeviceType.IHD: HanDeviceType.IHD,
    DeviceType.CAD: HanDeviceType.CAD,
    DeviceType.PPMID: HanDeviceType.PPMID,
    DeviceType.GPF: HanDeviceType.GPF,
}
"""DUIS device types that can go on a CHF Device Log, with their register_device codes."""


def _device_log(kind: AccessRequestKind, member: int) -> AccessRequestSpecification:
    return AccessRequestSpecification(
        kind, CosemDescriptor(ZIGBEE_NETWORK_CONTROL_CLASS, CHF_DEVICE_LOG, member)
    )


def ccs01_payload(
    counter: int,
    device: Eui64,
    device_type: HanDeviceType,
    install_code: bytes,
    join_timeout: int,
) -> AccessRequest:
    """CCS01: register_device {EUI, key_type 1, install code, device type}, then set join_timeout
    and enable_disable_joining = TRUE, as the RTDS CCS01 does."""
    return AccessRequest(
        invoke_id_for(counter),
        (
            _device_log(AccessRequestKind.ACTION, DeviceLogMethod.REGISTER_DEVICE),
            _device_log(AccessRequestKind.SET, DeviceLogAttribute.JOIN_TIMEOUT),
            _device_log(AccessRequestKind.SET, DeviceLogAttribute.ENABLE_DISABLE_JOINING),
        ),
        (
            Data.structure(
                Data.octet_string(Eui64(device).big()),
                Data(DataType.ENUM, KEY_TYPE_INSTALL_CODE),
                Data.octet_string(install_code),
                Data(DataType.ENUM, int(device_type)),
            ),
            Data(DataType.LONG_UNSIGNED, join_timeout),
            Data.boolean(True),
        ),
    )


def ccs02_payload(counter: int, device: Eui64) -> AccessRequest:
    """CCS02: unregister_device {EUI}."""
    return AccessRequest(
        invoke_id_for(counter),
        (_device_log(AccessRequestKind.ACTION, DeviceLogMethod.UNREGISTER_DEVICE),),
        (Data.octet_string(Eui64(device).big()),),
    )


class AccessControlBroker:
    """Builds and MACs the commands the ACB originates; judges the MACs of what devices send."""

    def __init__(self, keystore: KeyStore, eui: Eui64 = RTDS_ACB) -> None:
        self.keystore = keystore
        self.eui = Eui64(eui)

    def command(
        self,
        message_code: MessageCode,
        counter: int,
        recipient: Eui64,
        remote_party: Eui64,
        remote_party_counter: int,
        payload: AccessRequest,
    ) -> GeneralCiphering:
        """A MAC'd command from the ACB (no date-time, empty signature element)."""
        apdu = GeneralSigning(
            CRA.COMMAND,
            counter,
            self.eui,
            Eui64(recipient),
            OtherInformation(int(message_code), Eui64(remote_party), remote_party_counter),
            payload.encode(),
        )
        return protect(apdu, self.keystore, self.eui)

    def ccs01(
        self,
        counter: int,
        chf: Eui64,
        supplier: Eui64,
        supplier_counter: int,
        device: Eui64,
        device_type: HanDeviceType,
        install_code: bytes,
        join_timeout: int,
    ) -> GeneralCiphering:
        payload = ccs01_payload(counter, device, device_type, install_code, join_timeout)
        return self.command(
            MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG,
            counter,
            chf,
            supplier,
            supplier_counter,
            payload,
        )

    def ccs02(
        self, counter: int, chf: Eui64, supplier: Eui64, supplier_counter: int, device: Eui64
    ) -> GeneralCiphering:
        return self.command(
            MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG,
            counter,
            chf,
            supplier,
            supplier_counter,
            ccs02_payload(counter, device),
        )

    def mac_verdict(self, message: object) -> Verdict:
        """VALID only for a MAC'd message whose MAC checks out with the keystore's KA keys."""
        return mac_verdict(message, self.keystore, self.eui)
