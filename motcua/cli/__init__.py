"""The ``motcua`` command line. Each command group lives in its own module."""

from __future__ import annotations

import sys

import click

from engine.errors import DeploymentRejected, MotcuaError

from . import catalog, conformance, dossiers, models, people, registry, setup, simulation, sla, tokens, work


class MotcuaGroup(click.Group):
    """Turns expected errors into a clear message and exit code 1 instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DeploymentRejected as exc:
            click.echo(f"error: {exc.message}", err=True)
            for diagnostic in exc.diagnostics:
                click.echo(f"  {diagnostic}", err=True)
            sys.exit(1)
        except MotcuaError as exc:
            click.echo(f"error: {exc.message}", err=True)
            for field, problem in (exc.details.get("fields") or {}).items():
                click.echo(f"  {field}: {problem}", err=True)
            sys.exit(1)


@click.group(cls=MotcuaGroup)
@click.version_option(package_name="motcua")
def main() -> None:
    """motcua: run, measure and reform one-stop administrative procedures on BPMN."""


COMMAND_GROUPS = (
    setup,
    models,
    people,
    work,
    dossiers,
    catalog,
    sla,
    registry,
    simulation,
    tokens,
    conformance,
)
for module in COMMAND_GROUPS:
    module.register(main)
