"""``motcua token``: bearer tokens for integrations that call the REST API as an officer."""

from __future__ import annotations

import click

from engine.services import tokens

from .common import context, table


@click.group()
def token() -> None:
    """API tokens (mã truy cập API). A token acts as its officer: roles and agency apply."""


@token.command("create")
@click.argument("username")
@click.option("--name", default=None, help="What the token is for, e.g. the integration's name.")
def token_create(username: str, name: str | None) -> None:
    """Create a token for USERNAME and print its secret (shown only this once)."""
    new = tokens.create_token(context(), username, name)
    click.echo(f"created token {new.token.id} '{new.token.name}' for {new.token.username}")
    click.echo("secret (shown only now; store it safely):", err=True)
    click.echo(new.secret)


@token.command("list")
@click.option("--user", "username", default=None, help="Only this officer's tokens.")
def token_list(username: str | None) -> None:
    rows = [
        [
            t.id,
            t.username,
            t.name,
            t.prefix + "…",
            t.created_at.isoformat(timespec="seconds"),
            t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "-",
            "revoked" if t.revoked_at else "active",
        ]
        for t in tokens.list_tokens(context(), username)
    ]
    table(rows, ["id", "user", "name", "starts with", "created", "last used", "state"])


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token: requests with it are refused from now on."""
    t = tokens.revoke_token(context(), token_id)
    click.echo(f"revoked token {t.id} '{t.name}' of {t.username}")


def register(main: click.Group) -> None:
    main.add_command(token)
