"""Running one scenario into one directory (DESIGN.md rule 8).

The run happens on a ``VirtualClock`` (only the virtual bench exists so far), so modelled time and
wall time are both reported. After the body ends, however it ends, planned steps it never reached
are recorded as skipped, keys are written if (and only if) revealed, and each output callable
turns the :class:`RunRecord` into its file (``record.json``, ``junit.xml``, ``report.html``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from emulator.han.clock import RealClock, VirtualClock
from rig.report import html, junit, record

from .context import EVENTS_FILE, GBCS_DIR, KEYSTORE_DIR, EventLog, RunContext, RunRecord
from .framework import Scenario, StepFailed, StepRecord

Output = Callable[[RunRecord, Path], Path]
"""An output: writes one artefact for a finished run into the directory, returns its path."""

OUTPUTS: tuple[Output, ...] = (record.write, junit.write, html.write)
STALE = (
    "keys.json",
    "zigbee_pc_keys",
    "han-2g4.pcap",
    "han-subghz.pcap",
    GBCS_DIR,
    KEYSTORE_DIR,
    "dcc.sqlite",
    "dcc.sqlite-wal",
    "dcc.sqlite-shm",
    "custody.sqlite",
    "custody.sqlite-wal",
    "custody.sqlite-shm",
)
"""Artefacts an earlier run may have left in the directory: removed, so that the directory
describes this run alone (above all: no keys from a ``--reveal-keys`` run survive one without)."""


def _clear(out: Path) -> None:
    for name in STALE:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


async def execute(sc: Scenario, run: RunContext) -> str | None:
    """Run the body within the scenario's modelled-time bound, then mark unreached steps skipped;
    returns the error raised outside any step, if one was. Usable on any running loop (a pytest
    suite's), where :func:`run_scenario` makes its own."""
    error: str | None = None
    try:
        async with run.clock.timeout(sc.timeout), run.cleanup:
            await sc.body(run)
    except StepFailed:
        pass  # the step's record says why
    except TimeoutError:
        error = f"the run exceeded {sc.timeout:g} modelled seconds"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        run.log("error", message=error, traceback=traceback.format_exc())
    done = {s.name for s in run.steps}
    for spec in sc.steps:
        if spec.name not in done:
            run.skip(spec)
    return error


class _EventLogHandler(logging.Handler):
    """Log records of the rig and the emulators, as ``log`` events of the run."""

    def __init__(self, events: EventLog) -> None:
        super().__init__(logging.INFO)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        self.events.write(
            "log", level=record.levelname, logger=record.name, message=record.getMessage()
        )


@contextlib.contextmanager
def _logged_to(events: EventLog) -> Iterator[None]:
    """During a run, what the rig and emulators log goes to ``events.jsonl``, not the console."""
    handler = _EventLogHandler(events)
    loggers = [logging.getLogger(name) for name in ("rig", "emulator")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate


def run_scenario(
    sc: Scenario,
    out: Path,
    *,
    seed: int = 1,
    reveal_keys: bool = False,
    on_step: Callable[[StepRecord], None] | None = None,
    outputs: Sequence[Output] = OUTPUTS,
    on_progress: Callable[[str, int, int], None] | None = None,
    real_time: bool = False,
) -> RunRecord:
    """Run ``sc`` into ``out`` and write every artefact; the record says how it went. With
    ``real_time`` the run is on wall-clock time (a bench with dongles or physical devices)."""
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    clock: VirtualClock | RealClock = VirtualClock(sc.epoch) if sc.epoch else VirtualClock()
    if real_time:
        clock = RealClock(sc.epoch)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    with EventLog(out / EVENTS_FILE, clock) as events, _logged_to(events):
        run = RunContext(out, seed, clock, events, reveal_keys=reveal_keys, on_step=on_step)
        run.on_progress = on_progress
        if isinstance(clock, VirtualClock):
            error = clock.run(execute(sc, run))
            modelled, wall = clock.modelled_seconds, clock.wall_seconds
        else:
            start = time.perf_counter()
            error = asyncio.run(execute(sc, run))
            modelled = wall = time.perf_counter() - start
    result = run.record(sc.name, sc.description, modelled, wall, started_at, error)
    run.write_keys()
    for output in outputs:
        output(result, out)
    return result
