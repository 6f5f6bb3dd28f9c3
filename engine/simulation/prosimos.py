"""Reading Prosimos 2.x simulation parameters (JSON) for the matching BPMN.

Pools (resource profiles) become roles with the summed amount; a task's duration is its first
resource's distribution (a warning says so when resources differ: motcua pools officers of one role);
calendars must share their daily periods across working days. Anything else is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.calendar import WorkCalendar

from .distributions import SimulationInputError
from .scenario import Scenario, load_scenario

_DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def _dist(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    name = raw.get("distribution_name")
    p = [
        float(x["value"]) if isinstance(x, Mapping) else float(x) for x in raw.get("distribution_params", [])
    ]
    try:
        if name == "fix":
            return {"type": "fixed", "value": p[0], "unit": "seconds"}
        if name == "expon":
            return {"type": "exponential", "mean": p[0], "unit": "seconds"}
        if name == "uniform":
            return {"type": "uniform", "min": p[0], "max": p[1], "unit": "seconds"}
        if name == "norm":
            return {"type": "normal", "mean": p[0], "sd": p[1], "unit": "seconds"}
        if name in ("lognorm", "gamma"):
            kind = "lognormal" if name == "lognorm" else "gamma"
            return {"type": kind, "mean": p[0], "sd": p[1] ** 0.5, "unit": "seconds"}
        if name == "triang":
            raise SimulationInputError(
                f"{where}: Prosimos' 'triang' parameters (scipy c, loc, scale) are not read."
            )
    except IndexError:
        raise SimulationInputError(f"{where}: too few distribution_params for {name!r}.") from None
    raise SimulationInputError(f"{where}: Prosimos distribution {name!r} is not read by motcua.")


def _calendar(periods: list[Mapping[str, Any]], where: str) -> dict[str, Any]:
    weekdays: set[int] = set()
    daily: set[tuple[str, str]] = set()
    for item in periods:
        a, b = _DAYS.index(item["from"].upper()), _DAYS.index(item["to"].upper())
        weekdays.update(range(a, b + 1))
        end = item["endTime"][:8]
        if end.startswith("23:59"):
            end = "23:59:59"
        daily.add((item["beginTime"][:8], end))
    if len({tuple(sorted(daily))}) != 1 or not daily:
        raise SimulationInputError(f"{where}: no time periods.")
    ordered = sorted(daily)
    for (_a1, b1), (a2, _b2) in zip(ordered, ordered[1:], strict=False):
        if a2 < b1:
            raise SimulationInputError(f"{where}: overlapping periods that differ by day are not read.")
    return {"periods": [list(p) for p in ordered], "weekdays": sorted(weekdays)}


def load_prosimos(
    raw: Mapping[str, Any] | str | Path, calendar: WorkCalendar | None = None, **extra
) -> Scenario:
    """A motcua scenario from Prosimos parameters; ``extra`` adds motcua keys (limit, citizen, ...)."""
    if not isinstance(raw, Mapping):
        raw = json.loads(Path(raw).read_text(encoding="utf-8"))
    for key in ("batch_processing", "prioritisation_rules", "branch_rules", "multitask", "case_attributes"):
        if raw.get(key):
            raise SimulationInputError(f"Prosimos '{key}' is not simulated by motcua.")
    if raw.get("model_type", "CRISP") not in ("CRISP", "CRSIP"):
        raise SimulationInputError("Only CRISP (not fuzzy) Prosimos calendars are read.")
    found = {
        f"prosimos:{c['id']}": _calendar(c["time_periods"], f"resource_calendars.{c['id']}")
        for c in raw["resource_calendars"]
    }
    if raw.get("arrival_time_calendar"):
        found["arrival"] = _calendar(raw["arrival_time_calendar"], "arrival_time_calendar")
    # a calendar open all day every day is the built-in 24/7 one (and the fastest)
    full = {"periods": [["00:00:00", "23:59:59"]], "weekdays": list(range(7))}
    names = {k: ("always" if c == full else k) for k, c in found.items()}
    calendars = {k: c for k, c in found.items() if names[k] != "always"}
    warnings: list[str] = []
    resources, owner = {}, {}
    for pool in raw["resource_profiles"]:
        cals = {r["calendar"] for r in pool["resource_list"]}
        costs = {float(r.get("cost_per_hour", 0)) for r in pool["resource_list"]}
        if len(cals) > 1:
            raise SimulationInputError(f"pool {pool['id']}: officers of one role must share a calendar.")
        if len(costs) > 1:
            warnings.append(f"pool {pool['id']}: different hourly costs averaged")
        resources[pool["id"]] = {
            "count": sum(int(r.get("amount", 1)) for r in pool["resource_list"]),
            "cost_per_hour": sum(costs) / len(costs),
            "calendar": names[f"prosimos:{cals.pop()}"],
        }
        for r in pool["resource_list"]:
            owner[r["id"]] = pool["id"]
    tasks, assign = {}, {}
    for entry in raw["task_resource_distribution"]:
        tid = entry["task_id"]
        pools = {owner[r["resource_id"]] for r in entry["resources"]}
        if len(pools) != 1:
            raise SimulationInputError(
                f"task {tid}: resources from several pools ({sorted(pools)}) are not simulated."
            )
        dists = [_dist(r, f"task_resource_distribution.{tid}") for r in entry["resources"]]
        if any(d != dists[0] for d in dists[1:]):
            warnings.append(
                f"task {tid}: resources differ in speed; the first resource's distribution is used"
            )
        tasks[tid] = dists[0]
        assign[tid] = pools.pop()
    branches = {}
    for g in raw.get("gateway_branching_probabilities", []):
        branches[g["gateway_id"]] = {p["path_id"]: float(p.get("value", 0)) for p in g["probabilities"]}
    events = {
        e["event_id"]: {"delay": _dist(e, f"event_distribution.{e['event_id']}")}
        for e in raw.get("event_distribution", [])
    }
    scenario = {
        "name": "prosimos",
        "arrivals": {
            "interarrival": _dist(raw["arrival_time_distribution"], "arrival_time_distribution"),
            "calendar": names.get("arrival", "always"),
        },
        "calendars": calendars,
        "resources": resources,
        "durations": {"tasks": tasks},
        "assign": assign,
        "branches": branches,
        "events": events,
        "default_calendar": names.get("arrival", "always"),
        **extra,
    }
    sc = load_scenario(scenario, calendar)
    sc.warnings.extend(warnings)
    return sc
