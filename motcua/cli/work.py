"""``motcua dossier`` and ``motcua task``: enough to drive a dossier end to end from a shell."""

from __future__ import annotations

import click

from engine import services

from .common import acting_user, as_user_option, context, echo_json, parse_data, require_user, table


@click.group()
def dossier() -> None:
    """Dossiers (hồ sơ)."""


@dossier.command("submit")
@click.argument("process_key")
@click.option("--agency", "agency_code", required=True, help="Receiving agency code.")
@click.option("--data", "raw", help="Initial data as a JSON object.")
@click.option(
    "--data-file", type=click.Path(exists=True, dir_okay=False), help="Initial data from a JSON file."
)
@click.option("--channel", default="counter", type=click.Choice(services.CHANNELS), show_default=True)
@click.option("--version", type=int, help="A specific process version (default: the latest).")
@click.option("--json", "as_json", is_flag=True)
@as_user_option
def dossier_submit(process_key, agency_code, raw, data_file, channel, version, as_json, as_user) -> None:
    """Submit a new dossier to PROCESS_KEY."""
    d = services.submit_dossier(
        context(),
        process_key,
        agency_code,
        parse_data(raw, data_file),
        acting_user(as_user),
        channel=channel,
        version=version,
    )
    if as_json:
        echo_json(d.to_dict())
    else:
        click.echo(f"dossier {d.id} submitted: {d.process_key} v{d.process_version}, {d.run_state}")


@dossier.command("show")
@click.argument("dossier_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def dossier_show(dossier_id: int, as_json: bool) -> None:
    detail = services.get_dossier(context(), dossier_id)
    if as_json:
        echo_json(detail.to_dict())
        return
    d = detail.dossier
    click.echo(f"dossier {d.id}  {d.process_key} v{d.process_version}  agency {d.agency_code}  {d.run_state}")
    if d.error_message:
        click.echo(f"error at {d.error_element}: {d.error_message}")
    click.echo("\ntasks:")
    table(
        [[t.id, t.label, t.stage, t.role, t.state, t.assignee or t.completed_by] for t in detail.tasks],
        ["id", "task", "stage", "role", "state", "officer"],
    )
    click.echo("\nevents:")
    table(
        [
            [e.at.isoformat(timespec="seconds"), e.activity_name or e.activity, e.lifecycle, e.actor]
            for e in detail.events
        ],
        ["at", "activity", "lifecycle", "actor"],
    )


@dossier.command("list")
@click.option("--state", "run_state")
def dossier_list(run_state: str | None) -> None:
    rows = [
        [
            d.id,
            d.process_key,
            d.process_version,
            d.agency_code,
            d.run_state,
            d.created_at.isoformat(timespec="seconds"),
        ]
        for d in services.list_dossiers(context(), run_state=run_state)
    ]
    table(rows, ["id", "process", "version", "agency", "state", "submitted"])


@dossier.command("retry")
@click.argument("dossier_id", type=int)
@as_user_option
def dossier_retry(dossier_id: int, as_user: str | None) -> None:
    """Run the failed step of a dossier in error again."""
    d = services.retry_dossier(context(), dossier_id, acting_user(as_user))
    click.echo(f"dossier {d.id}: {d.run_state}" + (f" ({d.error_message})" if d.error_message else ""))


@click.group()
def task() -> None:
    """Human tasks in an officer's inbox."""


@task.command("list")
@as_user_option
@click.option(
    "--scope", default="available", type=click.Choice(["available", "mine", "done"]), show_default=True
)
@click.option("--stage")
@click.option("--json", "as_json", is_flag=True)
def task_list(as_user: str | None, scope: str, stage: str | None, as_json: bool) -> None:
    tasks = services.list_tasks(context(), require_user(as_user), scope=scope, stage=stage)
    if as_json:
        echo_json([t.to_dict() for t in tasks])
        return
    table(
        [[t.id, t.dossier_id, t.label, t.stage, t.role, t.assignee, t.due_at] for t in tasks],
        ["id", "dossier", "task", "stage", "role", "claimed by", "due"],
    )


@task.command("claim")
@click.argument("task_id")
@as_user_option
def task_claim(task_id: str, as_user: str | None) -> None:
    t = services.claim_task(context(), task_id, require_user(as_user))
    click.echo(f"claimed '{t.label}' of dossier {t.dossier_id}")


@task.command("release")
@click.argument("task_id")
@as_user_option
def task_release(task_id: str, as_user: str | None) -> None:
    t = services.release_task(context(), task_id, require_user(as_user))
    click.echo(f"released '{t.label}' of dossier {t.dossier_id}")


@task.command("complete")
@click.argument("task_id")
@click.option("--data", "raw", help="Form data as a JSON object.")
@click.option("--data-file", type=click.Path(exists=True, dir_okay=False))
@as_user_option
def task_complete(task_id: str, raw: str | None, data_file: str | None, as_user: str | None) -> None:
    result = services.complete_task(context(), task_id, require_user(as_user), parse_data(raw, data_file))
    d = result.dossier
    click.echo(
        f"completed '{result.task.label}'; dossier {d.id} is {d.run_state}"
        + (f": {d.error_message}" if d.error_message else "")
    )
    for t in result.next_tasks:
        click.echo(f"next for you: {t.id} {t.label}")


def register(main: click.Group) -> None:
    main.add_command(dossier)
    main.add_command(task)
