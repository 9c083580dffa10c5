"""RunContext: what a running scenario holds and records, and the record it leaves behind.

One context per run: the clock (modelled time), the seed, the output directory, the event log
(``events.jsonl``, one JSON object a line, every line stamped with modelled seconds ``t``), and the
recorders a scenario feeds: sequence-chart events (SRV, GBCS and HAN traffic between named
parties), SMI rows, GBCS messages (``gbcs/NNNN-<message code>-<cra>.hex``) and the keys that a
``--reveal-keys`` run writes out. Nothing here prints; secrets reach disk only through
:meth:`RunContext.write_keys`, and only when the run was asked to reveal them.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs.codes import CRA, use_case_of
from emulator.codec.gbcs.keystore import KeyUsage
from emulator.han.capture import KeyRing
from emulator.han.clock import Clock
from emulator.pki.keystore import DirectoryKeyStore

from .framework import (
    Measurement,
    Outcome,
    StepFailed,
    StepRecord,
    StepScope,
    StepSpec,
    run_outcome,
)

EVENTS_FILE = "events.jsonl"
GBCS_DIR = "gbcs"
KEYSTORE_DIR = "keystore"


class ChartKind(enum.StrEnum):
    """The three kinds of traffic the sequence chart draws."""

    SRV = "srv"
    GBCS = "gbcs"
    HAN = "han"


@dataclass(frozen=True)
class ChartEvent:
    """One arrow on the sequence chart: ``source`` to ``destination`` at modelled ``time``."""

    time: float
    kind: ChartKind
    source: str
    destination: str
    label: str


@dataclass(frozen=True)
class SmiRow:
    """A device's row in the DCC's Smart Metering Inventory, as the record reports it."""

    device_id: str
    device_type: str
    status: str
    smets_version: str

    def to_json(self) -> dict[str, str]:
        return {
            "device_id": self.device_id,
            "device_type": self.device_type,
            "status": self.status,
            "smets_version": self.smets_version,
        }


@dataclass(frozen=True)
class GbcsMessageFile:
    """A GBCS message the run exchanged, written as hex text for outside GBCS tools."""

    number: int
    message_code: int
    cra: CRA
    path: Path
    time: float


@dataclass(frozen=True)
class RunRecord:
    """Everything one run produced that the outputs (record, JUnit, HTML) need."""

    scenario: str
    description: str
    outcome: Outcome
    seed: int
    acb_eui: Eui64 | None
    modelled_seconds: float
    wall_seconds: float
    steps: tuple[StepRecord, ...]
    smi: tuple[SmiRow, ...]
    chart: tuple[ChartEvent, ...]
    gbcs: tuple[GbcsMessageFile, ...]
    started_at: str
    error: str | None = None
    keys_revealed: bool = False


class EventLog:
    """Appends events to ``events.jsonl``; stamps each with the clock's modelled time."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self._file: IO[str] = path.open("w", encoding="utf-8")

    def write(self, kind: str, **fields: Any) -> None:
        event = {"t": round(self.clock.now(), 6), "kind": kind, **fields}
        self._file.write(json.dumps(event, default=str, sort_keys=False) + "\n")

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class _GbcsKey:
    eui: Eui64
    usage: KeyUsage
    certificate: x509.Certificate | None
    private_key: ec.EllipticCurvePrivateKey | None = field(repr=False, default=None)


class RunContext:
    """Handed to a scenario body: time, seed, output directory, steps and recorders."""

    def __init__(
        self,
        out: Path,
        seed: int,
        clock: Clock,
        events: EventLog,
        *,
        reveal_keys: bool = False,
        on_step: Callable[[StepRecord], None] | None = None,
    ) -> None:
        self.out = out
        self.seed = seed
        self.clock = clock
        self.events = events
        self.reveal_keys = reveal_keys
        self.acb_eui: Eui64 | None = None
        self.cleanup = contextlib.AsyncExitStack()
        """Entered by the runner around the body: push what must stop even after a failure."""
        self.steps: list[StepRecord] = []
        self.chart_events: list[ChartEvent] = []
        self.gbcs_messages: list[GbcsMessageFile] = []
        self._smi: dict[str, SmiRow] = {}
        self._han_keys: list[Callable[[], KeyRing]] = []
        self._gbcs_keys: list[_GbcsKey] = []
        self._on_step = on_step

    on_progress: Callable[[str, int, int], None] | None = None
    """Set by the CLI: shows a transfer's progress (device label, done, total) as it runs."""

    def progress(self, label: str, done: int, total: int) -> None:
        """A long transfer advanced (an OTA image): to the CLI's progress bar, if one is shown."""
        if self.on_progress is not None:
            self.on_progress(label, done, total)

    # -- events -------------------------------------------------------------------------------
    def log(self, kind: str, **fields: Any) -> None:
        """A structured event for ``events.jsonl`` only."""
        self.events.write(kind, **fields)

    def chart(
        self, kind: ChartKind, source: str, destination: str, label: str, **fields: Any
    ) -> ChartEvent:
        """An arrow on the sequence chart, also logged to ``events.jsonl``."""
        event = ChartEvent(self.clock.now(), kind, source, destination, label)
        self.chart_events.append(event)
        self.events.write(
            kind.value, **{"from": source, "to": destination, "label": label}, **fields
        )
        return event

    # -- recorders ----------------------------------------------------------------------------
    def record_smi(self, row: SmiRow) -> None:
        """Set a device's SMI row; the last one recorded per device is what the record shows."""
        self._smi[row.device_id] = row
        self.events.write("smi", **row.to_json())

    def record_gbcs(
        self,
        data: bytes,
        message_code: int,
        cra: CRA | int,
        source: str | None = None,
        destination: str | None = None,
    ) -> Path:
        """Write a GBCS message as ``gbcs/NNNN-<code>-<cra>.hex`` (numbered in order, code as 4
        hex digits, cra as command/response/alert); charted when its parties are named."""
        cra = CRA(cra)
        number = len(self.gbcs_messages) + 1
        folder = self.out / GBCS_DIR
        folder.mkdir(exist_ok=True)
        path = folder / f"{number:04d}-{message_code:04X}-{cra.name.lower()}.hex"
        path.write_text(data.hex().upper() + "\n", encoding="ascii")
        self.gbcs_messages.append(
            GbcsMessageFile(number, message_code, cra, path, self.clock.now())
        )
        fields = {"file": str(path.relative_to(self.out)), "message_code": f"{message_code:04X}"}
        if source is not None and destination is not None:
            label = f"{use_case_of(message_code)} {cra.name.lower()}"
            self.chart(ChartKind.GBCS, source, destination, label, **fields)
        else:
            self.events.write("gbcs", cra=cra.name.lower(), **fields)
        return path

    def reveal_han_keys(self, source: Callable[[], KeyRing]) -> None:
        """Register where the run's HAN keys come from (read at the end, written if revealed)."""
        self._han_keys.append(source)

    def reveal_gbcs_key(
        self,
        eui: Eui64,
        usage: KeyUsage,
        certificate: x509.Certificate | None,
        private_key: ec.EllipticCurvePrivateKey | None = None,
    ) -> None:
        """Register a GBCS key pair for ``keystore/`` (RTDS layout), written if revealed."""
        self._gbcs_keys.append(_GbcsKey(eui, usage, certificate, private_key))

    def write_keys(self) -> list[Path]:
        """``keys.json`` (+ Wireshark ``zigbee_pc_keys``) and ``keystore/``; only if revealed."""
        if not self.reveal_keys:
            return []
        ring = KeyRing()
        for source in self._han_keys:
            part = source()
            for key in part.network_keys:
                ring.add_network_key(key)
            for eui, key in part.link_keys:
                ring.add_link_key(eui, key)
        written = [ring.write(self.out)]
        store = DirectoryKeyStore(self.out / KEYSTORE_DIR)
        store.root.mkdir(parents=True, exist_ok=True)
        for k in self._gbcs_keys:
            if k.certificate is not None:
                store.put_certificate(k.eui, k.usage, k.certificate)
            if k.private_key is not None:
                store.put_private_key(k.eui, k.usage, k.private_key)
        written.append(store.root)
        return written

    # -- steps --------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def step(
        self, spec: StepSpec | str, *measurements: Measurement, timeout: float | None = None
    ) -> AsyncIterator[StepScope]:
        """Run the body of the ``async with`` as a named step; see ``framework`` for verdicts."""
        if isinstance(spec, str):
            spec = StepSpec(spec, measurements, timeout)
        scope = StepScope(spec)
        start = self.clock.now()
        self.events.write("step", name=spec.name, phase="start")
        outcome, message = Outcome.PASS, ""
        failure: BaseException | None = None
        try:
            if spec.timeout is None:
                yield scope
            else:
                async with self.clock.timeout(spec.timeout):
                    yield scope
            await self.clock.sleep(0)  # observers log what the step caused before it ends
        except StepFailed:
            raise  # a nested step already recorded its verdict
        except AssertionError as exc:
            outcome, message, failure = Outcome.FAIL, str(exc) or "assertion failed", exc
        except TimeoutError as exc:
            outcome, failure = Outcome.ERROR, exc
            if spec.timeout is not None and self.clock.now() - start >= spec.timeout:
                message = f"timed out after {spec.timeout:g} modelled seconds"
            else:
                message = f"TimeoutError: {exc or 'a wait inside the step timed out'}"
        except Exception as exc:
            outcome, message, failure = Outcome.ERROR, f"{type(exc).__name__}: {exc}", exc
        results = scope.results()
        if outcome is Outcome.PASS:
            bad = [r for r in results if r.outcome is Outcome.FAIL]
            if bad:
                outcome = Outcome.FAIL
                message = "; ".join(
                    f"{r.measurement.name} = {r.value} {r.measurement.units}, "
                    f"limits {r.measurement.limits_text()}"
                    if r.value is not None
                    else f"{r.measurement.name} was never measured"
                    for r in bad
                )
        record = StepRecord(
            spec.name,
            outcome,
            results,
            message,
            start,
            self.clock.now(),
            tuple(scope.details.items()),
        )
        self._finish(record)
        if outcome is not Outcome.PASS:
            raise StepFailed(record) from failure

    def _finish(self, record: StepRecord) -> None:
        self.steps.append(record)
        self.events.write("step", **record.to_json(), phase="end")
        if self._on_step is not None:
            self._on_step(record)

    def skip(self, spec: StepSpec) -> None:
        """Record a planned step the run never reached."""
        now = self.clock.now()
        self._finish(
            StepRecord(
                spec.name,
                Outcome.SKIPPED,
                tuple(StepScope(spec).results()),
                "not run: an earlier step did not pass",
                now,
                now,
            )
        )

    # -- the record ---------------------------------------------------------------------------
    def record(
        self,
        scenario: str,
        description: str,
        modelled_seconds: float,
        wall_seconds: float,
        started_at: str,
        error: str | None,
    ) -> RunRecord:
        return RunRecord(
            scenario=scenario,
            description=description,
            outcome=run_outcome(self.steps, error),
            seed=self.seed,
            acb_eui=self.acb_eui,
            modelled_seconds=modelled_seconds,
            wall_seconds=wall_seconds,
            steps=tuple(self.steps),
            smi=tuple(self._smi.values()),
            chart=tuple(self.chart_events),
            gbcs=tuple(self.gbcs_messages),
            started_at=started_at,
            error=error,
            keys_revealed=self.reveal_keys,
        )
