"""``motcua registry``: seed the population registry, agency keys, the look-up audit, savings."""

from __future__ import annotations

import csv
import sys
from datetime import datetime

import click

from engine.services import population

from .common import as_user_option, context, echo_json, require_user, table


@click.group()
def registry() -> None:
    """The population registry (CSDL quốc gia về dân cư) and its look-ups."""


@registry.command("seed")
@click.option("--citizens", type=int, required=True, help="How many citizens to generate.")
@click.option(
    "--seed", "seed", type=int, default=1, show_default=True, help="Random seed (same seed, same people)."
)
def seed(citizens: int, seed: int) -> None:
    """Replace the registry with a consistent synthetic population (Vietnamese names and addresses)."""
    report = population.seed_population(context(), citizens, seed)
    click.echo(
        f"seeded {report.citizens:,} citizens in {report.households:,} households "
        f"({report.married_couples:,} married couples, {report.deceased:,} deceased) "
        f"in {report.seconds:.1f} s "
        f"(generate {report.generate_seconds:.1f} s, insert {report.insert_seconds:.1f} s; "
        f"CPU {report.cpu_seconds:.1f} s)"
    )


@registry.group("key")
def key() -> None:
    """Agency API keys for the registry's HTTP API."""


@key.command("create")
@click.argument("agency")
def key_create(agency: str) -> None:
    """Create a key for AGENCY; the key is printed once."""
    secret, view = population.create_api_key(context(), agency)
    click.echo(secret)
    click.echo(f"key {view.prefix}… for {view.agency_code}; store it now, it is not shown again", err=True)


@key.command("revoke")
@click.argument("prefix")
def key_revoke(prefix: str) -> None:
    """Revoke the key whose first characters are PREFIX (as `key list` shows)."""
    view = population.revoke_api_key(context(), prefix)
    click.echo(f"revoked {view.prefix}… of {view.agency_code}")


@key.command("list")
def key_list() -> None:
    rows = [
        [k.prefix, k.agency_code, k.created_at, k.revoked_at or ""]
        for k in population.list_api_keys(context())
    ]
    table(rows, ["prefix", "agency", "created", "revoked"])


_AUDIT_FIELDS = [
    "at", "request_id", "officer", "agency_code", "dossier_id", "procedure_code", "purpose", "document",
    "subject", "channel", "outcome", "reason",
]  # fmt: skip


@registry.command("audit")
@click.option("--dossier", "dossier_id", type=int, help="Only look-ups for this dossier.")
@click.option("--agency", help="Only look-ups by this agency.")
@click.option("--subject", help="Only look-ups of this personal ID number.")
@click.option("--outcome", help="match, mismatch, not_found, deceased, unavailable or refused.")
@click.option("--since", type=click.DateTime(), help="Only look-ups at or after this time (UTC).")
@click.option("--limit", type=int, default=1000, show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="Export as CSV on standard output.")
@click.option("--json", "as_json", is_flag=True)
def audit(dossier_id, agency, subject, outcome, since: datetime | None, limit, as_csv, as_json) -> None:
    """Who looked up whom, for which dossier and purpose, and what came back (ID numbers masked)."""
    if since is not None and since.tzinfo is None:
        from datetime import UTC

        since = since.replace(tzinfo=UTC)
    rows = population.list_lookups(context(), dossier_id, agency, subject, outcome, since, limit)
    if as_json:
        echo_json([r.to_dict() for r in rows])
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=_AUDIT_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow(r.to_dict())
    else:
        table(
            [
                [
                    r.at.strftime("%Y-%m-%d %H:%M:%S"),
                    r.request_id[:12],
                    r.officer,
                    r.agency_code,
                    r.dossier_id,
                    r.procedure_code,
                    r.purpose,
                    r.subject,
                    r.channel,
                    r.outcome,
                ]
                for r in rows
            ],  # fmt: skip
            [
                "at",
                "request",
                "officer",
                "agency",
                "dossier",
                "procedure",
                "purpose",
                "subject",
                "via",
                "outcome",
            ],
        )


@registry.command("savings")
@click.option("--per", type=click.Choice(["procedure", "dossier"]), default="procedure", show_default=True)
@click.option("--procedure", help="Only this procedure code.")
@click.option("--json", "as_json", is_flag=True)
def savings(per: str, procedure: str | None, as_json: bool) -> None:
    """Documents the registry replaced and trips the applicants did not make."""
    rows = population.savings(context(), per, procedure)
    if as_json:
        echo_json([r.to_dict() for r in rows])
        return
    if per == "dossier":
        table(
            [[r.dossier_id, r.procedure_code, r.documents_replaced, r.trips_saved] for r in rows],
            ["dossier", "procedure", "documents replaced", "trips saved"],
        )
    else:
        table(
            [[r.procedure_code, r.dossiers, r.documents_replaced, r.trips_saved] for r in rows],
            ["procedure", "dossiers", "documents replaced", "trips saved"],
        )


@registry.command("evidence")
@click.argument("dossier_id", type=int)
def evidence(dossier_id: int) -> None:
    """Documents of a dossier retrieved from the registry instead of paper."""
    rows = population.dossier_evidence(context(), dossier_id)
    table(
        [[e.document_code, e.source, e.request_id, e.retrieved_at, e.officer] for e in rows],
        ["document", "source", "request", "retrieved", "officer"],
    )


@registry.command("lookup")
@click.argument("dossier_id", type=int)
@click.argument(
    "operation", type=click.Choice(["lookup", "marital_status", "household", "parents", "residence"])
)
@click.option("--id-number", required=True, help="The 12-digit personal ID number.")
@click.option("--name", "full_name", required=True, help="Full name as the applicant declared it.")
@click.option("--dob", "date_of_birth", required=True, help="Date of birth, YYYY-MM-DD.")
@click.option("--document", help="The manifest's document code this look-up replaces.")
@as_user_option
def lookup(dossier_id, operation, id_number, full_name, date_of_birth, document, as_user) -> None:
    """Look a person up for a dossier in progress, as an officer of the agency handling it."""
    officer = require_user(as_user)
    identity = {"id_number": id_number, "full_name": full_name, "date_of_birth": date_of_birth}
    echo_json(population.lookup_for_dossier(context(), dossier_id, operation, identity, officer, document))


def register(main: click.Group) -> None:
    main.add_command(registry)
