"""A device's firmware slots in its state store: what it runs, what it downloaded, how far.

Two slots, as a real meter's flash has them: the *running* image (its 4-byte version) and the
*download* slot (the image being received or received and verified: its identity, size, bytes so
far and the offset to resume from). Bytes are kept in chunks of ``CHUNK`` so that each received
block rewrites one chunk, never the whole image, and a power cycle resumes from the offset last
written (DESIGN.md rule 6: state that matters survives a restart).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..codec.zcl.ota import ImageId
from ..han.stack.state import StateStore

CHUNK = 1024
"""Bytes per stored chunk of the download slot ([I] one flash page of a typical meter MCU)."""


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
        self._tail = bytearray(self._chunk(self._tail_index()) if self.download else b"")

    def _tail_index(self) -> int:
        return 0 if self.download is None else self.download.offset // CHUNK

    def _chunk(self, index: int) -> bytes:
        saved = self.store.load(f"{self.prefix}/download/{index}")
        return bytes.fromhex(saved) if saved else b""

    def start(self, image: ImageId, size: int) -> None:
        """Begin a fresh download of ``image`` (an earlier one is dropped)."""
        self.download = Download(image.manufacturer, image.image_type, image.file_version, size)
        self._tail = bytearray()
        self._save_header()

    def append(self, offset: int, data: bytes) -> None:
        """Store ``data`` received at ``offset`` (which must be the slot's offset)."""
        d = self.download
        assert d is not None and offset == d.offset, (offset, d)
        at = 0
        while at < len(data):
            room = CHUNK - len(self._tail)
            piece = data[at : at + room]
            self._tail += piece
            at += len(piece)
            index = (offset + at - 1) // CHUNK
            self.store.save(f"{self.prefix}/download/{index}", self._tail.hex())
            if len(self._tail) == CHUNK:
                self._tail = bytearray()
        self.download = Download(**{**asdict(d), "offset": offset + len(data)})
        self._save_header()

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

    def _save_header(self) -> None:
        self.store.save(f"{self.prefix}/download", asdict(self.download) if self.download else None)
