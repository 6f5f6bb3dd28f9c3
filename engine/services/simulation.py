"""Use case: simulate one procedure model, or compare its as-is and to-be variants (JSON report)."""

from __future__ import annotations

from typing import Any

from engine.bpmn.validation import SourceFile
from engine.context import Context
from engine.simulation import comparison, load_model, load_scenario, run, summary


def run_simulation(
    ctx: Context | None,
    bpmn: list[SourceFile],
    scenario: dict[str, Any],
    *,
    to_be: list[SourceFile] | None = None,
    cases: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    progress=None,
) -> dict[str, Any]:
    """The JSON report (times in seconds). With ``to_be`` the two variants run on common random
    numbers and the report carries the paired differences. Raises SimulationInputError (an
    InvalidInput) naming what the model or scenario lacks. Reads and writes no database."""
    calendar = getattr(ctx, "calendar", None) if ctx is not None else None
    sc = load_scenario(scenario, calendar)
    first = run(load_model(bpmn), sc, cases=cases, replications=replications, seed=seed, progress=progress)
    if to_be is None:
        return summary(first)
    second = run(load_model(to_be), sc, cases=cases, replications=replications, seed=seed, progress=progress)
    return comparison(first, second)
