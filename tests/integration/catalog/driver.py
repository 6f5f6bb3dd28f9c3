"""Drives a catalog dossier through its user tasks the way officers would, with each form's example
data (the fast path) and per-task overrides that choose a branch."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from lxml import etree

from engine import services
from engine.bpmn.rules import element_properties
from engine.catalog import discover

from .conftest import FORMS, PROCESSES

AGENCY = "000.10.01.H26"
OFFICER_FOR_ROLE = {
    "intake_officer": "intake",
    "appraiser": "appraiser",
    "approver": "approver",
    "clerk": "clerk",
}
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@cache
def form_example(form: str) -> dict[str, Any]:
    return json.loads((FORMS / form).read_text(encoding="utf-8"))["examples"][0]


@cache
def markers(procedure: str, variant: str) -> dict[str, str]:
    """bpmn id -> dossierEvent of every flow node that carries one."""
    root = etree.parse(str(PROCESSES / procedure / f"{variant}.bpmn")).getroot()
    found = {}
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("id"):
            event = element_properties(node).get("dossierEvent")
            if event:
                found[node.get("id")] = event
    return found


def model_files(procedure: str, variant: str):
    return next(m.files for m in discover(PROCESSES) if m.procedure == procedure and m.variant == variant)


def submit_example(procedure: str) -> dict[str, Any]:
    from motcua.catalog_procedures import PROCEDURES

    return dict(next(p.submit_example for p in PROCEDURES if p.code == procedure))


def run(
    ctx,
    officers,
    procedure: str,
    variant: str,
    choices: Mapping[str, list[dict[str, Any]] | dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
    max_tasks: int = 40,
):
    """Deploy, submit and complete every task; returns (dossier detail, completed task ids in order,
    dossier events in order). ``choices[bpmn_id]`` overrides the form data (a list: one per visit)."""
    choices = dict(choices or {})
    services.deploy(ctx, model_files(procedure, variant))
    process_id = f"{procedure}_{variant.replace('-', '_')}"
    dossier = services.submit_dossier(
        ctx, process_id, AGENCY, data if data is not None else submit_example(procedure), officers["intake"]
    )
    visits: dict[str, int] = {}
    done: list[str] = []
    for _ in range(max_tasks):
        detail = services.get_dossier(ctx, dossier.id)
        open_tasks = [t for t in detail.tasks if t.state == "open"]
        if not open_tasks:
            break
        task = open_tasks[0]
        assert task.stage and task.form, f"{task.bpmn_id} lacks a stage or a form"
        officer = officers[OFFICER_FOR_ROLE[task.role]]
        values = dict(form_example(task.form))
        override = choices.get(task.bpmn_id, {})
        if isinstance(override, list):
            index = visits.get(task.bpmn_id, 0)
            override = override[index] if index < len(override) else {}
        visits[task.bpmn_id] = visits.get(task.bpmn_id, 0) + 1
        values.update(override)
        services.claim_task(ctx, task.id, officer)
        services.complete_task(ctx, task.id, officer, values)
        done.append(task.bpmn_id)
    detail = services.get_dossier(ctx, dossier.id)
    marks = markers(procedure, variant)
    events = [marks[e.activity] for e in detail.events if e.lifecycle == "complete" and e.activity in marks]
    return detail, done, events
