"""Online fee payment pages: start a payment, the sandbox gateway's page, the return and the IPN.

The sandbox page stands in for the bank's page: it checks the order's signature, lets the applicant
pay or cancel, sends the signed server-to-server notification (IPN) and redirects back with the
signed result, exactly in the order a real gateway does.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for

from engine.errors import Conflict, InvalidInput, NotFound
from engine.services import dossiers as lifecycle
from engine.services import payments

bp = Blueprint("payments", __name__)


def _ctx():
    return current_app.extensions["motcua"]


@bp.get("/thanh-toan")
def start():
    """Pay the fee of a dossier online, by its code."""
    ctx = _ctx()
    code = (request.args.get("code") or "").strip()[:64]
    try:
        dossier = lifecycle.find_by_code(ctx, code)
        payment = payments.start_online_payment(
            ctx,
            dossier.dossier_id,
            url_for("payments.gateway_return", _external=True),
            request.remote_addr or "",
        )
    except NotFound:
        return render_template("public/not_found.html", what="hồ sơ"), 404
    except (Conflict, InvalidInput) as exc:
        return render_template("payments/result.html", ok=False, message=exc.message), 409
    return redirect(payment.redirect_url)


@bp.get("/sandbox-gateway/pay")
def sandbox_page():
    order = request.args.to_dict()
    gateway = payments.payment_gateway(_ctx())
    if not gateway.verify(order):
        return render_template("payments/result.html", ok=False, message="Chữ ký đơn hàng không hợp lệ."), 400
    return render_template(
        "payments/sandbox.html", order=order, amount=int(order.get("vnp_Amount", "0")) // 100
    )


@bp.post("/sandbox-gateway/pay")
def sandbox_settle():
    ctx = _ctx()
    order = {k: v for k, v in request.form.items() if k.startswith("vnp_")}
    gateway = payments.payment_gateway(ctx)
    try:
        result = gateway.settle(
            order, request.form.get("action") == "pay", ctx.now(), str(secrets.randbelow(10**8))
        )
    except (ValueError, KeyError):
        return render_template("payments/result.html", ok=False, message="Chữ ký đơn hàng không hợp lệ."), 400
    payments.handle_notification(ctx, result, "ipn")  # server to server, before the browser comes back
    return_url = order.get("vnp_ReturnUrl") or url_for("payments.gateway_return")
    query = "&".join(f"{k}={v}" for k, v in _encoded(result).items())
    return redirect(f"{return_url}?{query}")


def _encoded(params: dict[str, str]) -> dict[str, str]:
    from urllib.parse import quote_plus

    return {k: quote_plus(v) for k, v in params.items()}


@bp.get("/payments/return")
def gateway_return():
    outcome = payments.handle_notification(_ctx(), request.args.to_dict(), "return")
    if not outcome.accepted:
        return render_template(
            "payments/result.html", ok=False, message="Kết quả thanh toán không hợp lệ."
        ), 400
    paid = outcome.payment_status == "paid"
    message = "Đã thanh toán lệ phí." if paid else "Giao dịch chưa thành công hoặc đã bị hủy."
    return render_template("payments/result.html", ok=paid, message=message, reference=outcome.reference)


@bp.route("/payments/ipn", methods=["GET", "POST"])
def gateway_ipn():
    params = request.args.to_dict() if request.method == "GET" else request.form.to_dict()
    if not params:
        abort(400)
    return jsonify(payments.handle_notification(_ctx(), params, "ipn").gateway_reply())
