"""Helpers shared by the command modules."""

from __future__ import annotations

import json
from functools import cache

import click

from engine import services
from engine.context import Context
from engine.views import UserView
from motcua.bootstrap import bootstrap


@cache
def context() -> Context:
    return bootstrap()


def acting_user(username: str | None) -> UserView | None:
    return services.get_user(context(), username) if username else None


def require_user(username: str | None) -> UserView:
    if not username:
        raise click.UsageError("say who is acting with --as USERNAME")
    return services.get_user(context(), username)


def parse_data(raw: str | None, path: str | None) -> dict:
    text = raw
    if path:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    if not text:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise click.BadParameter("the data must be a JSON object")
    return data


def echo_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def as_user_option(f):
    return click.option("--as", "as_user", metavar="USERNAME", help="The officer acting.")(f)


def table(rows: list[list], headers: list[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
