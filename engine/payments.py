"""Online fee payment: the gateway port and a sandbox gateway that behaves like VNPay.

Vietnamese gateways (VNPay, and in the same spirit the national portal's payment platform) work in
three legs, each signed with HMAC-SHA512 over the parameters sorted by name and URL-encoded:

1. the agency redirects the applicant to the gateway with signed order parameters;
2. the gateway sends a signed server-to-server notification (IPN) with the outcome — the only leg
   that may change the payment's state;
3. the gateway redirects the applicant back to the agency's return URL with the same signed result,
   for display only.

A notification is accepted only when its signature is right, its merchant code, order and amount
match the payment, and the payment was not settled already (a replay is refused and logged).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import quote_plus, urlencode

from .clock import VIETNAM

SIGNATURE_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")
ORDER_LIFETIME = timedelta(minutes=15)  # an unpaid order expires, as on the real gateways


def canonical_query(params: dict[str, str]) -> str:
    """``k1=v1&k2=v2`` over the parameters sorted by name, values URL-encoded (spaces as ``+``),
    without the signature itself: the string the HMAC is computed over."""
    items = sorted(
        (k, str(v)) for k, v in params.items() if k not in SIGNATURE_FIELDS and v not in (None, "")
    )
    return "&".join(f"{k}={quote_plus(v)}" for k, v in items)


def sign(params: dict[str, str], secret: str) -> str:
    return hmac.new(
        secret.encode("utf-8"), canonical_query(params).encode("utf-8"), hashlib.sha512
    ).hexdigest()


def signature_ok(params: dict[str, str], secret: str) -> bool:
    given = str(params.get("vnp_SecureHash") or "")
    return bool(given) and hmac.compare_digest(given.lower(), sign(params, secret))


@dataclass(frozen=True)
class GatewayResult:
    """What a signed notification says happened."""

    reference: str
    amount_vnd: int
    success: bool
    transaction_no: str | None
    merchant: str | None
    response_code: str | None


class PaymentGateway(Protocol):
    """The port every gateway adapter implements."""

    name: str

    def redirect_url(
        self, reference: str, amount_vnd: int, order_info: str, return_url: str, now: datetime, ip: str
    ) -> str: ...

    def verify(self, params: dict[str, str]) -> bool: ...

    def read(self, params: dict[str, str]) -> GatewayResult: ...


class SandboxGateway:
    """A gateway for development and tests with VNPay's parameters, signatures and response codes.

    ``pay_url`` is the sandbox page (served by the web app) standing in for the bank's page.
    """

    name = "sandbox"

    def __init__(
        self, secret: str, merchant: str = "MOTCUA01", pay_url: str = "/sandbox-gateway/pay"
    ) -> None:
        self.secret = secret
        self.merchant = merchant
        self.pay_url = pay_url

    # -- the agency's side

    def order_params(
        self, reference: str, amount_vnd: int, order_info: str, return_url: str, now: datetime, ip: str
    ) -> dict[str, str]:
        params = {
            "vnp_Version": "2.1.0",
            "vnp_Command": "pay",
            "vnp_TmnCode": self.merchant,
            "vnp_Amount": str(int(amount_vnd) * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": reference,
            "vnp_OrderInfo": order_info,
            "vnp_OrderType": "billpayment",
            "vnp_Locale": "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": ip or "127.0.0.1",
            "vnp_CreateDate": now.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S"),
            "vnp_ExpireDate": (now + ORDER_LIFETIME).astimezone(VIETNAM).strftime("%Y%m%d%H%M%S"),
        }
        params["vnp_SecureHash"] = sign(params, self.secret)
        return params

    def redirect_url(
        self, reference: str, amount_vnd: int, order_info: str, return_url: str, now: datetime, ip: str
    ) -> str:
        params = self.order_params(reference, amount_vnd, order_info, return_url, now, ip)
        return f"{self.pay_url}?{urlencode(params)}"

    def verify(self, params: dict[str, str]) -> bool:
        return signature_ok(params, self.secret)

    def read(self, params: dict[str, str]) -> GatewayResult:
        try:
            amount = int(str(params.get("vnp_Amount", "0"))) // 100
        except ValueError:
            amount = -1
        code = params.get("vnp_ResponseCode")
        return GatewayResult(
            reference=str(params.get("vnp_TxnRef") or ""),
            amount_vnd=amount,
            success=code == "00" and params.get("vnp_TransactionStatus", "00") == "00",
            transaction_no=params.get("vnp_TransactionNo"),
            merchant=params.get("vnp_TmnCode"),
            response_code=code,
        )

    # -- the gateway's side (what the bank page does when the applicant pays or cancels)

    def settle(
        self, order: dict[str, str], approved: bool, now: datetime, transaction_no: str
    ) -> dict[str, str]:
        """The signed result the gateway sends (as IPN and as the return redirect) for an order.

        Raises ValueError when the order itself was not signed by the merchant (a tampered redirect)."""
        if not self.verify(order):
            raise ValueError("the order's signature is wrong")
        expires = order.get("vnp_ExpireDate")
        if expires and now.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S") > expires:
            raise ValueError("the order has expired")
        result = {
            "vnp_TmnCode": order["vnp_TmnCode"],
            "vnp_Amount": order["vnp_Amount"],
            "vnp_BankCode": "NCB" if approved else "",
            "vnp_BankTranNo": f"VNP{transaction_no}" if approved else "",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": order["vnp_OrderInfo"],
            "vnp_PayDate": now.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S"),
            "vnp_ResponseCode": "00" if approved else "24",
            "vnp_TransactionNo": transaction_no,
            "vnp_TransactionStatus": "00" if approved else "02",
            "vnp_TxnRef": order["vnp_TxnRef"],
        }
        result = {k: v for k, v in result.items() if v != ""}
        result["vnp_SecureHash"] = sign(result, self.secret)
        return result
