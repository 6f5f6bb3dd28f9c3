"""Use cases of fees and payments: quote, pay at the counter, pay online, gateway notifications.

Payment status (none / unpaid / paid / exempt) is kept apart from the national business status: a
paid fee does not move the dossier by itself; the process's ``fee_paid`` step does.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import dossiers as domain
from ..context import Context
from ..errors import Conflict, InvalidInput, NotFound
from ..payments import PaymentGateway, SandboxGateway
from ..store.lifecycle_tables import DossierLifecycle, Payment, PaymentNotification
from ..store.models import Dossier
from ..views import UserView, View
from . import SYSTEM_ACTOR, _append_event, _dossier, unit_of_work
from .dossiers import _ensure_lifecycle, terms_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeeQuote(View):
    dossier_id: int
    amount_vnd: int
    exemption: str | None
    payment_status: str
    items: tuple[dict, ...]


@dataclass(frozen=True)
class PaymentView(View):
    reference: str
    dossier_id: int
    method: str
    gateway: str | None
    amount_vnd: int
    status: str
    created_at: datetime
    paid_at: datetime | None
    redirect_url: str | None = None


@dataclass(frozen=True)
class NotificationOutcome(View):
    """The answer to a gateway notification (VNPay's RspCode/Message) and whether it was accepted."""

    accepted: bool
    code: str
    message: str
    reference: str | None
    payment_status: str | None = None

    def gateway_reply(self) -> dict[str, str]:
        return {"RspCode": self.code, "Message": self.message}


def payment_gateway(ctx: Context) -> PaymentGateway:
    """The configured gateway adapter (``MOTCUA_PAYMENT_GATEWAY``; only ``sandbox`` ships)."""
    extra = ctx.settings.extra
    name = extra.get("MOTCUA_PAYMENT_GATEWAY", "sandbox")
    if name != "sandbox":
        raise InvalidInput(f"Unknown payment gateway '{name}'; this installation offers: sandbox.")
    secret = (
        extra.get("MOTCUA_PAYMENT_SECRET")
        or hmac.new(ctx.settings.secret_key.encode(), b"motcua-payment-sandbox", hashlib.sha256).hexdigest()
    )
    return SandboxGateway(secret, extra.get("MOTCUA_PAYMENT_MERCHANT", "MOTCUA01"))


def quote_fee(ctx: Context, dossier_id: int, exemption: str | None = None) -> FeeQuote:
    with ctx.db.read() as s:
        dossier = _dossier(s, dossier_id)
        terms = terms_for(ctx, s, dossier)
        lc = s.get(DossierLifecycle, dossier.id)
        amount = lc.fee_amount_vnd if lc and lc.fee_amount_vnd is not None and not exemption else None
        if amount is None:
            amount = domain.fee_due(terms, exemption)
        items = tuple(
            {
                "name_vi": f.name_vi,
                "amount_vnd": 0 if exemption and exemption in f.exemptions else f.amount_vnd,
            }
            for f in terms.fees
        )
        return FeeQuote(dossier.id, amount, exemption, lc.payment_status if lc else "none", items)


def _amount_due(ctx: Context, s, dossier: Dossier, lc: DossierLifecycle, exemption: str | None) -> int:
    if exemption:
        return domain.fee_due(terms_for(ctx, s, dossier), exemption)
    if lc.fee_amount_vnd is not None:
        return lc.fee_amount_vnd
    return domain.fee_due(terms_for(ctx, s, dossier))


def _refuse_if_paid(lc: DossierLifecycle, dossier: Dossier) -> None:
    if lc.payment_status == "paid":
        raise Conflict(
            f"Hồ sơ {dossier.code or dossier.id} đã nộp phí; không thu lần thứ hai. / "
            "The fee of this dossier is already paid; it is never charged twice."
        )


def pay_at_counter(
    ctx: Context, dossier_id: int, officer: UserView | None, exemption: str | None = None
) -> PaymentView:
    """The fee is paid in cash or by card at the counter (or the dossier is exempt)."""
    with unit_of_work(ctx) as s:
        dossier = _dossier(s, dossier_id, officer)
        lc = _ensure_lifecycle(ctx, s, dossier)
        _refuse_if_paid(lc, dossier)
        amount = _amount_due(ctx, s, dossier, lc, exemption)
        now = ctx.now()
        payment = Payment(
            dossier_id=dossier.id,
            reference=_reference(dossier),
            method="counter",
            gateway=None,
            amount_vnd=amount,
            status="paid",
            settled_for=dossier.id,
            created_at=now,
            paid_at=now,
            created_by=officer.username if officer else SYSTEM_ACTOR,
        )
        s.add(payment)
        lc.fee_amount_vnd = amount
        lc.payment_status = "paid" if amount else "exempt"
        _append_event(
            s,
            dossier.id,
            now,
            activity="payment",
            lifecycle="paid",
            actor=payment.created_by,
            data={"method": "counter", "amount_vnd": amount, "exemption": exemption},
        )
        try:
            s.flush()
        except IntegrityError:
            raise Conflict("Hồ sơ đã nộp phí / The fee is already paid.") from None
        return _payment_view(payment)


def start_online_payment(
    ctx: Context, dossier_id: int, return_url: str, ip: str = "127.0.0.1", exemption: str | None = None
) -> PaymentView:
    """Create a pending payment and the signed redirect to the gateway."""
    gateway = payment_gateway(ctx)
    with unit_of_work(ctx) as s:
        dossier = _dossier(s, dossier_id)
        lc = _ensure_lifecycle(ctx, s, dossier)
        _refuse_if_paid(lc, dossier)
        amount = _amount_due(ctx, s, dossier, lc, exemption)
        if amount <= 0:
            raise InvalidInput("Hồ sơ không phải nộp phí / There is no fee to pay for this dossier.")
        now = ctx.now()
        payment = Payment(
            dossier_id=dossier.id,
            reference=_reference(dossier),
            method="online",
            gateway=gateway.name,
            amount_vnd=amount,
            status="pending",
            created_at=now,
            created_by=SYSTEM_ACTOR,
        )
        s.add(payment)
        if lc.payment_status == "none":
            lc.fee_amount_vnd = amount
            lc.payment_status = "unpaid"
        s.flush()
        info = f"Nop phi ho so {dossier.code or dossier.id}"
        url = gateway.redirect_url(payment.reference, amount, info, return_url, now, ip)
        view = _payment_view(payment)
        return PaymentView(**{**view.__dict__, "redirect_url": url})


def handle_notification(ctx: Context, params: dict[str, Any], kind: str = "ipn") -> NotificationOutcome:
    """Process a gateway notification (``ipn``: may settle the payment; ``return``: display only).

    Every notification is logged with its outcome; forged, altered and replayed ones are refused."""
    params = {str(k): str(v) for k, v in params.items()}
    gateway = payment_gateway(ctx)
    outcome = _decide(ctx, gateway, params, kind)
    if not outcome.accepted:
        log.warning("payment notification refused (%s): %s %s", kind, outcome.code, outcome.message)
        with unit_of_work(ctx) as s:  # the refusal is logged even though nothing else changes
            s.add(
                PaymentNotification(
                    received_at=ctx.now(),
                    gateway=gateway.name,
                    kind=kind,
                    reference=outcome.reference,
                    params=params,
                    outcome="rejected",
                    reason=f"{outcome.code} {outcome.message}",
                )
            )
    return outcome


def _decide(ctx: Context, gateway: PaymentGateway, params: dict[str, str], kind: str) -> NotificationOutcome:
    reference = params.get("vnp_TxnRef") or None
    if not gateway.verify(params):
        return NotificationOutcome(False, "97", "Invalid signature", reference)
    result = gateway.read(params)
    merchant = getattr(gateway, "merchant", None)
    if merchant is not None and result.merchant != merchant:
        return NotificationOutcome(False, "97", "Invalid merchant", reference)
    try:
        with unit_of_work(ctx) as s:
            payment = s.scalar(select(Payment).where(Payment.reference == result.reference).with_for_update())
            if payment is None:
                return NotificationOutcome(False, "01", "Order not found", reference)
            if payment.amount_vnd != result.amount_vnd:
                return NotificationOutcome(False, "04", "Invalid amount", reference)
            if kind == "return":
                s.add(_note(ctx, gateway, kind, reference, params, "accepted", "display only"))
                return NotificationOutcome(True, "00", "Return received", reference, payment.status)
            if payment.status != "pending":
                return NotificationOutcome(False, "02", "Order already confirmed", reference, payment.status)
            lc = s.get(DossierLifecycle, payment.dossier_id)
            now = ctx.now()
            if result.success:
                if lc is not None and lc.payment_status == "paid":
                    payment.status = "failed"
                    return NotificationOutcome(False, "02", "Order already confirmed", reference, "failed")
                payment.status = "paid"
                payment.paid_at = now
                payment.settled_for = payment.dossier_id
                payment.gateway_transaction = result.transaction_no
                if lc is not None:
                    lc.payment_status = "paid"
                _append_event(
                    s,
                    payment.dossier_id,
                    now,
                    activity="payment",
                    lifecycle="paid",
                    actor=gateway.name,
                    data={
                        "method": "online",
                        "amount_vnd": payment.amount_vnd,
                        "reference": payment.reference,
                    },
                )
            else:
                payment.status = "failed"
            s.add(_note(ctx, gateway, kind, reference, params, "accepted", result.response_code))
            s.flush()
            return NotificationOutcome(True, "00", "Confirm Success", reference, payment.status)
    except IntegrityError:  # another notification settled this dossier at the same moment
        return NotificationOutcome(False, "02", "Order already confirmed", reference)


def _note(ctx, gateway, kind, reference, params, outcome, reason) -> PaymentNotification:
    return PaymentNotification(
        received_at=ctx.now(),
        gateway=gateway.name,
        kind=kind,
        reference=reference,
        params=params,
        outcome=outcome,
        reason=reason,
    )


def list_payments(ctx: Context, dossier_id: int) -> list[PaymentView]:
    with ctx.db.read() as s:
        _dossier(s, dossier_id)
        return [
            _payment_view(p)
            for p in s.scalars(select(Payment).where(Payment.dossier_id == dossier_id).order_by(Payment.id))
        ]


def notifications(ctx: Context, reference: str | None = None) -> list[dict]:
    with ctx.db.read() as s:
        query = select(PaymentNotification).order_by(PaymentNotification.id)
        if reference:
            query = query.where(PaymentNotification.reference == reference)
        return [
            {"kind": n.kind, "reference": n.reference, "outcome": n.outcome, "reason": n.reason}
            for n in s.scalars(query)
        ]


def find_payment(ctx: Context, reference: str) -> PaymentView:
    with ctx.db.read() as s:
        payment = s.scalar(select(Payment).where(Payment.reference == reference))
        if payment is None:
            raise NotFound("Không tìm thấy giao dịch / Payment not found.")
        return _payment_view(payment)


def _reference(dossier: Dossier) -> str:
    return f"{dossier.id}-{secrets.token_hex(6)}"


def _payment_view(p: Payment) -> PaymentView:
    return PaymentView(
        p.reference, p.dossier_id, p.method, p.gateway, p.amount_vnd, p.status, p.created_at, p.paid_at
    )
