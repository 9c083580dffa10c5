"""The Communications Hub's part in firmware updates: serving images, its own firmware, CCS08.

Images arrive from the DCC as ``ImageDelivery`` over the SM WAN (``WanLink.images``):

- for a HAN device (11.1 to an ESME or GSME, 11.4 to a PPMID) the hub's ``OtaServer`` keeps and
  serves it; for 11.4 the transfer is the hub's to report: when the PPMID ends it (Upgrade End)
  the CHF sends the CCS08 Firmware Transfer Alert {0x8F8A success / 0x8F89 failure, time, the
  PPMID's EUI-64, the image's version, response code} to the ACB, signed and not MAC'd (RTDS
  CCS08); [U] ``TRANSFER_FAILED_RESPONSE_CODE`` for a failure;
- for the CH itself (11.1) the image goes straight into the CHF's download slot, is checked as any
  device checks one, and the CHF sends the DLMS receipt alert (0x00CE); CS06 then activates it.
"""

from __future__ import annotations

from ..codec.eui64 import Eui64
from ..codec.gbcs import CRA, AlertCode, MessageCode
from ..codec.gbcs.asn1 import encode_asn1
from ..codec.zcl.ota import ImageId, OtaStatus
from ..han.clock import Clock
from ..han.port import HanPort
from ..han.stack.state import StateStore
from .firmware import AlertFormat, DeviceFirmware
from .firmware_slots import FirmwareSlots
from .gbcs_gate import GbcsGate
from .ota_client import OtaClientProfile, check_image
from .ota_server import Distribution, ImageDelivery, OtaServer, ServingProfile

DEFAULT_CH_FIRMWARE_VERSION = bytes.fromhex("0123ABCD")
TRANSFER_FAILED_RESPONSE_CODE = 1
"""[U] CCS08's responseCode when the PPMID did not take the image (RTDS shows only 0, success)."""


class HubFirmware:
    def __init__(
        self,
        han: HanPort,
        clock: Clock,
        store: StateStore,
        gate: GbcsGate,
        *,
        supplier: Eui64 | None = None,
        profile: OtaClientProfile | None = None,
        serving: dict[Eui64, ServingProfile] | None = None,
    ) -> None:
        self.gate = gate
        self.clock = clock
        self.server = OtaServer(han, clock, store, serving)
        self.server.on_upgrade_end = self._upgrade_end
        self._server_args = (han, clock, store, serving)
        self.profile = profile or OtaClientProfile(manufacturer=0xA0E3, image_type=0x0083)
        """What the CH itself is, for the checks on its own images."""
        self.slots = FirmwareSlots(store, "chf/firmware", DEFAULT_CH_FIRMWARE_VERSION)
        self.firmware = DeviceFirmware(gate, clock, self.slots, AlertFormat.DLMS, supplier)
        self.transfer_alerts: list[tuple[Eui64, bool]] = []

    async def restart(self) -> None:
        """The hub's power cycle, for the OTA server: a new server over the same state store
        (the images it held, for whom), which notifies each device again so that a transfer cut
        short resumes from the device's stored offset (``OtaServer.resume``)."""
        old = self.server
        self.server = OtaServer(*self._server_args)
        self.server.on_upgrade_end = self._upgrade_end
        self.server.on_held = old.on_held
        await self.server.resume()

    async def deliver(self, delivery: ImageDelivery) -> list[bytes]:
        """An image from the WAN; returns what the CHF sends to the WAN at once."""
        if Eui64(delivery.target) == self.gate.eui64:
            return [self._own_image(delivery.image)]
        await self.server.deliver(delivery)
        return []

    def _own_image(self, image: bytes) -> bytes:
        verification = check_image(image, self.profile, self.firmware.supplier_keys())
        if verification.ok:
            self.slots.start(verification.image, len(image))
            self.slots.append(0, image)
            self.slots.verified(verification.hash)
        self.firmware.receipts.append(verification)
        return self.firmware.receipt_alert(verification)

    async def _upgrade_end(self, device: Eui64, image: ImageId, status: OtaStatus) -> None:
        held = self.server.held(device)
        if held is None or held[1] is not Distribution.UPDATE_PPMID_FIRMWARE:
            return
        ok = status is OtaStatus.SUCCESS
        self.transfer_alerts.append((device, ok))
        if ok:
            self.server.forget(device)
        value = {
            "alertCode": (
                AlertCode.FIRMWARE_TRANSFER_ALERT_SUCCESS
                if ok
                else AlertCode.FIRMWARE_TRANSFER_ALERT_FAIL
            ),
            "executionDateTime": self.gate.now().replace(tzinfo=None, microsecond=0),
            "entityId": device.big(),
            "firmwareVersion": image.file_version.to_bytes(4, "big"),
            "responseCode": 0 if ok else TRANSFER_FAILED_RESPONSE_CODE,
        }
        alert = self.firmware.signed(
            CRA.ALERT,
            self.gate.next_counter(),
            self.gate.acb,
            MessageCode.CCS08_FIRMWARE_TRANSFER_ALERT,
            encode_asn1("FirmwareTransferAlert", value),
        )
        await self.firmware.send_alert(alert)
