"""``motcua dossier withdraw/stop/apologize/forms/register/pay/lifecycle`` and ``motcua verify``."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from engine.clock import VIETNAM
from engine.services import dossiers as lifecycle
from engine.services import payments, stamping

from .common import acting_user, as_user_option, context, echo_json, require_user


def _when(text: str) -> datetime:
    """``2025-11-10 16:00`` (Vietnam time) or a full ISO 8601 timestamp."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a date and time like 2025-11-10 16:00") from None
    return value if value.tzinfo else value.replace(tzinfo=VIETNAM)


def _show(view, as_json: bool) -> None:
    if as_json:
        echo_json(view.to_dict())
        return
    local = lambda m: m.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if m else "—"  # noqa: E731
    code = view.code or "(no code yet)"
    click.echo(f"dossier {view.dossier_id}  {code}  status {view.status}: {view.status_label}")
    click.echo(f"  procedure {view.procedure_name}  channel {view.channel}  rules {view.rule_set or '—'}")
    click.echo(
        f"  received {local(view.received_at)}  due {local(view.due_at)}  result {local(view.finished_at)}"
    )
    click.echo(
        f"  returned {local(view.returned_at)}  fee {view.fee_amount_vnd or 0} VND ({view.payment_status})"
    )
    if view.apology_count:
        click.echo(f"  apology: due moved from {local(view.original_due_at)} ({view.apology_reason})")
    if view.closed_reason:
        click.echo(f"  closed: {view.closed_reason}")
    for change in view.clock:
        before, after = local(change.due_before), local(change.due_after)
        click.echo(f"  clock {change.kind:<8} {local(change.at)}  due {before} -> {after}")


def register(main: click.Group) -> None:
    group = main.commands["dossier"]

    @group.command("lifecycle")
    @click.argument("dossier")
    @click.option("--json", "as_json", is_flag=True)
    def dossier_lifecycle(dossier: str, as_json: bool) -> None:
        """National status, code, dates and clock of DOSSIER (an id or a dossier code)."""
        ctx = context()
        view = (
            lifecycle.get_lifecycle(ctx, int(dossier))
            if dossier.isdigit()
            else lifecycle.find_by_code(ctx, dossier)
        )
        _show(view, as_json)

    @group.command("withdraw")
    @click.argument("dossier_id", type=int)
    @click.option("--reason", required=True, help="Why the applicant withdraws.")
    @click.option("--json", "as_json", is_flag=True)
    @as_user_option
    def dossier_withdraw(dossier_id: int, reason: str, as_json: bool, as_user: str | None) -> None:
        """The applicant withdraws the dossier (status 7); its workflow is cancelled."""
        _show(lifecycle.withdraw(context(), dossier_id, reason, acting_user(as_user)), as_json)

    @group.command("stop")
    @click.argument("dossier_id", type=int)
    @click.option("--reason", required=True, help="Why processing stops.")
    @click.option("--json", "as_json", is_flag=True)
    @as_user_option
    def dossier_stop(dossier_id: int, reason: str, as_json: bool, as_user: str | None) -> None:
        """Stop processing the dossier (status 8); needs an approver or supervisor."""
        _show(lifecycle.stop_processing(context(), dossier_id, reason, require_user(as_user)), as_json)

    @group.command("apologize")
    @click.argument("dossier_id", type=int)
    @click.option("--new-date", "new_date", required=True, help="New appointment, e.g. '2025-11-10 16:00'.")
    @click.option("--reason", required=True, help="The reason for the delay.")
    @click.option("--json", "as_json", is_flag=True)
    @as_user_option
    def dossier_apologize(
        dossier_id: int, new_date: str, reason: str, as_json: bool, as_user: str | None
    ) -> None:
        """Apologise and move the appointment date (once, at least a working day before it)."""
        view = lifecycle.apologize(context(), dossier_id, _when(new_date), reason, acting_user(as_user))
        _show(view, as_json)

    @group.command("forms")
    @click.argument("dossier_id", type=int)
    @click.option(
        "--form", "form", type=click.Choice(lifecycle.FORM_RENDERERS), default="receipt", show_default=True
    )
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.option("--officer", help="Name printed as the officer on the form.")
    def dossier_forms(dossier_id: int, form: str, out: Path, officer: str | None) -> None:
        """Write one of the dossier's legal forms as PDF."""
        out.write_bytes(lifecycle.render_form(context(), dossier_id, form, officer))
        click.echo(f"wrote {out}")

    @group.command("register")
    @click.option("--agency", "agency_code", required=True)
    @click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
    @click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    def dossier_register(agency_code: str, start: datetime, end: datetime, out: Path) -> None:
        """Write the dossier register of an agency for a period as PDF."""
        pdf = lifecycle.render_register(
            context(), agency_code, date.fromordinal(start.toordinal()), end.date()
        )
        out.write_bytes(pdf)
        click.echo(f"wrote {out}")

    @group.command("result")
    @click.argument("dossier_id", type=int)
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    def dossier_result(dossier_id: int, out: Path) -> None:
        """Write the signed result document of a dossier."""
        found = lifecycle.result_document(context(), dossier_id)
        if found is None:
            click.echo("error: no result was issued for this dossier yet", err=True)
            sys.exit(1)
        out.write_bytes(found[1])
        click.echo(f"wrote {out} (verification page /verify/{found[0]})")

    @group.command("pay")
    @click.argument("dossier_id", type=int)
    @click.option("--online", is_flag=True, help="Start an online payment and print the gateway URL.")
    @click.option("--exemption", help="An exemption the applicant qualifies for (e.g. poor_household).")
    @click.option("--return-url", default="http://localhost:5000/payments/return", show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    @as_user_option
    def dossier_pay(dossier_id, online, exemption, return_url, as_json, as_user) -> None:
        """Record the fee paid at the counter, or start an online payment."""
        ctx = context()
        if online:
            payment = payments.start_online_payment(ctx, dossier_id, return_url, exemption=exemption)
        else:
            payment = payments.pay_at_counter(ctx, dossier_id, acting_user(as_user), exemption=exemption)
        if as_json:
            echo_json(payment.to_dict())
        elif online:
            click.echo(
                f"payment {payment.reference}: {payment.amount_vnd} VND, pay at {payment.redirect_url}"
            )
        else:
            click.echo(f"payment {payment.reference}: {payment.amount_vnd} VND paid at the counter")

    @group.command("keys")
    @click.option("--agency", "agency_code", required=True)
    def dossier_keys(agency_code: str) -> None:
        """Create (if needed) the agency's signing key and certificate; print its fingerprint."""
        click.echo(stamping.ensure_agency_key(context(), agency_code))

    @main.command("verify")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--json", "as_json", is_flag=True)
    def verify(path: Path, as_json: bool) -> None:
        """Check a signed result PDF: exit 0 when valid and issued by motcua, 1 otherwise."""
        check = stamping.verify_document(context(), path.read_bytes())
        if as_json:
            echo_json(check.to_dict())
        else:
            state = "VALID" if check.valid else "INVALID"
            click.echo(f"{state}: {check.reason}")
            if check.dossier_code:
                click.echo(f"  dossier {check.dossier_code}, signed by {check.signer}")
        sys.exit(0 if check.valid else 1)
