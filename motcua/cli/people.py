"""``motcua agency`` and ``motcua user``."""

from __future__ import annotations

import click

from engine import services
from engine.roles import Role

from .common import context, table


@click.group()
def agency() -> None:
    """Receiving agencies (one-stop centres)."""


@agency.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--name-en")
@click.option("--level", default="commune", type=click.Choice(["commune", "province"]), show_default=True)
def agency_create(code: str, name: str, name_en: str | None, level: str) -> None:
    a = services.create_agency(context(), code, name, name_en, level)
    click.echo(f"created agency {a.code}: {a.name}")


@agency.command("list")
def agency_list() -> None:
    table([[a.code, a.name, a.level] for a in services.list_agencies(context())], ["code", "name", "level"])


@click.group()
def user() -> None:
    """Officers and their roles."""


@user.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--agency", "agency_code", required=True, help="Agency code.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Login password (asked for when not given).",
)
def user_create(
    username: str, full_name: str, agency_code: str, roles: tuple[str, ...], password: str
) -> None:
    u = services.create_user(context(), username, full_name, agency_code, roles, password)
    click.echo(f"created {u.username} ({', '.join(u.roles)}) at {u.agency_code}")


@user.command("list")
@click.option("--agency", "agency_code")
def user_list(agency_code: str | None) -> None:
    rows = [
        [u.username, u.full_name, u.agency_code, ", ".join(u.roles)]
        for u in services.list_users(context(), agency_code)
    ]
    table(rows, ["username", "name", "agency", "roles"])


def register(main: click.Group) -> None:
    main.add_command(agency)
    main.add_command(user)
