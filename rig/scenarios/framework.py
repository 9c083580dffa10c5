"""Scenarios: async functions made of named steps with measurements declared up front.

OpenHTF's idea (measurements with units and limits, one record per run) on asyncio and pytest
(DESIGN.md rule 8). A scenario is registered with :func:`scenario` and receives a
:class:`~rig.scenarios.context.RunContext`; it runs its steps in order, either as ``@step``
functions or inline::

    JOIN = Measurement("join_seconds", "s", high=10.0)

    @step("join the ESME", JOIN)
    async def join_esme(scope: StepScope, han: VirtualHan) -> None:
        scope.measure("join_seconds", await timed_join(...))

    @scenario("han-join", "A hub admits an ESME ...", steps=(join_esme, READ))
    async def han_join(run: RunContext) -> None:
        await join_esme(run, han)
        async with run.step(READ) as scope:
            ...

A step passes when it returns with every declared measurement set and inside its limits. It fails
on a measurement outside its limits (or never set) and on a failed assertion; any other exception
is an error. Either way the scenario stops there (``StepFailed`` unwinds it) and the declared
steps it never reached are recorded as skipped.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

if TYPE_CHECKING:
    from .context import RunContext

P = ParamSpec("P")


class Outcome(enum.StrEnum):
    """A step's or a run's verdict; the strings are the record.json contract."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Measurement:
    """A value a step promises to produce, with its units and optional inclusive limits."""

    name: str
    units: str
    low: float | None = None
    high: float | None = None
    description: str = ""

    def within_limits(self, value: float) -> bool:
        if isinstance(value, float) and math.isnan(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def limits_text(self) -> str:
        if self.low is not None and self.high is not None:
            if self.low == self.high:
                return f"= {self.low:g}"
            return f"{self.low:g} ≤ x ≤ {self.high:g}"
        if self.low is not None:
            return f"≥ {self.low:g}"
        if self.high is not None:
            return f"≤ {self.high:g}"
        return "none"


@dataclass(frozen=True)
class MeasuredValue:
    """A declared measurement and what the step made of it (``value`` None: never set)."""

    measurement: Measurement
    value: float | None

    @property
    def outcome(self) -> Outcome:
        if self.value is None or not self.measurement.within_limits(self.value):
            return Outcome.FAIL
        return Outcome.PASS

    @property
    def verdict(self) -> str:
        """The outcome as reports print it: ``unset`` when the step never measured it."""
        return "unset" if self.value is None else self.outcome.value

    @property
    def shown_value(self) -> float | None:
        value = self.value
        return round(value, 9) if isinstance(value, float) else value

    def to_json(self) -> dict[str, Any]:
        m = self.measurement
        return {
            "value": self.shown_value,
            "units": m.units,
            "low": m.low,
            "high": m.high,
            "outcome": self.verdict,
        }


@dataclass(frozen=True)
class StepSpec:
    """A step's name and the measurements it declares."""

    name: str
    measurements: tuple[Measurement, ...] = ()
    timeout: float | None = None
    """Modelled seconds the step may take before it is an error (None: the run's own bound)."""


@dataclass(frozen=True)
class StepRecord:
    """What one step did; ``start``/``end`` are modelled seconds since the run began."""

    name: str
    outcome: Outcome
    measurements: tuple[MeasuredValue, ...] = ()
    message: str = ""
    start: float = 0.0
    end: float = 0.0
    details: tuple[tuple[str, str], ...] = ()
    """Named texts the step noted (``StepScope.note``): what a number cannot say."""

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "name": self.name,
            "outcome": self.outcome.value,
            "measurements": {v.measurement.name: v.to_json() for v in self.measurements},
            "message": self.message,
            "start": round(self.start, 6),
            "end": round(self.end, 6),
        }
        if self.details:
            record["details"] = dict(self.details)
        return record


class StepFailed(Exception):
    """Raised out of a failed or erroring step to end the scenario; the record has the why."""

    def __init__(self, record: StepRecord) -> None:
        self.record = record
        super().__init__(f"step {record.name!r}: {record.outcome.value}: {record.message}")


class StepScope:
    """Handed to a running step: where it sets its measurements."""

    def __init__(self, spec: StepSpec) -> None:
        self.spec = spec
        self._declared = {m.name: m for m in spec.measurements}
        self.values: dict[str, float] = {}
        self.details: dict[str, str] = {}

    def note(self, name: str, text: str) -> None:
        """A named text for the step's record (``details`` in record.json), e.g. a verdict."""
        self.details[name] = str(text)

    def measure(self, name: str, value: float) -> float:
        if name not in self._declared:
            raise KeyError(f"step {self.spec.name!r} declares no measurement {name!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"measurement {name!r} takes a number, got {value!r}")
        self.values[name] = value
        return value

    def results(self) -> tuple[MeasuredValue, ...]:
        return tuple(MeasuredValue(m, self.values.get(m.name)) for m in self.spec.measurements)


@dataclass(frozen=True)
class Step:
    """A step written as a function; calling it runs it as a step of ``run``."""

    spec: StepSpec
    body: Callable[..., Awaitable[None]]

    async def __call__(self, run: RunContext, *args: Any, **kwargs: Any) -> None:
        async with run.step(self.spec) as scope:
            await self.body(scope, *args, **kwargs)


def step(
    name: str, *measurements: Measurement, timeout: float | None = None
) -> Callable[[Callable[Concatenate[StepScope, P], Awaitable[None]]], Step]:
    """Decorate ``async def f(scope, ...)`` into a :class:`Step` named ``name``."""
    spec = StepSpec(name, measurements, timeout)

    def wrap(body: Callable[Concatenate[StepScope, P], Awaitable[None]]) -> Step:
        return Step(spec, body)

    return wrap


ScenarioBody = Callable[["RunContext"], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    """A registered scenario: its name on the command line and its plan of steps."""

    name: str
    description: str
    body: ScenarioBody
    steps: tuple[StepSpec, ...] = ()
    timeout: float = 86_400.0
    """Modelled seconds the whole run may take: a stuck device ends in an error, not a hang."""
    epoch: datetime | None = None
    """The modelled date and time the run's clock starts at (``VirtualClock(epoch=...)``);
    ``None``: the clock's default (``emulator.han.clock.DEFAULT_EPOCH``). A scenario about dates
    (the TSAT's windows) names its own."""


@dataclass
class Registry:
    """Scenarios by name, in registration order (``hil-rig list``)."""

    scenarios: dict[str, Scenario] = field(default_factory=dict)

    def add(self, sc: Scenario) -> None:
        if sc.name in self.scenarios:
            raise ValueError(f"scenario {sc.name!r} is registered twice")
        self.scenarios[sc.name] = sc

    def get(self, name: str) -> Scenario:
        return self.scenarios[name]

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios.values())


REGISTRY = Registry()


def scenario(
    name: str,
    description: str,
    *,
    steps: Iterable[StepSpec | Step] = (),
    timeout: float = 86_400.0,
    registry: Registry = REGISTRY,
    epoch: datetime | None = None,
) -> Callable[[ScenarioBody], Scenario]:
    """Register ``async def body(run)`` as scenario ``name``; ``steps`` is its plan, so the
    steps a failure prevents are reported as skipped; ``epoch`` the date its clock starts at."""
    plan = tuple(s.spec if isinstance(s, Step) else s for s in steps)

    def wrap(body: ScenarioBody) -> Scenario:
        sc = Scenario(name, description, body, plan, timeout, epoch)
        registry.add(sc)
        return sc

    return wrap


def run_outcome(steps: Iterable[StepRecord], error: str | None) -> Outcome:
    """A run is an error if anything errored, else a failure if any step failed, else a pass."""
    outcomes = {s.outcome for s in steps}
    if error is not None or Outcome.ERROR in outcomes:
        return Outcome.ERROR
    return Outcome.FAIL if Outcome.FAIL in outcomes else Outcome.PASS
