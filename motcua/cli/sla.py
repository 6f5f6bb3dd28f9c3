"""``motcua worker``, ``motcua calendar ...``, ``motcua report ontime`` and ``motcua escalations``."""

from __future__ import annotations

from datetime import date

import click

from engine.services import sla as sla_services

from .common import acting_user, as_user_option, context, echo_json, require_user, table

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def _day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.command()
@click.option("--burst", is_flag=True, help="Fire what is queued now, then stop.")
@click.option("--sweep-interval", type=float, default=None, help="Seconds between sweeps [5].")
@click.option(
    "--claim-seconds", type=int, default=None, help="How long a queued job blocks requeueing [300]."
)
@click.option("--job-size", type=click.IntRange(min=1), default=None, help="Dossiers fired per rq job [20].")
@click.option("--name", default=None, help="The rq worker name.")
def worker(
    burst: bool,
    sweep_interval: float | None,
    claim_seconds: int | None,
    job_size: int | None,
    name: str | None,
) -> None:
    """Run an rq worker (with its scheduler) and the timer sweep; needs REDIS_URL."""
    from motcua.bootstrap import bootstrap
    from workers.clock import clock_from_env
    from workers.timers import (
        DEFAULT_CLAIM_SECONDS,
        DEFAULT_JOB_SIZE,
        DEFAULT_PREFIX,
        DEFAULT_SWEEP_SECONDS,
        run_worker,
    )

    ctx = bootstrap(clock=clock_from_env())
    extra = ctx.settings.extra
    if not ctx.settings.redis_url:
        raise click.UsageError("set REDIS_URL (without it `motcua serve` fires timers in-process)")
    job_size = job_size or _job_size(extra.get("MOTCUA_TIMER_JOB_SIZE"), DEFAULT_JOB_SIZE)
    click.echo(f"motcua worker on {ctx.settings.redis_url}", err=True)
    run_worker(
        ctx,
        ctx.settings.redis_url,
        prefix=extra.get("MOTCUA_REDIS_PREFIX", DEFAULT_PREFIX),
        sweep_interval=sweep_interval or float(extra.get("MOTCUA_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS)),
        claim_seconds=claim_seconds or int(extra.get("MOTCUA_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS)),
        job_size=job_size,
        burst=burst,
        name=name,
        log_level=extra.get("MOTCUA_WORKER_LOG_LEVEL", "WARNING"),
    )


def _job_size(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise click.UsageError(f"MOTCUA_TIMER_JOB_SIZE must be a whole number of at least 1, not {value!r}")
    return int(value)


@click.group()
def calendar() -> None:
    """The working calendar: holidays, swapped days, the year's days off."""


@calendar.group()
def swap() -> None:
    """The government's yearly swapped days (an editable table)."""


@swap.command("add")
@click.argument("day", callback=_day)
@click.option(
    "--kind", type=click.Choice(["off", "working"]), required=True, help="Make it a day off or a working day."
)
@click.option("--note", default="", help="Why (e.g. 'Nghỉ bù Tết, QĐ 1234/QĐ-TTg').")
@as_user_option
def swap_add(day: date, kind: str, note: str, as_user: str | None) -> None:
    view = sla_services.add_override(context(), day, kind, note, acting_user(as_user))
    click.echo(f"{view.day.isoformat()} {WEEKDAYS_VI[view.day.weekday()]}: {view.kind} {view.note}".rstrip())


@swap.command("list")
@click.option("--year", type=int, default=None)
def swap_list(year: int | None) -> None:
    rows = sla_services.list_overrides(context(), year)
    table(
        [[r.day.isoformat(), WEEKDAYS_VI[r.day.weekday()], r.kind, r.note] for r in rows],
        ["day", "weekday", "kind", "note"],
    )


@swap.command("remove")
@click.argument("day", callback=_day)
@as_user_option
def swap_remove(day: date, as_user: str | None) -> None:
    sla_services.remove_override(context(), day, acting_user(as_user))
    click.echo(f"removed {day.isoformat()}")


@calendar.command("show")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True)
def calendar_show(year: int, as_json: bool) -> None:
    """The weekdays off and the weekend days worked in YEAR."""
    rows = sla_services.calendar_year(context(), year)
    if as_json:
        echo_json([r.to_dict() for r in rows])
        return
    table(
        [
            [r.day.isoformat(), WEEKDAYS_VI[r.day.weekday()], "làm việc" if r.working else "nghỉ", r.note]
            for r in rows
        ],
        ["day", "weekday", "", "reason"],
    )


@click.group()
def report() -> None:
    """Reports."""


@report.command("ontime")
@click.option("--from", "start", required=True, callback=_day, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, callback=_day, help="Last day, YYYY-MM-DD.")
@click.option("--agency", default=None, help="Only this agency code.")
@click.option("--procedure", default=None, help="Only this procedure code.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV in the national report layout.")
def report_ontime(start: date, end: date, agency: str | None, procedure: str | None, as_csv: bool) -> None:
    """On-time statistics per procedure and agency (received, completed early/on time/late,
    in progress within/past due, returned or withdrawn)."""
    rows = sla_services.ontime_report(context(), start, end, agency, procedure)
    if as_csv:
        click.echo(sla_services.report_csv(rows), nl=False)
        return
    out = []
    for r in rows:
        share = r.on_time_share
        out.append(
            [
                r.procedure_code, r.agency_code, r.received_total,
                f"{r.received_online}/{r.received_counter}/{r.received_post}", r.carried_over,
                r.completed_total, r.completed_early, r.completed_on_time, r.completed_late,
                r.in_progress_within, r.in_progress_past_due, r.returned_or_withdrawn,
                "-" if share is None else f"{share * 100:.1f}%",
            ]
        )  # fmt: skip
    table(
        out,
        ["procedure", "agency", "new", "onl/ctr/post", "carried", "done", "early", "on time", "late",
         "within", "past due", "ret/wd", "on-time"],
    )  # fmt: skip


@click.command()
@as_user_option
@click.option("--all", "include_all", is_flag=True, help="Also acknowledged ones.")
def escalations(as_user: str | None, include_all: bool) -> None:
    """A supervisor's escalations: overdue steps and dossiers, apology alerts."""
    user = require_user(as_user)
    rows = sla_services.list_escalations(context(), user, include_all)
    table(
        [[a.id, a.kind, a.dossier_code or a.dossier_id, a.label or "", a.due_at, a.created_at] for a in rows],
        ["id", "kind", "dossier", "step", "due", "raised"],
    )


def register(main: click.Group) -> None:
    main.add_command(worker)
    main.add_command(calendar)
    main.add_command(report)
    main.add_command(escalations)
