"""The DCC's own data in SQLite (WAL): SMI, CPL, the request/response/alert journal, ACB counter.

Tables (DESIGN.md rule 7):

- ``cpl``: the Central Products List. MP202's enduring solution: the key is (manufacturer, model,
  hardware version, device type, firmware version) *plus* the SMETS generation, so one firmware
  version may have two rows, one SMETS1 and one SMETS2+, and never two of the same generation.
- ``smi``: the Smart Metering Inventory, one row per device (DUIS ``DeviceStatus`` names).
- ``journal_request`` / ``journal_response`` / ``journal_alert``: everything in and out. Install
  codes are secrets: request rows carry the body with the install code redacted, and GBCS commands
  are journalled by header fields and SHA-256 only, never their bytes.
- ``counter``: the ACB's GBCS originator counter, strictly increasing across restarts.
- ``coverage_case`` / ``wan_uncovered``: install and leave (``wan_coverage.py``): each CH's
  latest coverage case, and the coverage database's CHs known to lack an SM WAN.

SMI transitions (DOMAIN.md section 3 lists them as [U]; these are the ones implemented here):

===========  ==========================================  =====================================
SRV          device and status before                      status after
===========  ==========================================  =====================================
12.2         not in the SMI                                Pending
8.14.1       CHF Pending or InstalledNotCommissioned       Commissioned
8.14.2       CHF Pending                                   InstalledNotCommissioned
8.11 Add     Pending or Whitelisted, on CCS01 success      Whitelisted (PPMID: SMETS from CH
             (or the S1SP's success, ``s1sp.py``)          unless its CPL mode is tactical)
8.11 Remove  Whitelisted, on CCS02 success                 Pending [U]
8.1.1        ESME/GSME Whitelisted or InstalledNotCommis-  Commissioned; a GSME's GPF too, if
             sioned, on an all-success ECS70 / a GCS28     not yet Commissioned [U]
             SetTimeResponse
8.7.1 CS03A2 PPMID/HCALCS Whitelisted or Commissioned, on  Commissioned [U]
             a successful join response
8.3          Pending, Whitelisted, InstalledNotCommis-     Decommissioned [U]
             sioned, Commissioned or Suspended
8.4 Delete   Pending                                       (row deleted) [U]
===========  ==========================================  =====================================

[U] The GPF serving a GSME is the SMI's GPF whose ``ch_id`` is the GSME's CHF, else the one whose
EUI is the CHF's plus ``GPF_EUI_OFFSET`` (the RTDS CHF ``...A2`` / GPF ``...A3`` pair).
"""

from __future__ import annotations

import enum
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from emulator.codec.eui64 import Eui64

from .requests import DevicePrenotification, DeviceType, ServiceReferenceVariant


class SmiStatus(enum.Enum):
    """DUIS 5.4 ``DeviceStatus``."""

    PENDING = "Pending"
    WHITELISTED = "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned"
    COMMISSIONED = "Commissioned"
    DECOMMISSIONED = "Decommissioned"
    WITHDRAWN = "Withdrawn"
    SUSPENDED = "Suspended"
    RECOVERY = "Recovery"
    RECOVERED = "Recovered"


class SmetsVersion(enum.Enum):
    """The SMETS generation MP202 distinguishes (DOMAIN.md section 1)."""

    SMETS1 = "SMETS1"
    SMETS2_PLUS = "SMETS2+"

    @classmethod
    def of(cls, smets_chts_version: str) -> SmetsVersion:
        """Classify a DUIS ``SMETSCHTSVersion`` text. [U] DUIS leaves the text free (1-20
        characters); we read ``SMETS1...`` / ``SMETS V1...`` / ``S1...`` as SMETS1 and anything
        else (``SMETS2...``, ``CHTS...``) as SMETS2+."""
        t = smets_chts_version.strip().upper().replace(" ", "")
        if t.startswith(("SMETS1", "SMETSV1", "S1")):
            return cls.SMETS1
        return cls.SMETS2_PLUS


def mp202_smets_version(ch_version: SmetsVersion, pre_notified: SmetsVersion) -> SmetsVersion:
    """MP202's four-row table: a whitelisted PPMID takes the CH's SMETS version, whatever it was
    pre-notified as (``pre_notified`` is accepted to make the table explicit)."""
    del pre_notified
    return ch_version


class CplMode(enum.Enum):
    """How a dual-mode PPMID model sits on the CPL (MP202 section 2 and 3), per model and firmware
    version, read from its rows (``cpl_mode``): selecting a mode for a model is loading its rows
    that way (``rig.dcc.mp202.dual_mode_rows``)."""

    ENDURING = "enduring"
    """Two rows with the same firmware version, one SMETS1 and one SMETS2+ (MP202's solution)."""
    TACTICAL = "tactical"
    """The tactical interim solution: the SMETS1 row carries a *fictitious* firmware version
    (SEC Appendix Z 3.13(b)) and the SMETS2+ row the real one; each version has one row."""
    SINGLE = "single"
    """One generation only for this firmware version (a single-mode device, or either row of a
    tactical pair on its own)."""


def cpl_mode(rows: list[CplEntry], firmware_version: str | None) -> CplMode:
    """The mode of a model's CPL ``rows`` (all its firmware versions) for ``firmware_version``:
    ENDURING when that version has a row of each generation, TACTICAL when it has one and the model
    has rows of the other generation only under other versions, SINGLE otherwise."""
    mine = {e.smets_version for e in rows if e.firmware_version == firmware_version}
    if len(mine) == 2:
        return CplMode.ENDURING
    others = {e.smets_version for e in rows if e.firmware_version != firmware_version}
    return CplMode.TACTICAL if mine and others - mine else CplMode.SINGLE


@dataclass(frozen=True, slots=True)
class CplEntry:
    """One CPL row."""

    manufacturer: str
    model: str
    hardware_version: str
    firmware_version: str
    device_type: DeviceType
    smets_chts_version: str

    @property
    def smets_version(self) -> SmetsVersion:
        return SmetsVersion.of(self.smets_chts_version)

    def prenotification(self, device_id: Eui64) -> DevicePrenotification:
        """The 12.2 body for a device of this model."""
        return DevicePrenotification(
            device_id,
            self.manufacturer,
            self.model,
            self.device_type,
            self.smets_chts_version,
            self.firmware_version,
        )


@dataclass(frozen=True, slots=True)
class SmiRecord:
    """One SMI row."""

    device_id: Eui64
    device_type: DeviceType
    status: SmiStatus
    smets_version: SmetsVersion | None
    manufacturer: str
    model: str
    firmware_version: str | None
    registered_supplier: Eui64 | None
    ch_id: Eui64 | None = None


GPF_EUI_OFFSET = 1
"""[U] A Communications Hub's GPF EUI-64 is its CHF's plus one (RTDS: CHF ...A2, GPF ...A3)."""

METER_STATUSES_FOR_COMMISSIONING = (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED)
JOINED_DEVICE_STATUSES = (SmiStatus.WHITELISTED, SmiStatus.COMMISSIONED)
DECOMMISSIONABLE_STATUSES = (
    SmiStatus.PENDING,
    SmiStatus.WHITELISTED,
    SmiStatus.INSTALLED_NOT_COMMISSIONED,
    SmiStatus.COMMISSIONED,
    SmiStatus.SUSPENDED,
)


class TransitionError(Exception):
    """An SMI status change the transition table does not allow."""


class CplConflict(Exception):
    """A CPL row MP202 does not allow (a second row of the same SMETS generation)."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS cpl (
    manufacturer TEXT NOT NULL,
    model TEXT NOT NULL,
    hardware_version TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    device_type TEXT NOT NULL,
    smets_chts_version TEXT NOT NULL,
    smets_version TEXT NOT NULL,
    PRIMARY KEY (manufacturer, model, hardware_version, device_type, firmware_version,
                 smets_version)
);
CREATE TABLE IF NOT EXISTS smi (
    device_id TEXT PRIMARY KEY,
    device_type TEXT NOT NULL,
    status TEXT NOT NULL,
    smets_version TEXT,
    manufacturer TEXT NOT NULL,
    model TEXT NOT NULL,
    firmware_version TEXT,
    registered_supplier TEXT,
    ch_id TEXT
);
CREATE TABLE IF NOT EXISTS journal_request (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    request_id TEXT NOT NULL,
    srv TEXT NOT NULL,
    command_variant INTEGER NOT NULL,
    body TEXT NOT NULL,
    gbcs_message_code INTEGER,
    gbcs_originator_counter INTEGER,
    gbcs_sha256 TEXT
);
CREATE TABLE IF NOT EXISTS journal_response (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    request_id TEXT,
    response_id TEXT,
    srv TEXT,
    response_code TEXT,
    gbcs TEXT,
    accepted INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS journal_alert (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    response_id TEXT,
    request_id TEXT,
    gbcs TEXT,
    accepted INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS coverage_case (
    ch_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    restored_at TEXT
);
CREATE TABLE IF NOT EXISTS wan_uncovered (ch_id TEXT PRIMARY KEY);
"""


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One ``coverage_case`` row as stored (``wan_coverage.CoverageCase`` gives it meaning)."""

    ch_id: Eui64
    kind: str
    opened_at: datetime
    due_at: datetime
    restored_at: datetime | None


ACB_COUNTER = "acb"


def _gbcs_column(gbcs: bytes | None, secret: bool) -> str | None:
    if gbcs is None:
        return None
    return f"sha256:{hashlib.sha256(gbcs).hexdigest()}" if secret else gbcs.hex().upper()


def _eui(text: str | None) -> Eui64 | None:
    return None if text is None else Eui64(text)


class Inventory:
    """The DCC's SQLite store. ``path`` may be ``":memory:"``."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Each write commits at once; NORMAL skips the fsync per commit, and WAL keeps every
        # committed write across a crash of the process (only a power cut may lose the last).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # ---- CPL ----------------------------------------------------------------------------------

    def add_cpl_entry(self, entry: CplEntry) -> None:
        try:
            self._db.execute(
                "INSERT INTO cpl VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.manufacturer,
                    entry.model,
                    entry.hardware_version,
                    entry.firmware_version,
                    entry.device_type.value,
                    entry.smets_chts_version,
                    entry.smets_version.value,
                ),
            )
        except sqlite3.IntegrityError:
            raise CplConflict(
                f"CPL already has a {entry.smets_version.value} row for {entry.manufacturer} "
                f"{entry.model} hw {entry.hardware_version} fw {entry.firmware_version}"
            ) from None

    def remove_cpl_entry(self, entry: CplEntry) -> None:
        self._db.execute(
            "DELETE FROM cpl WHERE manufacturer = ? AND model = ? AND hardware_version = ? AND "
            "device_type = ? AND firmware_version = ? AND smets_version = ?",
            (
                entry.manufacturer,
                entry.model,
                entry.hardware_version,
                entry.device_type.value,
                entry.firmware_version,
                entry.smets_version.value,
            ),
        )

    def cpl_entries(
        self,
        manufacturer: str,
        model: str,
        device_type: DeviceType,
        firmware_version: str | None = None,
        smets_version: SmetsVersion | None = None,
    ) -> list[CplEntry]:
        """CPL rows matching the given identity; ``None`` arguments match anything."""
        sql = "SELECT * FROM cpl WHERE manufacturer = ? AND model = ? AND device_type = ?"
        args: list[str] = [manufacturer, model, device_type.value]
        if firmware_version is not None:
            sql += " AND firmware_version = ?"
            args.append(firmware_version)
        if smets_version is not None:
            sql += " AND smets_version = ?"
            args.append(smets_version.value)
        rows = self._db.execute(sql + " ORDER BY smets_version", args).fetchall()
        return [CplEntry(r[0], r[1], r[2], r[3], DeviceType(r[4]), r[5]) for r in rows]

    # ---- SMI ----------------------------------------------------------------------------------

    def smi(self, device_id: Eui64) -> SmiRecord | None:
        row = self._db.execute(
            "SELECT * FROM smi WHERE device_id = ?", (Eui64(device_id).hex,)
        ).fetchone()
        if row is None:
            return None
        return SmiRecord(
            Eui64(row[0]),
            DeviceType(row[1]),
            SmiStatus(row[2]),
            None if row[3] is None else SmetsVersion(row[3]),
            row[4],
            row[5],
            row[6],
            _eui(row[7]),
            _eui(row[8]),
        )

    def _require(self, device_id: Eui64) -> SmiRecord:
        record = self.smi(device_id)
        if record is None:
            raise TransitionError(f"{Eui64(device_id)} is not in the SMI")
        return record

    def _set(self, device_id: Eui64, **columns: str | None) -> None:
        assignments = ", ".join(f"{c} = ?" for c in columns)
        self._db.execute(
            f"UPDATE smi SET {assignments} WHERE device_id = ?",
            (*columns.values(), Eui64(device_id).hex),
        )

    def _check(self, record: SmiRecord, srv: str, allowed: tuple[SmiStatus, ...]) -> None:
        if record.status not in allowed:
            raise TransitionError(
                f"{srv}: {record.device_id} is {record.status.value}, not "
                + " or ".join(s.value for s in allowed)
            )

    def prenotify(
        self,
        device_id: Eui64,
        device_type: DeviceType,
        manufacturer: str,
        model: str,
        firmware_version: str | None,
        smets_version: SmetsVersion | None,
        registered_supplier: Eui64,
    ) -> SmiRecord:
        """12.2: a new SMI record, status Pending."""
        if self.smi(device_id) is not None:
            raise TransitionError(f"12.2: {Eui64(device_id)} is already in the SMI")
        self._db.execute(
            "INSERT INTO smi VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                Eui64(device_id).hex,
                device_type.value,
                SmiStatus.PENDING.value,
                None if smets_version is None else smets_version.value,
                manufacturer,
                model,
                firmware_version,
                Eui64(registered_supplier).hex,
            ),
        )
        return self._require(device_id)

    def set_registered_supplier(self, device_id: Eui64, supplier: Eui64) -> SmiRecord:
        """Change of supply: the registration data name ``supplier`` (any status) [U]."""
        self._require(device_id)
        self._set(device_id, registered_supplier=Eui64(supplier).hex)
        return self._require(device_id)

    def ch_install_success(self, ch_id: Eui64) -> SmiRecord:
        """8.14.1: CHF -> Commissioned."""
        record = self._require(ch_id)
        self._check(record, "8.14.1", (SmiStatus.PENDING, SmiStatus.INSTALLED_NOT_COMMISSIONED))
        self._set(ch_id, status=SmiStatus.COMMISSIONED.value)
        return self._require(ch_id)

    def ch_install_no_sm_wan(self, ch_id: Eui64) -> SmiRecord:
        """8.14.2: CHF -> InstalledNotCommissioned."""
        record = self._require(ch_id)
        self._check(record, "8.14.2", (SmiStatus.PENDING,))
        self._set(ch_id, status=SmiStatus.INSTALLED_NOT_COMMISSIONED.value)
        return self._require(ch_id)

    def whitelist(self, device_id: Eui64, ch_id: Eui64) -> SmiRecord:
        """Successful 8.11 Add: device -> Whitelisted on ``ch_id``'s log; a PPMID takes the CH's
        SMETS version (MP202)."""
        record = self._require(device_id)
        ch = self._require(ch_id)
        self._check(record, "8.11", (SmiStatus.PENDING, SmiStatus.WHITELISTED))
        smets = record.smets_version
        if (
            record.device_type is DeviceType.PPMID
            and ch.smets_version is not None
            and self._takes_ch_version(record)
        ):
            smets = mp202_smets_version(ch.smets_version, smets or ch.smets_version)
        self._set(
            device_id,
            status=SmiStatus.WHITELISTED.value,
            ch_id=Eui64(ch_id).hex,
            smets_version=None if smets is None else smets.value,
        )
        return self._require(device_id)

    def _takes_ch_version(self, record: SmiRecord) -> bool:
        """MP202: a whitelisted PPMID takes the CH's SMETS version (the four-row table) unless
        its model is on the CPL in the tactical mode for its firmware version: then the SMI keeps
        what was pre-notified [U]. The table is the enduring solution's; under the tactical one
        the Supplier had to install the PPMID in the system it was pre-notified for (a mismatch
        is ``rig.dcc.mp202.wrong_system``, as is a single-mode PPMID the table moves to a
        generation its model has no CPL row for)."""
        if record.smets_version is None:
            return True
        rows = self.cpl_entries(record.manufacturer, record.model, record.device_type)
        return cpl_mode(rows, record.firmware_version) is not CplMode.TACTICAL

    def remove_from_whitelist(self, device_id: Eui64) -> SmiRecord:
        """Successful 8.11 Remove: device -> Pending, off the CH's log. [U] DUIS does not say
        here what status a removed, never-commissioned device takes; Pending lets it be added
        again."""
        record = self._require(device_id)
        self._check(record, "8.11", (SmiStatus.WHITELISTED,))
        self._set(device_id, status=SmiStatus.PENDING.value, ch_id=None)
        return self._require(device_id)

    def commission(self, device_id: Eui64) -> SmiRecord:
        """Successful 8.1.1 (ECS70 / GCS28): meter -> Commissioned; a GSME's GPF goes
        Commissioned with it [U] (the GPF has no commissioning SRV of its own here)."""
        record = self._require(device_id)
        self._check(record, "8.1.1", METER_STATUSES_FOR_COMMISSIONING)
        self._set(device_id, status=SmiStatus.COMMISSIONED.value)
        if record.device_type is DeviceType.GSME and record.ch_id is not None:
            gpf = self.gpf_of(record.ch_id)
            if gpf is not None and gpf.status in (
                SmiStatus.PENDING,
                SmiStatus.WHITELISTED,
                SmiStatus.INSTALLED_NOT_COMMISSIONED,
            ):
                self._set(gpf.device_id, status=SmiStatus.COMMISSIONED.value)
        return self._require(device_id)

    def commission_joined(self, device_id: Eui64) -> SmiRecord:
        """Successful 8.7.1 Method A join of a PPMID / HCALCS (CS03A2) -> Commissioned [U]: DUIS
        has no 8.1.1 for them; their join to a meter is what puts them in service."""
        record = self._require(device_id)
        if record.device_type not in (DeviceType.PPMID, DeviceType.HCALCS):
            raise TransitionError(f"8.7.1: {record.device_id} is a {record.device_type.value}")
        self._check(record, "8.7.1", JOINED_DEVICE_STATUSES)
        self._set(device_id, status=SmiStatus.COMMISSIONED.value)
        return self._require(device_id)

    def set_firmware_version(self, device_id: Eui64, firmware_version: str) -> SmiRecord:
        """The version a device reports running after an activation (11.3)."""
        self._require(device_id)
        self._set(device_id, firmware_version=firmware_version)
        return self._require(device_id)

    def suspend(self, device_id: Eui64) -> SmiRecord:
        """Suspended [U]: the device runs a firmware version its model has no CPL row for."""
        record = self._require(device_id)
        self._check(record, "CPL", (*JOINED_DEVICE_STATUSES, SmiStatus.INSTALLED_NOT_COMMISSIONED))
        self._set(device_id, status=SmiStatus.SUSPENDED.value)
        return self._require(device_id)

    def decommission(self, device_id: Eui64) -> SmiRecord:
        """8.3: -> Decommissioned [U] (from any in-service or pre-service status)."""
        record = self._require(device_id)
        self._check(record, "8.3", DECOMMISSIONABLE_STATUSES)
        self._set(device_id, status=SmiStatus.DECOMMISSIONED.value)
        return self._require(device_id)

    def delete_device(self, device_id: Eui64) -> None:
        """8.4 DeleteDevice: a Pending device leaves the SMI [U]."""
        record = self._require(device_id)
        self._check(record, "8.4", (SmiStatus.PENDING,))
        self._db.execute("DELETE FROM smi WHERE device_id = ?", (Eui64(device_id).hex,))

    def gpf_of(self, ch_id: Eui64) -> SmiRecord | None:
        """The GPF of the Communications Hub whose CHF is ``ch_id`` (see the module docstring)."""
        row = self._db.execute(
            "SELECT device_id FROM smi WHERE device_type = ? AND ch_id = ?",
            (DeviceType.GPF.value, Eui64(ch_id).hex),
        ).fetchone()
        if row is not None:
            return self.smi(Eui64(row[0]))
        candidate = self.smi(Eui64(int(Eui64(ch_id)) + GPF_EUI_OFFSET))
        if candidate is not None and candidate.device_type is DeviceType.GPF:
            return candidate
        return None

    def devices_on(self, ch_id: Eui64) -> list[SmiRecord]:
        """Every SMI device whose ``ch_id`` is ``ch_id`` (the CH's HAN), by EUI."""
        rows = self._db.execute(
            "SELECT device_id FROM smi WHERE ch_id = ? ORDER BY device_id", (Eui64(ch_id).hex,)
        ).fetchall()
        return [r for r in (self.smi(Eui64(row[0])) for row in rows) if r is not None]

    # ---- ACB counter --------------------------------------------------------------------------

    def next_counter(self, name: str = ACB_COUNTER, floor: int = 0) -> int:
        """The next originator counter: above every one handed out before, and at least
        ``floor``."""
        row = self._db.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()
        value = max(floor, 0 if row is None else row[0] + 1)
        self._db.execute(
            "INSERT INTO counter VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
        return value

    # ---- install and leave --------------------------------------------------------------------

    def save_coverage_case(self, row: CoverageRow) -> None:
        """Keep ``row`` as its CH's case (the one before it, if any, is replaced)."""
        self._db.execute(
            "INSERT OR REPLACE INTO coverage_case VALUES (?, ?, ?, ?, ?)",
            (
                Eui64(row.ch_id).hex,
                row.kind,
                row.opened_at.isoformat(),
                row.due_at.isoformat(),
                None if row.restored_at is None else row.restored_at.isoformat(),
            ),
        )

    def coverage_cases(self) -> list[CoverageRow]:
        """Every CH's latest coverage case, by CH."""
        rows = self._db.execute("SELECT * FROM coverage_case ORDER BY ch_id").fetchall()
        return [
            CoverageRow(
                Eui64(r[0]),
                r[1],
                datetime.fromisoformat(r[2]),
                datetime.fromisoformat(r[3]),
                None if r[4] is None else datetime.fromisoformat(r[4]),
            )
            for r in rows
        ]

    def set_wan_uncovered(self, ch_id: Eui64, uncovered: bool) -> None:
        """The coverage database: ``ch_id`` is (not) known to lack an SM WAN."""
        if uncovered:
            self._db.execute("INSERT OR IGNORE INTO wan_uncovered VALUES (?)", (Eui64(ch_id).hex,))
        else:
            self._db.execute("DELETE FROM wan_uncovered WHERE ch_id = ?", (Eui64(ch_id).hex,))

    def wan_uncovered(self) -> set[Eui64]:
        rows = self._db.execute("SELECT ch_id FROM wan_uncovered").fetchall()
        return {Eui64(r[0]) for r in rows}

    # ---- journal ------------------------------------------------------------------------------

    def journal_request(
        self,
        at: datetime,
        request_id: str,
        srv: ServiceReferenceVariant,
        command_variant: int,
        body: dict[str, object],
        gbcs: tuple[int, int, bytes] | None = None,
    ) -> None:
        """Journal a request; ``body`` must already be redacted. ``gbcs`` = (message code,
        originator counter, command bytes): only the code, counter and SHA-256 are kept."""
        code = counter = digest = None
        if gbcs is not None:
            code, counter = gbcs[0], gbcs[1]
            digest = hashlib.sha256(gbcs[2]).hexdigest()
        self._db.execute(
            "INSERT INTO journal_request (at, request_id, srv, command_variant, body, "
            "gbcs_message_code, gbcs_originator_counter, gbcs_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(),
                request_id,
                srv.value,
                command_variant,
                json.dumps(body, sort_keys=True),
                code,
                counter,
                digest,
            ),
        )

    def journal_response(
        self,
        at: datetime,
        request_id: str | None,
        response_id: str | None,
        srv: ServiceReferenceVariant | None,
        response_code: str | None,
        gbcs: bytes | None,
        accepted: bool,
        note: str = "",
    ) -> None:
        self._db.execute(
            "INSERT INTO journal_response (at, request_id, response_id, srv, response_code, gbcs, "
            "accepted, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(),
                request_id,
                response_id,
                None if srv is None else srv.value,
                response_code,
                None if gbcs is None else gbcs.hex().upper(),
                int(accepted),
                note,
            ),
        )

    def journal_alert(
        self,
        at: datetime,
        kind: str,
        code: str,
        response_id: str | None,
        request_id: str | None,
        gbcs: bytes | None,
        accepted: bool,
        note: str = "",
        secret: bool = False,
    ) -> None:
        """``kind``: ``device`` (a GBCS alert, ``gbcs`` its bytes) or ``dcc`` (an N-code).
        ``secret``: the alert carries install codes (CS14): keep only its SHA-256."""
        self._db.execute(
            "INSERT INTO journal_alert (at, kind, code, response_id, request_id, gbcs, accepted, "
            "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(),
                kind,
                code,
                response_id,
                request_id,
                _gbcs_column(gbcs, secret),
                int(accepted),
                note,
            ),
        )

    def journal(self, table: str) -> list[dict[str, object]]:
        """The rows of one journal table (``request``, ``response``, ``alert``), oldest first."""
        if table not in ("request", "response", "alert"):
            raise ValueError(f"no journal table {table!r}")
        cur = self._db.execute(f"SELECT * FROM journal_{table} ORDER BY seq")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
