"""Bench files (``hardware/*.yaml``): one reader for ``hil-rig run --bench``, ``hil-rig bench
check`` and the HIL plugin's ``--bench``.

A bench names the backend that builds the premises, what it can do (``features``), each node's
radio and, for devices under test, who they are (DESIGN.md rule 9: described, not hard-coded)::

    name: lab-bench-1
    backend: ncp                  # virtual | ncp
    clock: real                   # any dongle on the HAN means real time
    features:
      - han-2g4
    nodes:
      hub:
        role: comms-hub
        radio: ezsp:/dev/serial/by-id/usb-Silicon_Labs_...-if00-port0
        channel: 15               # radio settings (dongles only): channel, tx-power,
        tx-power: 8               # baudrate, flow-control (software | hardware | none)
      ppmid:
        role: ppmid
        radio: physical           # a device under test: no radio of ours
        eui64: 00-DB-12-34-56-78-90-A4
        install-code: 0123456789ABCDEF0123456789ABCDEF
        smets-version: SMETS2 V4.1
        bands: [2.4GHz]
        cpl:
          manufacturer: AB03
          ...
        power: switch-1/3
    power:
      switch-1:
        driver: NetworkPowerPort  # labgrid's resource; or command (on:, off:) or emulated
        model: netio              # labgrid's power backend
        host: pdu-1.lab

Radios: ``virtual`` (an emulated node on the bench's virtual HAN), ``ncp-emulator`` (an
emulated EZSP dongle on a pty whose radio is on the virtual HAN: CI's bench), ``ezsp:PATH`` (a
local dongle), ``rfc2217://host:port`` (a dongle a labgrid exporter shares), ``physical`` (the
device under test itself) and ``stand-in`` (an emulated device standing in for a physical device
under test, on the virtual HAN that is the NCP emulator's air: the rig knows it only as it knows
a physical one (eui64, install-code, power) and drives it only through its power switch; so it
needs backend ncp with the comms-hub on ``ncp-emulator``: a real dongle shares no air with it).

Power switches (``power:``) are checked here for their driver's name and fields
(``POWER_DRIVERS``) so ``hil-rig bench check`` catches a typo before a run; ``rig.power``
switches them. A node's ``power`` is ``switch/index``; the ``emulated`` driver powers stand-ins
only, and a stand-in is powered by nothing else.

Key material a physical device under test trusts (``LabKeys``, ``keys:`` with ``smki``, ``acb``,
``supplier``; a node's ``cbke-credentials``): paths are relative to the bench file and must
exist; ``rig.scenarios.lab_keys`` reads them.

PyYAML is not a dependency: the file is read by a small reader of the YAML subset benches use
(block mappings and lists, ``[a, b]`` lists of scalars, comments), and every error is a
``BenchError`` naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.codec.eui64 import Eui64

KNOWN_BACKENDS: tuple[str, ...] = ("virtual", "ncp")
"""``virtual``: everything emulated on modelled time; ``ncp``: the hub on NcpStack (a dongle)."""
ROLES = ("comms-hub", "esme", "gsme", "ppmid", "ihd")
BANDS = ("2.4GHz", "sub-GHz")
CLOCKS = ("virtual", "real")
FLOW_CONTROLS = {"software": "software", "hardware": "hardware", "none": None}
CPL_FIELDS = ("manufacturer", "model", "hardware-version", "firmware-version", "smets-chts-version")
CPL_OPTIONAL = ("tactical-firmware-version",)
"""A dual-mode PPMID's fictitious SMETS1 firmware version, for the tactical CPL mode (MP202)."""
DONGLE_SETTINGS = ("baudrate", "flow-control", "channel", "tx-power")
NODE_FIELDS = (
    "role",
    "radio",
    *DONGLE_SETTINGS,
    "eui64",
    "install-code",
    "smets-version",
    "bands",
    "cpl",
    "power",
    "cbke-credentials",
)
TOP_FIELDS = ("name", "backend", "clock", "features", "nodes", "power", "keys")
KEYS_FIELDS = ("smki", "acb", "supplier")
"""The lab's key material a physical device under test trusts (``LabKeys``)."""
UNDER_TEST_RADIOS = ("physical", "stand-in")
"""Radios of devices under test: no radio of ours, no radio settings, identity from the file."""
POWER_DRIVERS: dict[str, tuple[str, ...]] = {
    "command": ("on", "off"),
    "NetworkPowerPort": ("model", "host"),
    "emulated": (),
}
"""Power switch drivers (``rig.power`` implements them) and the fields each requires: ``command``
(``on``/``off`` command lines, ``{index}`` for the outlet), ``NetworkPowerPort`` (labgrid's
resource: its power backend ``model`` at ``host``), ``emulated`` (a stand-in's power input)."""


class BenchError(ValueError):
    """A bench file this rig cannot run; the message names the file and line."""


@dataclass(frozen=True)
class Radio:
    """A node's radio: ``kind`` is virtual, ncp-emulator, ezsp, rfc2217, physical or stand-in;
    ``port``
    is what bellows opens (a device path or an ``rfc2217://`` URL) for dongles."""

    kind: str
    port: str = ""
    baudrate: int = 115200
    flow_control: str | None = "software"
    channel: int = 11
    tx_power: int = 8

    @property
    def is_dongle(self) -> bool:
        return self.kind in ("ezsp", "rfc2217", "ncp-emulator")

    def __str__(self) -> str:
        return {"ezsp": f"ezsp:{self.port}", "rfc2217": self.port}.get(self.kind, self.kind)


@dataclass(frozen=True)
class CplIdentity:
    manufacturer: str
    model: str
    hardware_version: str
    firmware_version: str
    smets_chts_version: str
    tactical_firmware_version: str | None = None


@dataclass(frozen=True)
class BenchNode:
    """One node of the premises: an emulated device, or a device under test (``radio``
    physical or stand-in) with its identity."""

    name: str
    role: str
    radio: Radio
    line: int
    eui64: Eui64 | None = None
    install_code: bytes | None = field(default=None, repr=False)
    smets_version: str | None = None
    bands: tuple[str, ...] = ("2.4GHz",)
    cpl: CplIdentity | None = None
    power: str | None = None
    radio_line: int = 0
    power_line: int = 0
    cbke_credentials: Path | None = None
    """A JSON file of the node's ZSE CBKE credentials (``emulator.pki.zse`` layout: certificate,
    private key, CA public key): for an emulated node that must share a CA with a device under
    test; None: the rig's test CA issues them."""

    @property
    def under_test(self) -> bool:
        """A device the rig knows only by its identity and power switch."""
        return self.radio.kind in UNDER_TEST_RADIOS

    @property
    def stand_in(self) -> bool:
        """An emulated device under test on the NCP emulator's air (``radio: stand-in``)."""
        return self.radio.kind == "stand-in"

    @property
    def power_switch(self) -> str | None:
        """The switch part of ``power`` (``switch-1`` of ``switch-1/3``)."""
        return None if self.power is None else self.power.partition("/")[0]

    @property
    def power_index(self) -> str | None:
        """The outlet part of ``power`` (``3`` of ``switch-1/3``)."""
        return None if self.power is None else self.power.partition("/")[2]


@dataclass(frozen=True)
class LabKeys:
    """The lab's SMKI test credentials a physical device under test trusts: a keystore in the
    RTDS layout (``smki``) holding the ACB's and the Supplier's certificates and private keys
    and the device's own Device certificates; ``acb`` and ``supplier`` say whose they are."""

    smki: Path
    acb: Eui64
    supplier: Eui64


@dataclass(frozen=True)
class Bench:
    """A bench as its file describes it."""

    name: str
    backend: str
    features: frozenset[str]
    radios: dict[str, str] = field(default_factory=dict)
    """Radio by node, as the file names them."""
    path: Path | None = None
    clock: str = "virtual"
    nodes: dict[str, BenchNode] = field(default_factory=dict)
    power: dict[str, dict[str, str]] = field(default_factory=dict)
    keys: LabKeys | None = None

    def dongles(self) -> list[BenchNode]:
        return [n for n in self.nodes.values() if n.radio.is_dongle]

    def node_with_role(self, role: str) -> BenchNode | None:
        return next((n for n in self.nodes.values() if n.role == role), None)


# ---- the YAML subset -----------------------------------------------------------------------------


@dataclass
class _Value:
    value: Any  # str | list[_Value] | dict[str, _Value]
    line: int


_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_][\w.-]*)\s*:(?:\s+(?P<rest>.*))?$")


def _strip_comment(text: str) -> str:
    quote = ""
    for i, ch in enumerate(text):
        if ch in "'\"" and not quote:
            quote = ch
        elif ch == quote:
            quote = ""
        elif ch == "#" and not quote and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _scalar(text: str, where: str, line: int) -> _Value:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        items = [s.strip() for s in text[1:-1].split(",") if s.strip()]
        return _Value([_scalar(s, where, line) for s in items], line)
    if text.startswith("{"):
        raise BenchError(f"{where}:{line}: flow mappings ({{...}}) are not supported; use lines")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return _Value(text, line)


def _parse(lines: list[str], where: str) -> _Value:
    rows: list[tuple[int, int, str]] = []  # line, indent, text
    for number, raw in enumerate(lines, start=1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise BenchError(f"{where}:{number}: tab in indentation; use spaces")
        text = _strip_comment(raw)
        if text.strip():
            rows.append((number, len(text) - len(text.lstrip()), text.strip()))
    if not rows:
        raise BenchError(f"{where}: empty bench file")
    value, end = _block(rows, 0, rows[0][1], where)
    if end != len(rows):
        number = rows[end][0]
        raise BenchError(f"{where}:{number}: unexpected indentation")
    return value


def _block(rows: list[tuple[int, int, str]], i: int, indent: int, where: str) -> tuple[_Value, int]:
    first_line = rows[i][0]
    if rows[i][2].startswith("- ") or rows[i][2] == "-":
        items: list[_Value] = []
        while i < len(rows) and rows[i][1] == indent and rows[i][2].startswith("-"):
            number, _, text = rows[i]
            item = text[1:].strip()
            if not item or _KEY.match(item):
                raise BenchError(f"{where}:{number}: list items are plain values here")
            items.append(_scalar(item, where, number))
            i += 1
        return _Value(items, first_line), i
    mapping: dict[str, _Value] = {}
    while i < len(rows) and rows[i][1] == indent:
        number, _, text = rows[i]
        m = _KEY.match(text)
        if m is None:
            raise BenchError(f"{where}:{number}: expected 'key: value', got {text!r}")
        key, rest = m.group("key"), m.group("rest")
        if key in mapping:
            raise BenchError(f"{where}:{number}: {key!r} given twice")
        i += 1
        if rest:
            mapping[key] = _scalar(rest, where, number)
        elif i < len(rows) and rows[i][1] > indent:
            mapping[key], i = _block(rows, i, rows[i][1], where)
        else:
            mapping[key] = _Value("", number)
    if i < len(rows) and rows[i][1] > indent:
        raise BenchError(f"{where}:{rows[i][0]}: unexpected indentation")
    return _Value(mapping, first_line), i


# ---- the schema --------------------------------------------------------------------------------


class _Reader:
    def __init__(self, where: str, base: Path = Path()) -> None:
        self.where, self.base = where, base

    def file(self, v: _Value, what: str, directory: bool = False) -> Path:
        """A path the bench names, relative to the bench file; it must exist."""
        path = self.base / self.text(v, what)
        if not (path.is_dir() if directory else path.is_file()):
            kind = "directory" if directory else "file"
            raise self.fail(v.line, f"{what}: no {kind} {path}")
        return path

    def eui(self, v: _Value, what: str) -> Eui64:
        try:
            return Eui64(self.text(v, what))
        except ValueError as exc:
            raise self.fail(v.line, f"{what}: {exc}") from None

    def lab_keys(self, v: _Value) -> LabKeys:
        fields = self.mapping(v, "keys", KEYS_FIELDS)
        missing = [f for f in KEYS_FIELDS if f not in fields]
        if missing:
            raise self.fail(v.line, f"keys lacks {', '.join(missing)}")
        return LabKeys(
            self.file(fields["smki"], "keys: smki", directory=True),
            self.eui(fields["acb"], "keys: acb"),
            self.eui(fields["supplier"], "keys: supplier"),
        )

    def fail(self, line: int, message: str) -> BenchError:
        return BenchError(f"{self.where}:{line}: {message}")

    def mapping(self, v: _Value, what: str, allowed: Collection[str]) -> dict[str, _Value]:
        if not isinstance(v.value, dict):
            raise self.fail(v.line, f"{what} must be a mapping of 'key: value' lines")
        for key, item in v.value.items():
            if key not in allowed:
                raise self.fail(
                    item.line, f"unknown key {key!r} in {what} (known: {', '.join(allowed)})"
                )
        return v.value

    def text(self, v: _Value, what: str) -> str:
        if not isinstance(v.value, str) or not v.value:
            raise self.fail(v.line, f"{what} must be a non-empty value")
        return v.value

    def integer(self, v: _Value, what: str, low: int, high: int) -> int:
        text = self.text(v, what)
        try:
            number = int(text, 0)
        except ValueError:
            raise self.fail(v.line, f"{what} must be a whole number, got {text!r}") from None
        if not low <= number <= high:
            raise self.fail(v.line, f"{what} {number} is outside {low}..{high}")
        return number

    def strings(self, v: _Value, what: str) -> list[str]:
        if not isinstance(v.value, list):
            raise self.fail(v.line, f"{what} must be a list ('- item' lines or [a, b])")
        return [self.text(item, what) for item in v.value]

    def radio(self, node: dict[str, _Value], v: _Value, name: str) -> Radio:
        text = self.text(v, f"node {name}'s radio")
        settings: dict[str, Any] = {}
        if "baudrate" in node:
            settings["baudrate"] = self.integer(node["baudrate"], "baudrate", 1200, 4_000_000)
        if "channel" in node:
            settings["channel"] = self.integer(node["channel"], "channel", 11, 26)
        if "tx-power" in node:
            settings["tx_power"] = self.integer(node["tx-power"], "tx-power (dBm)", -10, 20)
        if "flow-control" in node:
            flow = self.text(node["flow-control"], "flow-control")
            if flow not in FLOW_CONTROLS:
                known = ", ".join(FLOW_CONTROLS)
                raise self.fail(
                    node["flow-control"].line, f"flow-control {flow!r} (known: {known})"
                )
            settings["flow_control"] = FLOW_CONTROLS[flow]
        if text in ("virtual", "ncp-emulator", *UNDER_TEST_RADIOS):
            kind, port = text, ""
        elif text.startswith("ezsp:"):
            kind, port = "ezsp", text[len("ezsp:") :]
            if not port.startswith("/"):
                raise self.fail(v.line, f"ezsp: needs an absolute device path, got {port!r}")
        elif text.startswith("rfc2217://"):
            kind, port = "rfc2217", text
            if not re.fullmatch(r"rfc2217://[^:/\s]+:\d{1,5}(/.*)?", text):
                raise self.fail(v.line, f"expected rfc2217://host:port, got {text!r}")
        else:
            raise self.fail(
                v.line,
                f"node {name} has radio {text!r}; a radio is virtual, ncp-emulator, "
                "ezsp:/dev/serial/by-id/..., rfc2217://host:port, physical or stand-in",
            )
        if settings and kind in ("virtual", *UNDER_TEST_RADIOS):
            line = next(node[k].line for k in DONGLE_SETTINGS if k in node)
            raise self.fail(line, f"radio settings apply to dongles, not to a {kind} radio")
        return Radio(kind, port, **settings)

    def node(self, name: str, v: _Value) -> BenchNode:
        fields = self.mapping(v, f"node {name}", NODE_FIELDS)
        if "radio" not in fields:
            raise self.fail(v.line, f"node {name} has no 'radio:'")
        default_role = {"hub": "comms-hub"}.get(name, name)
        if "role" not in fields and default_role not in ROLES:
            raise self.fail(v.line, f"node {name} has no 'role:' (and is not named after one)")
        role = self.text(fields["role"], "role") if "role" in fields else default_role
        if role not in ROLES:
            raise self.fail(
                fields["role"].line, f"unknown role {role!r} (known: {', '.join(ROLES)})"
            )
        radio = self.radio(fields, fields["radio"], name)
        eui = code = cpl = None
        if "eui64" in fields:
            eui = self.eui(fields["eui64"], "eui64")
        if "install-code" in fields:
            hexcode = self.text(fields["install-code"], "install-code").replace(" ", "")
            try:
                code = bytes.fromhex(hexcode)
            except ValueError:
                code = b""
            if len(code) not in (6, 8, 12, 16):
                raise self.fail(
                    fields["install-code"].line,
                    "install-code must be 6, 8, 12 or 16 bytes of hex, without its CRC",
                )
        if "cpl" in fields:
            entry = self.mapping(fields["cpl"], f"node {name}'s cpl", (*CPL_FIELDS, *CPL_OPTIONAL))
            missing = [f for f in CPL_FIELDS if f not in entry]
            if missing:
                raise self.fail(fields["cpl"].line, f"cpl lacks {', '.join(missing)}")
            cpl = CplIdentity(
                *(self.text(entry[f], f) for f in CPL_FIELDS),
                *(self.text(entry[f], f) if f in entry else None for f in CPL_OPTIONAL),
            )
        bands: tuple[str, ...] = ("2.4GHz",)
        if "bands" in fields:
            bands = tuple(self.strings(fields["bands"], "bands"))
            for band in bands:
                if band not in BANDS:
                    raise self.fail(
                        fields["bands"].line, f"unknown band {band!r} (known: {', '.join(BANDS)})"
                    )
        if radio.kind in UNDER_TEST_RADIOS and (eui is None or code is None):
            raise self.fail(
                v.line, f"node {name} is a device under test: give its eui64 and install-code"
            )
        return BenchNode(
            name,
            role,
            radio,
            v.line,
            eui,
            code,
            self.text(fields["smets-version"], "smets-version")
            if "smets-version" in fields
            else None,
            bands,
            cpl,
            self.text(fields["power"], "power") if "power" in fields else None,
            radio_line=fields["radio"].line,
            power_line=fields["power"].line if "power" in fields else 0,
            cbke_credentials=self.file(fields["cbke-credentials"], "cbke-credentials")
            if "cbke-credentials" in fields
            else None,
        )

    def switch(self, name: str, v: _Value) -> dict[str, str]:
        """One power switch: a known driver and the fields it requires, nothing else."""
        entries = self.mapping(v, f"power switch {name}", _Any())
        known = ", ".join(POWER_DRIVERS)
        if "driver" not in entries:
            raise self.fail(v.line, f"power switch {name} has no 'driver:' (known: {known})")
        driver = self.text(entries["driver"], "driver")
        if driver not in POWER_DRIVERS:
            raise self.fail(
                entries["driver"].line, f"unknown power driver {driver!r} (known: {known})"
            )
        required = POWER_DRIVERS[driver]
        allowed = ("driver", *required)
        self.mapping(v, f"power switch {name} (driver {driver})", allowed)
        missing = [f for f in required if f not in entries]
        if missing:
            raise self.fail(
                v.line, f"power switch {name} (driver {driver}) lacks {', '.join(missing)}"
            )
        return {k: self.text(e, k) for k, e in entries.items()}

    def node_power(self, node: BenchNode, power: dict[str, dict[str, str]]) -> None:
        """A node's ``power: switch/index`` names a switch its driver can power."""
        if node.power is None:
            return
        switch, index = node.power_switch, node.power_index
        line = node.power_line or node.line
        if switch not in power:
            raise self.fail(
                line, f"node {node.name}'s power {node.power!r} names no switch under 'power:'"
            )
        if not index:
            raise self.fail(line, f"node {node.name}'s power is switch/index, got {node.power!r}")
        driver = power[switch]["driver"]
        if driver == "NetworkPowerPort" and not index.isdigit():
            raise self.fail(line, f"node {node.name}'s outlet on {switch} is a number: {index!r}")
        if node.stand_in and driver != "emulated":
            raise self.fail(
                line,
                f"node {node.name} is a stand-in: its power is its emulated power input "
                f"(a switch with driver: emulated), not {switch}'s {driver}",
            )
        if driver == "emulated" and not node.stand_in:
            raise self.fail(
                line,
                f"node {node.name} has radio {node.radio}: the emulated power driver powers "
                "stand-ins only",
            )


def read_bench(path: Path, backends: Collection[str] = KNOWN_BACKENDS) -> Bench:
    """Read and validate a bench file whose backend is one of ``backends``; ``BenchError``
    (naming the line) for anything wrong."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise BenchError(f"--bench {path}: {reason}") from None
    r = _Reader(str(path), path.parent)
    root = _parse(lines, str(path))
    top = r.mapping(root, "the bench", TOP_FIELDS)
    known = ", ".join(sorted(backends))
    if "backend" not in top:
        raise BenchError(
            f"{path}: no 'backend:' line; a bench names the backend that builds it (known: {known})"
        )
    backend = r.text(top["backend"], "backend")
    if backend not in backends:
        raise r.fail(top["backend"].line, f"unknown backend {backend!r} (known: {known})")
    name = r.text(top["name"], "name") if "name" in top else path.stem
    features = (
        frozenset(r.strings(top["features"], "features")) if "features" in top else frozenset()
    )
    nodes: dict[str, BenchNode] = {}
    if "nodes" in top:
        for node_name, v in r.mapping(top["nodes"], "nodes", _Any()).items():
            nodes[node_name] = r.node(node_name, v)
    power: dict[str, dict[str, str]] = {}
    if "power" in top:
        for switch, v in r.mapping(top["power"], "power", _Any()).items():
            power[switch] = r.switch(switch, v)
    for node in nodes.values():
        r.node_power(node, power)
    dongles = [n for n in nodes.values() if n.radio.is_dongle or n.under_test]
    clock = r.text(top["clock"], "clock") if "clock" in top else ("real" if dongles else "virtual")
    if clock not in CLOCKS:
        raise r.fail(top["clock"].line, f"unknown clock {clock!r} (known: virtual, real)")
    if dongles and clock != "real":
        raise r.fail(
            top["clock"].line, "a bench with dongles or devices under test runs on the real clock"
        )
    hubs = [n for n in nodes.values() if n.role == "comms-hub"]
    if len(hubs) > 1:
        raise r.fail(hubs[1].line, "a premises has one comms-hub")
    for node in nodes.values():
        if node.stand_in and (backend != "ncp" or not hubs or hubs[0].radio.kind != "ncp-emulator"):
            raise r.fail(
                node.radio_line,
                f"node {node.name} is a stand-in: it lives on the NCP emulator's air, so the "
                "bench is backend: ncp with the comms-hub on radio ncp-emulator (a real dongle "
                "shares no air with it)",
            )
    if backend == "ncp" and not (hubs and hubs[0].radio.is_dongle):
        raise BenchError(
            f"{path}: backend ncp puts the comms-hub on a dongle: give it an ezsp:, "
            "rfc2217:// or ncp-emulator radio"
        )
    if backend == "virtual":
        for node in nodes.values():
            if node.radio.kind != "virtual":
                raise r.fail(
                    node.radio_line,
                    f"node {node.name} has radio {node.radio}; the virtual backend emulates "
                    "every node (a dongle bench is backend: ncp)",
                )
    radios = {n.name: str(n.radio) for n in nodes.values()}
    keys = r.lab_keys(top["keys"]) if "keys" in top else None
    return Bench(name, backend, features, radios, path, clock, nodes, power, keys)


class _Any(Collection[str]):
    """Any key is allowed (node names, switch names)."""

    def __contains__(self, item: object) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0
