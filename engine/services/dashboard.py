"""Supervisor figures read from the projections (human tasks, dossiers): counts, never workflow state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ..context import Context
from ..store.models import Dossier, HumanTask, ProcessDefinition, ProcessVersion
from ..views import TaskView, UserView, View
from . import _task_query, _task_view


@dataclass(frozen=True)
class Count(View):
    process_key: str
    key: str | None
    count: int


@dataclass(frozen=True)
class AgencyFigures(View):
    """Open tasks per procedure and stage (with how many are overdue), dossiers per run state and
    national status, for one agency."""

    open_tasks_by_stage: tuple[Count, ...]
    overdue_tasks_by_stage: tuple[Count, ...]
    dossiers_by_state: tuple[Count, ...]
    dossiers_by_status: tuple[Count, ...]

    @property
    def procedures(self) -> list[str]:
        keys = {c.process_key for c in self.open_tasks_by_stage + self.dossiers_by_state}
        return sorted(keys)


def agency_figures(ctx: Context, viewer: UserView) -> AgencyFigures:
    now = ctx.now()
    with ctx.db.read() as s:
        key = ProcessDefinition.key
        tasks = s.execute(
            select(
                key,
                HumanTask.stage,
                func.count(),
                func.sum(case((HumanTask.due_at < now, 1), else_=0)),
            )
            .join(ProcessVersion, ProcessVersion.id == HumanTask.process_version_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
            .where(HumanTask.agency_id == viewer.agency_id, HumanTask.state == "open")
            .group_by(key, HumanTask.stage)
            .order_by(key, HumanTask.stage)
        ).all()

        def dossier_counts(column):
            return tuple(
                Count(k, None if v is None else str(v), n)
                for k, v, n in s.execute(
                    select(key, column, func.count())
                    .join(ProcessVersion, ProcessVersion.id == Dossier.process_version_id)
                    .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
                    .where(Dossier.agency_id == viewer.agency_id)
                    .group_by(key, column)
                    .order_by(key, column)
                )
            )

        return AgencyFigures(
            open_tasks_by_stage=tuple(Count(k, st, n) for k, st, n, _ in tasks),
            overdue_tasks_by_stage=tuple(Count(k, st, int(o or 0)) for k, st, _, o in tasks),
            dossiers_by_state=dossier_counts(Dossier.run_state),
            dossiers_by_status=dossier_counts(Dossier.status),
        )


def overdue_tasks(ctx: Context, viewer: UserView, limit: int = 50) -> list[TaskView]:
    """Open tasks of the viewer's agency past their due time, whatever their role, longest overdue first."""
    with ctx.db.read() as s:
        query = (
            _task_query()
            .where(
                HumanTask.agency_id == viewer.agency_id,
                HumanTask.state == "open",
                HumanTask.due_at < ctx.now(),
            )
            .order_by(HumanTask.due_at)
            .limit(min(limit, 500))
        )
        return [_task_view(*row) for row in s.execute(query)]
