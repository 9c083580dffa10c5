"""A device's firmware slots in its state store: what it runs, what it downloaded, how far.

Two slots, as a real meter's flash has them: the *running* image (its 4-byte version) and the
*download* slot (the image being received or received and verified: its identity, size, bytes so
far and the offset to resume from). Received blocks gather in RAM until they fill a chunk of
``CHUNK`` bytes; the chunk and the header with the new offset are then written together, as a
meter MCU fills a flash page before programming it. A power cycle loses at most the partial
chunk and resumes from the last whole one, never from zero (DESIGN.md rule 6: state that matters
survives a restart); the last, partial chunk of an image is written when the download completes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ..codec.zcl.ota import ImageId
from ..han.stack.state import StateStore

CHUNK = 1024
"""Bytes per stored chunk of the download slot, and the unit of persistence: a power cycle
resumes at a multiple of it ([I] one flash page of a typical meter MCU)."""


@dataclass(frozen=True)
class Download:
    """The download slot's header."""

    manufacturer: int
    image_type: int
    file_version: int
    size: int
    offset: int = 0
    verified: bool = False
    hash: str = ""
    """SHA-256 of the Manufacturer Image, hex, once verified."""

    @property
    def image(self) -> ImageId:
        return ImageId(self.manufacturer, self.image_type, self.file_version)

    @property
    def complete(self) -> bool:
        return self.offset >= self.size


class FirmwareSlots:
    def __init__(self, store: StateStore, prefix: str, running_version: bytes) -> None:
        self.store = store
        self.prefix = prefix
        saved = store.load(f"{prefix}/running-version")
        self.running_version = bytes.fromhex(saved) if saved else running_version
        """The executing firmware's 4-byte version (the default until something is activated)."""
        header = store.load(f"{prefix}/download")
        self.download: Download | None = Download(**header) if header else None
        d = self.download
        # Only a complete download's last chunk is partial in the store; any other offset there
        # is chunk-aligned and the chunk at it (if any) belongs to an earlier download.
        partial = d is not None and d.offset % CHUNK != 0
        self._tail = bytearray(self._chunk(d.offset // CHUNK) if d and partial else b"")

    def _chunk(self, index: int) -> bytes:
        saved = self.store.load(f"{self.prefix}/download/{index}")
        return bytes.fromhex(saved) if saved else b""

    def start(self, image: ImageId, size: int) -> None:
        """Begin a fresh download of ``image`` (an earlier one is dropped)."""
        self.download = Download(image.manufacturer, image.image_type, image.file_version, size)
        self._tail = bytearray()
        self._save_header()

    def append(self, offset: int, data: bytes) -> None:
        """Take ``data`` received at ``offset`` (which must be the slot's offset); each chunk it
        fills, and the last one of the image, is written with the header."""
        d = self.download
        assert d is not None and offset == d.offset, (offset, d)
        end = offset + len(data)
        self.download = Download(d.manufacturer, d.image_type, d.file_version, d.size, end)
        at, stored = 0, None
        while at < len(data):
            piece = data[at : at + CHUNK - len(self._tail)]
            self._tail += piece
            at += len(piece)
            if len(self._tail) == CHUNK or offset + at >= d.size:
                index = (offset + at - 1) // CHUNK
                self.store.save(f"{self.prefix}/download/{index}", self._tail.hex())
                stored = offset + at  # a block across a chunk boundary: its rest is in RAM
                if len(self._tail) == CHUNK:
                    self._tail = bytearray()
        if stored is not None:
            self._save_header(replace(self.download, offset=stored))

    def image(self) -> bytes:
        """The downloaded bytes so far."""
        d = self.download
        if d is None:
            return b""
        chunks = [self._chunk(i) for i in range(d.offset // CHUNK)]
        return b"".join(chunks) + bytes(self._tail)

    def verified(self, manufacturer_image_hash: bytes) -> None:
        assert self.download is not None
        self.download = Download(
            **{**asdict(self.download), "verified": True, "hash": manufacturer_image_hash.hex()}
        )
        self._save_header()

    def discard(self) -> None:
        """Forget the download slot (a failed verification; the running image is untouched)."""
        self.download = None
        self._tail = bytearray()
        self.store.save(f"{self.prefix}/download", None)

    def activate(self) -> bytes:
        """Run the verified download: it becomes the running image; its version is returned."""
        d = self.download
        assert d is not None and d.verified
        self.running_version = d.file_version.to_bytes(4, "big")
        self.store.save(f"{self.prefix}/running-version", self.running_version.hex())
        self.discard()
        return self.running_version

    def _save_header(self, header: Download | None = None) -> None:
        header = header or self.download
        self.store.save(f"{self.prefix}/download", asdict(header) if header else None)
