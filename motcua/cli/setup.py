"""``motcua init`` and ``motcua serve``."""

from __future__ import annotations

import sys

import click

from engine import services
from engine.catalog import discover
from engine.errors import DeploymentRejected

from .common import context


@click.command()
@click.option("--demo", is_flag=True, help="Also create a demo centre with one officer per role.")
def init(demo: bool) -> None:
    """Create or migrate the database and deploy the procedure catalog in processes/."""
    from engine.store.migrate import current_revisions, upgrade

    ctx = context()
    upgrade(ctx.db.engine)
    click.echo(
        f"database: {ctx.db.engine.url.render_as_string(hide_password=True)} "
        f"(schema {', '.join(sorted(current_revisions(ctx.db.engine)))})"
    )
    if demo:
        from motcua.demo import seed_demo

        for line in seed_demo(ctx):
            click.echo(line)
    rejected = 0
    for model in discover(ctx.settings.processes_dir):
        name = f"{model.procedure}/{model.variant}"
        try:
            deployment = services.deploy(ctx, model.files)
        except DeploymentRejected as exc:
            # One model that cannot be deployed (an operator not installed here) must not keep the
            # rest of the catalog out: deploy the others, name this one and fail at the end.
            rejected += 1
            click.echo(f"{'rejected':10} {name:40} {exc.message}", err=True)
            for diagnostic in exc.diagnostics:
                click.echo(f"  {diagnostic}", err=True)
            continue
        v = deployment.version
        state = "deployed" if deployment.created else "unchanged"
        click.echo(f"{state:10} {name:40} {v.process_key} v{v.version}")
    if rejected:
        click.echo(f"error: {rejected} model(s) of the catalog were not deployed.", err=True)
        sys.exit(1)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web application (the built-in server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from webui import create_app
    from workers.timers import start_embedded_sweeper

    app = create_app(context())
    if start_embedded_sweeper(context()) is not None:
        click.echo("timers: fired in this process (no REDIS_URL)")
    click.echo(f"motcua on http://{host}:{port}/")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def register(main: click.Group) -> None:
    main.add_command(init)
    main.add_command(serve)
