"""Bench files (``hardware/*.yaml``): one reader for the CLI's ``--bench`` and the HIL plugin's.

A bench file names the backend that builds the premises, what the bench can do (``features``)
and each node's radio (DESIGN.md rule 9: described, not hard-coded). Until PyYAML is a dependency
the file is read by a line scanner, not a YAML parser: the top-level ``name`` and ``backend``
scalars, the ``features`` list and every ``radio:`` line; ``#`` comments are ignored. Errors are
``BenchError`` naming the file and line; callers turn it into their own usage error
(``pytest.UsageError``, ``click.UsageError``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

KNOWN_BACKENDS: tuple[str, ...] = ("virtual",)
"""The backends this rig can build; only the virtual one until issue 11 brings dongle benches."""


class BenchError(ValueError):
    """A bench file this rig cannot run (unreadable, no or unknown backend, a hardware radio)."""


@dataclass(frozen=True)
class Bench:
    """A bench as its file describes it: which backend builds it, what it can do, its radios."""

    name: str
    backend: str
    features: frozenset[str]
    radios: dict[str, str] = field(default_factory=dict)
    """Radio by node, as the file names them."""
    path: Path | None = None


_TOP = re.compile(r"^(\w[\w-]*)\s*:\s*(.*)$")
_ITEM = re.compile(r"^\s+-\s*(.+)$")
_NODE = re.compile(r"^  (\w[\w-]*)\s*:\s*$")
_RADIO = re.compile(r"^\s*-?\s*radio\s*:\s*(.+)$")


def _scalar(text: str) -> str:
    text = re.sub(r"\s+#.*$", "", text).strip()
    return text.strip("'\"")


def read_bench(path: Path, backends: Collection[str] = KNOWN_BACKENDS) -> Bench:
    """Read a bench file whose backend is one of ``backends``; ``BenchError`` (naming the line)
    for what this rig cannot run."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise BenchError(f"--bench {path}: {reason}") from None
    known = ", ".join(sorted(backends))
    top: dict[str, tuple[str, int]] = {}
    features: set[str] = set()
    radios: dict[str, tuple[str, int]] = {}
    section, node = "", ""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if m := _TOP.match(raw):
            section, value = m.group(1), _scalar(m.group(2))
            if value:
                top[section] = (value, number)
            continue
        if m := _RADIO.match(raw):
            radios[node or f"line {number}"] = (_scalar(m.group(1)), number)
        elif section == "features" and (m := _ITEM.match(raw)):
            features.add(_scalar(m.group(1)))
        elif section == "nodes" and (m := _NODE.match(raw)):
            node = m.group(1)
    for name, (radio, number) in radios.items():
        if radio != "virtual":
            raise BenchError(
                f"{path}:{number}: node {name} has radio {radio!r}; only the virtual bench "
                "exists so far: dongle benches (ezsp:, rfc2217://) come with issue 11"
            )
    if "backend" not in top:
        raise BenchError(
            f"{path}: no 'backend:' line; a bench names the backend that builds it (known: "
            f"{known}; dongle benches come with issue 11)"
        )
    backend, number = top["backend"]
    if backend not in backends:
        raise BenchError(
            f"{path}:{number}: unknown backend {backend!r} (known: {known}); "
            "dongle benches come with issue 11"
        )
    name = top.get("name", (path.stem, 0))[0]
    return Bench(name, backend, frozenset(features), {n: r for n, (r, _) in radios.items()}, path)
