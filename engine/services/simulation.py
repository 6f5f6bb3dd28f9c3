"""Use case: simulate one procedure model, or compare its as-is and to-be variants (JSON report)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.bpmn.validation import SourceFile
from engine.catalog import get_procedure
from engine.context import Context
from engine.errors import InvalidInput
from engine.simulation import comparison, load_model, load_scenario, run, summary


def run_simulation(
    ctx: Context | None,
    bpmn: list[SourceFile],
    scenario: dict[str, Any],
    *,
    to_be: list[SourceFile] | None = None,
    to_be_scenario: dict[str, Any] | None = None,
    cases: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    progress=None,
) -> dict[str, Any]:
    """The JSON report (times in seconds). With ``to_be`` the two variants run on common random
    numbers and the report carries the paired differences (``to_be_scenario``, when given, is the
    to-be model's own scenario: the catalog ships one per variant). Raises SimulationInputError (an
    InvalidInput) naming what the model or scenario lacks. Reads and writes no database."""
    calendar = getattr(ctx, "calendar", None) if ctx is not None else None
    sc = load_scenario(scenario, calendar)
    first = run(load_model(bpmn), sc, cases=cases, replications=replications, seed=seed, progress=progress)
    if to_be is None:
        return summary(first)
    sc_to_be = load_scenario(to_be_scenario, calendar) if to_be_scenario is not None else sc
    second = run(
        load_model(to_be), sc_to_be, cases=cases, replications=replications, seed=seed, progress=progress
    )
    return comparison(first, second)


SIMULATION_MODES = ("compare", "as-is", "to-be")
VARIANTS = ("as-is", "to-be")


def scenario_path(folder: Path, variant: str) -> Path | None:
    """The scenario a catalog procedure ships for a variant (``scenario.<variant>.json``, else
    ``scenario.json``)."""
    for name in (f"scenario.{variant}.json", "scenario.json"):
        if (folder / name).is_file():
            return folder / name
    return None


def simulated_variants(folder: Path) -> list[str]:
    """The variants of a catalog procedure that have both a model and a scenario."""
    return [v for v in VARIANTS if (folder / f"{v}.bpmn").is_file() and scenario_path(folder, v)]


def catalog_models(
    ctx: Context, procedure_code: str, variants: tuple[str, ...]
) -> dict[str, tuple[list[SourceFile], dict[str, Any]]]:
    """Each variant's BPMN and scenario, read from the catalog; a variant without both is refused."""
    procedure = get_procedure(ctx.settings.processes_dir, procedure_code)
    models: dict[str, tuple[list[SourceFile], dict[str, Any]]] = {}
    for variant in variants:
        scenario = scenario_path(procedure.folder, variant) if variant in VARIANTS else None
        bpmn = procedure.folder / f"{variant}.bpmn"
        if scenario is None or not bpmn.is_file():
            raise InvalidInput(
                f"Thủ tục {procedure.code} không có mô hình {variant} kèm kịch bản mô phỏng.",
                fields={"mode": f"no {variant} model with a scenario"},
            )
        models[variant] = (
            [SourceFile(bpmn.name, bpmn.read_bytes())],
            json.loads(scenario.read_text(encoding="utf-8")),
        )
    return models


def simulate_procedure(
    ctx: Context,
    procedure_code: str,
    mode: str = "compare",
    *,
    cases: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    progress=None,
) -> dict[str, Any]:
    """Simulate a catalog procedure with the scenarios it ships: one variant, or as-is against to-be."""
    if mode not in SIMULATION_MODES:
        raise InvalidInput(
            f"Cách chạy '{mode}' không có; chọn {', '.join(SIMULATION_MODES)}.", fields={"mode": "unknown"}
        )
    models = catalog_models(ctx, procedure_code, ("as-is", "to-be") if mode == "compare" else (mode,))
    first = models["as-is" if mode == "compare" else mode]
    to_be = models.get("to-be") if mode == "compare" else None
    return run_simulation(
        ctx,
        first[0],
        first[1],
        to_be=to_be[0] if to_be else None,
        to_be_scenario=to_be[1] if to_be else None,
        cases=cases,
        replications=replications,
        seed=seed,
        progress=progress,
    )


def event_log(ctx: Context, process_id: str) -> list[tuple[str, str, float, float]]:
    """The engine's own event log of one process as (dossier, activity, start, end) rows for
    calibration: work starts when an officer claims the task (or when it became ready, for tasks
    never claimed) and ends when it completes. Times are epoch seconds."""
    from sqlalchemy import select

    from engine.store.models import Event

    rows: list[tuple[str, str, float, float]] = []
    opened: dict[tuple[int, str], float] = {}
    with ctx.db.read() as s:
        query = (
            select(Event.dossier_id, Event.activity, Event.lifecycle, Event.at, Event.task_id)
            .where(Event.process_id == process_id)
            .order_by(Event.id)
        )
        for dossier_id, activity, lifecycle, at, task_id in s.execute(query):
            key = (dossier_id, str(task_id or activity))
            t = _epoch(at)
            if lifecycle == "start":
                opened.setdefault(key, t)
            elif lifecycle == "claim":
                opened[key] = t
            elif lifecycle == "release":
                continue
            elif lifecycle == "complete":
                rows.append((str(dossier_id), activity, opened.pop(key, t), t))
    return rows


def _epoch(at) -> float:
    from datetime import UTC

    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
