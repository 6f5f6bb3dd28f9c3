"""Outputs: the CSV event log and a self-contained HTML report with inline SVG charts."""

from __future__ import annotations

import csv
import html
import io
import math
from typing import Any

from .runner import SimulationRun
from .timetable import Timetable

LOG_COLUMNS = [
    "case_id", "activity_id", "activity", "stage", "role",
    "enqueued", "start", "end", "work_seconds", "cancelled",
]  # fmt: skip


def write_event_log(run: SimulationRun, handle: io.TextIOBase) -> int:
    """The first replication's steps as a CSV event log (ISO times, Vietnam time zone)."""
    rep = run.reps[0]
    if rep.log is None:
        raise ValueError("the run was made without log=True")
    from .scenario import origin_of

    origin, _ = origin_of(run.scenario)
    clock = Timetable(run.scenario.calendar("always"), origin)
    nodes = run.plan.nodes
    writer = csv.writer(handle)
    writer.writerow(LOG_COLUMNS)
    for case, n, enq, start, end, cancelled, work in sorted(rep.log, key=lambda r: (r[0], r[3])):
        node = nodes[n]
        writer.writerow(
            [
                case,
                node.bpmn_id,
                node.name,
                node.stage or "",
                node.role or "",
                clock.datetime(enq).isoformat(timespec="seconds"),
                clock.datetime(start).isoformat(timespec="seconds"),
                clock.datetime(end).isoformat(timespec="seconds"),
                round(work, 3),
                int(cancelled),
            ]
        )
    return len(rep.log)


def _hours(seconds: float) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    return f"{seconds / 3600:,.2f} h"


def _fmt(key: str, v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if key.startswith("cycle") or key in ("waiting", "processing", "working"):
        return _hours(v)
    if key.startswith("share"):
        return f"{v * 100:.1f} %"
    if "vnd" in key:
        return f"{v:,.0f} ₫"
    return f"{v:,.2f}"


def _bars(
    values: list[tuple[str, float]], *, width: int = 520, unit: str = "", colour: str = "#2b6cb0"
) -> str:
    if not values:
        return ""
    top = max((v for _, v in values if v == v), default=1) or 1
    row = 22
    h = row * len(values) + 10
    parts = [f'<svg width="{width}" height="{h}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, v) in enumerate(values):
        w = 0 if v != v else (width - 200) * v / top
        y = 5 + i * row
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(label)}</text>')
        parts.append(f'<rect x="140" y="{y}" width="{w:.1f}" height="16" fill="{colour}"/>')
        parts.append(f'<text x="{145 + w:.1f}" y="{y + 13}" font-size="11">{v:,.2f}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(summary: dict[str, Any], colour: str) -> str:
    hist = summary["cycle_time_histogram"]
    counts, edges = hist["counts"], hist["edges"]
    if not counts:
        return ""
    width, height = 520, 160
    top = max(counts) or 1
    bw = width / len(counts)
    parts = [f'<svg width="{width}" height="{height + 20}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, c in enumerate(counts):
        h = height * c / top
        parts.append(
            f'<rect x="{i * bw:.1f}" y="{height - h:.1f}" width="{bw - 1:.1f}" '
            f'height="{h:.1f}" fill="{colour}"/>'
        )
    parts.append(f'<text x="0" y="{height + 15}" font-size="11">{_hours(edges[0])}</text>')
    parts.append(f'<text x="{width - 80}" y="{height + 15}" font-size="11">{_hours(edges[-1])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _section(title: str, s: dict[str, Any], colour: str) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{_fmt(k, v['mean'])}</td>"
        f"<td>{_fmt(k, v['low'])} – {_fmt(k, v['high'])}</td></tr>"
        for k, v in s["kpis"].items()
    )
    steps = "".join(
        f"<tr><td>{html.escape(st['name'])}</td><td>{st['stage'] or ''}</td><td>{st['role'] or ''}</td>"
        f"<td>{st['per_case']['mean']:.2f}</td><td>{_hours(st['waiting']['mean'])}</td>"
        f"<td>{_hours(st['processing']['mean'])}</td></tr>"
        for st in s["steps"]
    )
    util = _bars([(r["role"], r["utilisation"]["mean"] * 100) for r in s["roles"]], unit=" %", colour=colour)
    queue = _bars([(r["role"], r["queue_mean"]["mean"]) for r in s["roles"]], colour=colour)
    return (
        f"<section><h2>{html.escape(title)}: {html.escape(s['process_id'])}</h2>"
        f"<p>{s['settings']['cases']} cases × {s['settings']['replications']} replications, seed "
        f"{s['settings']['seed']}, warm-up {s['settings']['warmup_cases']} cases.</p>"
        f"<h3>Cycle time distribution</h3>{_histogram(s, colour)}"
        f"<h3>KPIs (mean, 95 % CI)</h3><table>{rows}</table>"
        f"<h3>Utilisation per role</h3>{util}<h3>Mean queue length per role</h3>{queue}"
        f"<h3>Steps</h3><table><tr><th>step</th><th>stage</th><th>role</th><th>per case</th>"
        f"<th>waiting</th><th>processing</th></tr>{steps}</table></section>"
    )


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}"
    "td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}"
    ".pair{display:flex;gap:2em;flex-wrap:wrap}.pair section{flex:1;min-width:540px}"
)


def html_report(summary: dict[str, Any] | None = None, comparison: dict[str, Any] | None = None) -> str:
    """A self-contained HTML page (no external assets)."""
    if comparison is not None:
        diff_rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{_fmt(k, v['mean'])}</td>"
            f"<td>{_fmt(k, v['low'])} – {_fmt(k, v['high'])}</td></tr>"
            for k, v in comparison["difference"].items()
        )
        saved = comparison.get("social_cost_saved_vnd_per_year")
        saved_html = (
            f"<p><strong>Social cost saved per year:</strong> {_fmt('vnd', saved['mean'])} "
            f"(95 % CI {_fmt('vnd', saved['low'])} – {_fmt('vnd', saved['high'])}) for "
            f"{comparison['annual_applicants']:,.0f} applicants a year.</p>"
            if saved
            else ""
        )
        body = (
            "<h1>Mô phỏng cải cách / Reform simulation: as-is vs to-be</h1>"
            "<p>Both variants ran on the same random streams (common random numbers); the interval is on "
            "the paired difference (to-be minus as-is).</p>"
            f"{saved_html}<h2>Difference</h2><table>{diff_rows}</table><div class='pair'>"
            f"{_section('As-is', comparison['as_is'], '#c05621')}"
            f"{_section('To-be', comparison['to_be'], '#2f855a')}"
            "</div>"
        )
    else:
        body = f"<h1>Mô phỏng / Simulation</h1>{_section('Model', summary, '#2b6cb0')}"
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>motcua simulation</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
