"""Calibration: fit a scenario to an event log, then check how well the simulated as-is reproduces it.

Logs: CSV with start/end columns (motcua's own simulated log, most exports), CSV with one timestamp
and a lifecycle column (the engine's ``events`` table: dossier_id, at, activity, lifecycle), or XES.
Fitted: inter-arrival time (exponential, in elapsed time), each activity's duration (lognormal by
mean and standard deviation; fixed when constant), branch probabilities (from how often the first
activity of each branch occurs) and officers per role (the peak number of simultaneous activities).
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

from engine.clock import VIETNAM

from .distributions import SimulationInputError
from .model import SimModel
from .plan import OR, TASK, XOR, build_plan
from .runner import run
from .scenario import load_scenario

_CASE = ("case_id", "case", "dossier_id", "case:concept:name", "caseid")
_ACT = ("activity_id", "activity", "concept:name", "task")
_START = ("start", "start_time", "start_timestamp")
_END = ("end", "end_time", "end_timestamp", "complete", "complete_timestamp")
_TIME = ("at", "timestamp", "time:timestamp", "time")
_LIFE = ("lifecycle", "lifecycle:transition", "transition")


def _pick(header: list[str], names: tuple[str, ...]) -> str | None:
    low = {h.lower().strip(): h for h in header}
    return next((low[n] for n in names if n in low), None)


def _ts(text: str) -> float:
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return dt.timestamp()


def read_log(path: Path) -> list[tuple[str, str, float, float]]:
    """(case, activity, start, end) rows, times in epoch seconds."""
    if path.suffix.lower() == ".xes":
        return _read_xes(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        case_c, act_c = _pick(header, _CASE), _pick(header, _ACT)
        start_c, end_c = _pick(header, _START), _pick(header, _END)
        time_c, life_c = _pick(header, _TIME), _pick(header, _LIFE)
        if not case_c or not act_c or not (end_c or time_c):
            raise SimulationInputError(
                f"The log needs case, activity and time columns; found {header}. Use case_id, activity, "
                "start, end (or at + lifecycle)."
            )
        rows = []
        open_: dict[tuple[str, str], float] = {}
        for r in reader:
            case, act = r[case_c], r[act_c]
            if end_c:
                end = _ts(r[end_c])
                start = _ts(r[start_c]) if start_c and r.get(start_c) else end
                rows.append((case, act, start, end))
                continue
            t = _ts(r[time_c])
            life = (r.get(life_c) or "complete").lower() if life_c else "complete"
            if life in ("start", "started", "ready"):
                open_.setdefault((case, act), t)
            elif life in ("claim", "assign"):  # an officer took the task: work starts now
                open_[(case, act)] = t
            elif life in ("complete", "completed", "end"):
                rows.append((case, act, open_.pop((case, act), t), t))
        return rows


def _read_xes(path: Path) -> list[tuple[str, str, float, float]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(path.read_bytes(), parser)
    except etree.XMLSyntaxError as exc:
        raise SimulationInputError(f"{path.name} is not a readable XES file: {exc}") from None
    rows = []

    def attrs(el) -> dict[str, str]:
        return {c.get("key"): c.get("value") for c in el if isinstance(c.tag, str)}

    for trace in root.iter():
        if not isinstance(trace.tag, str) or etree.QName(trace).localname != "trace":
            continue
        case = attrs(trace).get("concept:name", str(len(rows)))
        opened: dict[str, float] = {}
        for ev in trace:
            if not isinstance(ev.tag, str) or etree.QName(ev).localname != "event":
                continue
            a = attrs(ev)
            act, t = a.get("concept:name"), _ts(a.get("time:timestamp", ""))
            life = (a.get("lifecycle:transition") or "complete").lower()
            if life == "start":
                opened[act] = t
            elif life == "complete":
                rows.append((case, act, opened.pop(act, t), t))
    return rows


def _fit(values: list[float]) -> dict[str, Any]:
    x = np.asarray(values, dtype=float)
    m, sd = float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0
    if m <= 0:
        return {"type": "fixed", "value": 0, "unit": "seconds"}
    if sd < 1e-9 * max(m, 1):
        return {"type": "fixed", "value": round(m, 3), "unit": "seconds"}
    return {"type": "lognormal", "mean": round(m, 3), "sd": round(sd, 3), "unit": "seconds"}


def fit_scenario(
    rows: list[tuple[str, str, float, float]], model: SimModel, calendar: str = "always"
) -> dict[str, Any]:
    if not rows:
        raise SimulationInputError("The log has no completed activities.")
    start_iso = None
    if calendar != "always":  # durations and gaps in the calendar's working time
        from .scenario import origin_of
        from .timetable import Timetable

        first = datetime.fromtimestamp(min(r[2] for r in rows), VIETNAM)
        sc0 = load_scenario({"arrivals": {"per_day": 1}, "start": first.date().isoformat()})
        origin, _ = origin_of(sc0)
        table = Timetable(sc0.calendar(calendar), origin)
        base = datetime.combine(origin, datetime.min.time(), VIETNAM).timestamp()
        rows = [(c, a, table.to_work(s - base), table.to_work(e - base)) for c, a, s, e in rows]
        start_iso = first.isoformat()
    cases: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for case, act, s, e in rows:
        cases[case].append((act, s, e))
    firsts = sorted(min(s for _, s, _ in evs) for evs in cases.values())
    gaps = np.diff(firsts)
    if len(gaps) == 0 or gaps.mean() <= 0:
        raise SimulationInputError("The log needs at least two cases arriving at different times.")
    # a plan with placeholders tells which activities are tasks, and their roles
    probe = load_scenario(
        {"arrivals": {"per_day": 1}, "durations": {"default": 1}, "default_calendar": "always"}
    )
    probe.resources = _AnyRole()
    by_key: dict[str, Any] = {}
    plan_nodes = build_plan(model.process, probe, model.flows, lenient=True).nodes

    tasks = [n for n in _plain_nodes(model)]
    for n in tasks:
        by_key[n["id"]] = n
        by_key[n["name"]] = n
    durations: dict[str, list[float]] = defaultdict(list)
    freq: Counter[str] = Counter()
    unknown = set()
    for _case, act, s, e in rows:
        node = by_key.get(act)
        if node is None:
            unknown.add(act)
            continue
        durations[node["id"]].append(e - s)
        freq[node["id"]] += 1
    if not durations:
        raise SimulationInputError(
            f"No activity of the log matches a task of the model ({sorted(unknown)[:5]})."
        )
    roles: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for _case, act, s, e in rows:
        node = by_key.get(act)
        if node and node["role"]:
            roles[node["role"]] += [(s, 1), (e, -1)]
    resources = {}
    for role, marks in roles.items():
        level = peak = 0
        for _t, d in sorted(marks, key=lambda m: (m[0], m[1])):
            level += d
            peak = max(peak, level)
        resources[role] = {"count": max(1, peak), "calendar": calendar}
    for n in tasks:
        if n["role"] and n["role"] not in resources:
            resources[n["role"]] = {"count": 1, "calendar": calendar}
    branches = _branch_probabilities(model, plan_nodes, freq)
    out = {
        "name": f"calibrated from {len(cases)} cases",
        "cases": len(cases),
        "replications": 5,
        "default_calendar": calendar,
        "arrivals": {
            "interarrival": {"type": "exponential", "mean": float(gaps.mean()), "unit": "seconds"},
            "calendar": calendar,
        },  # fmt: skip
        "resources": resources,
        "durations": {"tasks": {k: _fit(v) for k, v in durations.items()}, "default": 0},
        "branches": branches,
    }
    if start_iso:
        out["start"] = start_iso
    return out


def _plain_nodes(model: SimModel) -> list[dict[str, Any]]:
    from engine.bpmn.model import task_properties
    from engine.roles import role_for_lane

    from .plan import TASK_TYPES, _mro

    out = []
    for spec in model.process.all_specs():
        for ts in spec.task_specs.values():
            names = _mro(ts)
            if any(c in names for c in TASK_TYPES) and ts.bpmn_id:
                role = role_for_lane(getattr(ts, "lane", None))
                out.append(
                    {
                        "id": ts.bpmn_id,
                        "name": ts.bpmn_name or ts.bpmn_id,
                        "role": role.value if role else getattr(ts, "lane", None),
                        "stage": task_properties(ts).get("stage"),
                    }
                )
    return out


def _branch_probabilities(model: SimModel, nodes, freq: Counter) -> dict[str, dict[str, float]]:
    """For each XOR/OR split, how often the first task down each branch occurs."""
    out: dict[str, dict[str, float]] = {}
    if not nodes:
        return out
    for node in nodes:
        if node.kind not in (XOR, OR) or len(node.succ) < 2:
            continue
        counts: dict[str, float | None] = {}
        for target in node.succ:
            others = set().union(*(_reach(nodes, o) for o in node.succ if o != target))
            first = _first_task(nodes, target, exclude=others)
            counts[nodes[target].bpmn_id] = freq.get(first, 0) if first else None
        reached = sum(v for v in counts.values() if v is not None)
        visits = sum(
            freq.get(p.bpmn_id, 0) for p in nodes if p.kind == TASK and _leads_to(nodes, p.idx, node.idx)
        )
        if node.kind == XOR:
            missing = [k for k, v in counts.items() if v is None]
            if missing:  # a branch with no task of its own gets what the others leave
                whole = max(visits, reached)
                for k in missing:
                    counts[k] = max(whole - reached, 0) / len(missing)
            total = sum(counts.values())
            if total == 0:
                continue
            out[node.bpmn_id] = {k: round(v / total, 4) for k, v in counts.items()}
            continue
        counts = {k: (v or 0) for k, v in counts.items()}
        total = sum(counts.values())
        if total == 0:
            continue
        top = max(visits, max(counts.values()))
        out[node.bpmn_id] = {k: round(v / top, 4) for k, v in counts.items()}
    return out


def _leads_to(nodes, task: int, target: int) -> bool:
    """Whether ``task`` reaches ``target`` through events and gateways only."""
    seen, stack = set(), list(nodes[task].succ)
    while stack:
        n = stack.pop()
        if n == target:
            return True
        if n in seen or nodes[n].kind == TASK:
            continue
        seen.add(n)
        stack.extend(nodes[n].succ)
    return False


def _reach(nodes, start: int) -> set[int]:
    seen, stack = set(), [start]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(nodes[n].succ)
    return seen


def _first_task(nodes, start: int, exclude: set[int]) -> str | None:
    seen, stack = set(), [start]
    while stack:
        n = stack.pop(0)
        if n in seen or n in exclude:
            continue
        seen.add(n)
        if nodes[n].kind == TASK:
            return nodes[n].bpmn_id
        stack.extend(nodes[n].succ)
    return None


def calibrate(
    log: Path | list[tuple[str, str, float, float]],
    model: SimModel,
    *,
    cases: int | None = None,
    seed: int = 1,
    calendar: str = "always",
) -> dict[str, Any]:
    """Fit a scenario to a log (a file, or rows from the engine's event log) and check the fit."""
    rows = read_log(log) if isinstance(log, Path) else list(log)
    raw = fit_scenario(rows, model, calendar)
    if not raw["branches"]:
        raw.pop("branches")
    sc = load_scenario(raw)
    n_cases = cases or max(raw["cases"], 200)
    result = run(model, sc, cases=n_cases, replications=3, seed=seed)
    sim_ct = result.cycle_times()
    per_case: dict[str, list[float]] = defaultdict(list)
    for case, _a, s, e in rows:
        per_case[case].extend((s, e))
    log_ct = np.array([max(v) - min(v) for v in per_case.values()])
    counts = Counter(a for _c, a, _s, _e in rows)
    n_log = len(per_case)
    sim_counts = {}
    for node in result.plan.nodes:
        if node.step:
            c = sum(float(r.step_count[node.idx]) for r in result.reps) / max(len(sim_ct), 1)
            sim_counts[node.bpmn_id] = sim_counts.get(node.bpmn_id, 0) + c
    names = {n["id"]: n["name"] for n in _plain_nodes(model)}
    activities = []
    for act_id, sim in sim_counts.items():
        logged = counts.get(act_id, 0) + (
            counts.get(names.get(act_id), 0) if names.get(act_id) != act_id else 0
        )
        activities.append({"activity": act_id, "log_per_case": logged / n_log, "simulated_per_case": sim})
    return {
        "scenario": raw,
        "fit": {
            "log_cases": n_log,
            "log_cycle_time_mean": float(log_ct.mean()),
            "simulated_cycle_time_mean": float(sim_ct.mean()) if len(sim_ct) else math.nan,
            "log_cycle_time_p90": float(np.percentile(log_ct, 90)),
            "simulated_cycle_time_p90": float(np.percentile(sim_ct, 90)) if len(sim_ct) else math.nan,
            "ks_distance": _ks(log_ct, sim_ct),
            "activities": activities,
        },
    }


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov distance between cycle-time distributions (0 = identical)."""
    if len(a) == 0 or len(b) == 0:
        return math.nan
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.abs(fa - fb).max())


class _AnyRole(dict):
    """Resources for any role, so the structure-only plan never asks for them."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> Any:
        from .scenario import Resource

        return Resource(key, 1, 0.0, "always")
