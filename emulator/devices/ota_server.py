"""The hub's OTA Upgrade cluster server (0x0019): images from the DCC, served to HAN devices.

The DCC hands the hub an ``ImageDelivery`` over the SM WAN (a typed delivery beside the GBCS
queue: the image is not a GBCS message). The server keeps each image for its target device in the
hub's state store (a hub restart keeps serving it), sends the target Image Notify (not to a sleepy
device, which asks on its own wake-ups) and answers (ZCL r6 11.13):

- Query Next Image: the image held for the asker if its manufacturer and image type match and its
  version is not the one running; else NO_IMAGE_AVAILABLE;
- Image Block: the bytes at the asked offset, at most the smaller of the asked size and the
  device's ``ServingProfile.block_size``; WAIT_FOR_DATA (with the time to come back) when the hub
  is already serving ``max_transfers`` other devices ([U] a named setting) or the device asks
  sooner than its MinimumBlockPeriod allows;
- Image Page: ``page_size`` bytes as successive Image Block Responses ``response_spacing`` apart;
- Upgrade End: Upgrade End Response with UpgradeTime "wait for an upgrade command" (GB activates
  with CS06), and ``on_upgrade_end`` for the hub (11.4: the CCS08 alert).

Block responses go without APS ACK, and without APS security unless the device's profile asks
for it (``ota_client.OTA_APS_SECURITY``).
"""

from __future__ import annotations

import contextlib
import enum
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.ota import parse_image
from ..codec.zcl import frame as zcl
from ..codec.zcl.ota import (
    OTA_UPGRADE,
    UPGRADE_TIME_WAIT_FOR_COMMAND,
    ImageBlockRequest,
    ImageBlockResponse,
    ImageId,
    OtaCommand,
    OtaStatus,
)
from ..codec.zcl.time import utc_time
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort
from ..han.stack.state import StateStore
from .ota_client import OTA_APS_SECURITY


class Distribution(enum.Enum):
    """Which DUIS service an image comes with."""

    UPDATE_FIRMWARE = "11.1"
    """To an ESME, a GSME or the CH: the device verifies and sends the receipt alert."""
    UPDATE_PPMID_FIRMWARE = "11.4"
    """To a PPMID, hub-driven: the CHF reports the transfer (CCS08)."""


@dataclass(frozen=True)
class ImageDelivery:
    """An image the DCC hands the hub for one device (``WanLink.images``)."""

    target: Eui64
    image: bytes = field(repr=False)
    distribution: Distribution = Distribution.UPDATE_FIRMWARE


@dataclass(frozen=True)
class ServingProfile:
    """How the hub serves one device (DESIGN.md: behaviour as explicit profiles)."""

    block_size: int = 64
    minimum_block_period: int = 0
    """Milliseconds between a device's block requests (0: as fast as it asks)."""
    sleepy: bool = False
    """No Image Notify: the device queries on its own wake-ups."""
    aps_security: bool = OTA_APS_SECURITY
    """APS-secure the answers with the device's link key (DOMAIN.md 5: then a frame carries a
    48-byte block, not 64)."""
    corrupt_offset: int | None = None
    """Fault knob: the block starting at this file offset is served with its first byte
    inverted (a corruption no link-layer check caught); the device's image checks must catch it."""


MAX_TRANSFERS = 4
"""[U] Devices the hub serves at once; others get WAIT_FOR_DATA. No GB source gives the number."""
WAIT_SECONDS = 5
"""[U] Seconds a device told WAIT_FOR_DATA because the hub is busy waits before asking again."""
TRANSFER_IDLE = 30.0
"""[U] Modelled seconds of silence after which a device no longer holds one of the
``max_transfers`` slots (it gave up, lost power or left): a device waiting for a slot gets it on
its next ask. Well above a client's own patience (``OtaClientProfile.max_retries`` x
``block_timeout``, 20 s by default), so a client still retrying keeps its slot."""


@dataclass
class _Transfer:
    last_request: float
    blocks: int = 0


UpgradeEnd = Callable[[Eui64, ImageId, OtaStatus], Awaitable[None]]


class OtaServer:
    def __init__(
        self,
        han: HanPort,
        clock: Clock,
        store: StateStore,
        profiles: dict[Eui64, ServingProfile] | None = None,
        *,
        endpoint: int = 1,
        max_transfers: int = MAX_TRANSFERS,
        transfer_idle: float = TRANSFER_IDLE,
    ) -> None:
        self.han = han
        self.clock = clock
        self.store = store
        self.profiles = dict(profiles or {})
        self.endpoint = endpoint
        self.max_transfers = max_transfers
        self.transfer_idle = transfer_idle
        self.on_upgrade_end: UpgradeEnd | None = None
        self.on_held: Callable[[Eui64, bool], None] | None = None
        """Told when the hub starts or stops holding an image for a device it does not notify
        (a sleepy GSME: the hub raises NEW_OTA_FIRMWARE in its GPF mirror's flags)."""
        self.blocks_served = 0
        self.waits_sent = 0
        self._images: dict[Eui64, tuple[ImageId, bytes, Distribution]] = {}
        self._transfers: dict[Eui64, _Transfer] = {}
        self._tsn = itertools.count(0x40)
        for target in store.load("ota-server/targets") or []:
            self._load(Eui64(target))

    def _load(self, target: Eui64) -> None:
        saved = self.store.load(f"ota-server/image/{target.hex}")
        if saved is None:
            return
        data = bytes.fromhex(saved["image"])
        self._images[target] = (
            _image_id(data),
            data,
            Distribution(saved["distribution"]),
        )

    def profile(self, device: Eui64) -> ServingProfile:
        return self.profiles.get(device, ServingProfile())

    def held(self, target: Eui64) -> tuple[ImageId, Distribution] | None:
        entry = self._images.get(Eui64(target))
        return None if entry is None else (entry[0], entry[2])

    async def deliver(self, delivery: ImageDelivery) -> bool:
        """Keep ``delivery``'s image for its target and notify it; False if it does not parse."""
        try:
            ident = _image_id(delivery.image)
        except DecodeError:
            return False
        target = Eui64(delivery.target)
        self._images[target] = (ident, delivery.image, delivery.distribution)
        self.store.save(
            f"ota-server/image/{target.hex}",
            {"image": delivery.image.hex(), "distribution": delivery.distribution.value},
        )
        self.store.save("ota-server/targets", [t.hex for t in self._images])
        if not self.profile(target).sleepy:
            await self.notify(target)
        elif self.on_held is not None:
            self.on_held(target, True)
        return True

    async def resume(self) -> None:
        """After a hub restart: notify every device the hub still holds an image for, so a
        transfer cut short resumes (the device asks from its own stored offset)."""
        for target in list(self._images):
            if self.profile(target).sleepy:
                if self.on_held is not None:
                    self.on_held(target, True)
            else:
                await self.notify(target)

    def forget(self, target: Eui64) -> None:
        target = Eui64(target)
        self._images.pop(target, None)
        self._transfers.pop(target, None)
        self.store.save(f"ota-server/image/{target.hex}", None)
        self.store.save("ota-server/targets", [t.hex for t in self._images])
        self._fetched(target)

    def _fetched(self, target: Eui64) -> None:
        if self.on_held is not None and self.profile(target).sleepy:
            self.on_held(target, False)

    async def notify(self, target: Eui64) -> None:
        """Image Notify (unicast, jitter 100: query now) for what the hub holds for ``target``."""
        entry = self._images.get(target)
        if entry is None:
            return
        ident = entry[0]
        frame = zcl.build_command(
            OTA_UPGRADE,
            "image_notify",
            tsn=self._next_tsn(),
            payload_type=3,
            query_jitter=100,
            manufacturer_code=ident.manufacturer,
            image_type=ident.image_type,
            new_file_version=ident.file_version,
        )
        with contextlib.suppress(DeliveryError):  # the device asks on its own later
            await self._send(target, 1, frame)

    async def handle(self, msg: ApsMessage) -> None:
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        if frame.direction != zcl.Direction.CLIENT_TO_SERVER or frame.is_global:
            return
        command = frame.command_id
        if command == OtaCommand.IMAGE_BLOCK:
            await self._image_block(msg, frame)
        elif command == OtaCommand.QUERY_NEXT_IMAGE:
            await self._query_next_image(msg, frame)
        elif command == OtaCommand.IMAGE_PAGE:
            await self._image_page(msg, frame)
        elif command == OtaCommand.UPGRADE_END:
            await self._upgrade_end(msg, frame)

    async def _query_next_image(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        try:
            query: Any = zcl.parse_command(OTA_UPGRADE, frame)
        except DecodeError:
            return
        entry = self._images.get(msg.source)
        fields: dict[str, Any] = {"status": OtaStatus.NO_IMAGE_AVAILABLE}
        if entry is not None:
            ident, data, _ = entry
            if (
                ident.manufacturer == query.manufacturer_code
                and ident.image_type == query.image_type
                and ident.file_version != query.current_file_version
            ):
                fields = {
                    "status": OtaStatus.SUCCESS,
                    "manufacturer_code": ident.manufacturer,
                    "image_type": ident.image_type,
                    "file_version": ident.file_version,
                    "image_size": len(data),
                }
        reply = zcl.build_command(OTA_UPGRADE, "query_next_image_response", tsn=frame.tsn, **fields)
        await self._answer(msg, reply)

    @property
    def transfers(self) -> frozenset[Eui64]:
        """The devices holding a transfer slot now (quiet ones may not have been released yet:
        that happens when another device asks)."""
        return frozenset(self._transfers)

    def _busy(self, device: Eui64) -> bool:
        now = self.clock.now()
        for other, transfer in list(self._transfers.items()):
            if now - transfer.last_request > self.transfer_idle:
                del self._transfers[other]
        return device not in self._transfers and len(self._transfers) >= self.max_transfers

    def _block(self, device: Eui64, request: ImageBlockRequest, at: int) -> ImageBlockResponse:
        entry = self._images.get(device)
        if entry is None or entry[0] != request.image or request.file_offset >= len(entry[1]):
            return ImageBlockResponse(OtaStatus.ABORT)
        profile = self.profile(device)
        size = min(request.maximum_data_size, profile.block_size)
        data = entry[1][at : at + size]
        if at == profile.corrupt_offset and data:
            data = bytes((data[0] ^ 0xFF,)) + data[1:]
        return ImageBlockResponse(OtaStatus.SUCCESS, request.image, at, data)

    def _wait(self, seconds: float, period: int) -> ImageBlockResponse:
        now = utc_time(self.clock.datetime())
        self.waits_sent += 1
        return ImageBlockResponse(
            OtaStatus.WAIT_FOR_DATA,
            current_time=now,
            request_time=now + int(seconds),
            minimum_block_period=period,
        )

    async def _image_block(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        try:
            request = ImageBlockRequest.decode(frame.payload)
        except DecodeError:
            return
        device = msg.source
        profile = self.profile(device)
        now = self.clock.now()
        if self._busy(device):
            response = self._wait(WAIT_SECONDS, profile.minimum_block_period)
        else:
            transfer = self._transfers.get(device)
            early = (
                transfer is not None
                and profile.minimum_block_period
                and (now - transfer.last_request) * 1000 < profile.minimum_block_period
                and request.minimum_block_period != profile.minimum_block_period
            )
            if early:
                response = self._wait(0, profile.minimum_block_period)
            else:
                if transfer is None:
                    transfer = self._transfers[device] = _Transfer(now)
                transfer.last_request = now
                transfer.blocks += 1
                response = self._block(device, request, request.file_offset)
                if response.status is OtaStatus.SUCCESS:
                    self.blocks_served += 1
        reply = zcl.ZclFrame(
            zcl.FrameType.CLUSTER_SPECIFIC,
            zcl.Direction.SERVER_TO_CLIENT,
            frame.tsn,
            OtaCommand.IMAGE_BLOCK_RESPONSE,
            response.encode(),
            disable_default_response=True,
        )
        await self._answer(msg, reply)

    async def _image_page(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        try:
            page: Any = zcl.parse_command(OTA_UPGRADE, frame)
        except DecodeError:
            return
        image = ImageId(int(page.manufacturer_code), int(page.image_type), int(page.file_version))
        offset, end = int(page.file_offset), int(page.file_offset) + int(page.page_size)
        while offset < end:
            request = ImageBlockRequest(image, offset, int(page.maximum_data_size))
            response = self._block(msg.source, request, offset)
            reply = zcl.ZclFrame(
                zcl.FrameType.CLUSTER_SPECIFIC,
                zcl.Direction.SERVER_TO_CLIENT,
                frame.tsn,
                OtaCommand.IMAGE_BLOCK_RESPONSE,
                response.encode(),
                disable_default_response=True,
            )
            await self._answer(msg, reply)
            if response.status is not OtaStatus.SUCCESS:
                return
            self.blocks_served += 1
            offset += len(response.data)
            await self.clock.sleep(int(page.response_spacing) / 1000)

    async def _upgrade_end(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        try:
            end: Any = zcl.parse_command(OTA_UPGRADE, frame)
        except DecodeError:
            return
        image = ImageId(int(end.manufacturer_code), int(end.image_type), int(end.file_version))
        status = (
            OtaStatus(int(end.status)) if int(end.status) in OtaStatus._value2member_map_ else None
        )
        self._transfers.pop(msg.source, None)
        self._fetched(msg.source)  # ended, either way: a refused image is not offered again
        if status is OtaStatus.SUCCESS:
            now = utc_time(self.clock.datetime())
            reply = zcl.build_command(
                OTA_UPGRADE,
                "upgrade_end_response",
                tsn=frame.tsn,
                manufacturer_code=image.manufacturer,
                image_type=image.image_type,
                file_version=image.file_version,
                current_time=now,
                upgrade_time=UPGRADE_TIME_WAIT_FOR_COMMAND,
            )
            await self._answer(msg, reply)
        if self.on_upgrade_end is not None:
            await self.on_upgrade_end(
                msg.source, image, OtaStatus.ABORT if status is None else status
            )

    async def _answer(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        with contextlib.suppress(DeliveryError):  # the client asks again
            await self._send(msg.source, msg.src_endpoint, frame)

    async def _send(self, target: Eui64, endpoint: int, frame: zcl.ZclFrame) -> None:
        await self.han.send(
            target,
            cluster=OTA_UPGRADE,
            payload=frame.encode(),
            src_endpoint=self.endpoint,
            dst_endpoint=endpoint,
            aps_security=self.profile(target).aps_security,
            ack=False,
        )

    def _next_tsn(self) -> int:
        return next(self._tsn) & 0xFF


def _image_id(data: bytes) -> ImageId:
    image = parse_image(data)
    return ImageId(image.manufacturer_id, image.image_type, image.file_version)
