"""Replications, confidence intervals, common random numbers and the KPI report (times in seconds)."""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .kernel import ReplicationResult, simulate_replication
from .model import SimModel
from .plan import Plan, build_plan
from .scenario import Scenario

# two-sided 97.5 % Student t quantiles for 1..30 degrees of freedom
_T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
    2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
    2.045, 2.042,
]  # fmt: skip


def t975(df: int) -> float:
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= 30 else 1.96 + 2.4 / df


def ci(values: list[float] | np.ndarray) -> dict[str, float]:
    """Mean over replications with a 95 % confidence interval (Student t)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return {"mean": math.nan, "low": math.nan, "high": math.nan, "half_width": math.nan}
    m = float(x.mean())
    if len(x) < 2:
        return {"mean": m, "low": math.nan, "high": math.nan, "half_width": math.nan}
    h = t975(len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return {"mean": m, "low": m - h, "high": m + h, "half_width": h}


@dataclass
class RunSettings:
    cases: int
    replications: int
    seed: int
    warmup: int


def settings_for(
    sc: Scenario, cases: int | None, replications: int | None, seed: int | None, warmup: int | None
):
    return RunSettings(
        cases=int(cases if cases is not None else sc.cases),
        replications=int(replications if replications is not None else sc.replications),
        seed=int(seed if seed is not None else sc.seed),
        warmup=int(warmup if warmup is not None else sc.warmup_cases),
    )


def _rep_kpis(plan: Plan, sc: Scenario, r: ReplicationResult) -> dict[str, Any]:
    cycle = r.ends - r.arrivals
    n = len(cycle)
    t0, t1 = r.window
    span = max(t1 - t0, 1e-9)
    k: dict[str, Any] = {
        "completed": n,
        "unfinished": r.unfinished,
        "cycle_time": float(cycle.mean()) if n else math.nan,
        "cycle_time_p50": float(np.percentile(cycle, 50)) if n else math.nan,
        "cycle_time_p90": float(np.percentile(cycle, 90)) if n else math.nan,
        "cycle_working_time": float(r.cycle_work.mean()) if n else math.nan,
        "throughput_per_day": n / span * 86400,
        "wip": r.wip_area / span,
        "trips": float(r.trips.mean()) if n else math.nan,
        "citizen_hours": float(r.hours.mean()) if n else math.nan,
        "paper_copies": float(r.copies.mean()) if n else math.nan,
        "compliance_cost_vnd": float(r.compliance.mean()) if n else math.nan,
        "resource_cost_vnd": float(r.pool_cost.sum() / n) if n else math.nan,
    }
    if sc.limit is not None and n:
        k["share_before"] = float((r.late_class == -1).mean())
        k["share_on"] = float((r.late_class == 0).mean())
        k["share_after"] = float((r.late_class == 1).mean())
        k["share_on_time"] = k["share_before"] + k["share_on"]
    for i, node in enumerate(plan.nodes):
        if not node.step or r.step_count[i] == 0:
            continue
        c = r.step_count[i]
        k[f"step:{i}:count_per_case"] = c / max(n, 1)
        k[f"step:{i}:waiting"] = r.step_wait[i] / c
        k[f"step:{i}:processing"] = r.step_proc[i] / c
        k[f"step:{i}:working"] = r.step_work[i] / c
    for p, role in enumerate(plan.pools):
        k[f"role:{role}:utilisation"] = r.pool_busy[p] / r.pool_avail[p] if r.pool_avail[p] > 0 else math.nan
        k[f"role:{role}:queue_mean"] = r.pool_qarea[p] / span
        k[f"role:{role}:queue_max"] = float(r.pool_qmax[p])
        k[f"role:{role}:cost_vnd"] = float(r.pool_cost[p])
    return k


@dataclass
class SimulationRun:
    plan: Plan
    scenario: Scenario
    settings: RunSettings
    reps: list[ReplicationResult]
    kpis: list[dict[str, Any]]
    seconds: float
    peak_bytes: int | None = None

    @property
    def events(self) -> int:
        return sum(r.events for r in self.reps)

    def values(self, key: str) -> list[float]:
        return [k.get(key, math.nan) for k in self.kpis]

    def cycle_times(self) -> np.ndarray:
        return np.concatenate([r.ends - r.arrivals for r in self.reps]) if self.reps else np.array([])


def run(
    model: SimModel,
    scenario: Scenario,
    *,
    cases: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    warmup: int | None = None,
    log: bool = False,
    progress: Callable[[int], None] | None = None,
    measure_memory: bool = False,
) -> SimulationRun:
    """Simulate ``replications`` independent runs; replication r uses streams seeded (seed, r, name).

    ``progress(n)`` is told of every 1,000 arrivals (warm-up included), so a bar can count
    ``(cases + warmup) * replications``."""
    s = settings_for(scenario, cases, replications, seed, warmup)
    if s.cases < 1 or s.replications < 1 or s.warmup < 0:
        from .distributions import SimulationInputError

        raise SimulationInputError("cases and replications must be at least 1, warm-up at least 0.")
    plan = build_plan(model.process, scenario, model.flows)
    reps, kpis = [], []
    if measure_memory:
        tracemalloc.start()
    started = time.perf_counter()
    for r in range(s.replications):
        res = simulate_replication(
            plan,
            scenario,
            cases=s.cases,
            warmup=s.warmup,
            seed=s.seed,
            replication=r,
            log=log and r == 0,
            progress=progress,
        )
        reps.append(res)
        kpis.append(_rep_kpis(plan, scenario, res))
    seconds = time.perf_counter() - started
    peak = None
    if measure_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return SimulationRun(plan, scenario, s, reps, kpis, seconds, peak)


def summary(run: SimulationRun) -> dict[str, Any]:
    """The JSON report of one model: KPIs as mean and 95 % CI over replications (times in seconds)."""
    plan = run.plan
    keys = list(run.kpis[0]) if run.kpis else []
    flat = {k: ci(run.values(k)) for k in keys}
    steps = []
    for i, node in enumerate(plan.nodes):
        if not node.step or f"step:{i}:waiting" not in flat:
            continue
        steps.append(
            {
                "id": node.bpmn_id,
                "name": node.name,
                "stage": node.stage,
                "role": node.role,
                "type": node.task_type,
                "per_case": flat[f"step:{i}:count_per_case"],
                "waiting": flat[f"step:{i}:waiting"],
                "processing": flat[f"step:{i}:processing"],
                "working": flat[f"step:{i}:working"],
            }
        )
    roles = [
        {
            "role": role,
            "count": run.scenario.resources[role].count,
            "utilisation": flat[f"role:{role}:utilisation"],
            "queue_mean": flat[f"role:{role}:queue_mean"],
            "queue_max": flat[f"role:{role}:queue_max"],
            "cost_vnd": flat[f"role:{role}:cost_vnd"],
        }
        for role in plan.pools
    ]
    headline = {k: v for k, v in flat.items() if not k.startswith(("step:", "role:"))}
    ct = run.cycle_times()
    annual = run.scenario.citizen.annual_applicants
    if annual and "compliance_cost_vnd" in headline:
        headline["compliance_cost_vnd_per_year"] = {
            k: (v * annual if isinstance(v, float) else v) for k, v in headline["compliance_cost_vnd"].items()
        }
    hist_edges = np.histogram_bin_edges(ct, bins=30) if len(ct) else np.array([])
    hist = np.histogram(ct, bins=hist_edges)[0].tolist() if len(ct) else []
    return {
        "process_id": plan.process_id,
        "scenario": run.scenario.name,
        "settings": {
            "cases": run.settings.cases,
            "replications": run.settings.replications,
            "seed": run.settings.seed,
            "warmup_cases": run.settings.warmup,
            "start": run.scenario.start.isoformat(),
            "limit": (
                {"amount": run.scenario.limit.amount, "unit": run.scenario.limit.unit}
                if run.scenario.limit
                else None
            ),
        },
        "units": "seconds (times), VND (costs), shares in 0..1; every KPI: mean and 95% CI over replications",
        "kpis": headline,
        "steps": steps,
        "roles": roles,
        "cycle_time_histogram": {"edges": hist_edges.tolist(), "counts": hist},
        "performance": {
            "seconds": run.seconds,
            "cases_per_second": (run.settings.cases + run.settings.warmup)
            * run.settings.replications
            / run.seconds
            if run.seconds
            else None,
            "events": run.events,
            "events_per_second": run.events / run.seconds if run.seconds else None,
        },
        "warnings": run.plan.warnings + run.scenario.warnings,
    }


COMPARED = [
    "cycle_time", "cycle_working_time", "share_on_time", "share_after", "trips", "citizen_hours",
    "paper_copies", "compliance_cost_vnd", "resource_cost_vnd", "throughput_per_day", "wip",
]  # fmt: skip


def comparison(as_is: SimulationRun, to_be: SimulationRun) -> dict[str, Any]:
    """Both reports plus, per KPI, the paired difference (to-be minus as-is) with its 95 % CI; the
    replications share their random streams (common random numbers), so pairing narrows the interval."""
    diffs = {}
    for key in COMPARED:
        a, b = as_is.values(key), to_be.values(key)
        if len(a) != len(b) or all(math.isnan(x) for x in a):
            continue
        d = [y - x for x, y in zip(a, b, strict=True)]
        diffs[key] = ci(d)
    annual = as_is.scenario.citizen.annual_applicants or to_be.scenario.citizen.annual_applicants
    saved = None
    if annual and "compliance_cost_vnd" in diffs:
        saved = {k: -v * annual for k, v in diffs["compliance_cost_vnd"].items() if k != "half_width"}
        saved["half_width"] = diffs["compliance_cost_vnd"]["half_width"] * annual
        saved["low"], saved["high"] = min(saved["low"], saved["high"]), max(saved["low"], saved["high"])
    first, second = summary(as_is), summary(to_be)
    # one set of bins for both histograms, so the two distributions can be read side by side
    a_ct, b_ct = as_is.cycle_times(), to_be.cycle_times()
    if len(a_ct) and len(b_ct):
        edges = np.histogram_bin_edges(np.concatenate([a_ct, b_ct]), bins=30)
        for s, ct in ((first, a_ct), (second, b_ct)):
            s["cycle_time_histogram"] = {
                "edges": edges.tolist(),
                "counts": np.histogram(ct, bins=edges)[0].tolist(),
            }
    return {
        "as_is": first,
        "to_be": second,
        "difference": diffs,
        "social_cost_saved_vnd_per_year": saved,
        "annual_applicants": annual,
        "common_random_numbers": True,
    }
