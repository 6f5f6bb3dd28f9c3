"""``motcua validate``, ``motcua deploy`` and ``motcua process``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine import services
from engine.bpmn.validation import SourceFile
from engine.bpmn.validation import validate as validate_files
from engine.config import Settings
from motcua.bootstrap import rule_context

from .common import acting_user, as_user_option, context, echo_json, table


def _read(paths: tuple[str, ...]) -> list[SourceFile]:
    return [SourceFile(Path(p).name, Path(p).read_bytes()) for p in paths]


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--process", "process_id", help="The process to check when a file holds several.")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON.")
def validate(files: tuple[str, ...], process_id: str | None, as_json: bool) -> None:
    """Check BPMN/DMN files; exit 0 when they can be deployed, 1 when not."""
    settings = Settings.from_env()
    result = validate_files(
        _read(files),
        process_id=process_id,
        context=rule_context(settings),
        max_bytes=settings.max_upload_bytes,
    )
    if as_json:
        echo_json(
            {
                "valid": result.ok,
                "process_id": result.process.process_id if result.process else None,
                "diagnostics": [d.to_dict() for d in result.diagnostics],
            }
        )
    else:
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic))
        if result.ok:
            click.echo(
                f"valid: process {result.process.process_id} "
                f"({len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''})"
            )
        else:
            click.echo(f"invalid: {len(result.errors)} error(s)")
    sys.exit(0 if result.ok else 1)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--process", "process_id", help="The process to deploy when the files hold several.")
@as_user_option
def deploy(files: tuple[str, ...], process_id: str | None, as_user: str | None) -> None:
    """Deploy BPMN (with DMN) files as a new version of their process."""
    ctx = context()
    result = services.deploy(ctx, _read(files), acting_user(as_user), process_id)
    for diagnostic in result.diagnostics:
        click.echo(str(diagnostic))
    v = result.version
    if result.created:
        click.echo(f"deployed {v.process_key} version {v.version} (id {v.id}, {v.content_hash[:12]})")
    else:
        click.echo(f"unchanged: {v.process_key} version {v.version} has the same content; no new version")


@click.group()
def process() -> None:
    """Deployed processes and their versions."""


@process.command("list")
def process_list() -> None:
    rows = [[p.key, p.name, p.latest_version, p.versions] for p in services.list_processes(context())]
    table(rows, ["process", "name", "latest", "versions"])


@process.command("versions")
@click.argument("key")
def process_versions(key: str) -> None:
    rows = [
        [
            v.version,
            v.id,
            v.content_hash[:12],
            v.deployed_at.isoformat(timespec="seconds"),
            ", ".join(v.files),
        ]
        for v in services.list_versions(context(), key)
    ]
    table(rows, ["version", "id", "hash", "deployed at", "files"])


def register(main: click.Group) -> None:
    main.add_command(validate)
    main.add_command(deploy)
    main.add_command(process)
