"""The device side of the OTA Upgrade cluster, shared by the ESME, the GSME and the PPMID.

On Image Notify (or when a sleepy device chooses, on its own wake-up) the client asks the hub's
OTA server for its next image (Query Next Image), then fetches it block by block (Image Block
Request / Response; ZCL r6 11.13), honouring WAIT_FOR_DATA and MinimumBlockPeriod, retrying a
request whose answer does not come (``OtaClientProfile.block_timeout``), and writing each block to
its ``FirmwareSlots`` so a power cycle resumes from the last stored offset. When the image is
whole it checks it (``check_image``) and tells the server with Upgrade End; the device acts on the
``Verification`` (the receipt alert of DUIS 11.1, or nothing for 11.4, where the hub reports).

The transfer runs without APS security or APS acknowledgements ([U] ``OTA_APS_SECURITY``): the
image is protected end to end by the Supplier's signature and its hash, the ZCL request/response
pair is its own retry mechanism, and a 64-byte block then fits one 127-byte frame (DOMAIN.md
section 5: "64 fits a 127-byte frame with short NWK headers; 48 with APS security").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.ota import manufacturer_image_sha256, parse_image, verify_signature
from ..codec.zcl import frame as zcl
from ..codec.zcl.ota import (
    OTA_UPGRADE,
    ImageBlockRequest,
    ImageBlockResponse,
    ImageId,
    OtaCommand,
    OtaStatus,
)
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort
from .firmware_slots import FirmwareSlots

log = logging.getLogger(__name__)

OTA_APS_SECURITY = False
"""[U] OTA Upgrade frames carry NWK security only (see the module docstring); a named setting."""


QUERY_ATTEMPTS = 3
"""[I] Query Next Image requests sent before a notified client gives up until the next notify.
ZCL r6 11.13 leaves retries to the client; stacks retry a lost query (an Image Notify burst to
many devices can keep one device's query off a busy channel: CSMA-CA gives up on it)."""


@dataclass(frozen=True)
class OtaClientProfile:
    """What the device is and how it fetches; defaults are a plausible mains meter."""

    manufacturer: int
    image_type: int
    hardware_version: int = 0x0100
    block_size: int = 64
    """MaximumDataSize asked for in each Image Block Request (40-64 in the field, DOMAIN.md 5)."""
    block_timeout: float = 1.0
    """[I] Seconds before an unanswered Image Block Request is sent again."""
    max_retries: int = 20
    """Unanswered requests in a row before the client gives up (and resumes on the next notify);
    any answer, WAIT_FOR_DATA included, shows the server alive and starts the count again."""
    query_timeout: float = 5.0
    """Seconds before an unanswered Query Next Image (or Upgrade End) counts as lost."""
    query_attempts: int = QUERY_ATTEMPTS
    sleepy: bool = False
    """A sleepy end device polls its parent for each answer (``HanPort.poll``)."""
    fast_poll: float = 0.25
    """Seconds between polls while a sleepy device awaits an answer."""
    server_endpoint: int = 1
    endpoint: int = 1
    page_size: int = 0
    """0: fetch with Image Block Requests; else Image Page Requests of this many bytes, the
    server answering with successive Image Block Responses (ZCL r6 11.13.7)."""
    response_spacing: int = 20
    """Milliseconds between the Image Block Responses of a page (Image Page Request)."""
    aps_security: bool = OTA_APS_SECURITY
    """APS-secure the requests with the hub's link key (then 48-byte blocks fit a frame)."""


class Failure(enum.Enum):
    """Why a downloaded image was refused (``Verification.failure``)."""

    MALFORMED = "image does not parse"
    MANUFACTURER = "manufacturer code is not this device's"
    IMAGE_TYPE = "image type is not this device's"
    HARDWARE_VERSION = "hardware version outside the image's range"
    SIGNATURE = "Supplier signature absent or invalid"


@dataclass(frozen=True)
class Verification:
    image: ImageId
    hash: bytes
    """SHA-256 of the Manufacturer Image as the device calculated it (32 bytes)."""
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def check_image(
    data: bytes,
    profile: OtaClientProfile,
    supplier_keys: list[ec.EllipticCurvePublicKey] | None,
) -> Verification:
    """The device's checks on a downloaded image (DUIS 11.1): it parses, its manufacturer and
    image type are this device's, the device's hardware version is in its range, and, when
    ``supplier_keys`` is given (11.1 images), the Supplier signature verifies with one of them.
    The hash is computed whatever the outcome: the receipt alert carries it."""
    try:
        image = parse_image(data)
    except DecodeError:
        import hashlib

        return Verification(ImageId(0, 0, 0), hashlib.sha256(data).digest(), Failure.MALFORMED)
    digest = manufacturer_image_sha256(image)
    ident = ImageId(image.manufacturer_id, image.image_type, image.file_version)
    failure = None
    if image.manufacturer_id != profile.manufacturer:
        failure = Failure.MANUFACTURER
    elif image.image_type != profile.image_type:
        failure = Failure.IMAGE_TYPE
    elif image.minimum_hardware_version is not None and not (
        image.minimum_hardware_version
        <= profile.hardware_version
        <= (image.maximum_hardware_version or 0xFFFF)
    ):
        failure = Failure.HARDWARE_VERSION
    elif supplier_keys is not None and not any(
        verify_signature(image, key) for key in supplier_keys
    ):
        failure = Failure.SIGNATURE
    return Verification(ident, digest, failure)


Progress = Callable[[Eui64, int, int], None]
"""Called with (device, bytes received, image size) after each block."""


@dataclass
class TransferStats:
    blocks: int = 0
    retries: int = 0
    waits: int = 0
    started: float | None = None
    finished: float | None = None


class OtaClient:
    def __init__(
        self,
        han: HanPort,
        clock: Clock,
        slots: FirmwareSlots,
        profile: OtaClientProfile,
        server: Eui64,
        *,
        supplier_keys: Callable[[], list[ec.EllipticCurvePublicKey] | None] = lambda: None,
    ) -> None:
        self.han = han
        self.clock = clock
        self.slots = slots
        self.profile = profile
        self.server = Eui64(server)
        self.supplier_keys = supplier_keys
        self.stats = TransferStats()
        self.progress: Progress | None = None
        self.on_verified: Callable[[Verification], object] | None = None
        """Called once a downloaded image has been checked (the device's receipt alert)."""
        self._tsn = itertools.count(1)
        self._answers: dict[int, asyncio.Future[zcl.ZclFrame]] = {}
        self._pages: dict[int, asyncio.Queue[zcl.ZclFrame]] = {}
        self._task: asyncio.Task[Verification | None] | None = None
        self._query_retries = 0

    # -- incoming -------------------------------------------------------------------------------
    def handle(self, msg: ApsMessage) -> None:
        """OTA frames from the server: answers to our requests, and Image Notify."""
        if msg.source != self.server:
            return
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        if frame.direction != zcl.Direction.SERVER_TO_CLIENT or frame.is_global:
            return
        if frame.command_id == OtaCommand.IMAGE_NOTIFY:
            self.start()
            return
        page = self._pages.get(frame.tsn)
        if page is not None:
            page.put_nowait(frame)
            return
        waiter = self._answers.get(frame.tsn)
        if waiter is not None and not waiter.done():
            waiter.set_result(frame)

    def start(self) -> None:
        """Run ``update()`` in the background unless it runs already."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.update())

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait(self) -> Verification | None:
        """The outcome of the transfer under way (or the last one)."""
        if self._task is None:
            return None
        return await asyncio.shield(self._task)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # -- the transfer ---------------------------------------------------------------------------
    async def update(self) -> Verification | None:
        """Query, download (resuming a partial download of the same image), verify, Upgrade End.
        ``None`` when there is nothing to fetch or the server stops answering."""
        self._query_retries = 0
        try:
            offered = await self._query_next_image()
        except (DeliveryError, TimeoutError):
            return None
        if offered is None:
            return None
        image, size = offered
        d = self.slots.download
        if d is not None and d.verified and d.image == image:
            return None  # already have it: waiting for CS06
        if d is None or d.image != image or d.size != size:
            self.slots.start(image, size)
        self.stats = TransferStats(retries=self._query_retries, started=self.clock.now())
        while not self.slots.download.complete:  # type: ignore[union-attr]
            if self.profile.page_size and await self._fetch_page(image):
                continue  # a page's worth (or some of it) stored; ask for what follows
            if not await self._fetch_block(image):
                return None
        self.stats.finished = self.clock.now()
        verification = check_image(self.slots.image(), self.profile, self.supplier_keys())
        if verification.ok:
            self.slots.verified(verification.hash)
        else:
            self.slots.discard()
        status = OtaStatus.SUCCESS if verification.ok else OtaStatus.INVALID_IMAGE
        with contextlib.suppress(DeliveryError, TimeoutError):
            await self._upgrade_end(image, status)
        if self.on_verified is not None:
            result = self.on_verified(verification)
            if asyncio.iscoroutine(result):
                await result
        return verification

    async def _query_next_image(self) -> tuple[ImageId, int] | None:
        p = self.profile
        current = int.from_bytes(self.slots.running_version, "big")
        request = zcl.build_command(
            OTA_UPGRADE,
            "query_next_image",
            tsn=self._next_tsn(),
            field_control=1,  # hardware version present
            manufacturer_code=p.manufacturer,
            image_type=p.image_type,
            current_file_version=current,
            hardware_version=p.hardware_version,
        )
        answer = await self._ask_again(request, p.query_timeout, p.query_attempts)
        parsed: Any = zcl.parse_command(OTA_UPGRADE, answer)
        if parsed.status != OtaStatus.SUCCESS:
            return None
        image = ImageId(
            int(parsed.manufacturer_code), int(parsed.image_type), int(parsed.file_version)
        )
        return image, int(parsed.image_size)

    async def _fetch_block(self, image: ImageId) -> bool:
        """One block into the slot; False when the server aborts or never answers."""
        d = self.slots.download
        assert d is not None
        size = min(self.profile.block_size, d.size - d.offset)
        request = ImageBlockRequest(image, d.offset, size)
        failures = 0  # in a row: a wait of minutes for a free slot may see a few losses
        while failures < self.profile.max_retries:
            frame = zcl.ZclFrame(
                zcl.FrameType.CLUSTER_SPECIFIC,
                zcl.Direction.CLIENT_TO_SERVER,
                self._next_tsn(),
                OtaCommand.IMAGE_BLOCK,
                request.encode(),
            )
            try:
                answer = await self._ask(frame, self.profile.block_timeout)
                response = ImageBlockResponse.decode(answer.payload)
            except (TimeoutError, DeliveryError, DecodeError):
                self.stats.retries += 1
                failures += 1
                continue
            if response.status is OtaStatus.WAIT_FOR_DATA:
                failures = 0  # answered: the server is there, pacing us
                self.stats.waits += 1
                delay = max(response.request_time - response.current_time, 0)
                await self.clock.sleep(max(delay, response.minimum_block_period / 1000, 0.001))
                continue
            if response.status is not OtaStatus.SUCCESS:
                return False
            if response.image != image or response.file_offset != d.offset or not response.data:
                self.stats.retries += 1
                failures += 1
                continue
            self.slots.append(d.offset, response.data[:size])
            self.stats.blocks += 1
            if self.progress is not None:
                self.progress(self.han.eui64, d.offset + len(response.data[:size]), d.size)
            return True
        return False

    async def _fetch_page(self, image: ImageId) -> bool:
        """One Image Page Request; the blocks that come in order go into the slot. False when
        none came (the caller falls back to an Image Block Request, which retries)."""
        d = self.slots.download
        assert d is not None
        p = self.profile
        start = d.offset
        tsn = self._next_tsn()
        request = zcl.build_command(
            OTA_UPGRADE,
            "image_page",
            tsn=tsn,
            field_control=0,
            manufacturer_code=image.manufacturer,
            image_type=image.image_type,
            file_version=image.file_version,
            file_offset=start,
            maximum_data_size=p.block_size,
            page_size=min(p.page_size, d.size - start),
            response_spacing=p.response_spacing,
        )
        queue: asyncio.Queue[zcl.ZclFrame] = asyncio.Queue()
        self._pages[tsn] = queue
        end = min(start + p.page_size, d.size)
        try:
            await self._send(request)
            while (d := self.slots.download) is not None and d.offset < end:
                try:
                    async with self.clock.timeout(p.block_timeout):
                        if p.sleepy:
                            await self.han.poll()
                        answer = await queue.get()
                    response = ImageBlockResponse.decode(answer.payload)
                except (TimeoutError, DecodeError):
                    break
                if (
                    response.status is not OtaStatus.SUCCESS
                    or response.image != image
                    or response.file_offset != d.offset
                    or not response.data
                ):
                    break  # out of order or refused: ask again from the slot's offset
                data = response.data[: end - d.offset]
                self.slots.append(d.offset, data)
                self.stats.blocks += 1
                if self.progress is not None:
                    self.progress(self.han.eui64, d.offset + len(data), d.size)
        except DeliveryError:
            pass
        finally:
            self._pages.pop(tsn, None)
        progressed = self.slots.download is not None and self.slots.download.offset > start
        if not progressed:
            self.stats.retries += 1
        return progressed

    async def _upgrade_end(self, image: ImageId, status: OtaStatus) -> None:
        request = zcl.build_command(
            OTA_UPGRADE,
            "upgrade_end",
            tsn=self._next_tsn(),
            status=status,
            manufacturer_code=image.manufacturer,
            image_type=image.image_type,
            file_version=image.file_version,
        )
        await self._ask(request, self.profile.query_timeout)

    async def _ask_again(
        self, request: zcl.ZclFrame, timeout: float, attempts: int
    ) -> zcl.ZclFrame:
        """``_ask`` up to ``attempts`` times, each with a fresh sequence number; the last
        attempt's ``TimeoutError`` or ``DeliveryError`` propagates."""
        for attempt in range(attempts):
            try:
                return await self._ask(request, timeout)
            except (TimeoutError, DeliveryError):
                if attempt == attempts - 1:
                    raise
                self._query_retries += 1
                request = dataclasses.replace(request, tsn=self._next_tsn())
        raise TimeoutError  # attempts < 1

    async def _ask(self, request: zcl.ZclFrame, timeout: float) -> zcl.ZclFrame:
        waiter: asyncio.Future[zcl.ZclFrame] = asyncio.get_running_loop().create_future()
        self._answers[request.tsn] = waiter
        try:
            await self._send(request)
            async with self.clock.timeout(timeout):
                if not self.profile.sleepy:
                    return await waiter
                while True:
                    await self.han.poll()
                    with contextlib.suppress(TimeoutError):
                        async with self.clock.timeout(self.profile.fast_poll):
                            return await asyncio.shield(waiter)
        finally:
            self._answers.pop(request.tsn, None)

    async def _send(self, request: zcl.ZclFrame) -> None:
        await self.han.send(
            self.server,
            cluster=OTA_UPGRADE,
            payload=request.encode(),
            src_endpoint=self.profile.endpoint,
            dst_endpoint=self.profile.server_endpoint,
            aps_security=self.profile.aps_security,
            ack=False,
        )

    def _next_tsn(self) -> int:
        return next(self._tsn) & 0xFF
