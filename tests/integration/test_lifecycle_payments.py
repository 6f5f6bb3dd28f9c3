"""Fees at the counter and online through the sandbox gateway; forged, altered and replayed
notifications are refused and logged; a paid dossier is never charged twice."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from engine.errors import Conflict
from engine.payments import sign
from engine.services import dossiers as lifecycle
from engine.services import payments
from tests import lifecycle_support

world = lifecycle_support.world


def _fee_requested(world) -> int:
    dossier = world.accepted()
    world.complete(dossier, "appraiser", appraisal="fee")
    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert (view.status, view.payment_status, view.fee_amount_vnd) == (6, "unpaid", 8000)
    return dossier


def _order(world, dossier: int) -> dict[str, str]:
    payment = payments.start_online_payment(world.ctx, dossier, "http://localhost/payments/return")
    return dict(parse_qsl(urlsplit(payment.redirect_url).query))


def test_online_payment_settles_once_and_refuses_forged_altered_and_replayed_notifications(world):
    dossier = _fee_requested(world)
    gateway = payments.payment_gateway(world.ctx)
    order = _order(world, dossier)
    assert order["vnp_Amount"] == "800000" and gateway.verify(order)  # VND x 100, signed

    result = gateway.settle(order, True, world.ctx.now(), "14226112")

    forged = {**result, "vnp_SecureHash": sign(result, "not-the-secret")}
    assert payments.handle_notification(world.ctx, forged).gateway_reply() == {
        "RspCode": "97",
        "Message": "Invalid signature",
    }
    altered = {**result, "vnp_Amount": "100"}  # signature no longer matches
    assert payments.handle_notification(world.ctx, altered).code == "97"
    resigned = {**result, "vnp_Amount": "100"}
    resigned["vnp_SecureHash"] = sign(resigned, gateway.secret)  # a signed but wrong amount
    assert payments.handle_notification(world.ctx, resigned).code == "04"
    assert lifecycle.get_lifecycle(world.ctx, dossier).payment_status == "unpaid"

    accepted = payments.handle_notification(world.ctx, result)
    assert (accepted.accepted, accepted.code, accepted.payment_status) == (True, "00", "paid")
    replayed = payments.handle_notification(world.ctx, result)
    assert (replayed.accepted, replayed.code) == (False, "02")

    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert (view.payment_status, view.status) == ("paid", 6)  # payment apart from the business status
    log = payments.notifications(world.ctx)
    assert [(n["outcome"], n["reason"].split()[0]) for n in log] == [
        ("rejected", "97"),
        ("rejected", "97"),
        ("rejected", "04"),
        ("accepted", "00"),
        ("rejected", "02"),
    ]
    with pytest.raises(Conflict, match="không thu lần thứ hai"):
        payments.start_online_payment(world.ctx, dossier, "http://localhost/payments/return")
    with pytest.raises(Conflict):
        payments.pay_at_counter(world.ctx, dossier, world.officers["intake"])

    world.complete(dossier, "intake")  # the officer confirms the fee: the clock runs again
    assert lifecycle.get_lifecycle(world.ctx, dossier).status == 4


def test_second_gateway_success_for_a_paid_dossier_is_not_charged(world):
    dossier = _fee_requested(world)
    gateway = payments.payment_gateway(world.ctx)
    first, second = _order(world, dossier), _order(world, dossier)  # two tabs open at once
    assert (
        payments.handle_notification(world.ctx, gateway.settle(first, True, world.ctx.now(), "1")).code
        == "00"
    )
    late = payments.handle_notification(world.ctx, gateway.settle(second, True, world.ctx.now(), "2"))
    assert (late.accepted, late.code) == (False, "02")
    assert [p.status for p in payments.list_payments(world.ctx, dossier)] == ["paid", "failed"]


def test_counter_payment_with_an_exemption(world):
    dossier = _fee_requested(world)
    assert payments.quote_fee(world.ctx, dossier, "poor_household").amount_vnd == 0
    paid = payments.pay_at_counter(world.ctx, dossier, world.officers["intake"], exemption="poor_household")
    assert (paid.amount_vnd, paid.status) == (0, "paid")
    assert lifecycle.get_lifecycle(world.ctx, dossier).payment_status == "exempt"


def test_a_cancelled_payment_leaves_the_fee_unpaid(world):
    dossier = _fee_requested(world)
    gateway = payments.payment_gateway(world.ctx)
    outcome = payments.handle_notification(
        world.ctx, gateway.settle(_order(world, dossier), False, world.ctx.now(), "9")
    )
    assert (outcome.accepted, outcome.payment_status) == (True, "failed")
    assert lifecycle.get_lifecycle(world.ctx, dossier).payment_status == "unpaid"


def test_paying_through_the_sandbox_pages(world):
    from webui import create_app

    dossier = _fee_requested(world)
    code = lifecycle.get_lifecycle(world.ctx, dossier).code
    client = create_app(world.ctx).test_client()
    assert "/thanh-toan?code=" in client.get("/tra-cuu", query_string={"code": code}).get_data(as_text=True)
    start = client.get("/thanh-toan", query_string={"code": code})
    assert start.status_code == 302 and "/sandbox-gateway/pay?" in start.location
    order = dict(parse_qsl(urlsplit(start.location).query))
    page = client.get(start.location)
    assert page.status_code == 200 and "8.000 VND" in page.get_data(as_text=True)

    tampered = client.post("/sandbox-gateway/pay", data={**order, "vnp_Amount": "100", "action": "pay"})
    assert tampered.status_code == 400

    paid = client.post("/sandbox-gateway/pay", data={**order, "action": "pay"})
    assert paid.status_code == 302 and "/payments/return?" in paid.location
    back = client.get(paid.location)
    assert back.status_code == 200 and "Đã thanh toán lệ phí" in back.get_data(as_text=True)
    assert lifecycle.get_lifecycle(world.ctx, dossier).payment_status == "paid"

    replay = dict(parse_qsl(urlsplit(paid.location).query))
    assert client.get("/payments/ipn", query_string=replay).get_json() == {
        "RspCode": "02",
        "Message": "Order already confirmed",
    }
    forged = {**replay, "vnp_SecureHash": "0" * 128}
    assert client.get("/payments/ipn", query_string=forged).get_json()["RspCode"] == "97"
    assert client.get("/thanh-toan", query_string={"code": "nope"}).status_code == 404
