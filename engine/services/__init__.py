"""The use cases of motcua. One function per use case, one transaction per call.

Every function takes the :class:`~engine.context.Context` first and returns read models from
:mod:`engine.views`; expected failures raise :mod:`engine.errors` with a message for the user and
leave the database as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, func, insert, inspect, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.security import check_password_hash, generate_password_hash

from ..bpmn.diagnostics import Diagnostic
from ..bpmn.model import ProcessModel
from ..bpmn.operators import RunContext
from ..bpmn.runtime import RunOutcome
from ..bpmn.validation import SourceFile, ValidationResult, validate
from ..context import Context
from ..deployment import content_hash, file_kind
from ..errors import Conflict, DeploymentRejected, InvalidInput, NotFound, PermissionDenied
from ..jsondata import dumps as json_dumps
from ..roles import Role
from ..store.models import (
    Agency,
    Dossier,
    Event,
    HumanTask,
    ProcessDefinition,
    ProcessFile,
    ProcessVersion,
    Timer,
    User,
    UserRole,
    WorkflowState,
)
from ..views import (
    AgencyView,
    CompletionView,
    DeploymentView,
    DossierDetail,
    DossierView,
    EventView,
    ProcessView,
    TaskView,
    TimerView,
    UserView,
    VersionView,
)

SYSTEM_ACTOR = "system"
CHANNELS = ("counter", "post", "online")


_CHANGED_MEANWHILE = (
    "Someone else changed this dossier at the same moment; nothing of yours was saved. Reload and try again."
)
_RACED = "Someone else changed the same records at the same moment; nothing of yours was saved. Try again."
_LOST_RACE = {"40P01", "40001"}  # PostgreSQL: deadlock detected, serialization failure


@contextmanager
def unit_of_work(ctx: Context) -> Iterator[Session]:
    """A write transaction in which a lost race becomes a :class:`Conflict`: an optimistic version
    check that failed, or a deadlock or serialization failure the database broke by rolling back."""
    committed: list = []
    try:
        with ctx.db.transaction() as session:
            session.info["after_commit"] = committed
            yield session
    except StaleDataError:
        raise Conflict(_CHANGED_MEANWHILE) from None
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) not in _LOST_RACE:
            raise
        raise Conflict(_RACED) from None
    for action in committed:
        action()


def after_commit(s: Session, action) -> None:
    """Run ``action`` once the use case's transaction has committed (never after a rollback)."""
    s.info["after_commit"].append(action)


# =========================================================================== agencies and users


def create_agency(
    ctx: Context, code: str, name: str, name_en: str | None = None, level: str = "commune"
) -> AgencyView:
    code = (code or "").strip()
    if not code or not name:
        raise InvalidInput(
            "An agency needs a code and a name.", fields={"code": "required", "name": "required"}
        )
    with unit_of_work(ctx) as s:
        if s.scalar(select(Agency).where(Agency.code == code)) is not None:
            raise Conflict(f"An agency with code '{code}' already exists.")
        agency = Agency(code=code, name=name, name_en=name_en, level=level, created_at=ctx.now())
        s.add(agency)
        s.flush()
        return _agency_view(agency)


def list_agencies(ctx: Context) -> list[AgencyView]:
    with ctx.db.read() as s:
        return [_agency_view(a) for a in s.scalars(select(Agency).order_by(Agency.code))]


def create_user(
    ctx: Context,
    username: str,
    full_name: str,
    agency_code: str,
    roles: Iterable[str],
    password: str | None = None,
) -> UserView:
    username = (username or "").strip()
    roles = sorted(set(roles))
    problems: dict[str, str] = {}
    if not username or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        problems["username"] = "Use letters, digits, '.', '_' or '-'."
    unknown = [r for r in roles if r not in {x.value for x in Role}]
    if unknown:
        problems["roles"] = (
            f"Unknown role(s) {', '.join(unknown)}; known: {', '.join(r.value for r in Role)}."
        )
    if password is not None and len(password) < 8:
        problems["password"] = "At least 8 characters."
    if problems:
        raise InvalidInput("The user cannot be created.", fields=problems)
    with unit_of_work(ctx) as s:
        agency = _agency_by_code(s, agency_code)
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise Conflict(f"The username '{username}' is taken.")
        user = User(
            username=username,
            full_name=full_name or username,
            agency_id=agency.id,
            password_hash=generate_password_hash(password) if password else None,
            created_at=ctx.now(),
        )
        user.role_rows = [UserRole(role=r) for r in roles]
        s.add(user)
        s.flush()
        user.agency = agency
        return _user_view(user)


def list_users(ctx: Context, agency_code: str | None = None) -> list[UserView]:
    with ctx.db.read() as s:
        query = select(User).join(User.agency).order_by(User.username)
        if agency_code:
            query = query.where(Agency.code == agency_code)
        return [_user_view(u) for u in s.scalars(query).unique()]


def get_user(ctx: Context, username: str) -> UserView:
    with ctx.db.read() as s:
        return _user_view(_user_by_name(s, username))


def authenticate(ctx: Context, username: str, password: str) -> UserView | None:
    """The user if the password is right (and the account active), else None."""
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None or not user.active or not user.password_hash:
            return None
        if not check_password_hash(user.password_hash, password):
            return None
        return _user_view(user)


# =========================================================================== deployment


def validate_models(
    ctx: Context, files: Sequence[SourceFile], process_id: str | None = None
) -> ValidationResult:
    """Check models the way deployment does, without deploying."""
    return validate(
        [f for f in files if file_kind(f.filename) != "form"],
        process_id=process_id,
        context=ctx.rule_context(),
        max_bytes=ctx.settings.max_upload_bytes,
    )


def deploy(
    ctx: Context,
    files: Sequence[SourceFile],
    deployed_by: UserView | None = None,
    process_id: str | None = None,
) -> DeploymentView:
    """Validate and store a new version, or return the existing one when the bytes are the same."""
    if (
        deployed_by is not None
        and not deployed_by.has_role(Role.DESIGNER)
        and Role.ADMIN not in deployed_by.roles
    ):
        raise PermissionDenied("Only process designers may deploy processes.")
    result = validate_models(ctx, files, process_id)
    if not result.ok:
        count = len(result.errors)
        raise DeploymentRejected(
            f"The model has {count} error{'s' if count != 1 else ''}; nothing was deployed.",
            result.diagnostics,
        )
    model = result.process
    digest = content_hash(files)
    with unit_of_work(ctx) as s:
        definition = s.scalar(select(ProcessDefinition).where(ProcessDefinition.key == model.process_id))
        if definition is None:
            definition = ProcessDefinition(key=model.process_id, name=model.name, created_at=ctx.now())
            s.add(definition)
            s.flush()
        existing = s.scalar(
            select(ProcessVersion).where(
                ProcessVersion.definition_id == definition.id, ProcessVersion.content_hash == digest
            )
        )
        if existing is not None:
            return DeploymentView(
                _version_view(existing), created=False, diagnostics=tuple(result.diagnostics)
            )
        latest = s.scalar(
            select(func.max(ProcessVersion.version)).where(ProcessVersion.definition_id == definition.id)
        )
        version = ProcessVersion(
            definition_id=definition.id,
            version=(latest or 0) + 1,
            content_hash=digest,
            name=model.name,
            deployed_at=ctx.now(),
            deployed_by_id=deployed_by.id if deployed_by else None,
            warnings=[d.to_dict() for d in result.warnings],
        )
        version.files = [
            ProcessFile(
                filename=f.filename, kind=file_kind(f.filename), sha256=content_hash([f]), content=f.content
            )
            for f in files
        ]
        if model.name and definition.name != model.name:
            definition.name = model.name
        s.add(version)
        try:
            s.flush()
        except IntegrityError:
            raise Conflict(
                "Another deployment of this process happened at the same moment; try again."
            ) from None
        version.definition = definition
        view = _version_view(version, deployed_by.username if deployed_by else None)
        version_id = version.id
    ctx.specs.put(version_id, model)
    return DeploymentView(view, created=True, diagnostics=tuple(result.diagnostics))


def list_processes(ctx: Context) -> list[ProcessView]:
    with ctx.db.read() as s:
        latest = (
            select(
                ProcessVersion.definition_id,
                func.max(ProcessVersion.version).label("v"),
                func.count().label("n"),
            )
            .group_by(ProcessVersion.definition_id)
            .subquery()
        )
        rows = s.execute(
            select(ProcessDefinition, latest.c.v, latest.c.n, ProcessVersion.id)
            .join(latest, latest.c.definition_id == ProcessDefinition.id)
            .join(
                ProcessVersion,
                (ProcessVersion.definition_id == ProcessDefinition.id)
                & (ProcessVersion.version == latest.c.v),
            )
            .order_by(ProcessDefinition.key)
        )
        return [ProcessView(d.key, d.name, v, vid, n) for d, v, n, vid in rows]


def list_versions(ctx: Context, process_key: str) -> list[VersionView]:
    with ctx.db.read() as s:
        definition = _definition(s, process_key)
        return [_version_view(v) for v in reversed(definition.versions)]


def get_version(ctx: Context, version_id: int) -> VersionView:
    with ctx.db.read() as s:
        version = s.get(ProcessVersion, version_id)
        if version is None:
            raise NotFound(f"There is no process version {version_id}.")
        return _version_view(version)


def version_files(ctx: Context, version_id: int) -> list[SourceFile]:
    with ctx.db.read() as s:
        version = s.get(ProcessVersion, version_id)
        if version is None:
            raise NotFound(f"There is no process version {version_id}.")
        return [SourceFile(f.filename, f.content) for f in version.files]


def process_model(ctx: Context, version_id: int) -> ProcessModel:
    """The parsed model of a version, from the cache (parsed at most once per process)."""
    with ctx.db.read() as s:
        return _model(ctx, s, version_id)


# =========================================================================== dossiers


def submit_dossier(
    ctx: Context,
    process_key: str,
    agency_code: str,
    data: dict[str, Any] | None = None,
    submitted_by: UserView | None = None,
    channel: str = "counter",
    applicant_name: str | None = None,
    version: int | None = None,
) -> DossierView:
    """Start a dossier on the latest (or a given) version of a process."""
    data = {} if data is None else data
    _check_data(data)
    data = dict(data)
    if channel not in CHANNELS:
        raise InvalidInput(
            f"Unknown channel '{channel}'; use one of {', '.join(CHANNELS)}.", fields={"channel": "unknown"}
        )
    with unit_of_work(ctx) as s:
        agency = _agency_by_code(s, agency_code)
        if submitted_by is not None and submitted_by.agency_id != agency.id:
            raise PermissionDenied(f"You work for {submitted_by.agency_code}, not for {agency_code}.")
        pv = _version_for(s, process_key, version)
        model = _model(ctx, s, pv.id)
        now = ctx.now()
        dossier = Dossier(
            process_version_id=pv.id,
            agency_id=agency.id,
            submitted_by_id=submitted_by.id if submitted_by else None,
            channel=channel,
            applicant_name=applicant_name or data.get("applicant_name"),
            run_state="running",
            submitted_data=data,
            created_at=now,
            updated_at=now,
        )
        s.add(dossier)
        s.flush()
        actor = submitted_by.username if submitted_by else SYSTEM_ACTOR
        outcome = ctx.runtime.start(model, data, _run_context(dossier, actor, agency.code, pv))
        state = WorkflowState(
            dossier_id=dossier.id, format=ctx.runtime.codec.format, state="", updated_at=now
        )
        s.add(state)
        _append_event(
            s,
            dossier.id,
            now,
            activity=process_key,
            lifecycle="submit",
            actor=actor,
            element_type="Process",
            data={"channel": channel},
        )
        _apply_outcome(ctx, s, dossier, state, outcome, actor, submitted_by)
        s.flush()
        _keep_workflow(ctx, s, dossier, state, model, outcome)
        dossier.process_version = pv
        dossier.agency = agency
        return _dossier_view(dossier)


def get_dossier(ctx: Context, dossier_id: int, viewer: UserView | None = None) -> DossierDetail:
    with ctx.db.read() as s:
        dossier = _dossier(s, dossier_id, viewer)
        tasks = s.execute(
            _task_query().where(HumanTask.dossier_id == dossier_id).order_by(HumanTask.created_at)
        )
        events = s.scalars(select(Event).where(Event.dossier_id == dossier_id).order_by(Event.id))
        timers = s.scalars(select(Timer).where(Timer.dossier_id == dossier_id).order_by(Timer.due_at))
        return DossierDetail(
            dossier=_dossier_view(dossier),
            tasks=tuple(_task_view(*row) for row in tasks),
            events=tuple(_event_view(e) for e in events),
            timers=tuple(TimerView(t.id, t.bpmn_id, t.kind, t.label, t.due_at, t.state) for t in timers),
        )


def list_dossiers(
    ctx: Context,
    viewer: UserView | None = None,
    run_state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[DossierView]:
    with ctx.db.read() as s:
        query = select(Dossier).order_by(Dossier.id.desc()).limit(min(limit, 1000)).offset(offset)
        if viewer is not None:
            query = query.where(Dossier.agency_id == viewer.agency_id)
        if run_state:
            query = query.where(Dossier.run_state == run_state)
        return [_dossier_view(d) for d in s.scalars(query)]


def retry_dossier(ctx: Context, dossier_id: int, actor: UserView | None = None) -> DossierView:
    """Run the failed step of a dossier in error again (after its cause was fixed)."""
    with unit_of_work(ctx) as s:
        dossier = _dossier(s, dossier_id, actor)
        if dossier.run_state != "error":
            raise Conflict(
                f"Dossier {dossier_id} is not in error (it is {dossier.run_state}); "
                "there is nothing to retry."
            )
        name = actor.username if actor else SYSTEM_ACTOR
        _append_event(
            s,
            dossier.id,
            ctx.now(),
            activity=dossier.error_element or "dossier",
            lifecycle="retry",
            actor=name,
            data={"error": dossier.error_message},
        )
        _advance(
            ctx,
            s,
            dossier,
            s.get(WorkflowState, dossier.id),
            name,
            actor,
            lambda wf, model, rc: ctx.runtime.retry(wf, model, rc),
        )
        return _dossier_view(dossier)


def fire_timers(ctx: Context, dossier_id: int) -> DossierView:
    """Let the dossier's due BPMN timers fire (the sweep calls this per dossier)."""
    with unit_of_work(ctx) as s:
        dossier = _dossier(s, dossier_id)
        if dossier.run_state in ("completed", "cancelled"):
            return _dossier_view(dossier)
        _advance(
            ctx,
            s,
            dossier,
            s.get(WorkflowState, dossier.id),
            SYSTEM_ACTOR,
            None,
            lambda wf, model, rc: ctx.runtime.fire_timers(wf, model, rc),
        )
        return _dossier_view(dossier)


# =========================================================================== tasks


def list_tasks(
    ctx: Context,
    user: UserView,
    scope: str = "available",
    stage: str | None = None,
    process_key: str | None = None,
    limit: int = 200,
) -> list[TaskView]:
    """An officer's inbox: ``available`` (open tasks my roles may take in my agency, mine included),
    ``mine`` (claimed by me) or ``done`` (completed by me). Overdue first, then by due time."""
    with ctx.db.read() as s:
        query = _task_query().where(HumanTask.agency_id == user.agency_id)
        if scope == "mine":
            query = query.where(HumanTask.state == "open", HumanTask.assignee_id == user.id)
        elif scope == "done":
            query = query.where(HumanTask.state == "completed", HumanTask.completed_by_id == user.id)
        elif scope == "available":
            query = query.where(
                HumanTask.state == "open",
                (HumanTask.role.in_(user.roles)) | HumanTask.role.is_(None),
                (HumanTask.assignee_id.is_(None)) | (HumanTask.assignee_id == user.id),
            )
        else:
            raise InvalidInput(f"Unknown scope '{scope}'; use available, mine or done.")
        if stage:
            query = query.where(HumanTask.stage == stage)
        if process_key:
            query = query.where(ProcessDefinition.key == process_key)
        # Overdue first, then by due time, tasks without a due time last: ordering by due time alone
        # says exactly that (the overdue are the earliest), and lets the database walk the open-task
        # index in order instead of sorting the agency's whole backlog.
        query = query.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at).limit(
            min(limit, 1000)
        )
        return [_task_view(*row) for row in s.execute(query)]


def get_task(ctx: Context, task_id: uuid.UUID | str, user: UserView | None = None) -> TaskView:
    with ctx.db.read() as s:
        row = s.execute(_task_query().where(HumanTask.id == _uuid(task_id))).first()
        if row is None or (user is not None and row[0].agency_id != user.agency_id):
            raise NotFound(f"There is no task {task_id}.")
        return _task_view(*row)


def claim_task(ctx: Context, task_id: uuid.UUID | str, user: UserView) -> TaskView:
    with unit_of_work(ctx) as s:
        task = _open_task_for(s, task_id, user)
        if task.assignee_id == user.id:
            return _reload_task(s, task.id)
        if task.assignee_id is not None:
            raise Conflict(f"The task is already claimed by {task.assignee.username}.")
        task.assignee_id = user.id
        task.claimed_at = ctx.now()
        _append_event(
            s,
            task.dossier_id,
            task.claimed_at,
            activity=task.bpmn_id,
            activity_name=task.label,
            lifecycle="claim",
            actor=user.username,
            task_id=task.id,
            role=task.role,
            stage=task.stage,
        )
        s.flush()
        return _reload_task(s, task.id)


def release_task(ctx: Context, task_id: uuid.UUID | str, user: UserView) -> TaskView:
    with unit_of_work(ctx) as s:
        task = _open_task_for(s, task_id, user)
        supervisor = Role.SUPERVISOR in user.roles
        if task.assignee_id is None:
            raise Conflict("The task is not claimed by anyone.")
        if task.assignee_id != user.id and not supervisor:
            raise PermissionDenied(
                f"The task is claimed by {task.assignee.username}; only they or a supervisor may release it."
            )
        task.assignee_id = None
        task.claimed_at = None
        _append_event(
            s,
            task.dossier_id,
            ctx.now(),
            activity=task.bpmn_id,
            activity_name=task.label,
            lifecycle="release",
            actor=user.username,
            task_id=task.id,
            role=task.role,
            stage=task.stage,
        )
        s.flush()
        return _reload_task(s, task.id)


def complete_task(
    ctx: Context, task_id: uuid.UUID | str, user: UserView, data: dict[str, Any] | None = None
) -> CompletionView:
    """Complete a human task with the officer's data and run the process on to its next wait."""
    data = {} if data is None else data
    _check_data(data)
    data = dict(data)
    with unit_of_work(ctx) as s:
        row = s.execute(
            select(HumanTask, Dossier, WorkflowState)
            .join(Dossier, Dossier.id == HumanTask.dossier_id)
            .join(WorkflowState, WorkflowState.dossier_id == HumanTask.dossier_id)
            .where(HumanTask.id == _uuid(task_id))
        ).first()
        if row is None:
            raise NotFound(f"There is no task {task_id}.")
        task, dossier, state = row
        _check_open_for(s, task, user)
        if task.assignee_id not in (None, user.id):
            raise Conflict(f"The task is claimed by {task.assignee.username}.")
        problems = ctx.forms.validate(task, data)
        if problems:
            raise InvalidInput("Some fields need attention.", fields=problems)
        if dossier.run_state != "running":
            raise Conflict(f"The dossier is {dossier.run_state}; its tasks cannot be completed now.")
        if task.assignee_id is None:
            task.assignee_id = user.id
            task.claimed_at = ctx.now()
        opened = _advance(
            ctx,
            s,
            dossier,
            state,
            user.username,
            user,
            lambda wf, model, rc: ctx.runtime.complete_human_task(wf, model, task.id, data, rc),
            completed_task=task.id,
        )
        done = _task_view_of(task, dossier, assignee=user.username, completed_by=user.username)
        mine = tuple(_task_view_of(t, dossier) for t in opened if user.has_role(t.role))
        return CompletionView(done, _dossier_view(dossier), mine)


# =========================================================================== internals


def _advance(
    ctx: Context,
    s: Session,
    dossier: Dossier,
    state: WorkflowState,
    actor: str,
    user: UserView | None,
    operation,
    completed_task: uuid.UUID | None = None,
    pending_timers: list[Timer] | None = None,
) -> list[HumanTask]:
    """Run ``operation`` on the dossier's workflow and save the outcome. ``pending_timers``: all the
    dossier's pending BPMN timers when the caller has already read (and locked) them."""
    pv = dossier.process_version
    model = _model(ctx, s, pv.id)
    workflow = ctx.workflows.take(dossier.id, state.version, model) or ctx.runtime.loads(state.state, model)
    outcome = operation(workflow, model, _run_context(dossier, actor, dossier.agency.code, pv))
    opened = _apply_outcome(ctx, s, dossier, state, outcome, actor, user, completed_task, pending_timers)
    _keep_workflow(ctx, s, dossier, state, model, outcome)
    return opened


def _keep_workflow(ctx: Context, s: Session, dossier, state, model, outcome: RunOutcome) -> None:
    """Offer the workflow to the cache under the version just saved, once that save has committed."""
    if outcome.failure is None:
        dossier_id, version, workflow = dossier.id, state.version, outcome.workflow
        after_commit(s, lambda: ctx.workflows.put(dossier_id, version, model, workflow))


def _apply_outcome(
    ctx: Context,
    s: Session,
    dossier: Dossier,
    state: WorkflowState,
    outcome: RunOutcome,
    actor: str,
    user: UserView | None,
    completed_task: uuid.UUID | None = None,
    pending_timers: list[Timer] | None = None,
) -> list[HumanTask]:
    """Save the workflow state and bring every projection in line with it (same transaction).

    Returns the human tasks this run opened."""
    now = ctx.now()
    snap = outcome.snapshot
    completed_ids = {e.task_id for e in outcome.events if e.lifecycle == "complete"}
    opened: list[HumanTask] = []
    with s.no_autoflush:
        _save_state(s, state, ctx.runtime.dumps(outcome.workflow), now)
        for open_task in snap.human_tasks:
            if open_task.task_id not in outcome.opened:
                continue
            spec = open_task.spec
            task = outcome.workflow.get_task_from_id(open_task.task_id)
            opened.append(
                HumanTask(
                    id=open_task.task_id,
                    dossier_id=dossier.id,
                    agency_id=dossier.agency_id,
                    process_version_id=dossier.process_version_id,
                    bpmn_id=spec.bpmn_id,
                    label=spec.label,
                    role=spec.role,
                    stage=spec.stage.value if spec.stage else None,
                    form=spec.form,
                    state="open",
                    created_at=now,
                    due_at=ctx.due_policy.due_at(spec, now, dossier.agency.code),
                    data=dict(task.data),
                )
            )
        s.add_all(opened)
        for task_id, final_state in outcome.closed.items():
            row = s.get(HumanTask, task_id)
            if row is None or row.state != "open":
                continue
            row.state = final_state
            row.completed_at = now
            if task_id == completed_task and user is not None:
                row.completed_by_id = user.id

        if outcome.had_timers or snap.timers:
            _sync_timers(s, dossier, outcome, completed_ids, now, pending_timers)

    event_rows = []
    for event in outcome.events:
        human = event.human_task
        by_actor = event.lifecycle == "error" or (
            event.lifecycle == "complete" and event.task_id == completed_task
        )
        event_rows.append(
            dict(
                dossier_id=dossier.id,
                at=now,
                activity=event.bpmn_id,
                activity_name=event.name,
                element_type=event.element_type,
                lifecycle=event.lifecycle,
                actor=actor if by_actor else SYSTEM_ACTOR,
                task_id=event.task_id,
                role=human.role if human else None,
                stage=human.stage.value if human and human.stage else None,
                process_id=event.process_id,
                data=event.data or None,
            )
        )
    if event_rows:
        s.connection().execute(insert(Event.__table__), event_rows)

    if outcome.failure is not None:
        run_state, error_message, error_element = "error", outcome.failure.message, outcome.failure.bpmn_id
    else:
        run_state, error_message, error_element = ("completed" if snap.completed else "running"), None, None
    if (dossier.run_state, dossier.error_message, dossier.error_element) != (
        run_state,
        error_message,
        error_element,
    ):
        dossier.run_state, dossier.error_message, dossier.error_element = (
            run_state,
            error_message,
            error_element,
        )
        dossier.updated_at = now
        if run_state == "completed":
            dossier.completed_at = now
    s.flush()
    for listener in ctx.listeners:
        listener.after_run(ctx, s, dossier, outcome, actor)
    return opened


#: The versioned save of a workflow state, as one statement (see ``_save_state``).
_SAVE_STATE = (
    update(WorkflowState.__table__)
    .where(
        WorkflowState.__table__.c.dossier_id == bindparam("of_dossier"),
        WorkflowState.__table__.c.version == bindparam("expected_version"),
    )
    .values(version=bindparam("next_version"), state=bindparam("saved"), updated_at=bindparam("saved_at"))
)


def _save_state(s: Session, state: WorkflowState, saved: str, now) -> None:
    """Save a workflow state under its next version: an optimistic check, so a state someone else
    saved since it was read is a conflict. An existing state is written at once, before the step's
    other rows, so every use case takes a dossier's state row first; a new one goes with the flush."""
    if not inspect(state).persistent:
        state.state, state.updated_at = saved, now
        return
    next_version = state.version + 1
    result = s.connection().execute(
        _SAVE_STATE,
        {
            "of_dossier": state.dossier_id,
            "expected_version": state.version,
            "next_version": next_version,
            "saved": saved,
            "saved_at": now,
        },
    )
    if result.rowcount != 1:
        raise StaleDataError(f"workflow state of dossier {state.dossier_id} changed since it was read")
    for name, value in (("version", next_version), ("state", saved), ("updated_at", now)):
        set_committed_value(state, name, value)


def _sync_timers(
    s: Session,
    dossier: Dossier,
    outcome: RunOutcome,
    completed_ids: set,
    now,
    pending_timers: list[Timer] | None = None,
) -> None:
    """Keep the timer table in line with the BPMN timers the workflow is waiting on."""
    rows = (
        pending_timers
        if pending_timers is not None
        else s.scalars(
            select(Timer).where(
                Timer.dossier_id == dossier.id, Timer.kind == "bpmn", Timer.state == "pending"
            )
        )
    )
    pending = {t.task_id: t for t in rows}
    waiting = {t.task_id: t for t in outcome.snapshot.timers}
    for task_id, timer in waiting.items():
        row = pending.get(task_id)
        if row is None:
            s.add(
                Timer(
                    dossier_id=dossier.id,
                    task_id=task_id,
                    bpmn_id=timer.bpmn_id,
                    kind="bpmn",
                    label=timer.name,
                    due_at=timer.due_at,
                    state="pending",
                    created_at=now,
                )
            )
        elif row.due_at != timer.due_at:
            row.due_at = timer.due_at
    for task_id, row in pending.items():
        if task_id not in waiting:
            row.state = "fired" if task_id in completed_ids else "cancelled"
            row.fired_at = now


def _append_event(
    s: Session,
    dossier_id: int,
    at,
    *,
    activity: str,
    lifecycle: str,
    actor: str | None,
    activity_name: str | None = None,
    element_type: str | None = None,
    task_id=None,
    role: str | None = None,
    stage: str | None = None,
    process_id: str | None = None,
    data: dict | None = None,
) -> None:
    """Append one row to the event log now, so the log keeps the order things happened in."""
    s.connection().execute(
        insert(Event.__table__),
        dict(
            dossier_id=dossier_id,
            at=at,
            activity=activity,
            activity_name=activity_name,
            element_type=element_type,
            lifecycle=lifecycle,
            actor=actor,
            task_id=task_id,
            role=role,
            stage=stage,
            process_id=process_id,
            data=data,
        ),
    )


def _run_context(dossier: Dossier, actor: str, agency_code: str, pv: ProcessVersion) -> RunContext:
    return RunContext(
        dossier_id=dossier.id, actor=actor, agency_code=agency_code, procedure_code=pv.definition.key
    )


def _model(ctx: Context, s: Session, version_id: int) -> ProcessModel:
    def load() -> tuple[str, list[SourceFile]]:
        version = s.get(ProcessVersion, version_id)
        return version.definition.key, [SourceFile(f.filename, f.content) for f in version.files]

    return ctx.specs.get(version_id, load)


def _check_data(data: Any) -> None:
    if not isinstance(data, dict):
        raise InvalidInput("Task data must be an object of field names and values.")
    bad = [k for k in data if not isinstance(k, str) or not k or k.startswith("_")]
    if bad:
        raise InvalidInput(
            "Field names must be text and may not start with '_'.",
            fields={str(k): "invalid field name" for k in bad},
        )
    try:
        json_dumps(data)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"Task data cannot be stored: {exc}") from None


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"There is no task {value}.") from None


def _agency_by_code(s: Session, code: str) -> Agency:
    agency = s.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(f"There is no agency '{code}'.")
    return agency


def _user_by_name(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"There is no user '{username}'.")
    return user


def _definition(s: Session, key: str) -> ProcessDefinition:
    definition = s.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key))
    if definition is None:
        raise NotFound(f"There is no process '{key}'.")
    return definition


def _version_for(s: Session, key: str, version: int | None) -> ProcessVersion:
    definition = _definition(s, key)
    query = select(ProcessVersion).where(ProcessVersion.definition_id == definition.id)
    query = (
        query.where(ProcessVersion.version == version)
        if version
        else query.order_by(ProcessVersion.version.desc())
    )
    pv = s.scalars(query.limit(1)).first()
    if pv is None:
        raise NotFound(f"Process '{key}' has no version {version}.")
    return pv


def _dossier(s: Session, dossier_id: int, viewer: UserView | None = None) -> Dossier:
    dossier = s.get(Dossier, dossier_id)
    if dossier is None or (viewer is not None and dossier.agency_id != viewer.agency_id):
        raise NotFound(f"There is no dossier {dossier_id}.")
    return dossier


def _open_task_for(s: Session, task_id: uuid.UUID | str, user: UserView) -> HumanTask:
    task = s.get(HumanTask, _uuid(task_id))
    if task is None:
        raise NotFound(f"There is no task {task_id}.")
    _check_open_for(s, task, user)
    return task


def _check_open_for(s: Session, task: HumanTask, user: UserView) -> None:
    """The task is open, in the officer's agency, and needs a role the officer holds."""
    if task.agency_id != user.agency_id:
        raise NotFound(f"There is no task {task.id}.")
    if task.state != "open":
        who = s.get(User, task.completed_by_id).username if task.completed_by_id else None
        by = f" by {who}" if who else ""
        raise Conflict(f"The task '{task.label}' is already {task.state}{by}.")
    if not user.has_role(task.role):
        raise PermissionDenied(
            f"The task '{task.label}' needs the role {task.role}; you have {', '.join(user.roles) or 'none'}."
        )


_Assignee = aliased(User)
_Completer = aliased(User)


def _task_query():
    return (
        select(
            HumanTask,
            Agency.code,
            ProcessDefinition.key,
            ProcessVersion.version,
            _Assignee.username,
            _Completer.username,
        )
        .join(Agency, Agency.id == HumanTask.agency_id)
        .join(ProcessVersion, ProcessVersion.id == HumanTask.process_version_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
        .outerjoin(_Assignee, _Assignee.id == HumanTask.assignee_id)
        .outerjoin(_Completer, _Completer.id == HumanTask.completed_by_id)
    )


def _reload_task(s: Session, task_id: uuid.UUID) -> TaskView:
    query = _task_query().where(HumanTask.id == task_id).execution_options(populate_existing=True)
    return _task_view(*s.execute(query).one())


def _task_view(
    t: HumanTask,
    agency_code: str,
    process_key: str,
    version: int,
    assignee: str | None,
    completed_by: str | None,
) -> TaskView:
    return TaskView(
        id=t.id,
        dossier_id=t.dossier_id,
        bpmn_id=t.bpmn_id,
        label=t.label,
        role=t.role,
        stage=t.stage,
        form=t.form,
        state=t.state,
        assignee=assignee,
        agency_code=agency_code,
        process_key=process_key,
        process_version=version,
        created_at=t.created_at,
        due_at=t.due_at,
        completed_at=t.completed_at,
        completed_by=completed_by,
        data=t.data or {},
    )


def _task_view_of(
    t: HumanTask, dossier: Dossier, assignee: str | None = None, completed_by: str | None = None
) -> TaskView:
    """A task view from objects already loaded (no query)."""
    pv = dossier.process_version
    return _task_view(t, dossier.agency.code, pv.definition.key, pv.version, assignee, completed_by)


def _agency_view(a: Agency) -> AgencyView:
    return AgencyView(a.id, a.code, a.name, a.name_en, a.level)


def _user_view(u: User) -> UserView:
    return UserView(u.id, u.username, u.full_name, u.agency_id, u.agency.code, tuple(u.roles), u.active)


def _version_view(v: ProcessVersion, deployed_by: str | None = None) -> VersionView:
    return VersionView(
        id=v.id,
        process_key=v.definition.key,
        version=v.version,
        content_hash=v.content_hash,
        name=v.name,
        deployed_at=v.deployed_at,
        deployed_by=deployed_by,
        files=tuple(f.filename for f in v.files),
        warnings=tuple(v.warnings or ()),
    )


def _dossier_view(d: Dossier) -> DossierView:
    return DossierView(
        id=d.id,
        process_key=d.process_version.definition.key,
        process_version=d.process_version.version,
        process_version_id=d.process_version_id,
        agency_code=d.agency.code,
        channel=d.channel,
        applicant_name=d.applicant_name,
        run_state=d.run_state,
        error_message=d.error_message,
        error_element=d.error_element,
        created_at=d.created_at,
        updated_at=d.updated_at,
        completed_at=d.completed_at,
    )


def _event_view(e: Event) -> EventView:
    return EventView(
        e.id, e.at, e.activity, e.activity_name, e.element_type, e.lifecycle, e.actor, e.role, e.stage, e.data
    )


def diagnostics_as_dicts(diagnostics: Iterable[Diagnostic]) -> list[dict]:
    return [d.to_dict() for d in diagnostics]


def deploy_catalog(ctx: Context, deployed_by: UserView | None = None) -> list[tuple[str, DeploymentView]]:
    """Deploy every model in processes/ (unchanged models keep their version)."""
    from ..catalog import discover

    results = []
    for model in discover(ctx.settings.processes_dir):
        results.append((f"{model.procedure}/{model.variant}", deploy(ctx, model.files, deployed_by)))
    return results
