"""EZSP security commands: the initial security state, keys and the key table, transient keys,
the permit window, and the CBKE commands (answered as a dongle without certificates)."""

from __future__ import annotations

from typing import Any

import bellows.types as t

from ...codec.eui64 import Eui64
from .core import NcpCore, _eui, _ezsp_eui
from .trust_centre import WILDCARD


class SecurityCommands(NcpCore):
    """Keys, the key table, transient keys, the permit window; CBKE per ``CBKE_LIBRARY``."""

    # -- security ----------------------------------------------------------------------------------
    async def _cmd_setInitialSecurityState(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        state: t.EmberInitialSecurityState = p["state"]
        security = {
            "bitmask": int(state.bitmask),
            "network_key": bytes(state.networkKey.serialize()).hex(),
            "key_seq": int(state.networkKeySequenceNumber),
            "tc_link_key": bytes(state.preconfiguredKey.serialize()).hex(),
        }
        self._save_tokens(security=security)
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_getCurrentSecurityState(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        initial = t.EmberInitialSecurityBitmask(self._security().get("bitmask", 0))
        bits = (
            t.EmberCurrentSecurityBitmask.STANDARD_SECURITY_MODE
            | t.EmberCurrentSecurityBitmask.HAVE_TRUST_CENTER_LINK_KEY
        )
        if initial & t.EmberInitialSecurityBitmask.TRUST_CENTER_GLOBAL_LINK_KEY:
            bits |= t.EmberCurrentSecurityBitmask.GLOBAL_LINK_KEY
        if initial & t.EmberInitialSecurityBitmask.TRUST_CENTER_USES_HASHED_LINK_KEY:
            bits |= t.EmberCurrentSecurityBitmask.TRUST_CENTER_USES_HASHED_LINK_KEY
        centre = self.eui64
        if self.node is not None and self.node.trust_center is not None:
            centre = self.node.trust_center  # a router's is the coordinator that admitted it
        state = t.EmberCurrentSecurityState(bitmask=bits, trustCenterLongAddress=_ezsp_eui(centre))
        status = t.EmberStatus.SUCCESS if self.network_up else t.EmberStatus.NOT_JOINED
        return {"status": status, "state": state}

    def _network_key(self) -> bytes | None:
        if self.node is not None and self.node.network_key is not None:
            return self.node.network_key
        key = self._security().get("network_key")
        return bytes.fromhex(key) if key else None

    async def _cmd_exportKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        context: t.SecurityManagerContextV13 = p["context"]
        kind = context.core_key_type
        key: bytes | None = None
        if kind == t.SecurityManagerKeyType.NETWORK:
            key = self._network_key()
        elif kind == t.SecurityManagerKeyType.TC_LINK:
            stored = self._security().get("tc_link_key")
            key = bytes.fromhex(stored) if stored else None
        if key is None:
            return {"key": t.KeyData(b"\x00" * 16), "status": t.sl_Status.NOT_FOUND}
        return {"key": t.KeyData(key), "status": t.sl_Status.OK}

    async def _cmd_getNetworkKeyInfo(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        key = self._network_key()
        info = t.SecurityManagerNetworkKeyInfo(
            network_key_set=key is not None,
            alternate_network_key_set=False,
            network_key_sequence_number=self._security().get("key_seq", 0),
            alt_network_key_sequence_number=0,
            network_key_frame_counter=int(self.store.load("nwk/out") or 0),
        )
        return {"status": t.sl_Status.OK, "network_key_info": info}

    def _key_struct(self, kind: t.EmberKeyType, key: bytes, partner: Eui64, seq: int = 0) -> Any:
        return t.EmberKeyStruct(
            bitmask=t.EmberKeyStructBitmask.KEY_HAS_SEQUENCE_NUMBER
            | t.EmberKeyStructBitmask.KEY_HAS_OUTGOING_FRAME_COUNTER
            | t.EmberKeyStructBitmask.KEY_HAS_PARTNER_EUI64,
            type=kind,
            key=t.KeyData(key),
            outgoingFrameCounter=0,
            incomingFrameCounter=0,
            sequenceNumber=seq,
            partnerEUI64=_ezsp_eui(partner),
        )

    async def _cmd_getKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        """EZSP v8's way to read the network and Trust Centre link keys."""
        kind = p["keyType"]
        key: bytes | None = None
        if kind == t.EmberKeyType.CURRENT_NETWORK_KEY:
            key = self._network_key()
        elif kind == t.EmberKeyType.TRUST_CENTER_LINK_KEY:
            stored = self._security().get("tc_link_key")
            key = bytes.fromhex(stored) if stored else None
        if key is None:
            return {
                "status": t.EmberStatus.KEY_INVALID,
                "keyStruct": self._key_struct(kind, b"\x00" * 16, Eui64(0)),
            }
        seq = self._security().get("key_seq", 0)
        return {
            "status": t.EmberStatus.SUCCESS,
            "keyStruct": self._key_struct(kind, key, WILDCARD, seq),
        }

    async def _cmd_getKeyTableEntry(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        empty = self._key_struct(t.EmberKeyType.APPLICATION_LINK_KEY, b"\x00" * 16, Eui64(0))
        if index >= len(table):
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE, "keyStruct": empty}
        entry = table[index]
        if entry is None:
            return {"status": t.EmberStatus.NOT_FOUND, "keyStruct": empty}
        kind = t.EmberKeyType.APPLICATION_LINK_KEY
        return {
            "status": t.EmberStatus.SUCCESS,
            "keyStruct": self._key_struct(kind, entry[1], entry[0]),
        }

    def _key_table(self) -> list[tuple[Eui64, bytes] | None]:
        rows = self._tokens().get("key_table") or []
        size = self.config["CONFIG_KEY_TABLE_SIZE"]
        table: list[tuple[Eui64, bytes] | None] = [None] * size
        for index, row in enumerate(rows[:size]):
            if row is not None:
                table[index] = (Eui64(row[0]), bytes.fromhex(row[1]))
        return table

    def _save_key_table(self, table: list[tuple[Eui64, bytes] | None]) -> None:
        rows = [None if e is None else [e[0].hex, e[1].hex()] for e in table]
        self._save_tokens(key_table=rows)

    async def _cmd_clearKeyTable(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self._save_tokens(key_table=[])
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_findKeyTableEntry(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        who = _eui(p["address"])
        for index, entry in enumerate(self._key_table()):
            if entry is not None and entry[0] == who:
                return {"index": index}
        return {"index": 0xFF}

    async def _cmd_eraseKeyTableEntry(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        if index >= len(table):
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE}
        table[index] = None
        self._save_key_table(table)
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_importLinkKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        if index >= len(table):
            return {"status": t.sl_Status.INVALID_INDEX}
        partner, key = _eui(p["address"]), bytes(p["key"].serialize())
        table[index] = (partner, key)
        self._save_key_table(table)
        await self._use_link_key(partner, key)
        return {"status": t.sl_Status.OK}

    async def _cmd_addOrUpdateKeyTableEntry(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        """EZSP v8's way to put a link key in the key table."""
        partner, key = _eui(p["address"]), bytes(p["keyData"].serialize())
        table = self._key_table()
        index = next((i for i, e in enumerate(table) if e is not None and e[0] == partner), None)
        if index is None:
            index = next((i for i, e in enumerate(table) if e is None), None)
        if index is None:
            return {"status": t.EmberStatus.TABLE_FULL}
        table[index] = (partner, key)
        self._save_key_table(table)
        await self._use_link_key(partner, key)
        return {"status": t.EmberStatus.SUCCESS}

    async def _use_link_key(self, partner: Eui64, key: bytes) -> None:
        """A key-table entry is the APS link key the stack uses with that partner from now on
        (how the host installs a key it established itself, e.g. CBKE above the dongle)."""
        if self.node is not None:
            await self.node.set_link_key(partner, key, "application-link-key")

    async def _cmd_exportLinkKeyByIndex(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        entry = table[index] if index < len(table) else None
        metadata = t.SecurityManagerAPSKeyMetadata(
            bitmask=t.EmberKeyStructBitmask(0),
            outgoing_frame_counter=0,
            incoming_frame_counter=0,
            ttl_in_seconds=0,
        )
        if entry is None:
            return {
                "eui64": _ezsp_eui(Eui64(0)),
                "plaintext_key": t.KeyData(b"\x00" * 16),
                "key_data": metadata,
                "status": t.sl_Status.NOT_FOUND,
            }
        return {
            "eui64": _ezsp_eui(entry[0]),
            "plaintext_key": t.KeyData(entry[1]),
            "key_data": metadata,
            "status": t.sl_Status.OK,
        }

    async def _cmd_importTransientKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.trust_centre.add_transient_key(_eui(p["eui64"]), bytes(p["plaintext_key"].serialize()))
        return {"status": t.sl_Status.OK}

    async def _cmd_clearTransientLinkKeys(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        self.trust_centre.transient.clear()
        return {}

    async def _cmd_addTransientLinkKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.trust_centre.add_transient_key(
            _eui(p["partner"]), bytes(p["transientKey"].serialize())
        )
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_permitJoining(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if not self.network_up:
            return {"status": t.EmberStatus.NETWORK_DOWN}
        self.trust_centre.permit_joining(int(p["duration"]))
        return {"status": t.EmberStatus.SUCCESS}

    # -- Smart Energy key establishment ------------------------------------------------------------
    async def _no_cbke_library(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.LIBRARY_NOT_PRESENT}

    _cmd_generateCbkeKeys = _no_cbke_library
    _cmd_generateCbkeKeys283k1 = _no_cbke_library
    _cmd_calculateSmacs = _no_cbke_library
    _cmd_calculateSmacs283k1 = _no_cbke_library
    _cmd_clearTemporaryDataMaybeStoreLinkKey = _no_cbke_library
    _cmd_clearTemporaryDataMaybeStoreLinkKey283k1 = _no_cbke_library
    _cmd_setPreinstalledCbkeData = _no_cbke_library

    async def _cmd_getCertificate(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        empty = t.EmberCertificateData(b"\x00" * 48)
        return {"status": t.EmberStatus.LIBRARY_NOT_PRESENT, "localCert": empty}

    async def _cmd_getCertificate283k1(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        empty = t.EmberCertificate283k1Data(b"\x00" * 74)
        return {"status": t.EmberStatus.LIBRARY_NOT_PRESENT, "localCert": empty}
