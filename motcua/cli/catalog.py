"""``motcua catalog list|show|check``: the procedures in processes/ (no database needed)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date

import click

from engine.bpmn.validation import validate as validate_files
from engine.catalog import CatalogError, Procedure, discover, get_procedure, load_catalog
from engine.config import Settings
from engine.forms import JsonSchemaForms
from motcua.bootstrap import rule_context

from .common import echo_json, table


def _limit_text(p: Procedure) -> str:
    units = {"working_days": "ngày làm việc", "calendar_days": "ngày", "hours": "giờ làm việc"}
    text = f"{p.limit.amount:g} {units[p.limit.unit]}"
    if p.online_limit:
        text += f" (trực tuyến {p.online_limit.amount:g})"
    if p.same_day_cutoff:
        text += ", quy tắc 15:00"
    return text


def _as_dict(p: Procedure) -> dict:
    data = asdict(p)
    data["folder"] = str(p.folder)
    data["process_ids"] = [p.process_id(v) for v in p.variants]
    return data


def _fail(exc: CatalogError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@click.group()
def catalog() -> None:
    """The procedure catalog (thủ tục hành chính) in processes/."""


@catalog.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the procedures as JSON.")
def list_procedures(as_json: bool) -> None:
    """Every procedure: code, name, competent level, statutory limit and models."""
    settings = Settings.from_env()
    try:
        procedures = load_catalog(settings.processes_dir)
    except CatalogError as exc:
        _fail(exc)
    if as_json:
        echo_json([_as_dict(p) for p in procedures])
        return
    table(
        [[p.code, p.name_vi, p.level, _limit_text(p), ", ".join(p.variants)] for p in procedures],
        ["code", "name", "level", "limit", "models"],
    )


@catalog.command()
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print the procedure as JSON.")
def show(code: str, as_json: bool) -> None:
    """One procedure with its fees, documents (and the registry look-ups that replace them) and legal
    basis (marking what is in force today)."""
    settings = Settings.from_env()
    try:
        p = get_procedure(settings.processes_dir, code)
    except CatalogError as exc:
        _fail(exc)
    if as_json:
        echo_json(_as_dict(p))
        return
    click.echo(f"{p.code}: {p.name_vi} ({p.name_en})")
    click.echo(f"  level: {p.level}   limit: {_limit_text(p)}   supplements: clock {p.supplement_policy}s")
    click.echo(f"  models: {', '.join(p.process_id(v) for v in p.variants) or '(none)'}")
    click.echo("fees:")
    for fee in p.fees:
        exempt = f" — miễn: {'; '.join(fee.exemptions)}" if fee.exemptions else ""
        click.echo(f"  {fee.name_vi}: {fee.amount_vnd:,} VND{exempt}")
    click.echo("documents:")
    for doc in p.documents:
        lookup = f"  [tra cứu: {doc.registry_lookup}]" if doc.registry_lookup else ""
        click.echo(f"  {doc.code:10} {doc.name_vi}{lookup}")
    click.echo("legal basis:")
    today = date.today()
    for basis in p.legal_basis:
        until = f" to {basis.effective_to}" if basis.effective_to else ""
        state = "in force" if basis.in_force_on(today) else "not in force"
        click.echo(f"  {basis.title} (from {basis.effective_from}{until}; {state})")
    for note in p.notes:
        click.echo(f"note: {note}")


@catalog.command()
def check() -> None:
    """Check manifests, models and forms together; exit 1 when anything is wrong."""
    settings = Settings.from_env()
    rules = rule_context(settings)
    problems: list[str] = []
    try:
        procedures = {p.code: p for p in load_catalog(settings.processes_dir, rules.known_operators)}
    except CatalogError as exc:
        problems.extend(exc.problems)
        procedures = {}
    forms = JsonSchemaForms(settings.forms_dir)
    for model in discover(settings.processes_dir):
        where = f"{model.procedure}/{model.variant}"
        if (
            model.variant == "as-is"
            and not (settings.processes_dir / model.procedure / "manifest.toml").is_file()
        ):
            problems.append(f"{model.procedure}: the folder has no manifest.toml")
        result = validate_files(list(model.files), context=rules, max_bytes=settings.max_upload_bytes)
        problems.extend(f"{where}: {d}" for d in result.errors)
        if result.process is None:
            continue
        expected = f"{model.procedure}_{model.variant.replace('-', '_')}"
        if result.process.process_id != expected:
            problems.append(f"{where}: the process id is {result.process.process_id}, expected {expected}")
        for task in result.process.human_tasks.values():
            if not task.form:
                problems.append(f"{where}: the task {task.bpmn_id} names no form")
            elif forms.schema(task.form) is None:
                problems.append(
                    f"{where}: the task {task.bpmn_id} names the form {task.form}, which is missing"
                )
    if problems:
        click.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    click.echo(f"catalog ok: {len(procedures)} procedures")


def register(main: click.Group) -> None:
    main.add_command(catalog)
