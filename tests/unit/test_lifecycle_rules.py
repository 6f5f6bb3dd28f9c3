"""Pure lifecycle rules: codes, rule sets by reception date, procedure terms, fees, the 15:00 rule,
and the gateway's signatures."""

from __future__ import annotations

import tomllib
from datetime import date, datetime

import pytest
import segno

from engine.calendar import TimeLimit, WeekdayCalendar
from engine.catalog import parse_manifest
from engine.clock import VIETNAM
from engine.config import PROJECT_ROOT
from engine.documents.pdf_forms import QrCode
from engine.dossiers import (
    appointment,
    day_key,
    fee_due,
    format_code,
    is_valid_code,
    procedure_code_of,
    terms_from_procedure,
)
from engine.legal_rules import rule_set_for
from engine.payments import SandboxGateway, canonical_query, sign


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


def test_codes_use_the_vietnam_date_and_a_four_digit_sequence():
    assert day_key(datetime.fromisoformat("2025-11-03T17:30:00+00:00")) == "251104"  # 00:30 on the 4th
    assert format_code("000.10.01.H26", "251104", 7) == "000.10.01.H26-251104-0007"
    assert is_valid_code("000.10.01.H26-251104-0007")
    for bad in ("", "abc", "000.10.01.H26-2511-0007", "<script>-251104-0001", "x" * 60):
        assert not is_valid_code(bad)


@pytest.mark.parametrize(
    ("received", "rules", "control_slip"),
    [
        (date(2025, 6, 30), "nd61-2018", "05"),
        (vn(2025, 6, 30, 23, 59), "nd61-2018", "05"),
        (date(2025, 7, 1), "nd118-2025", "06"),
        (datetime.fromisoformat("2025-06-30T17:30:00+00:00"), "nd118-2025", "06"),  # 1 July 00:30 in Hà Nội
    ],
)
def test_the_rule_set_in_force_on_the_reception_date(received, rules, control_slip):
    chosen = rule_set_for(received)
    assert chosen.code == rules and chosen.form("control_slip").number == control_slip
    assert (chosen.form("stop_notice") is None) == (rules == "nd61-2018")


def test_manifest_terms_fees_and_exemptions():
    """The lifecycle reads a procedure's terms from the catalog's own manifest parser."""
    folder = PROJECT_ROOT / "processes" / "birth_registration"
    manifest = tomllib.loads((folder / "manifest.toml").read_text(encoding="utf-8"))
    manifest["limit"] = {"amount": 1, "unit": "working_days", "online_amount": 0.5}
    manifest["supplement_policy"] = "pause"
    manifest["fees"] = [
        {"name_vi": "Lệ phí", "amount_vnd": 8000, "exemptions": ["poor_household"]},
        {"name_vi": "Bản sao trích lục", "amount_vnd": 3000},
    ]
    terms = terms_from_procedure(parse_manifest(manifest, folder))
    assert terms.limit_for("counter") == TimeLimit(1, "working_days")
    assert terms.limit_for("online") == TimeLimit(0.5, "working_days")
    assert terms.supplement_policy == "pause"
    assert (fee_due(terms), fee_due(terms, "poor_household")) == (11000, 3000)
    assert procedure_code_of("birth_registration_to_be") == "birth_registration"


def test_same_day_procedures_follow_the_three_pm_rule():
    calendar, limit = WeekdayCalendar(), TimeLimit(1, "working_days")
    assert appointment(calendar, vn(2025, 11, 3, 14, 59), limit, same_day_cutoff=True) == vn(2025, 11, 3, 17)
    assert appointment(calendar, vn(2025, 11, 3, 15, 0), limit, same_day_cutoff=True) == vn(2025, 11, 4, 17)
    assert appointment(calendar, vn(2025, 11, 7, 16, 0), limit, same_day_cutoff=True) == vn(2025, 11, 10, 17)
    assert appointment(calendar, vn(2025, 11, 3, 14, 0), limit) == vn(2025, 11, 4, 14)
    same_day = TimeLimit(0, "working_days")
    assert appointment(calendar, vn(2025, 11, 3, 16, 0), same_day) == vn(2025, 11, 3, 17)
    assert appointment(calendar, vn(2025, 11, 8, 10, 0), same_day) == vn(2025, 11, 10, 17)  # a Saturday


def test_gateway_signature_is_hmac_sha512_over_sorted_url_encoded_params():
    params = {"vnp_TxnRef": "1-ab", "vnp_Amount": "800000", "vnp_OrderInfo": "Nop phi ho so 1"}
    assert canonical_query(params) == "vnp_Amount=800000&vnp_OrderInfo=Nop+phi+ho+so+1&vnp_TxnRef=1-ab"
    gateway = SandboxGateway("secret")
    signed = {**params, "vnp_TmnCode": "MOTCUA01"}
    signed["vnp_SecureHash"] = sign(signed, "secret")
    assert len(signed["vnp_SecureHash"]) == 128 and gateway.verify(signed)
    assert not gateway.verify({**signed, "vnp_Amount": "800001"})
    assert not gateway.verify({k: v for k, v in signed.items() if k != "vnp_SecureHash"})
    with pytest.raises(ValueError, match="signature"):
        gateway.settle({**signed, "vnp_Amount": "1"}, True, vn(2025, 11, 3, 9), "1")
    order = gateway.order_params("1-ab", 8000, "Nop phi", "http://x/return", vn(2025, 11, 3, 9), "1.2.3.4")
    assert gateway.settle(order, True, vn(2025, 11, 3, 9, 14), "7")["vnp_ResponseCode"] == "00"
    with pytest.raises(ValueError, match="expired"):
        gateway.settle(order, True, vn(2025, 11, 3, 9, 16), "8")


def test_receipt_qr_code_encodes_the_dossier_code():
    code = "000.10.01.H26-251103-0001"
    assert [list(r) for r in QrCode(code).qr.matrix] == [list(r) for r in segno.make(code, error="m").matrix]


def test_validation_refuses_an_unknown_lifecycle_marker():
    from pathlib import Path

    from engine.bpmn.validation import SourceFile, validate
    from engine.dossiers import register_model_rules

    register_model_rules()
    good = (Path(__file__).parent.parent / "fixtures" / "bpmn" / "lifecycle_markers.bpmn").read_bytes()
    assert validate([SourceFile("ok.bpmn", good)]).ok
    bad = validate([SourceFile("bad.bpmn", good.replace(b'value="refused"', b'value="refuse"'))])
    assert [(d.code, d.element_id) for d in bad.errors] == [("dossier-event-unknown", "m_refused")]
