"""``report.html``: one self-contained page a person reads after a run.

Steps and their measurements, a sequence chart of SRV, GBCS and HAN traffic, the SMI, and links
to the other artefacts. No scripts, no network: styles and the chart (inline SVG) are in the page,
and every piece of text from the run is escaped.

The chart puts a lane per party left to right and modelled time downwards: one row per event in
time order, its modelled time at the left, with a break mark where time jumps by a second or more
(a join takes milliseconds, a sleepy device's poll seconds, an install-and-leave run days).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from rig.scenarios.context import ChartEvent, ChartKind, RunRecord
from rig.scenarios.framework import Outcome, StepRecord

REPORT_FILE = "report.html"
MAX_CHART_ROWS = 600
"""Rows drawn at most; longer runs say how many were left out (events.jsonl has them all)."""

_COLOURS = {ChartKind.SRV: "#1f5fbf", ChartKind.GBCS: "#b35900", ChartKind.HAN: "#2e7d32"}
_OUTCOME_COLOURS = {
    Outcome.PASS: "#2e7d32",
    Outcome.FAIL: "#c62828",
    Outcome.ERROR: "#8e24aa",
    Outcome.SKIPPED: "#757575",
}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.outcome { font-weight: bold; text-transform: uppercase; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; }
"""
LANE_WIDTH, ROW_HEIGHT, TIME_COLUMN, TOP = 170, 26, 110, 40


def _outcome(outcome: Outcome) -> str:
    colour = _OUTCOME_COLOURS[outcome]
    return f'<span class="outcome" style="color:{colour}">{escape(outcome.value)}</span>'


def _steps_table(steps: tuple[StepRecord, ...]) -> str:
    rows = []
    for s in steps:
        span = max(1, len(s.measurements))
        head = (
            f'<td rowspan="{span}">{escape(s.name)}</td><td rowspan="{span}">'
            f"{_outcome(s.outcome)}</td>"
            f'<td rowspan="{span}" class="num">{s.start:.3f}</td>'
        )
        tail = f'<td rowspan="{span}">{escape(s.message)}</td>'
        if not s.measurements:
            rows.append(f"<tr>{head}<td></td><td></td><td></td><td></td>{tail}</tr>")
            continue
        for i, v in enumerate(s.measurements):
            m = v.measurement
            value = "—" if v.value is None else f"{v.value:.6g}"
            verdict = v.verdict
            cells = (
                f"<td>{escape(m.name)}</td><td class='num'>{escape(value)} {escape(m.units)}</td>"
                f"<td>{escape(m.limits_text())}</td><td>{escape(verdict)}</td>"
            )
            rows.append(f"<tr>{head if i == 0 else ''}{cells}{tail if i == 0 else ''}</tr>")
    return (
        "<table><tr><th>step</th><th>outcome</th><th>start (s)</th><th>measurement</th>"
        "<th>value</th><th>limits</th><th>verdict</th><th>message</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def sequence_chart(events: tuple[ChartEvent, ...]) -> str:
    """The chart as an inline ``<svg>``: lanes per party, one row per event in modelled time."""
    shown = sorted(events, key=lambda e: e.time)[:MAX_CHART_ROWS]
    parties: list[str] = []
    for e in shown:
        for p in (e.source, e.destination):
            if p not in parties:
                parties.append(p)
    lane = {p: TIME_COLUMN + LANE_WIDTH // 2 + i * LANE_WIDTH for i, p in enumerate(parties)}
    width = TIME_COLUMN + LANE_WIDTH * max(1, len(parties)) + 20
    height = TOP + ROW_HEIGHT * (len(shown) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="sequence chart">',
        "<defs>",
    ]
    for kind, colour in _COLOURS.items():
        parts.append(
            f'<marker id="arrow-{kind.value}" viewBox="0 0 10 10" refX="10" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    parts.append("</defs>")
    parts.append(f'<text x="4" y="{TOP - 22}" font-weight="bold">modelled s</text>')
    for p, x in lane.items():
        parts.append(
            f'<text x="{x}" y="{TOP - 22}" text-anchor="middle" font-weight="bold">'
            f"{escape(p)}</text>"
            f'<line x1="{x}" y1="{TOP - 14}" x2="{x}" y2="{height - 6}" stroke="#bbb" '
            'stroke-dasharray="4 3"/>'
        )
    previous: float | None = None
    for i, e in enumerate(shown):
        y = TOP + ROW_HEIGHT * i + ROW_HEIGHT // 2
        colour = _COLOURS[e.kind]
        if previous is not None and e.time - previous >= 1.0:
            gap = y - ROW_HEIGHT // 2
            parts.append(
                f'<line x1="0" y1="{gap}" x2="{width}" y2="{gap}" stroke="#e0e0e0" '
                f'stroke-dasharray="2 4"/><text x="{width - 4}" y="{gap - 2}" '
                f'text-anchor="end" fill="#999">+{e.time - previous:.3g} s</text>'
            )
        previous = e.time
        parts.append(f'<text x="4" y="{y + 4}" fill="#555">{e.time:.3f}</text>')
        x1, x2 = lane[e.source], lane[e.destination]
        label = escape(e.label)
        if x1 == x2:
            parts.append(
                f'<circle cx="{x1}" cy="{y}" r="4" fill="{colour}"/>'
                f'<text x="{x1 + 8}" y="{y + 4}" fill="{colour}">{label}</text>'
            )
            continue
        parts.append(
            f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="1.5" '
            f'marker-end="url(#arrow-{e.kind.value})"/>'
            f'<text x="{(x1 + x2) / 2}" y="{y - 4}" text-anchor="middle" fill="{colour}">'
            f"{label}</text>"
        )
    parts.append("</svg>")
    note = ""
    if len(events) > len(shown):
        note = f"<p>{len(events) - len(shown)} later events are in events.jsonl only.</p>"
    return "".join(parts) + note


def _legend() -> str:
    keys = " ".join(
        f'<span style="color:{c}">■ {escape(k.value.upper())}</span>' for k, c in _COLOURS.items()
    )
    return f"<p>{keys} (modelled seconds down the left; ● an event at one party)</p>"


def _smi_table(run: RunRecord) -> str:
    if not run.smi:
        return "<p>No SMI: this run had no DCC.</p>"
    rows = "".join(
        f"<tr><td>{escape(r.device_id)}</td><td>{escape(r.device_type)}</td>"
        f"<td>{escape(r.status)}</td><td>{escape(r.smets_version)}</td></tr>"
        for r in run.smi
    )
    return (
        "<table><tr><th>device id</th><th>device type</th><th>status</th>"
        f"<th>SMETS version</th></tr>{rows}</table>"
    )


def _artefacts(out: Path) -> str:
    names = sorted(p.name for p in out.iterdir() if p.name != REPORT_FILE)
    items = []
    for name in names:
        path = out / name
        if path.is_dir():
            inner = sorted(c.name for c in path.iterdir())
            links = ", ".join(
                f'<a href="{escape(name)}/{escape(c)}">{escape(c)}</a>' for c in inner
            )
            items.append(f"<li>{escape(name)}/ ({len(inner)} files) {links}</li>")
        else:
            items.append(f'<li><a href="{escape(name)}">{escape(name)}</a></li>')
    return "<ul>" + "".join(items) + "</ul>"


def render(run: RunRecord, out: Path) -> str:
    summary = [
        ("scenario", escape(run.scenario)),
        ("description", escape(run.description)),
        ("outcome", _outcome(run.outcome)),
        ("seed", escape(str(run.seed))),
        ("ACB EUI-64", escape(str(run.acb_eui) if run.acb_eui is not None else "none")),
        ("modelled time", f"{run.modelled_seconds:.3f} s"),
        ("wall time", f"{run.wall_seconds:.3f} s"),
        ("started", escape(run.started_at)),
    ]
    if run.error is not None:
        summary.append(("error", escape(run.error)))
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in summary)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(run.scenario)}: {escape(run.outcome.value)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{escape(run.scenario)} {_outcome(run.outcome)}</h1>"
        f"<table>{rows}</table>"
        f"<h2>Steps</h2>{_steps_table(run.steps)}"
        f"<h2>Sequence chart</h2>{_legend()}{sequence_chart(run.chart)}"
        f"<h2>SMI</h2>{_smi_table(run)}"
        f"<h2>Artefacts</h2>{_artefacts(out)}"
        "</body></html>\n"
    )


def write(run: RunRecord, out: Path) -> Path:
    path = out / REPORT_FILE
    path.write_text(render(run, out), encoding="utf-8")
    return path
