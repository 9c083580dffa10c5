"""The DCC's Access Control Broker role: GBCS commands it originates, and checks on what comes back.

CCS01 / CCS02 (GBCS use cases for SRV 8.11, DOMAIN.md sections 2-4): the ACB is the GBCS
originator, the CHF the recipient; the Service User who sent the request is the supplementary
remote party, its RequestID counter the supplementary remote party counter; the GBCS originator
counter is the ACB's own. The payload is a DLMS ACCESS request on the CHF Device Log (class 104
"ZigBee network control", OBIS 0-0:30.3.0.255). The MAC is keyed ACB <-> CHF (KA keys, GBCS 4.3).
Byte layout as the RTDS 4.5.0 CCS01/CCS02 commands show it.

ECS52 (SRV 11.2) is the Supplier's own non-critical command: the Supplier is the originator and
its RequestID counter the originator counter; the ACB only adds the MAC, keyed ACB <-> device
(DOMAIN.md section 2), as the RTDS 4.5.0 ECS52 command shows.
"""

from __future__ import annotations

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
from emulator.codec.gbcs.device_log import HanDeviceType, ccs01_payload, ccs02_payload
from emulator.codec.gbcs.dlms import AccessRequest
from emulator.codec.gbcs.firmware_version import ecs52_command

from .requests import DeviceType

RTDS_ACB = Eui64("90B3D51F30000002")
"""The ACB EUI of the RTDS test keystore (the default for our DCC)."""

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

    def ecs52(self, supplier: Eui64, supplier_counter: int, esme: Eui64) -> GeneralCiphering:
        return ecs52_command(supplier, supplier_counter, esme, self.keystore, self.eui)

    def protect(self, apdu: GeneralSigning) -> GeneralCiphering:
        """Add the ACB's MAC to a command for its recipient (keyed ACB <-> recipient, whoever
        originated the command, GBCS 4.3)."""
        return protect(apdu, self.keystore, self.eui)

    def mac_verdict(self, message: object) -> Verdict:
        """VALID only for a MAC'd message whose MAC checks out with the keystore's KA keys."""
        return mac_verdict(message, self.keystore, self.eui)
